#!/usr/bin/env node
// Runs the benchmarks (bench/native/bench_*.c, built in Release) and writes their results to
// bench/results.json and a Markdown table to bench/RESULTS.md. Each benchmark prints JSON lines:
// {"bench": name, ...figures, "goal"?: text, "met"?: boolean}.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dir = 'build-bench';
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(1);
  }
  return r.stdout;
};

// `npm run bench -- --only soak,gdb` re-runs those benchmarks (by file name) and keeps the other
// rows of bench/results.json as they were.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : null;
const selected = (file) => !only || only.some((name) => file.replace(/\.(mjs)$/, '').replace(/^bench_/, '') === name);
const previous = only && existsSync(join(root, 'bench', 'results.json'))
  ? JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')).results
  : [];

// The native benchmarks are built only when one of them is selected (--only usbip needs none).
const nativeSelected = readdirSync(join(root, 'bench', 'native')).some((f) => f.endsWith('.c') && selected(f.slice(0, -2)));
if (nativeSelected) {
  sh('cmake', ['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=Release']);
  sh('cmake', ['--build', dir, '-j2']);
}
const results = previous.filter((row) => row.source && !selected(row.source));
for (const bin of nativeSelected ? readdirSync(join(root, dir)).filter((f) => f.startsWith('bench_')).sort() : []) {
  if (!(statSync(join(root, dir, bin)).mode & 0o111) || !selected(bin)) continue;
  process.stdout.write(`running ${bin}\n`);
  for (const line of sh(join(root, dir, bin), []).split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = { ...JSON.parse(line), source: bin };
    results.push(row);
    process.stdout.write(`  ${line}\n`);
  }
}

// Benchmarks through Node and real clients (bench/*.mjs): the TypeScript build must be current.
sh('npx', ['tsc', '-p', 'tsconfig.json']);
for (const script of readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.mjs') && selected(f)).sort()) {
  process.stdout.write(`running ${script}\n`);
  for (const line of sh('node', [join(root, 'bench', script)]).split('\n')) {
    if (!line.startsWith('{')) continue;
    results.push({ ...JSON.parse(line), source: script });
    process.stdout.write(`  ${line}\n`);
  }
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
writeFileSync(join(root, 'bench', 'results.json'), JSON.stringify({ machine, results }, null, 2) + '\n');
const order = (row) => row.source ?? '';
results.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
const keys = (row) => Object.keys(row).filter((k) => !['bench', 'goal', 'met', 'source'].includes(k));
const md = [
  '# Benchmark results',
  '',
  `Machine: ${machine}. Regenerate with \`npm run bench\`.`,
  '',
  '| benchmark | figures | goal | met |',
  '|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.bench} | ${keys(r)
        .map((k) => `${k}: ${typeof r[k] === 'number' ? +r[k].toPrecision(4) : typeof r[k] === 'object' ? JSON.stringify(r[k]) : r[k]}`)
        .join(', ')} | ${r.goal ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`,
  ),
  '',
];
writeFileSync(join(root, 'bench', 'RESULTS.md'), md.join('\n'));

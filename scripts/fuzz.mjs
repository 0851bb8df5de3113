#!/usr/bin/env node
// Builds and runs the libFuzzer targets test/fuzz/fuzz_*.c under ASan, UBSan and LSan.
//
//   node scripts/fuzz.mjs                    the test run's check: replays every kept input
//                                            (test/fuzz/corpus/<name>/ and
//                                            test/fuzz/regressions/<name>/) with -runs=0, then
//                                            fuzzes each target for FUZZ_SECONDS (default 5)
//   npm run fuzz -- --minutes N              a campaign: each target in turn for N minutes
//                                            (one at a time, under nice), new inputs kept in
//                                            build-fuzz/corpus/<name>/, crash reproducers copied
//                                            to test/fuzz/regressions/<name>/ (replayed by the
//                                            test run from then on); libFuzzer's output goes to
//                                            build-fuzz/<name>.campaign.log as it runs
//   options: --only <name>[,<name>]  some targets; --merge  add the inputs of
//            build-fuzz/corpus/<name>/ that bring new coverage to test/fuzz/corpus/<name>/
//            (libFuzzer -merge=1);
//            --seconds S  the bounded run's length; --runs N  stop a campaign's target after N
//            executions; --build-only; --parallel N  run N targets at a time;
//            --import-dap <dir>  turn the DAP sessions captured there (BMP_DAP_CAPTURE, see
//            lib/dap-server.ts) into fuzz_dap inputs in build-fuzz/corpus/fuzz_dap/ (then --merge);
//            --import-gdb <dir>  the same for GDB sessions (BMP_GDB_CAPTURE, lib/gdb-server.ts),
//            into fuzz_gdb_server and fuzz_rsp_packet inputs
//
// A target names what it links on lines of its own near the top:
//   // fuzz-sources: native/core/dap/dap.c [more paths, relative to the repository root]
//   // fuzz-flags: -I firmware -DUSB_MMIO_MODEL
// where @core stands for every portable-core source and @sim for every simulator source in
// native/sources.json. Prints one line per target, "ok - <name>: ..." or "not ok - <name>: ...",
// with details indented, and the campaign figures (executions, exec/s, cov, ft, corpus) at the
// end of each run; exits non-zero if anything failed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const minutes = option('--minutes') !== undefined ? Number(option('--minutes')) : undefined;
const seconds = Number(option('--seconds') ?? process.env.FUZZ_SECONDS ?? 5);
const only = (option('--only') ?? process.env.FUZZ_ONLY ?? '').split(',').filter(Boolean);
const merge = args.includes('--merge');
const runs = option('--runs'); // a campaign of this many executions per target (with --minutes as a cap)
const buildOnly = args.includes('--build-only');
const parallel = Number(option('--parallel') ?? 1);
if (!(Number.isInteger(parallel) && parallel >= 1)) {
  console.error('fuzz.mjs: --parallel wants a whole number from 1');
  process.exit(2);
}
if (minutes !== undefined && !(minutes > 0)) {
  console.error('fuzz.mjs: --minutes wants a positive number');
  process.exit(2);
}

const out = join(root, 'build-fuzz');
const cc = process.env.CC ?? 'clang';
const cflags = ['-g', '-O1', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fsanitize=fuzzer,address,undefined',
  '-fno-sanitize-recover=all', '-fsanitize-coverage-ignorelist=test/fuzz/coverage-ignore.txt', '-I', 'native/core', '-I', 'native/sim'];

function say(line) {
  process.stdout.write(line + '\n');
}
function detail(text) {
  for (const l of text.trim().split('\n').slice(-60)) say('    ' + l);
}

/** The sources and flags a target names in its header lines. */
function targetInputs(src) {
  const text = readFileSync(src, 'utf8');
  // Read at each build: a campaign runs for hours, and the list may gain a file meanwhile.
  const sources = JSON.parse(readFileSync(join(root, 'native/sources.json'), 'utf8'));
  const files = [];
  const flags = [];
  for (const m of text.matchAll(/^\s*\/\/\s*fuzz-sources:(.*)$/gm)) {
    for (const word of m[1].trim().split(/\s+/).filter(Boolean)) {
      if (word === '@core') files.push(...sources.core);
      else if (word === '@sim') files.push(...sources.sim);
      else files.push(word);
    }
  }
  for (const m of text.matchAll(/^\s*\/\/\s*fuzz-flags:(.*)$/gm)) flags.push(...m[1].trim().split(/\s+/).filter(Boolean));
  return { files: [...new Set(files)], flags };
}

function build(name, src) {
  const { files, flags } = targetInputs(src);
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length) return { ok: false, why: `fuzz-sources names missing files: ${missing.join(' ')}` };
  const bin = join(out, name);
  // Rebuild only when a source is newer than the binary (the campaign and the test run share it).
  const inputs = [src, ...files, 'native/sources.json', 'test/fuzz/coverage-ignore.txt', 'scripts/fuzz.mjs'].map((f) => join(root, f));
  if (existsSync(bin)) {
    const built = statSync(bin).mtimeMs;

    if (inputs.every((f) => statSync(f).mtimeMs < built)) return { ok: true, bin };
  }
  const r = spawnSync(cc, [...cflags, ...flags, src, ...files, '-o', bin], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: 'build failed\n' + (r.stdout ?? '') + (r.stderr ?? '') };
  return { ok: true, bin };
}

function dirFiles(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()) : [];
}

function corpusSize(dir) {
  const files = dirFiles(dir);
  return { files: files.length, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) };
}

/** Runs a fuzzer binary; resolves with its status and log. */
function runFuzzer(bin, fuzzArgs, { niced = false, log, file } = {}) {
  return new Promise((done) => {
    const cmd = niced ? 'nice' : bin;
    const argv = niced ? ['-n', '10', bin, ...fuzzArgs] : fuzzArgs;
    // A small quarantine and short allocation stacks: the harnesses allocate exact-size buffers
    // by the thousand per run, and ASan's defaults (256 MiB quarantine, 30-frame stacks) made
    // that a third of fuzz_rsp_packet's time. Use-after-free is still caught within 16 MiB.
    const env = { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'quarantine_size_mb=16:malloc_context_size=4' };
    const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (chunk) => {
      text += chunk;
      if (log) process.stdout.write(chunk);
      if (file) appendFileSync(file, chunk);
      if (text.length > 4 << 20) text = text.slice(-(1 << 20));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (status, signal) => done({ status: status ?? 1, signal, text }));
  });
}

/** The figures libFuzzer prints at the end: executions, exec/s, cov, ft, corpus. */
function figures(text) {
  const f = {};
  const runs = /stat::number_of_executed_units:\s*(\d+)/.exec(text);
  if (runs) f.executions = Number(runs[1]);
  const speed = /stat::average_exec_per_sec:\s*(\d+)/.exec(text);
  if (speed) f.execPerSec = Number(speed[1]);
  const lines = text.split('\n').filter((l) => /^#\d+\s+(DONE|pulse|NEW|REDUCE|INITED)\s/.test(l));
  const last = lines.at(-1);
  if (last) {
    const cov = /cov: (\d+)/.exec(last);
    const ft = /ft: (\d+)/.exec(last);
    const corp = /corp: (\d+)\/(\S+)/.exec(last);
    if (cov) f.cov = Number(cov[1]);
    if (ft) f.ft = Number(ft[1]);
    if (corp) f.corpus = `${corp[1]} inputs, ${corp[2]}`;
  }
  return f;
}

const findingPattern = /^(==\d+==(ERROR|WARNING)|.*runtime error:|.*property violated|.*deadly signal|SUMMARY: |.*Test unit written)/m;

function failureReport(text) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => findingPattern.test(l));
  return (i >= 0 ? lines.slice(i, i + 50) : lines.slice(-40)).join('\n');
}

/** Copies crash reproducers into test/fuzz/regressions/<name>/, where the test run replays them. */
function keepReproducers(name, artifacts) {
  const kept = [];
  for (const f of dirFiles(artifacts)) {
    const dir = join(root, 'test/fuzz/regressions', name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(artifacts, f), join(dir, f));
    kept.push(join('test/fuzz/regressions', name, f));
  }
  return kept;
}

const common = ['-rss_limit_mb=2048', '-detect_leaks=1', '-timeout=10', '-print_final_stats=1'];

async function one(name, src) {
  const b = build(name, src);
  if (!b.ok) {
    say(`not ok - ${name}: ${b.why.split('\n')[0]}`);
    detail(b.why);
    return false;
  }
  if (buildOnly) {
    say(`ok - ${name}: built`);
    return true;
  }
  const kept = join(root, 'test/fuzz/corpus', name);
  const regressions = join(root, 'test/fuzz/regressions', name);
  const work = join(out, 'corpus', name);
  const artifacts = join(out, 'artifacts', name);
  mkdirSync(work, { recursive: true });
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const keptDirs = [kept, regressions].filter((d) => existsSync(d));

  // Every kept input, once (also in a campaign: a regression must fail fast).
  const started = Date.now();
  const replay = await runFuzzer(b.bin, [...common, '-runs=0', `-artifact_prefix=${artifacts}/`, ...keptDirs]);
  const keptCount = keptDirs.reduce((n, d) => n + dirFiles(d).length, 0);
  if (replay.status !== 0 || findingPattern.test(replay.text)) {
    say(`not ok - ${name}: replaying the ${keptCount} kept inputs`);
    detail(failureReport(replay.text));
    return false;
  }
  const replaySecs = (Date.now() - started) / 1000;

  const limit = minutes !== undefined ? Math.round(minutes * 60) : seconds;
  const fuzzStarted = Date.now();
  const r = await runFuzzer(
    b.bin,
    [...common, `-max_total_time=${limit}`, ...(runs ? [`-runs=${runs}`] : []), `-artifact_prefix=${artifacts}/`, work, ...keptDirs.filter((d) => d === kept)],
    { niced: minutes !== undefined, file: minutes !== undefined ? join(out, `${name}.campaign.log`) : undefined },
  );
  const f = figures(r.text);
  const figs = `${f.executions ?? '?'} runs, ${f.execPerSec ?? '?'} exec/s, cov ${f.cov ?? '?'}, ft ${f.ft ?? '?'}, corpus ${f.corpus ?? '?'}`;
  if (r.status !== 0 || findingPattern.test(r.text)) {
    const copies = keepReproducers(name, artifacts);
    say(`not ok - ${name}: finding after ${figs}`);
    detail(failureReport(r.text));
    for (const c of copies) say(`    reproducer kept: ${c}`);
    return false;
  }
  say(`ok - ${name}: replayed ${keptCount} kept inputs in ${replaySecs.toFixed(1)} s; fuzzed ${((Date.now() - fuzzStarted) / 1000).toFixed(0)} s: ${figs}`);

  if (merge) {
    // Into the kept corpus: its inputs stay (named seeds among them), the new ones that add
    // coverage join it.
    mkdirSync(kept, { recursive: true });
    const before = corpusSize(kept);
    // Edges only (no hit-count buckets): a kept corpus of hundreds of inputs, not thousands.
    const m = await runFuzzer(b.bin, [...common, '-merge=1', '-use_counters=0', kept, work], { niced: true });
    if (m.status !== 0) {
      say(`not ok - ${name}: merge`);
      detail(m.text);
      return false;
    }
    const s = corpusSize(kept);
    say(`    merged into test/fuzz/corpus/${name}: ${before.files} -> ${s.files} inputs, ${s.bytes} bytes`);
  }
  return true;
}

/** Captured CMSIS-DAP sessions as fuzz_dap inputs: the configuration byte (the session's packet
 * size, no connect sequence: the client does its own; STM32F103), then each request as a packet
 * record, a session cut into inputs of at most 48 packets. */
function importDap(dir) {
    const dest = join(out, 'corpus', 'fuzz_dap');
  mkdirSync(dest, { recursive: true });
  let made = 0;
  for (const f of dirFiles(dir).filter((f) => f.endsWith('.dapcap'))) {
    const data = readFileSync(join(dir, f));
    const eol = data.indexOf(10);
    const m = /^bmp-dap-capture (\d+)$/.exec(data.subarray(0, eol).toString());
    if (!m) continue;
    const sizeIndex = { 64: 0, 512: 1, 1024: 2 }[m[1]] ?? 0;
    const packets = [];
    for (let at = eol + 1; at + 2 <= data.length; ) {
      const n = data.readUInt16LE(at);
      packets.push(data.subarray(at + 2, at + 2 + n));
      at += 2 + n;
    }
    for (let i = 0; i < packets.length; i += 48) {
      const parts = [Buffer.from([sizeIndex])];
      for (const p of packets.slice(i, i + 48)) {
        parts.push(p.length < 0xbd ? Buffer.from([p.length]) : Buffer.from([0xbd, p.length & 0xff, p.length >> 8]), p);
      }
      const input = Buffer.concat(parts);
      writeFileSync(join(dest, createHash('sha1').update(input).digest('hex')), input);
      made++;
    }
  }
  say(`imported ${made} fuzz_dap inputs from ${dir} into ${dest}`);
}

/** Writes `input` into the work corpus of `target`, named by its hash. */
function addInput(target, input) {
  const dest = join(out, 'corpus', target);
  mkdirSync(dest, { recursive: true });
  writeFileSync(join(dest, createHash('sha1').update(input).digest('hex')), input);
}

/** Captured GDB sessions as inputs: the byte stream cut after every 24th packet ('$...#xx');
 * for fuzz_gdb_server behind its four configuration bytes (attached first, the stream left as
 * it is since its checksums are right, an STM32F4-like Cortex-M4, a packet at a time). */
function importGdb(dir) {
  let made = 0;
  for (const f of dirFiles(dir).filter((f) => f.endsWith('.gdbcap'))) {
    const data = readFileSync(join(dir, f));
    const cuts = [0];
    let packets = 0;
    for (let i = 0; i + 2 < data.length; i++) {
      if (data[i] === 0x23 /* '#' */ && ++packets % 24 === 0) cuts.push(i + 3);
    }
    cuts.push(data.length);
    for (let c = 0; c + 1 < cuts.length; c++) {
      const chunk = data.subarray(cuts[c], cuts[c + 1]);
      if (!chunk.length) continue;
      addInput('fuzz_gdb_server', Buffer.concat([Buffer.from([0x81, 0x00, 0x00, 0x00]), chunk]));
      addInput('fuzz_rsp_packet', chunk);
      made++;
    }
  }
  say(`imported ${made} inputs each for fuzz_gdb_server and fuzz_rsp_packet from ${dir}`);
}

if (option('--import-dap') || option('--import-gdb')) {
  mkdirSync(out, { recursive: true });
  if (option('--import-dap')) importDap(resolve(option('--import-dap')));
  if (option('--import-gdb')) importGdb(resolve(option('--import-gdb')));
  process.exit(0);
}

const targets = readdirSync(join(root, 'test/fuzz'))
  .filter((f) => /^fuzz_.*\.c$/.test(f))
  .map((f) => ({ name: basename(f, '.c'), src: join('test/fuzz', f) }))
  .filter((t) => only.length === 0 || only.includes(t.name))
  .sort((a, b) => only.indexOf(a.name) - only.indexOf(b.name)); // in --only's order
if (targets.length === 0) {
  console.error(`fuzz.mjs: no target${only.length ? ' named ' + only.join(',') : 's in test/fuzz'}`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
// Targets run `--parallel N` at a time (default 1); the builds come first, one at a time.
for (const t of targets) {
  const b = build(t.name, t.src);
  if (!b.ok) {
    say(`not ok - ${t.name}: ${b.why.split('\n')[0]}`);
    detail(b.why);
    process.exit(1);
  }
}
let failed = 0;
const queue = [...targets];
const lanes = Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, async () => {
  for (let t = queue.shift(); t; t = queue.shift()) if (!(await one(t.name, t.src))) failed++;
});
await Promise.all(lanes);
process.exit(failed ? 1 : 0);

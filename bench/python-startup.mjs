// Start-up time of `bmp-gdbserver run` on a trivial MicroPython script (print one line) with the
// simulated target: from spawning the command to its exit, wall time, as a user waits for it.
// Node's own start-up (an empty script) is measured beside it. Prints JSON lines.
//
//   node bench/python-startup.mjs [--runs N]     (default 21; the median and the fastest are reported)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 21;
const cli = new URL('../dist/lib/cli/bmp-gdbserver.js', import.meta.url).pathname;
// Node's options as the installed command gets them: from the script's #! line.
const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0];
const nodeArgs = shebang.replace(/^#!\S*env (-S )?node\s*/, '').split(/\s+/).filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'bmp-startup-'));
const script = join(dir, 'hello.py');
writeFileSync(script, 'print("hello")\n');

function time(args, expect) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0 || !r.stdout.includes(expect)) throw new Error(`${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return { median_ms: +samples[runs >> 1].toFixed(1), fastest_ms: +samples[0].toFixed(1) };
}

const node = time(['-e', 'console.log("hello")'], 'hello');
const run = time([...nodeArgs, cli, 'run', script, '--sim'], 'hello');
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'bmp-gdbserver run on a trivial MicroPython script (--sim stm32f407), wall time from spawn to exit',
    ...run,
    node_alone_median_ms: node.median_ms,
    runs,
    goal: 'median under 300 ms',
    met: run.median_ms < 300,
  }),
);

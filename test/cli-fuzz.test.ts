/**
 * Property-based fuzzing (fast-check) of the command lines' argument handling, end to end: each
 * tool (bmp-gdbserver, bmp-dap, bmp-firmware) started with argument vectors drawn from its own
 * options, other options, and values that are right, wrong or strange. Whatever the arguments,
 * the tool answers as its usage promises: exit 0, 1 (an error with its BmpError code in
 * brackets), 2 (a usage error, with the usage text) or 3 (bmp-firmware's refusals), or it
 * serves on loopback as asked (a banner naming 127.0.0.1, then stopped here). Never a stack
 * trace, an internal error or an unhandled exception, and never a hang. Paths given are under a
 * directory that does not exist, so nothing is read or written. Runs are seeded from
 * BMP_TEST_SEED; FUZZ_JS_RUNS scales their number.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';

import { testSeed } from './helpers/random.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scale = Number(process.env.FUZZ_JS_RUNS ?? 1);
const RUN_MS = 20_000;

interface Outcome {
  status: number | null;
  killed: boolean;
  out: string;
  err: string;
}

function runTool(tool: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist/lib/cli', `${tool}.js`), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BMP_DAP_CAPTURE: '', BMP_GDB_CAPTURE: '' },
    });
    let out = '';
    let err = '';
    let killed = false;
    const stop = () => {
      killed = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    };
    const timer = setTimeout(stop, RUN_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Serving: the tool did what it was asked; stop it here.
      if (/127\.0\.0\.1:\d+/.test(out)) setTimeout(stop, 200);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, killed, out, err });
    });
  });
}

function checkOutcome(tool: string, args: string[], o: Outcome) {
  const what = `${tool} ${JSON.stringify(args)}\nexit ${o.status}${o.killed ? ' (stopped here)' : ''}\nstdout: ${o.out.slice(0, 400)}\nstderr: ${o.err.slice(0, 800)}`;
  assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(o.err), `a stack trace:\n${what}`);
  assert.ok(!/EINTERNAL|Unhandled|uncaught|TypeError|RangeError|ReferenceError/i.test(o.err), `an internal error:\n${what}`);
  if (o.killed) {
    assert.ok(/127\.0\.0\.1:\d+/.test(o.out), `neither finished nor serving after ${RUN_MS} ms:\n${what}`);
    return;
  }
  assert.ok([0, 1, 2, 3].includes(o.status ?? -1), `exit status:\n${what}`);
  if (o.status === 1) assert.match(o.err, new RegExp(`^${tool}: .+\\[E[A-Z]+\\]$`, 'm'), `an error without its code:\n${what}`);
  if (o.status === 2) assert.match(o.err, /^Usage|usage|\n\n/m, `a usage error without the usage:\n${what}`);
}

const nowhere = '/nonexistent-bmp-fuzz';
const value = fc.oneof(
  fc.constantFrom('stm32f103', 'stm32f407', 'stm32h743', 'stlink3mini', 'devebox-stm32h743', 'hid', 'bulk', 'swd', 'cmsis-dap'),
  fc.constantFrom('0', '1', '64', '1024', '65535', '65536', '-1', '4M', '1000k', '0x08000000', '1e3', 'NaN', ''),
  fc.constantFrom(`${nowhere}/x.elf`, `${nowhere}/x.hex`, `${nowhere}/x.dfu`, `${nowhere}/x.py`, `${nowhere}/dir`),
  fc.string({ maxLength: 10 }),
);

function argv(options: string[], commands: string[]) {
  const word = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...options).chain((o) => fc.tuple(fc.constant(o), fc.option(value, { nil: undefined }))) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...commands), fc.constant(undefined)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--nope', '-x', '--', '--port=1', '-hv'), fc.constant(undefined)) },
    { weight: 1, arbitrary: fc.tuple(value, fc.constant(undefined)) },
  );
  return fc
    .array(word, { maxLength: 6 })
    .map((words) => words.flatMap(([w, v]) => (v === undefined ? [w] : [w, v])))
    // Loopback only: this test must not listen anywhere else.
    .filter((args) => !args.includes('--host') && !args.some((a) => a.startsWith('--host=')));
}

const tools: { tool: string; options: string[]; commands: string[] }[] = [
  {
    tool: 'bmp-gdbserver',
    options: ['--sim', '--link', '--usb', '--image', '--probe', '--list', '--json', '--port', '--speed', '--connect-under-reset', '--base', '--no-verify', '--reset', '--verbose', '--help'],
    commands: ['flash', 'run', 'repl'],
  },
  {
    tool: 'bmp-dap',
    options: ['--sim', '--port', '--packet-size', '--swd-speed', '--image', '--verbose', '--help'],
    commands: ['serve'],
  },
  {
    tool: 'bmp-firmware',
    options: ['--board', '--swd', '--probe', '--sim', '--sim-state', '--image', '--images', '--yes', '--json', '--udev-rules', '--help'],
    commands: ['list', 'install'],
  },
];

describe('fuzzing the command lines (fast-check, the tools as processes)', function () {
  this.timeout(600_000);
  for (const { tool, options, commands } of tools) {
    it(`${tool}: any arguments give a usage error, a coded error, a result, or a server on loopback`, async () => {
      await fc.assert(
        fc.asyncProperty(argv(options, commands), async (args) => {
          // --port 0 unless the case sets a port: a server never takes a fixed port here.
          const full = args.some((a) => a.startsWith('--port')) ? args : [...args, '--port', '0'];
          checkOutcome(tool, full, await runTool(tool, full));
        }),
        { seed: testSeed | 0, numRuns: Math.max(1, Math.round(8 * scale)), endOnFailure: true },
      );
    });
  }
});

/** Running real debug clients against `bmp-dap serve` through the USB library stand-ins. */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';


export const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/lib/cli/bmp-dap.js');

export interface DapServerProcess {
  child: ChildProcess;
  port: number;
  stop(): void;
}

/** Starts `bmp-dap serve` on a free loopback port. */
export async function startDapServer(args: string[]): Promise<DapServerProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bmp-dap exited with ${code}`)));
    setTimeout(() => reject(new Error('bmp-dap did not start')), 10_000).unref();
  });
  return { child, port, stop: () => child.kill('SIGTERM') };
}

/** Builds the stand-ins; returns the directory to put on LD_LIBRARY_PATH. */
export function buildStandins(): string {
  return execFileSync('bash', [join(root, 'test/interop/build.sh')], { encoding: 'utf8' }).trim();
}

/** Runs a program with the stand-ins loaded and the server's port; resolves with its output. */
export function runClient(program: string, args: string[], libs: string, port: number, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, LD_LIBRARY_PATH: libs, BMP_DAP_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(input);
  });
}

export const fixtureElf = (profile: string) => join(root, `test/fixtures/firmware/build/${profile}.elf`);

/**
 * OpenOCD (through the stand-ins, on CMSIS-DAP server `port`) examines the target that
 * `targetConfig` describes, halts it, writes and reads a word at 0x20004000 and round-trips
 * `pattern` through SRAM at 0x20000000 with files in `work`. Checks what any such session must
 * show; returns OpenOCD's log for the caller's own checks (the part's identity).
 */
export async function openocdSramRoundTrip(options: {
  backend: 'hid' | 'usb_bulk';
  targetConfig: string;
  libs: string;
  port: number;
  work: string;
  pattern: Buffer;
  /** Commands after `init` (a target left halted by an earlier session needs `resume` to show the halt). */
  afterInit?: string[];
}): Promise<string> {
  const { backend, pattern } = options;
  const input = join(options.work, `pattern-${backend}.bin`);
  const output = join(options.work, `dump-${backend}.bin`);
  writeFileSync(input, pattern);
  // No GDB, Tcl or telnet server: this session only runs its commands.
  const commands = ['gdb_port disabled', 'tcl_port disabled', 'telnet_port disabled', 'init', ...(options.afterInit ?? []), 'halt', 'reg pc', 'reg sp',
    'mww 0x20004000 0xcafef00d', 'mdw 0x20004000', `load_image ${input} 0x20000000 bin`,
    `dump_image ${output} 0x20000000 ${pattern.length}`, 'shutdown'];
  const log = await runClient('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', `cmsis_dap_backend ${backend}`,
    '-c', 'transport select swd', '-c', 'adapter speed 4000', '-f', options.targetConfig,
    ...commands.flatMap((c) => ['-c', c])], options.libs, options.port);
  assert.match(log, /CMSIS-DAP: Interface Initialised \(SWD\)/);
  assert.match(log, /halted due to debug-request/);
  assert.match(log, /pc \(\/32\): 0x080000[0-9a-f]{2}/);
  assert.match(log, /0x20004000: cafef00d/);
  assert.match(log, new RegExp(`dumped ${pattern.length} bytes`));
  assert.deepEqual(readFileSync(output), pattern);
  return log;
}


/**
 * OpenOCD 0.12 (Debian) drives the CMSIS-DAP engine through `bmp-dap serve` and the libhidapi
 * stand-in (test/interop/standins), as it would a USB probe.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/lib/cli/bmp-dap.js');

/** Starts `bmp-dap serve` on a free loopback port; resolves with the process and the port. */
export async function startDapServer(args: string[]): Promise<{ child: ChildProcess; port: number }> {
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
  return { child, port };
}

export function buildStandins(): string {
  return execFileSync('bash', [join(root, 'test/interop/build.sh')], { encoding: 'utf8' }).trim();
}

function openocd(libs: string, port: number, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-f', 'interface/cmsis-dap.cfg', '-c', 'cmsis_dap_backend hid', '-c', 'transport select swd',
      '-c', 'adapter speed 4000', '-f', 'target/stm32f1x.cfg', ...commands.flatMap((c) => ['-c', c]), '-c', 'shutdown'];
    const child = spawn('openocd', args, {
      env: { ...process.env, LD_LIBRARY_PATH: libs, BMP_DAP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('interop: OpenOCD 0.12 through the HID stand-in', function () {
  this.timeout(120_000);
  let libs = '';
  let server: { child: ChildProcess; port: number };
  let work = '';

  before(async () => {
    libs = buildStandins();
    work = mkdtempSync(join(tmpdir(), 'bmp-openocd-'));
    const fixture = join(root, 'test/fixtures/firmware/build/stm32f103.elf');
    server = await startDapServer(['--sim', 'stm32f103', '--packet-size', '64', '--image', fixture]);
  });

  after(() => {
    server?.child.kill('SIGTERM');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('examines the simulated STM32F103, halts it, reads registers and round-trips 16 KiB of SRAM', async () => {
    const pattern = randomBytes(16384);
    const input = join(work, 'pattern.bin');
    const output = join(work, 'dump.bin');
    writeFileSync(input, pattern);
    const log = await openocd(libs, server.port, [
      'init',
      'halt',
      'reg pc',
      'reg sp',
      'mww 0x20004000 0xcafef00d',
      'mdw 0x20004000',
      `load_image ${input} 0x20000000 bin`,
      `dump_image ${output} 0x20000000 16384`,
    ]);
    assert.match(log, /CMSIS-DAP: Interface Initialised \(SWD\)/);
    assert.match(log, /SWD DPIDR 0x1ba01477/);
    assert.match(log, /Cortex-M3 r1p1 processor detected/);
    assert.match(log, /halted due to debug-request/);
    assert.match(log, /pc \(\/32\): 0x080000[0-9a-f]{2}/);
    assert.match(log, /0x20004000: cafef00d/);
    assert.match(log, /dumped 16384 bytes/);
    assert.deepEqual(readFileSync(output), pattern);
  });
});

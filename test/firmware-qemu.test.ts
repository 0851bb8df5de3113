/**
 * The probe firmware on QEMU (firmware/qemu, `qemu-system-arm -M mps2-an500`): the same cores
 * and the same probe application as the boards, with UARTs for transports and the simulated
 * STM32F407 compiled in as the SWD wire. Real clients drive it over loopback TCP:
 *   - gdb-multiarch runs one script against the firmware (UART0) and against
 *     `bmp-gdbserver --sim` on the PC, and the two transcripts must agree;
 *   - OpenOCD, through the USB library stand-ins (test/interop), drives the firmware's DAP
 *     engine (UART1, in the framing of `bmp-dap serve`).
 * QEMU listens on 127.0.0.1 only and is killed at the end of each test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fixturePath } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';
import { Random } from './helpers/random.js';
import { buildStandins, openocdSramRoundTrip } from './interop/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = join(root, 'test/fixtures/firmware');
const firmware = join(root, 'build-firmware/qemu.elf');
const cli = join(root, 'dist/lib/cli/bmp-gdbserver.js');
/** The simulated part inside the QEMU build (firmware/qemu/CMakeLists.txt, BMP_QEMU_PROFILE). */
const profile = 'stm32f407';

/** A free TCP port on the loopback interface (free when asked: QEMU binds it just after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Qemu {
  gdbPort: number;
  dapPort: number;
  log(): string;
  stop(): Promise<void>;
}

/** Stops a child: SIGTERM, then SIGKILL if it has not gone within 3 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts the firmware on QEMU: UART0 (GDB) and UART1 (CMSIS-DAP) as TCP servers on two free
 * loopback ports, UART2 (the firmware's start line) on QEMU's standard output. Resolves once
 * the firmware has said it is serving.
 */
async function startQemu(): Promise<Qemu> {
  for (let attempt = 1; ; attempt++) {
    const [gdbPort, dapPort] = [await freePort(), await freePort()];
    const serial = (port: number) => `tcp:127.0.0.1:${port},server=on,wait=off,nodelay=on`;
    const child = spawn('qemu-system-arm', ['-M', 'mps2-an500', '-nographic', '-monitor', 'none', '-kernel', firmware,
      '-serial', serial(gdbPort), '-serial', serial(dapPort), '-serial', 'stdio'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const check = () => {
        if (/CMSIS-DAP on UART1/.test(out)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (started) return { gdbPort, dapPort, log: () => out, stop: () => stopChild(child) };
    await stopChild(child);
    // A port taken between freePort() and QEMU's bind: try new ones, once.
    if (attempt === 2 || !/Address already in use/.test(out)) throw new Error(`QEMU did not start the firmware:\n${out}`);
  }
}

/** `bmp-gdbserver --sim` on the PC, on the same simulated wire as the firmware (--link swd). */
async function startPcServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, '--sim', profile, '--link', 'swd', '--image', fixturePath(profile), '--port', '0', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bmp-gdbserver did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`bmp-gdbserver exited with ${code}:\n${out}`)));
  });
  return { port, stop: () => stopChild(child) };
}

/**
 * The GDB script both servers get, each command with how its output is normalised. The program
 * is started with `run` (a reset), so every stop after it is at the same point of the program
 * on both; what comes before depends on how much SWD traffic let the core run, so the frame
 * `attach` prints is left out.
 */
const script: { command: string; keep?: (out: string) => string; timeout?: number }[] = [
  { command: 'target extended-remote 127.0.0.1:PORT', keep: (o) => o.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').split('\n')[0] },
  { command: 'monitor swdp_scan' },
  { command: 'attach 1', keep: (o) => o.split('\n').filter((l) => /Attaching to program/.test(l)).join('\n') },
  { command: 'break fixture_tick' },
  { command: 'run', timeout: 30_000 },
  { command: 'continue' },
  { command: 'bt' },
  { command: 'finish' },
  { command: 'next' },
  { command: 'step' },
  { command: 'stepi' },
  { command: 'info registers' },
  { command: 'print counter' },
  { command: 'print/x fixture_data' },
  { command: 'x/8xw &counter' },
  { command: 'x/16xb 0x08000000' },
  { command: 'delete' },
  { command: 'watch watched' },
  { command: 'continue' },
  { command: 'continue' },
  { command: 'delete' },
  { command: 'hbreak fixture_tick' },
  { command: 'continue' },
  { command: 'info registers pc sp lr' },
  { command: 'delete' },
  { command: 'info mem' },
  { command: 'monitor erase_mass', timeout: 120_000 },
  { command: 'compare-sections', timeout: 30_000 },
  { command: 'x/2xw 0x08000000' },
  { command: 'load', keep: (o) => o.replace(/^Transfer rate:.*$/m, 'Transfer rate: (time)'), timeout: 60_000 },
  { command: 'compare-sections', timeout: 30_000 },
  { command: 'break fixture_tick' },
  { command: 'run', timeout: 30_000 },
  { command: 'print counter' },
  { command: 'monitor version' },
  { command: 'detach' },
];

/** Runs the script against a GDB server on `port`; returns "command\noutput" per command. */
async function transcript(port: number): Promise<string[]> {
  const gdb = new GdbDriver(fixturePath(profile));
  const result: string[] = [];
  try {
    // A remote time-out longer than the simulated mass erase (about 8 s of virtual time, longer
    // still in wall time on QEMU), which keeps GDB waiting quietly for the reply.
    const settings = ['set confirm off', 'set pagination off', 'set width 0', 'set remotetimeout 120', `set substitute-path /fixture ${sources}`];
    for (const setting of settings) {
      await gdb.run(setting);
    }
    for (const { command, keep, timeout } of script) {
      // GDB's warnings go to stderr and may come just after the prompt, so they are left out
      // (compare-sections says MIS-MATCHED on stdout as well).
      const out = (await gdb.run(command.replace('PORT', String(port)), timeout ?? 20_000))
        .replace(/\(gdb\) /g, '')
        .replace(/^warning: One or more sections of the target image does not match\nthe loaded file\n?/m, '')
        .trimEnd();
      result.push(`${command}\n${keep ? keep(out) : out}`);
    }
  } finally {
    await gdb.quit();
  }
  return result;
}

describe('probe firmware on QEMU (mps2-an500)', function () {
  this.timeout(300_000);
  let work = '';

  before(function () {
    this.timeout(900_000);
    for (const [tool, args] of [['qemu-system-arm', ['--version']], ['openocd', ['--version']]] as const) {
      if (spawnSync(tool, args).error) throw new Error(`${tool} is missing: run scripts/install-test-deps.sh`);
    }
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
    // Up to date after `npm test`'s firmware step; builds it when this file runs alone.
    execFileSync(process.execPath, [join(root, 'scripts/firmware.mjs')], { cwd: root, stdio: 'pipe', timeout: 900_000 });
    work = mkdtempSync(join(tmpdir(), 'bmp-fw-qemu-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`gdb-multiarch: the same script gives the same answers from the firmware as from bmp-gdbserver --sim ${profile}`, async () => {
    const pc = await startPcServer();
    let expected: string[];
    try {
      expected = await transcript(pc.port);
    } finally {
      await pc.stop();
    }
    const qemu = await startQemu();
    try {
      const actual = await transcript(qemu.gdbPort);
      // The script did what it says (so that two equal failures cannot pass).
      const all = expected.join('\n');
      assert.match(all, /Available Targets:[\s\S]*STM32F40x\/41x Cortex-M4/);
      assert.match(all, /fixture: hello[\s\S]*Breakpoint 1, fixture_tick \(n=1\) at fixture\.c:34/);
      assert.match(all, /Breakpoint 1, fixture_tick \(n=2\)/);
      assert.match(all, /Hardware watchpoint \d+: watched\s+Old value = \d+\s+New value = \d+/);
      assert.match(all, /Loading section \.text, size 0x[0-9a-f]+ lma 0x8/);
      assert.match(all, /Flash erased/);
      assert.equal(all.match(/: MIS-MATCHED!/g)?.length, 4, 'compare-sections after the erase: every section differs');
      assert.match(all, /0x8000000 <vectors>:\s+0xffffffff\s+0xffffffff/);
      assert.equal(all.match(/: matched\./g)?.length, 4, 'compare-sections after load: every section matched');
      assert.doesNotMatch(all, /Remote connection closed|internal-error|Ignoring packet error/);
      assert.deepEqual(actual, expected);

      // A second GDB on the same serial line: the firmware cannot see the first one leave, and
      // must still answer the newcomer (acknowledgements back on at its qSupported).
      const again = new GdbDriver(fixturePath(profile));
      try {
        await again.run('set confirm off');
        // The first GDB's patience too: on a loaded machine QEMU answers slowly, and GDB's default
        // 2 s remote time-out gave up on the connection (an empty scan in one CI run).
        await again.run('set remotetimeout 120');
        assert.match(await again.run(`target extended-remote 127.0.0.1:${qemu.gdbPort}`, 60_000), /Remote debugging using/);
        assert.match(await again.run('monitor swdp_scan', 60_000), /STM32F40x\/41x Cortex-M4/);
        assert.match(await again.run('attach 1'), /Attaching to program/);
        assert.match(await again.run('print fixture_table[3]'), /\$\d+ = 7/);
      } finally {
        await again.quit();
      }
      assert.doesNotMatch(again.transcript, /Ignoring packet error|Remote connection closed/);
    } finally {
      await qemu.stop();
    }
  });

  it('OpenOCD 0.12 (usb_bulk) examines the simulated STM32F407 through the firmware\'s DAP engine, halts it and round-trips 16 KiB of SRAM', async () => {
    const libs = buildStandins();
    const qemu = await startQemu();
    try {
      const log = await openocdSramRoundTrip({ backend: 'usb_bulk', targetConfig: 'target/stm32f4x.cfg', libs,
        port: qemu.dapPort, work, pattern: Buffer.from(new Random('openocd through the QEMU firmware').bytes(16384)) });
      assert.match(log, /CMSIS-DAP: Serial# = QEMU0001/, 'the firmware answered, not another server');
      assert.match(log, /SWD DPIDR 0x2ba01477/);
      assert.match(log, /Cortex-M4 r0p1 processor detected/);
    } finally {
      await qemu.stop();
    }
  });
});

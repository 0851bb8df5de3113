// OpenOCD 0.12 against bmp-gdbserver on the same simulated STM32F407, by the number of CMSIS-DAP
// packets each needs: gdb-multiarch reads 64 KiB of SRAM (`dump`), writes it back (`restore`)
// and single-steps 200 times, and 256 KiB of random data is programmed into flash and verified.
//
// OpenOCD's side: the CMSIS-DAP engine serves TCP in this process (as `bmp-dap serve --image`
// does), behind a wrapper that counts the requests it executes; OpenOCD reaches it through the
// USB library stand-ins of test/interop (its `hid` backend with 64-byte packets, its `usb_bulk`
// backend with 512-byte ones), and gdb-multiarch talks to OpenOCD's GDB port. OpenOCD paces its
// waits in real time (it sleeps between polls of the flash status), so the wrapper lets the
// simulated target's time run on by the wall time since the previous packet, as a real chip's
// would. Our side: the virtual probe on the same USB models, with GdbServer, as bench/gdb.mjs.
//
// Flash, on the STM32F407 (256 KiB) and the STM32F103 (its whole 128 KiB): OpenOCD's `program`
// (through GDB's `monitor`) with the stock target configuration on a fresh target, against the
// library's flash() on a fresh virtual probe. OpenOCD's stm32f4x/stm32f1x drivers run their own
// on-target loaders (Thumb-2 code, which the simulated Cortex-M3/M4 runs). Should a loader fail,
// OpenOCD gives up; it falls back to single half-word writes only when it has no work area, so
// a second run with WORKAREASIZE 0 would take that path: the line reports the completed run and
// the path field quotes OpenOCD's log for both. Virtual time: the simulated target's clock from
// the start of programming to the end of verification (for OpenOCD it includes the wall time
// of its sleeps between polls, as a real chip's would).
//
// pyOCD 0.13 (Debian) too, where it knows the part: its stm32f103rc target's flash algorithm on
// the STM32F103, over HID, against ours. pyocd-flashtool connects, programs and resets in one
// run, so its count covers the whole run; it does not verify. (Its nearest F4 target,
// stm32f439xi, stages whole 64 and 128 KiB sectors in SRAM the F407 lacks: no F407 row.)
//
// Prints JSON lines as the other benchmarks do. Needs `npx tsc -p tsconfig.json` (dist/),
// openocd, gdb-multiarch and the stand-ins (built here by test/interop/build.sh when missing).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

function fail(message) {
  process.stderr.write(`bench/openocd.mjs: ${message}\n`);
  process.exit(1);
}

for (const [program, what] of [
  ['openocd', 'OpenOCD (Debian: apt-get install openocd)'],
  ['gdb-multiarch', 'gdb-multiarch (Debian: apt-get install gdb-multiarch)'],
]) {
  const probe = spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) fail(`${program} is missing or does not run: this benchmark needs ${what}`);
}
if (!existsSync(join(root, 'dist/lib/index.js')) || !existsSync(join(root, 'dist/test/helpers/gdb.js'))) {
  fail('dist/ is missing: run `npx tsc -p tsconfig.json` first');
}

const dist = new URL('../dist/', import.meta.url);
const { DapEngine, DapServer, GdbServer, Sim, WallClockEngine, openProbe } = await import(new URL('lib/index.js', dist));
const { GdbDriver } = await import(new URL('test/helpers/gdb.js', dist));
const { installFixture, loadFixture, fixturePath } = await import(new URL('test/helpers/fixture.js', dist));

const libs = join(root, 'build-interop/lib');
if (!['libhidapi-hidraw.so.0', 'libusb-1.0.so.0'].every((f) => existsSync(join(libs, f)))) {
  const built = spawnSync('bash', [join(root, 'test/interop/build.sh')], { encoding: 'utf8', timeout: 120_000 });
  if (built.status !== 0) fail(`could not build the USB library stand-ins:\n${built.stderr}`);
}

const PROFILE = 'stm32f407';
const SRAM = 0x20000000;
const SIZE = 64 << 10;
const STEPS = 200;
const FLASH = 0x08000000;
/** The flash rows: OpenOCD's stock configuration for each part, and how much to program. */
const FLASH_PARTS = [
  { profile: 'stm32f407', config: 'target/stm32f4x.cfg', size: 256 << 10 },
  { profile: 'stm32f103', config: 'target/stm32f1x.cfg', size: 128 << 10, pyocd: 'stm32f103rc' },
];
const BACKENDS = [
  { name: 'HID', openocd: 'hid', usb: 'hid', packetSize: 64 },
  { name: 'bulk', openocd: 'usb_bulk', usb: 'bulk', packetSize: 512 },
];
/** The most virtual time one gap between packets may add (a stalled OpenOCD is not a long wait). */
const MAX_GAP_NS = 1e9;
const DAP_COMMANDS = {
  0x00: 'Info', 0x01: 'HostStatus', 0x02: 'Connect', 0x03: 'Disconnect', 0x04: 'TransferConfigure',
  0x05: 'Transfer', 0x06: 'TransferBlock', 0x07: 'TransferAbort', 0x08: 'WriteABORT', 0x09: 'Delay',
  0x0a: 'ResetTarget', 0x10: 'SWJ_Pins', 0x11: 'SWJ_Clock', 0x12: 'SWJ_Sequence', 0x13: 'SWD_Configure',
  0x1d: 'SWD_Sequence', 0x7e: 'QueueCommands', 0x7f: 'ExecuteCommands',
};

const work = mkdtempSync(join(tmpdir(), 'bmp-openocd-bench-'));
const dumpFile = join(work, 'sram.bin');
for (const part of FLASH_PARTS) {
  part.file = join(work, `flash-${part.profile}.bin`);
  part.data = new Uint8Array(randomBytes(part.size));
  writeFileSync(part.file, part.data);
}

/** Everything to stop on the way out, newest first. */
const cleanups = new Set();
/** Registers a stop function for the way out; returns it, made safe to call more than once. */
function track(stop) {
  let done;
  const once = () => {
    cleanups.delete(once);
    done ??= Promise.resolve().then(stop).catch(() => {});
    return done;
  };
  cleanups.add(once);
  return once;
}
async function cleanup() {
  for (const stop of [...cleanups].reverse()) await stop();
  rmSync(work, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  process.stderr.write('bench/openocd.mjs: gave up after 20 minutes\n');
  await cleanup();
  process.exit(1);
}, 20 * 60_000);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await cleanup();
    process.exit(1);
  });
}

/** Counts the CMSIS-DAP requests the server hands to the engine. */
class CountingEngine {
  constructor(engine) {
    this.engine = engine;
    this.requests = 0;
    this.byCommand = new Map();
  }

  get packetSize() {
    return this.engine.packetSize;
  }

  async execute(request) {
    this.requests++;
    const name = DAP_COMMANDS[request[0]] ?? `0x${request[0].toString(16)}`;
    this.byCommand.set(name, (this.byCommand.get(name) ?? 0) + 1);
    return this.engine.execute(request);
  }

  abort() {
    this.engine.abort();
  }

  snapshot() {
    return { requests: this.requests, byCommand: new Map(this.byCommand) };
  }

  since(before) {
    const byCommand = {};
    for (const [name, n] of this.byCommand) {
      const d = n - (before.byCommand.get(name) ?? 0);
      if (d) byCommand[name] = d;
    }
    return { packets: this.requests - before.requests, byCommand };
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The simulated target with the fixture in place, as `bmp-dap serve --image` prepares it. */
async function startDap(packetSize, profile = PROFILE) {
  const sim = new Sim(profile);
  installFixture(sim, loadFixture(profile));
  sim.reset('system');
  // As bmp-dap serve: the target's time follows wall time between packets (WallClockEngine).
  const engine = new CountingEngine(new WallClockEngine(new DapEngine(sim, { packetSize, packetCount: 8 }), sim, MAX_GAP_NS));
  const server = new DapServer({ engine, host: '127.0.0.1', port: 0 });
  const port = await server.listen();
  const stop = track(async () => {
    await server.close();
    sim.close();
  });
  return { sim, engine, server, port, stop };
}

/** Runs OpenOCD with the stand-ins; its log is collected as it comes. */
function startOpenocd(backend, dapPort, gdbPort, { workArea = true, config = 'target/stm32f4x.cfg' } = {}) {
  const args = ['-f', 'interface/cmsis-dap.cfg', '-c', `cmsis_dap_backend ${backend.openocd}`,
    '-c', 'transport select swd', ...(workArea ? [] : ['-c', 'set WORKAREASIZE 0']), '-f', config,
    '-c', `gdb_port ${gdbPort}`, '-c', 'tcl_port disabled', '-c', 'telnet_port disabled', '-c', 'bindto 127.0.0.1'];
  const child = spawn('openocd', args, {
    env: { ...process.env, LD_LIBRARY_PATH: libs, BMP_DAP_PORT: String(dapPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { child, log: '', exited: null };
  child.stdout.on('data', (d) => (state.log += d.toString()));
  child.stderr.on('data', (d) => (state.log += d.toString()));
  child.once('error', (error) => (state.exited = `could not start: ${error.message}`));
  child.once('exit', (code, signal) => (state.exited = `exited with ${signal ?? code}`));
  state.stop = track(() =>
    new Promise((resolve) => {
      if (state.exited) return resolve();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }));
  return state;
}

async function waitForLog(openocd, pattern, timeout) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const m = pattern.exec(openocd.log);
    if (m) return m;
    if (openocd.exited) throw new Error(`OpenOCD ${openocd.exited} before ${pattern}:\n${openocd.log}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`OpenOCD did not log ${pattern} within ${timeout} ms:\n${openocd.log}`);
}

/** gdb-multiarch with the fixture's symbols; `stop()` quits it (and kills it if it hangs). */
function startGdb() {
  const gdb = new GdbDriver(fixturePath(PROFILE));
  gdb.gdb?.stdin?.on('error', () => {}); // a GDB that died must not take the benchmark with it
  gdb.stop = track(() => gdb.quit());
  return gdb;
}

function expectIn(text, pattern, what) {
  if (!pattern.test(text)) throw new Error(`${what}: unexpected output:\n${text}`);
}

/** What OpenOCD's log says about how it programmed and verified the flash: a short summary. */
function flashPath(log) {
  const parts = [];
  const seen = (re, text = log) => re.test(text);
  if (seen(/failed erasing|timed out waiting for flash/)) parts.push('erase failed');
  if (seen(/couldn't use block writes, falling back to single memory accesses/)) {
    parts.push('no work area: "couldn\'t use block writes, falling back to single memory accesses" (half-word writes)');
  } else if (seen(/error executing stm32x flash write algorithm/)) {
    const why = /timeout waiting for algorithm/.test(log) ? 'timeout waiting for algorithm, ' : '';
    parts.push(`on-target loader failed: "${why}error executing stm32x flash write algorithm", no fallback`);
  } else if (seen(/Programming Finished/)) {
    parts.push('on-target loader (block writes)');
  }
  const verify = log.slice(log.indexOf('Verify Started') >>> 0);
  if (seen(/Verified OK/)) {
    parts.push(seen(/working area|algorithm/, verify) ? 'verify: CRC of the read-back data on the host' : 'verify: CRC on the target');
  } else if (seen(/Programming Finished/)) {
    parts.push('verify failed');
  }
  if (seen(/Programming Failed/)) parts.push('programming failed');
  return parts.join('; ') || 'unknown (see the log)';
}

/** Our side of the GDB phases, as bench/gdb.mjs runs them. */
async function oursGdb(usb) {
  const probe = await openProbe({ sim: PROFILE, usb });
  const closeProbe = track(() => probe.close());
  installFixture(probe.sim, loadFixture(PROFILE));
  probe.sim.reset('system');
  const server = new GdbServer({ probe, port: 0, host: '127.0.0.1' });
  const port = await server.listen();
  const closeServer = track(() => server.close());
  const gdb = startGdb();
  await gdb.run('set confirm off');
  await gdb.run('set pagination off');
  expectIn(await gdb.run(`target extended-remote 127.0.0.1:${port}`, 30_000), /Remote debugging using/, 'target extended-remote');
  await gdb.run('attach 1', 30_000);
  const phase = async (command) => {
    const before = await probe.stats();
    const wall = process.hrtime.bigint();
    const out = await gdb.run(command, 300_000);
    const after = await probe.stats();
    return {
      out,
      packets: after.packets - before.packets,
      wall_s: Number(process.hrtime.bigint() - wall) / 1e9,
      virtual_s: (after.hostNs - before.hostNs) / 1e9,
    };
  };
  const results = await gdbPhases(gdb, phase);
  await gdb.stop();
  await closeServer();
  await closeProbe();
  return results;
}

/** Our side of the flash: the library's flash() on a fresh virtual probe. */
async function oursFlash(usb, part) {
  const probe = await openProbe({ sim: part.profile, usb });
  const closeProbe = track(() => probe.close());
  installFixture(probe.sim, loadFixture(part.profile));
  probe.sim.reset('system');
  const target = await probe.attach();
  const before = await probe.stats();
  const wall = process.hrtime.bigint();
  const simStart = probe.sim.seconds;
  await target.flash([{ address: FLASH, data: part.data }], { verify: true });
  const after = await probe.stats();
  const result = {
    packets: after.packets - before.packets,
    wall_s: Number(process.hrtime.bigint() - wall) / 1e9,
    virtual_s: (after.hostNs - before.hostNs) / 1e9,
    target_s: probe.sim.seconds - simStart,
  };
  const written = probe.sim.peek(FLASH, part.size);
  if (Buffer.compare(Buffer.from(written), Buffer.from(part.data)) !== 0) throw new Error('our flash: contents differ');
  await closeProbe();
  return result;
}

/** The three GDB phases, each checked for success. */
async function gdbPhases(gdb, phase) {
  const end = `0x${(SRAM + SIZE).toString(16)}`;
  const read = await phase(`dump binary memory ${dumpFile} 0x${SRAM.toString(16)} ${end}`);
  if (/Cannot access|error/i.test(read.out)) throw new Error(`dump: unexpected output:\n${read.out}`);
  const write = await phase(`restore ${dumpFile} binary 0x${SRAM.toString(16)}`);
  expectIn(write.out, /Restoring binary file/, 'restore');
  const pc = async () => /0x[0-9a-f]+/.exec(await gdb.run('output/x $pc'))?.[0];
  const from = await pc();
  const step = await phase(`stepi ${STEPS}`);
  step.pc = `${from} -> ${await pc()}`;
  if (/Cannot|error|not being run|No registers/i.test(step.out)) throw new Error(`stepi: unexpected output:\n${step.out}`);
  return { read, write, step };
}

/** A fresh simulated target behind the DAP server, OpenOCD on it, and gdb-multiarch connected and halted. */
async function openocdWithGdb(backend, options = {}) {
  const dap = await startDap(backend.packetSize, options.profile);
  const gdbPort = await freePort();
  const openocd = startOpenocd(backend, dap.port, gdbPort, options);
  await waitForLog(openocd, new RegExp(`Listening on port ${gdbPort} for gdb connections`), 60_000);
  const gdb = startGdb();
  await gdb.run('set confirm off');
  await gdb.run('set pagination off');
  await gdb.run('set remotetimeout 60');
  expectIn(await gdb.run(`target extended-remote 127.0.0.1:${gdbPort}`, 60_000), /Remote debugging using/, 'target extended-remote');
  await gdb.run('monitor halt', 30_000);
  return { dap, openocd, gdb };
}

/** OpenOCD's side of the GDB phases: OpenOCD on a fresh target, gdb-multiarch on its GDB port. */
async function openocdGdb(backend) {
  const { dap, openocd, gdb } = await openocdWithGdb(backend);
  const phase = async (command, timeout = 300_000) => {
    const before = dap.engine.snapshot();
    const logStart = openocd.log.length;
    const wall = process.hrtime.bigint();
    const out = await gdb.run(command, timeout);
    const wall_s = Number(process.hrtime.bigint() - wall) / 1e9;
    // Let OpenOCD's log catch up with what it did.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { out, ...dap.engine.since(before), wall_s, log: openocd.log.slice(logStart) };
  };
  const results = await gdbPhases(gdb, phase);
  await gdb.stop();
  await openocd.stop();
  await dap.stop();
  return results;
}

/**
 * OpenOCD's `program <file> <address> verify` on a fresh target, through GDB's `monitor`. With
 * `workArea: false` (WORKAREASIZE 0) its flash driver has no RAM for the on-target loader.
 */
async function openocdFlash(backend, part, options) {
  // Connect through GDB as a user would, then program with a monitor command so that the count
  // covers the programming only (not OpenOCD's start-up and examination).
  const { dap, openocd, gdb } = await openocdWithGdb(backend, { ...options, profile: part.profile, config: part.config });
  const before = dap.engine.snapshot();
  const logStart = openocd.log.length;
  const wall = process.hrtime.bigint();
  const simStart = dap.sim.seconds;
  const out = await gdb.run(`monitor program ${part.file} 0x${FLASH.toString(16)} verify`, 900_000);
  const wall_s = Number(process.hrtime.bigint() - wall) / 1e9;
  const virtual_s = dap.sim.seconds - simStart;
  await new Promise((resolve) => setTimeout(resolve, 200));
  const counted = dap.engine.since(before);
  const log = openocd.log.slice(logStart) + out;
  const written = dap.sim.peek(FLASH, part.size);
  const correct = Buffer.compare(Buffer.from(written), Buffer.from(part.data)) === 0;
  await gdb.stop();
  await openocd.stop();
  await dap.stop();
  return { ...counted, wall_s, virtual_s, log, path: flashPath(log), correct };
}

/** pyOCD's flash programming (pyocd-flashtool with its target's flash algorithm) on a fresh target. */
async function pyocdFlash(backend, part) {
  const dap = await startDap(backend.packetSize, part.profile);
  const before = dap.engine.snapshot();
  const wall = process.hrtime.bigint();
  const simStart = dap.sim.seconds;
  const log = await new Promise((resolve) => {
    const child = spawn('pyocd-flashtool', ['-t', part.pyocd, '-a', `0x${FLASH.toString(16)}`, part.file, 'bin'], {
      env: { ...process.env, LD_LIBRARY_PATH: libs, BMP_DAP_PORT: String(dap.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.once('error', (error) => resolve(`could not start pyocd-flashtool: ${error.message}`));
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  const wall_s = Number(process.hrtime.bigint() - wall) / 1e9;
  const virtual_s = dap.sim.seconds - simStart;
  const counted = dap.engine.since(before);
  const correct = Buffer.compare(Buffer.from(dap.sim.peek(FLASH, part.size)), Buffer.from(part.data)) === 0;
  await dap.stop();
  if (!correct) throw new Error(`pyOCD did not program the flash:\n${log.slice(-2000)}`);
  return { ...counted, wall_s, virtual_s, summary: /Programmed .*/.exec(log)?.[0] ?? 'no summary' };
}

function line(phase, backend, openocd, ours, extra = {}) {
  console.log(JSON.stringify({
    bench: `OpenOCD vs bmp-gdbserver: ${phase} on ${backend.name}`,
    openocd_packets: openocd.packets,
    ours_packets: ours.packets,
    ratio: ours.packets ? Number((openocd.packets / ours.packets).toFixed(3)) : null,
    openocd_wall_s: Number(openocd.wall_s.toFixed(3)),
    ours_wall_s: Number(ours.wall_s.toFixed(3)),
    ours_virtual_s: Number(ours.virtual_s.toFixed(3)),
    ...extra,
    openocd_by_command: openocd.byCommand,
    goal: 'fewer packets than OpenOCD',
    met: ours.packets < openocd.packets,
  }));
}

try {
  for (const backend of BACKENDS) {
    const theirs = await openocdGdb(backend);
    const ours = await oursGdb(backend.usb);
    line('GDB dump of 64 KiB SRAM', backend, theirs.read, ours.read);
    line('GDB restore of 64 KiB SRAM', backend, theirs.write, ours.write);
    line(`GDB stepi ${STEPS}`, backend, theirs.step, ours.step, { openocd_pc: theirs.step.pc, ours_pc: ours.step.pc });
    for (const part of FLASH_PARTS) {
      // Stock configuration first: OpenOCD's on-target loader. Should it fail, OpenOCD falls
      // back to single accesses only when it has no work area: a second run takes that path.
      const loader = await openocdFlash(backend, part, { workArea: true });
      const single = loader.correct ? null : await openocdFlash(backend, part, { workArea: false });
      if (process.env.BENCH_VERBOSE) process.stderr.write(loader.log + (single?.log ?? ''));
      const theirFlash = single ?? loader;
      const ourFlash = await oursFlash(backend.usb, part);
      line(`flash ${part.size >> 10} KiB and verify (${part.profile})`, backend, theirFlash, ourFlash, {
        openocd_path: single ? `stock config: ${loader.path}; WORKAREASIZE 0: ${single.path}` : loader.path,
        openocd_flash_correct: theirFlash.correct,
        openocd_virtual_s: Number(theirFlash.virtual_s.toFixed(3)),
        ours_target_s: Number(ourFlash.target_s.toFixed(3)),
        ...(single ? { openocd_loader_attempt_packets: loader.packets, openocd_loader_attempt_wall_s: Number(loader.wall_s.toFixed(3)) } : {}),
        ours_path: 'on-target loader (each block erased just before it is programmed, or the bank at once when the image covers it all; buffers streamed without waiting); verify: the routine reads each buffer back from flash and keeps a CRC-32, compared with the host\'s',
      });
      if (part.pyocd && backend.openocd === 'hid') {
        const pyocd = await pyocdFlash(backend, part);
        console.log(JSON.stringify({
          bench: `pyOCD vs bmp-gdbserver: flash ${part.size >> 10} KiB (${part.profile}) on ${backend.name}`,
          pyocd_packets: pyocd.packets,
          ours_packets: ourFlash.packets,
          ratio: Number((pyocd.packets / ourFlash.packets).toFixed(3)),
          pyocd_wall_s: Number(pyocd.wall_s.toFixed(3)),
          ours_wall_s: Number(ourFlash.wall_s.toFixed(3)),
          pyocd_virtual_s: Number(pyocd.virtual_s.toFixed(3)),
          ours_target_s: Number(ourFlash.target_s.toFixed(3)),
          pyocd_path: `pyocd-flashtool -t ${part.pyocd}: its flash algorithm (on-target); counted: the whole run (connect, program, reset), no verify; "${pyocd.summary}"`,
          pyocd_by_command: pyocd.byCommand,
          goal: 'fewer packets than pyOCD',
          met: ourFlash.packets < pyocd.packets,
        }));
      }
    }
  }
} catch (error) {
  process.stderr.write(`bench/openocd.mjs: ${error.stack ?? error}\n`);
  await cleanup();
  process.exit(1);
}
await cleanup();
process.exit(0);

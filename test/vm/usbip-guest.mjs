// Runs inside the VM of test/usbip-vm.test.ts (see test/vm/vm.mjs): for each board named on the
// command line, starts the probe firmware's PC build (build-native/bmp-usbip-probe-<board>),
// imports it into this kernel with Debian's `usbip attach`, and records what the kernel and the
// real clients made of it. It asserts nothing itself: every step's output (or its error) goes to
// $OUT/<board>.json as { step: { ok, ms, text } } for the test on the host to judge.
//
//   node test/vm/usbip-guest.mjs stlink3mini devebox-stm32h743:pyocd
//   node test/vm/usbip-guest.mjs --bench stlink3mini devebox-stm32h743   (figures for bench/usbip.mjs)
//
// A board may name steps to leave out after a colon (board:step,step): the slow clients (Python,
// Node) run for one configuration each, to keep the VM within its time.
//
// Steps: enumeration (drivers bound, device nodes, lsusb -v, dmesg), GDB on /dev/ttyACM0 (scan,
// attach, load, compare-sections, break, step, watch, Ctrl-C, then `usbip detach` while the target
// runs), re-attach and a new GDB session, the target UART (second ttyACM <-> the program's pty),
// OpenOCD over usb_bulk and hid, pyOCD, this package's own --probe path (node-usb through
// bmp-gdbserver, node-hid through the transport). Every child is bounded in time; the probe program is killed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const OUT = process.env.OUT ?? '/tmp';
const elf = 'test/fixtures/firmware/build/stm32f407.elf';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a program to its end (killed after `timeoutMs`); resolves with stdout+stderr and status. */
function run(cmd, args, { input = '', timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => (out += `\n${cmd}: ${e.message}`));
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    child.stdin.end(input);
  });
}

const sh = (script, timeoutMs = 20_000) => run('sh', ['-c', script], { timeoutMs });

async function waitFor(what, test, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = test();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The probe program: resolves once it printed its ready line. */
async function startProbe(board, extra = []) {
  const child = spawn(`build-native/bmp-usbip-probe-${board}`, ['--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const m = await waitFor('the ready line', () => /ready: .*127\.0\.0\.1:(\d+) busid 1-1; target UART (\S+)/.exec(out), 20_000);
  return { child, port: Number(m[1]), pty: m[2], ready: m[0], log: () => out };
}

const usbDevices = '/sys/bus/usb/devices';
/** The interfaces of the imported device (1-1:1.N) and the driver bound to each (or 'none'). */
function interfaceDrivers() {
  const found = {};
  for (const name of readdirSync(usbDevices).filter((n) => /^\d+-\d+:1\.\d+$/.test(n)).sort()) {
    const link = join(usbDevices, name, 'driver');
    found[name] = existsSync(link) ? basename(readlinkSync(link)) : 'none';
  }
  return found;
}

const ttys = () => readdirSync('/dev').filter((n) => /^ttyACM\d+$/.test(n)).sort();
const hidraws = () => readdirSync('/dev').filter((n) => /^hidraw\d+$/.test(n)).sort();
const vidPid = () => {
  const dir = readdirSync(usbDevices).find((n) => /^\d+-\d+$/.test(n) && existsSync(join(usbDevices, n, 'idVendor')));
  if (!dir) throw new Error('no USB device in sysfs');
  const read = (f) => readFileSync(join(usbDevices, dir, f), 'utf8').trim();
  return { vid: read('idVendor'), pid: read('idProduct'), serial: read('serial'), dir };
};

async function attach(probe) {
  const r = await run('usbip', ['--tcp-port', String(probe.port), 'attach', '-r', '127.0.0.1', '-b', '1-1']);
  if (r.status !== 0) throw new Error(`usbip attach: ${r.out}`);
  await waitFor('two ttyACM and a hidraw', () => ttys().length === 2 && hidraws().length === 1);
  await waitFor('the drivers bound', () => Object.values(interfaceDrivers()).filter((d) => d !== 'none').length >= 5);
  return r.out;
}

/**
 * gdb-multiarch in batch mode, one -ex per command, each announced by a marker line ">>> cmd" so
 * the test can split the transcript. A command written '!<label> <cmd>' runs <cmd>, and once GDB
 * announced it, `during[label](child)` runs: Ctrl-C (SIGINT to GDB, as at the terminal) or pulling
 * the device away, after a delay of its own (GDB's stdout is a pipe: what the command prints comes
 * in one block at its end).
 */
function gdbBatch(commands, { during = {}, timeoutMs = 90_000 } = {}) {
  const args = ['-q', '-nx', '-batch'];
  for (const c of commands) {
    const m = /^!(\S+) (.*)$/.exec(c);
    args.push('-ex', `echo \\n>>> ${m ? `${m[2]} (${m[1]})` : c}\\n`, '-ex', m ? m[2] : c);
  }
  args.push(elf);
  return new Promise((resolve) => {
    const child = spawn('gdb-multiarch', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const pending = new Set(Object.keys(during));
    const take = (d) => {
      out += d;
      for (const label of pending) {
        const at = out.indexOf(`(${label})\n`);
        if (at >= 0) {
          pending.delete(label);
          during[label](child);
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve(`${out}\n[gdb exit status ${status}]`);
    });
  });
}

const only = process.env.USBIP_STEPS?.split(',');

async function boardSteps(board, skip, results, save) {
  const step = async (name, fn) => {
    if ((only && !only.includes(name)) || skip.includes(name)) return;
    const started = Date.now();
    try {
      results[name] = { ok: true, text: String((await fn()) ?? '') };
    } catch (e) {
      results[name] = { ok: false, text: String(e?.stack ?? e) };
    }
    results[name].ms = Date.now() - started;
    process.stdout.write(`usbip-guest ${board}: ${name} ${results[name].ok ? 'done' : 'FAILED'} (${results[name].ms} ms)\n`);
    save();
  };
  await sh('dmesg -C');
  const probe = await startProbe(board);
  results.ready = { ok: true, text: probe.ready, ms: 0 };
  try {
    await step('attach', () => attach(probe));
    await step('enumeration', () => {
      const id = vidPid();
      const speed = readFileSync(join(usbDevices, id.dir, 'speed'), 'utf8').trim();
      return JSON.stringify({ drivers: interfaceDrivers(), ttys: ttys(), hidraws: hidraws(), ...id, speed });
    });
    await step('lsusb', async () => (await run('lsusb', ['-v', '-d', `${vidPid().vid}:${vidPid().pid}`])).out);
    await step('dmesg', async () => (await sh('dmesg')).out); /* the enumeration's */
    await step('gdb', async () => {
      await sh('stty -F /dev/ttyACM0 raw -echo');
      let detach;
      const transcript = await gdbBatch([
        'set confirm off', 'set pagination off',
        'target extended-remote /dev/ttyACM0',
        'monitor swdp_scan',
        'attach 1',
        'load',
        'compare-sections',
        'break fixture_tick',
        'run',
        'bt',
        'step',
        'next',
        'delete',
        'watch watched',
        'continue',
        'delete',
        '!ctrl-c continue',
        'print counter',
        '!unplug continue',
        'info registers pc',
      ], {
        during: {
          'ctrl-c': (gdb) => setTimeout(() => gdb.kill('SIGINT'), 2000),
          unplug: () => setTimeout(() => (detach = run('usbip', ['detach', '-p', '0'])), 2000),
        },
      });
      const d = detach ? await detach : { status: 'never run', out: '' };
      await waitFor('the device to go', () => ttys().length === 0 && hidraws().length === 0, 20_000);
      return `${transcript}\nusbip detach: status ${d.status}\n${d.out}\nprobe program still running: ${probe.child.exitCode === null}`;
    });
    await step('reattach', async () => {
      const out = await attach(probe);
      await sh('stty -F /dev/ttyACM0 raw -echo');
      const transcript = await gdbBatch(['set confirm off', 'target extended-remote /dev/ttyACM0', 'monitor swdp_scan',
        'attach 1', 'x/xw 0x20004000', 'detach']);
      return `${out}\n${transcript}`;
    });
    await step('uart', async () => {
      const r = await sh(`stty -F /dev/ttyACM1 raw -echo && stty -F ${probe.pty} raw -echo &&
        ( timeout 8 head -c 5 ${probe.pty} > /tmp/from-acm & ) && sleep 0.3 &&
        exec 3<>/dev/ttyACM1 && ( timeout 8 head -c 5 <&3 > /tmp/from-pty & ) && sleep 0.3 &&
        printf 'probe' >&3 && printf 'board' > ${probe.pty} && sleep 2 &&
        echo "pty got: $(cat /tmp/from-acm)" && echo "ttyACM1 got: $(cat /tmp/from-pty)"`);
      return r.out;
    });
    const openocd = async (backend) => {
      const pattern = Buffer.alloc(16384);
      for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + (i >> 8) * 7 + backend.length) & 0xff;
      writeFileSync(`/tmp/pattern-${backend}.bin`, pattern);
      const { vid, pid } = vidPid();
      const r = await run('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', `cmsis_dap_vid_pid 0x${vid} 0x${pid}`,
        '-c', `cmsis_dap_backend ${backend}`, '-c', 'transport select swd', '-c', 'adapter speed 4000',
        '-f', 'target/stm32f4x.cfg', '-c', 'gdb_port disabled', '-c', 'tcl_port disabled', '-c', 'telnet_port disabled',
        '-c', 'init', '-c', 'halt', '-c', 'reg pc', '-c', 'mww 0x20004000 0xcafef00d', '-c', 'mdw 0x20004000',
        '-c', `load_image /tmp/pattern-${backend}.bin 0x20000000 bin`,
        '-c', `dump_image /tmp/dump-${backend}.bin 0x20000000 16384`, '-c', 'resume', '-c', 'shutdown'], { timeoutMs: 60_000 });
      const same = existsSync(`/tmp/dump-${backend}.bin`) && readFileSync(`/tmp/dump-${backend}.bin`).equals(pattern);
      return `${r.out}\nround trip: ${same ? 'identical' : 'DIFFERENT'}\n`;
    };
    await step('openocd usb_bulk', () => openocd('usb_bulk'));
    await step('openocd hid', () => openocd('hid'));
    await step('pyocd', async () => {
      const list = await run('pyocd-flashtool', ['--list'], { timeoutMs: 60_000 });
      const session = await run('pyocd-tool', ['-t', 'cortex_m'], { timeoutMs: 60_000,
        input: 'write32 0x20004000 0x12345678\nread32 0x20004000 4\nread32 0xe0042000 4\nexit\n' });
      return `${list.out}\n---\n${session.out}`;
    });
    await step('node-usb', async () => {
      const { serial } = vidPid();
      const server = spawn(process.execPath, ['dist/lib/cli/bmp-gdbserver.js', '--probe', serial, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      server.stdout.on('data', (d) => (out += d));
      server.stderr.on('data', (d) => (out += d));
      try {
        const m = await waitFor('bmp-gdbserver to listen', () => /127\.0\.0\.1:(\d+)/.exec(out), 30_000);
        const transcript = await gdbBatch(['set confirm off', `target extended-remote 127.0.0.1:${m[1]}`,
          'monitor swdp_scan', 'attach 1', 'x/2xw 0x20004000', 'print counter', 'detach']);
        return `${out}\n${transcript}`;
      } finally {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('close', resolve));
      }
    });
    await step('node-hid', async () => {
      const { openTransport, hidBackend } = await import('../../dist/lib/transports/enumerate.js');
      const transport = await openTransport(vidPid().serial, { backends: [hidBackend] });
      try {
        const reply = await transport.transfer(Uint8Array.from([0x00, 0x04])); /* DAP_Info: CMSIS-DAP protocol version */
        const text = Buffer.from(reply.subarray(2, 2 + reply[1])).toString('latin1').replace(/\0+$/, '');
        return JSON.stringify({ packetSize: transport.packetSize, version: text });
      } finally {
        await transport.close();
      }
    });
    await step('dmesg at the end', async () => (await sh('dmesg')).out);
  } finally {
    await run('usbip', ['detach', '-p', '0'], { timeoutMs: 10_000 });
    probe.child.kill('SIGKILL');
    results.probeLog = { ok: true, text: probe.log(), ms: 0 };
  }
}

/** The probe program's traffic counters so far (SIGUSR1 makes it print them). */
async function probeStats(probe) {
  const before = probe.log().length;
  probe.child.kill('SIGUSR1');
  const m = await waitFor('the stats line', () => /stats: (\{.*\})/.exec(probe.log().slice(before)), 10_000);
  return JSON.parse(m[1]);
}

/** Traffic of one client run: its output and the counters' growth. */
async function measured(probe, fn) {
  const a = await probeStats(probe);
  const out = await fn();
  const b = await probeStats(probe);
  return { out, packets: b.packets - a.packets, bytes: b.bytes - a.bytes, dap: b.dap_requests - a.dap_requests };
}

/**
 * Figures for bench/usbip.mjs: OpenOCD reading 64 KiB of SRAM (against a session that only
 * examines and halts, so the difference is the read's), over usb_bulk and hid; and CMSIS-DAP
 * packets per GDB single step through bmp-gdbserver --probe (node-usb), over 100 `stepi`.
 */
async function benchBoard(board) {
  const figures = { board };
  const probe = await startProbe(board, ['--image', elf.replace(/\.elf$/, '.bin')]); /* the fixture runs */
  try {
    await attach(probe);
    figures.ready = probe.ready;
    const { vid, pid, serial } = vidPid();
    for (const backend of ['usb_bulk', 'hid']) {
      const openocd = (extra) => run('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', `cmsis_dap_vid_pid 0x${vid} 0x${pid}`,
        '-c', `cmsis_dap_backend ${backend}`, '-c', 'transport select swd', '-c', 'adapter speed 4000',
        '-f', 'target/stm32f4x.cfg', '-c', 'gdb_port disabled', '-c', 'tcl_port disabled', '-c', 'telnet_port disabled',
        '-c', 'init', '-c', 'halt', ...extra, '-c', 'shutdown'], { timeoutMs: 120_000 }).then((r) => r.out);
      const base = await measured(probe, () => openocd([]));
      const read = await measured(probe, () => openocd(['-c', 'dump_image /tmp/bench.bin 0x20000000 65536']));
      const m = /dumped 65536 bytes in ([\d.]+)s/.exec(read.out);
      if (!m) throw new Error(`OpenOCD did not read:\n${read.out}`);
      const seconds = Number(m[1]);
      const packets = read.packets - base.packets;
      figures[backend] = { seconds, packets, dap: read.dap - base.dap, packets_per_s: packets / seconds, KB_per_s: 64 / seconds };
    }
    const server = spawn(process.execPath, ['dist/lib/cli/bmp-gdbserver.js', '--probe', serial, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (d) => (out += d));
    server.stderr.on('data', (d) => (out += d));
    try {
      const m = await waitFor('bmp-gdbserver to listen', () => /127\.0\.0\.1:(\d+)/.exec(out), 60_000);
      // Counters read by GDB's own `shell` just before and after the steps (synchronous: GDB
      // waits for kill(1), and the probe prints before the next USB packet can arrive).
      const mark = probe.log().length;
      const stats = `shell kill -USR1 ${probe.child.pid}; sleep 0.3`;
      const transcript = await gdbBatch(['set confirm off', `target extended-remote 127.0.0.1:${m[1]}`, 'attach 1',
        'break fixture_tick', 'continue', 'delete', stats, 'stepi 100', stats, 'info registers pc', 'detach']);
      const lines = [...probe.log().slice(mark).matchAll(/stats: (\{.*\})/g)].map((x) => JSON.parse(x[1]));
      if (lines.length !== 2) throw new Error(`expected two stats lines around the steps:\n${transcript}`);
      const dap = lines[1].dap_requests - lines[0].dap_requests;
      figures.gdb_step = { steps: 100, dap, per_step: dap / 100, transcript: transcript.slice(-400) };
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('close', resolve));
    }
  } finally {
    await run('usbip', ['detach', '-p', '0'], { timeoutMs: 10_000 });
    probe.child.kill('SIGKILL');
  }
  return figures;
}

if (process.argv[2] === '--bench') {
  for (const board of process.argv.slice(3)) {
    let figures;
    try {
      figures = await benchBoard(board);
    } catch (e) {
      figures = { board, error: String(e?.stack ?? e) };
    }
    writeFileSync(join(OUT, `${board}-bench.json`), JSON.stringify(figures, null, 1));
  }
  process.exit(0);
}

for (const arg of process.argv.slice(2)) {
  const [board, skipped = ''] = arg.split(':');
  const results = {};
  const started = Date.now();
  const save = () => writeFileSync(join(OUT, `${board}.json`), JSON.stringify(results, null, 1));
  try {
    await boardSteps(board, skipped.split(',').filter(Boolean), results, save);
  } catch (e) {
    results.setup = { ok: false, text: String(e?.stack ?? e), ms: 0 };
  }
  results.total = { ok: true, text: '', ms: Date.now() - started };
  save();
}

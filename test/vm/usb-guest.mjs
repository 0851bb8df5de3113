// Runs inside the VM (test/vm/usb-vm.mjs boots it): `bmp-gdbserver gadget` makes the USB device
// through dummy_hcd, and this script, as the USB host in the same kernel, puts every client to
// work on it. Prints one "ok - <name>" or "not ok - <name>" line per check, with details
// indented by four spaces. Needs the project built (dist/) and run as root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GdbDriver } from '../../dist/test/helpers/gdb.js';
import { openocdSramRoundTrip, runClient } from '../../dist/test/interop/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/lib/cli/bmp-gdbserver.js');
const elf = join(root, 'test/fixtures/firmware/build/stm32f407.elf');
const SERIAL = 'VMGADGET0001';
const GADGET = '/sys/kernel/config/usb_gadget/bmp-gdbserver';
const work = mkdtempSync(join(tmpdir(), 'usb-vm-'));
const only = process.env.USB_VM_ONLY ? new RegExp(process.env.USB_VM_ONLY) : undefined;
let failures = 0;
const timings = {};

function indent(text) {
  return String(text).trim().split('\n').slice(-40).map((l) => '    ' + l).join('\n');
}

async function check(name, fn) {
  if (only && !only.test(name)) return;
  const started = Date.now();
  try {
    const note = await fn();
    timings[name] = (Date.now() - started) / 1000;
    process.stdout.write(`ok - ${name}\n    (${timings[name].toFixed(1)} s)\n${note ? indent(note) + '\n' : ''}`);
  } catch (error) {
    failures++;
    process.stdout.write(`not ok - ${name}\n${indent(error?.stack ?? error)}\n`);
  }
}

/** GDB starts slowly under TCG: its first prompt must be in before the first command. */
async function startGdb(gdb) {
  await until('the first GDB prompt', () => gdb.transcript.includes('(gdb) '), 90_000);
  await gdb.run('set confirm off');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, test, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A long-running command whose output is collected; `text()` is all of it so far. */
function start(args, options = {}) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, text: () => out, exited };
}

function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

const udcName = sh('ls /sys/class/udc').trim().split('\n')[0];

// --- the gadget -------------------------------------------------------------------------------
await check('gadget: refuses a UDC that does not exist, with a hint (exit 1, one line, [ENOPROBE])', async () => {
  const r = spawnSync(process.execPath, [cli, 'gadget', '--udc', 'nosuch.0'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^bmp-gdbserver: no USB device controller 'nosuch\.0' \(there is: dummy_udc\.0\) \[ENOPROBE\]\n$/);
  assert.ok(!existsSync(GADGET), 'nothing made');
});

const gadget = start(['gadget', '--sim', 'stm32f407', '--serial', SERIAL, '--image', elf]);
let gadgetUp = false;
await check('gadget: starts, binds to dummy_udc, and the kernel enumerates it (cdc_acm, usbhid, the bulk interface)', async () => {
  await until('the gadget banner', () => /Ctrl-C removes the gadget/.test(gadget.text()), 60_000).catch((e) => {
    throw new Error(`${e.message}\n${gadget.text()}`);
  });
  await until('/dev/ttyACM0 and a hidraw node', () => existsSync('/dev/ttyACM0') && sh('ls /dev/hidraw* 2>/dev/null').trim());
  gadgetUp = true;
  const lsusb = sh('lsusb -v -d 1d50:6018');
  assert.match(lsusb, /iProduct\s+\d+ bmp-gdbserver CMSIS-DAP \(gadget, simulated stm32f407\)/);
  assert.match(lsusb, new RegExp(`iSerial\\s+\\d+ ${SERIAL}`));
  assert.match(lsusb, /bInterfaceClass\s+2\s/); // CDC (usb.ids may be missing: numbers only)
  assert.match(lsusb, /bInterfaceClass\s+3\s/); // HID
  // CMSIS-DAP v2: vendor class, "CMSIS-DAP" in its string, bulk OUT first, then bulk IN, 512 bytes.
  const vendor = /bInterfaceClass\s+255\s[\s\S]*?iInterface\s+\d+ CMSIS-DAP v2([\s\S]*?)(?:Interface Descriptor|$)/.exec(lsusb);
  assert.ok(vendor, lsusb);
  const eps = [...vendor[1].matchAll(/bEndpointAddress\s+0x([0-9a-f]{2})\s+EP \d+ (IN|OUT)[\s\S]*?Transfer Type\s+(\w+)[\s\S]*?wMaxPacketSize\s+0x([0-9a-f]{4})/g)];
  assert.deepEqual(eps.map((m) => [m[2], m[3], Number.parseInt(m[4], 16) & 0x7ff]), [['OUT', 'Bulk', 512], ['IN', 'Bulk', 512]]);
  // Windows' WinUSB binding: the kernel answers the MS OS 1.0 string (0xEE) for FunctionFS.
  const listed = spawnSync(process.execPath, [cli, '--list'], { encoding: 'utf8' }).stdout;
  assert.match(listed, new RegExp(`${SERIAL}\\s+v2 bulk`));
  assert.match(listed, new RegExp(`${SERIAL}\\s+v1 hid`));
  assert.match(listed, /CMSIS-DAP 2\.\d\.\d[^\n]*512-byte packets; SWD/);
  assert.match(listed, /CMSIS-DAP 2\.\d\.\d[^\n]*64-byte packets; SWD/);
  return `endpoints of the CMSIS-DAP v2 interface (dummy_udc numbers them): ${eps.map((m) => `0x${m[1]}`).join(', ')}\n${listed}`;
});

if (!gadgetUp) {
  process.stdout.write(indent(gadget.text()) + '\n');
  gadget.child.kill('SIGTERM');
  process.exit(1);
}

// --- GDB through bmp-gdbserver --probe, over node-usb (v2) and node-hid (v1) -------------------
async function gdbOverProbe(kind) {
  const server = start(['--probe', SERIAL, '--usb', kind, '--port', '0', '-v']);
  try {
    const port = Number(await until('the GDB server', () => /127\.0\.0\.1:(\d+)/.exec(server.text())?.[1], 60_000).catch((e) => {
      throw new Error(`${e.message}\n${server.text()}`);
    }));
    assert.match(server.text(), new RegExp(`CMSIS-DAP probe ${SERIAL} \\(${kind}\\)`));
    assert.match(server.text(), /target 1: STM32F40x/);
    const gdb = new GdbDriver(elf);
    try {
      await startGdb(gdb);
      await gdb.run('set pagination off');
      assert.match(await gdb.run(`target extended-remote 127.0.0.1:${port}`, 30_000), /Remote debugging using/);
      assert.match(await gdb.run('monitor swdp_scan', 30_000), /STM32F40x/);
      assert.match(await gdb.run('attach 1', 30_000), /Attaching to program/);
      assert.match(await gdb.run('break fixture_tick', 30_000), /Breakpoint 1 at 0x[0-9a-f]+: file fixture\.c/);
      assert.match(await gdb.run('continue', 30_000), /Breakpoint 1, fixture_tick/);
      assert.match(await gdb.run('finish', 30_000), /main \(\) at fixture\.c:6\d/);
      assert.match(await gdb.run('next', 30_000), /^6\d\s/m);
      assert.match(await gdb.run('stepi', 30_000), /0x0800[0-9a-f]{4}/);
      const words = await gdb.run('x/256xw 0x20000000', 30_000);
      assert.equal(words.match(/0x[0-9a-f]{8}/g).length, 256 + 64, 'a 1 KiB read');
      assert.match(await gdb.run('detach', 30_000), /Detaching from program/);
    } finally {
      await gdb.quit();
    }
    if (/Remote connection closed|internal-error/.test(gdb.transcript)) assert.fail(gdb.transcript);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

await check('gdb-multiarch through bmp-gdbserver --probe over node-usb (CMSIS-DAP v2 bulk): scan, attach, break, finish, next, stepi, 1 KiB read', () => gdbOverProbe('bulk'));
await check('gdb-multiarch through bmp-gdbserver --probe over node-hid (CMSIS-DAP v1 hidraw): scan, attach, break, finish, next, stepi, 1 KiB read', () => gdbOverProbe('hid'));

// --- GDB on the CDC-ACM port -------------------------------------------------------------------
await check('gdb-multiarch with target extended-remote /dev/ttyACM0: scan, attach, break, step, memory, Ctrl-C, detach; a second GDB after it', async () => {
  for (const round of [1, 2]) {
    const gdb = new GdbDriver(elf);
    try {
      await startGdb(gdb);
      await gdb.run('set pagination off');
      assert.match(await gdb.run('target extended-remote /dev/ttyACM0', 30_000), /Remote debugging using \/dev\/ttyACM0/);
      assert.match(await gdb.run('monitor swdp_scan', 30_000), /STM32F40x/);
      assert.match(await gdb.run('attach 1', 30_000), /Attaching to program/);
      if (round === 1) {
        assert.match(await gdb.run('break fixture_tick', 30_000), /Breakpoint 1 at/);
        assert.match(await gdb.run('continue', 30_000), /Breakpoint 1, fixture_tick/);
        await gdb.run('delete');
        assert.match(await gdb.run('step', 30_000), /fixture\.c/);
        assert.match(await gdb.run('print counter', 30_000), /\$\d+ = \d+/);
        assert.match(await gdb.run('x/4xw 0x08000000', 30_000), /0x8000000[^\n]*:\s+0x2/);
        assert.match(await gdb.interruptAfter('continue', 1500), /Program received signal SIGINT, Interrupt\./);
      } else {
        assert.match(await gdb.run('info registers pc', 30_000), /pc\s+0x/);
      }
      assert.match(await gdb.run('detach', 30_000), /Detaching from program/);
    } finally {
      await gdb.quit();
    }
    if (/Remote connection closed|internal-error|Ignoring packet error/.test(gdb.transcript)) assert.fail(gdb.transcript);
  }
});

// --- OpenOCD and pyOCD --------------------------------------------------------------------------
for (const backend of ['usb_bulk', 'hid']) {
  await check(`OpenOCD (cmsis_dap_backend ${backend}) examines, halts and round-trips 16 KiB of SRAM`, async () => {
    const pattern = Buffer.alloc(16384);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + (backend === 'hid' ? 7 : 3)) & 0xff;
    const log = await openocdSramRoundTrip({ backend, targetConfig: 'target/stm32f4x.cfg', libs: '', port: 0, work, pattern, afterInit: ['catch resume'] });
    assert.match(log, /serial number.*|SWD DPIDR 0x2ba01477/i);
  });
}

// pyOCD 0.13 reads the HID interrupt IN endpoint raw (pyusb, the usbhid driver detached), one
// packet per report: an empty packet after a full report would be taken for the next response.
await check('pyOCD 0.13 lists the probe, and writes and reads target memory through it (HID, pyusb)', async () => {
  const list = await runClient('pyocd-flashtool', ['--list'], '', 0);
  assert.match(list, new RegExp(`CMSIS-DAP.*${SERIAL}`));
  const session = await runClient('pyocd-tool', ['-t', 'cortex_m'], '', 0,
    'write32 0x20004000 0x5eedf00d\nread32 0x20004000 4\nread32 0xe0042000 4\nexit\n');
  assert.match(session, /20004000:\s+5eedf00d/, `${session}\ngadget:\n${gadget.text().slice(-1500)}`);
  assert.match(session, /e0042000:\s+[0-9a-f]{5}413\b/, `the F407 DBGMCU IDCODE\n${session}`);
  return list;
});

// The v1 interface's control requests, as a host's HID driver (and a raw one) makes them: the
// report descriptor, GET_REPORT, GET/SET_IDLE answered as the firmware answers them; SET_PROTOCOL
// and SET_REPORT stalled (a pipe error at once, not a time-out).
await check('the CMSIS-DAP v1 interface answers GET_DESCRIPTOR, GET_REPORT, GET/SET_IDLE and stalls SET_PROTOCOL and SET_REPORT (pyusb)', async () => {
  const script = [
    'import usb.core, usb.util',
    'dev = usb.core.find(idVendor=0x1d50, idProduct=0x6018)',
    'intf = [i for i in dev.get_active_configuration() if i.bInterfaceClass == 3][0].bInterfaceNumber',
    'if dev.is_kernel_driver_active(intf): dev.detach_kernel_driver(intf)',
    'print("report", bytes(dev.ctrl_transfer(0x81, 6, 0x2200, intf, 255)).hex())',
    'r = dev.ctrl_transfer(0xA1, 1, 0x0100, intf, 64); print("get_report", len(r), sum(r))',
    'dev.ctrl_transfer(0x21, 0x0A, 0x7D00, intf, None); print("idle", dev.ctrl_transfer(0xA1, 2, 0, intf, 1)[0])',
    'for name, args in (("set_protocol", (0x21, 0x0B, 0, intf, None)), ("set_report", (0x21, 0x09, 0x0200, intf, bytes(64)))):',
    '    try: dev.ctrl_transfer(*args, timeout=3000); print(name, "accepted")',
    '    except usb.core.USBError as e: print(name, "error", e.errno)',
    'print("report again", len(dev.ctrl_transfer(0x81, 6, 0x2200, intf, 255)))',
    'usb.util.dispose_resources(dev); dev.attach_kernel_driver(intf)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  assert.equal(r.status, 0, out);
  const { hidReportDescriptor } = await import('../../dist/lib/gadget/descriptors.js');
  assert.match(out, new RegExp(`^report ${hidReportDescriptor().toString('hex')}$`, 'm'), out);
  assert.match(out, /^get_report 64 0$/m, out);
  assert.match(out, /^idle 125$/m, out);
  assert.match(out, /^set_protocol error 32$/m, `a stall is EPIPE (32), at once\n${out}`);
  assert.match(out, /^set_report error 32$/m, out);
  assert.match(out, /^report again \d+$/m, 'ep0 still answers after the stalls');
  return out;
});

// --- unplug and plug in again -------------------------------------------------------------------
await check('hot-unplug: the UDC unbound mid-session fails operations with EPROBE, GDB gets an error, bmp-gdbserver stays up and says so, and works again once re-bound', async () => {
  const server = start(['--probe', SERIAL, '--usb', 'bulk', '--port', '0']);
  const udcFile = join(GADGET, 'UDC');
  try {
    const port = Number(await until('the GDB server', () => /127\.0\.0\.1:(\d+)/.exec(server.text())?.[1], 60_000));
    const gdb = new GdbDriver(elf);
    try {
      await startGdb(gdb);
      await gdb.run(`target extended-remote 127.0.0.1:${port}`, 30_000);
      await gdb.run('monitor swdp_scan', 30_000);
      assert.match(await gdb.run('attach 1', 30_000), /Attaching to program/);
      writeFileSync(udcFile, '\n');
      const failed = await gdb.run('x/4xw 0x20000000', 30_000);
      assert.match(failed, /Cannot access memory|error|E\d\d|Remote failure/i, failed);
      await until('bmp-gdbserver to say the probe went away', () => /the probe went away/.test(server.text()), 20_000);
      assert.equal(server.child.exitCode, null, 'bmp-gdbserver is still up');
      writeFileSync(udcFile, udcName);
      await until('the gadget back on the bus', () => /bmp-gdbserver CMSIS-DAP/.test(sh('cat /sys/bus/usb/devices/*/product')), 30_000);
      // Re-enumeration takes a moment: scan until the probe answers.
      let scan = '';
      await until('a scan through the probe again', async () => /STM32F40x/.test((scan = await gdb.run('monitor swdp_scan', 30_000))), 40_000).catch((e) => {
        throw new Error(`${e.message}\nlast scan: ${scan}\nbmp-gdbserver:\n${server.text()}\ngadget:\n${gadget.text().slice(-1500)}\n${sh('lsusb; ls -l /dev/hidraw* /dev/ttyACM*')}`);
      });
      assert.match(await gdb.run('attach 1', 30_000), /Attaching to program/);
      assert.match(await gdb.run('x/4xw 0x08000000', 30_000), /0x8000000[^\n]*:\s+0x2/);
      assert.match(server.text(), /the probe is back/);
      return server.text();
    } finally {
      await gdb.quit();
    }
  } finally {
    if (!readFileSync(udcFile, 'utf8').trim()) writeFileSync(udcFile, udcName);
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

// --- teardown -----------------------------------------------------------------------------------
await check('gadget: SIGTERM, after someone else unbound the UDC, removes the configfs gadget and unmounts FunctionFS (exit 0)', async () => {
  // Unbound from outside first: FunctionFS's files then get no more events, and the gadget must
  // still get out (no read of them may wait for ever).
  writeFileSync(join(GADGET, 'UDC'), '\n');
  await until('the gadget off the bus', () => !/bmp-gdbserver CMSIS-DAP/.test(sh('cat /sys/bus/usb/devices/*/product')), 20_000);
  await sleep(500);
  gadget.child.kill('SIGTERM');
  const { code } = await Promise.race([gadget.exited, sleep(30_000).then(() => ({ code: 'timeout' }))]);
  assert.equal(code, 0, gadget.text());
  assert.ok(!existsSync(GADGET), 'the configfs gadget is gone');
  assert.doesNotMatch(readFileSync('/proc/mounts', 'utf8'), /functionfs/);
  assert.doesNotMatch(sh('cat /sys/bus/usb/devices/*/product'), /bmp-gdbserver CMSIS-DAP/);
  return gadget.text();
});

writeFileSync(join(process.env.OUT ?? work, 'timings.json'), JSON.stringify(timings));
process.exit(failures ? 1 : 0);

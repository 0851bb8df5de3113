/**
 * The probe firmware's own USB stack against a real Linux host stack. The PC build of the firmware
 * (firmware/host: the boards' main loop, USB class code and OTG driver over the OTG model, the
 * simulated STM32F407 on the SWD wire) is exported over USB/IP inside a VM (test/vm/vm.mjs:
 * Debian's kernel under QEMU) and imported by Debian's `usbip attach` into vhci-hcd. The kernel
 * enumerates it with its own drivers, then real clients use it as a board's user would:
 * gdb-multiarch on /dev/ttyACM0, the target UART on the second ttyACM, OpenOCD over usb_bulk and
 * hid, pyOCD, and this package's node-usb and node-hid paths; then a detach in the middle of a
 * GDB session and a re-attach. test/vm/usbip-guest.mjs runs all of that in the guest, one VM per
 * configuration (STLINK-V3MINI at high speed, DevEBox STM32H743 at full speed), the two side by
 * side; the checks are here. A step that did not finish in a VM that ran out of time fails its
 * own test, not the others.
 *
 * What this proves and what it cannot: the descriptors, the class requests and the OTG driver's
 * logic (FIFOs, toggles, short and zero-length packets) against the kernel users run; not the
 * OTG hardware's timing, the PHY or a board's wiring (the controller is a model).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Step {
  ok: boolean;
  ms: number;
  text: string;
}
type Results = Record<string, Step>;

interface VmModule {
  vmUnavailable(): string | undefined;
  runVm(options: { modules: string[]; script: string; timeoutMs: number; cpus?: number }): Promise<{
    status?: number;
    console: string;
    files: Record<string, Buffer>;
    timedOut: boolean;
    seconds: number;
  }>;
}

/** The slow clients (Python, a second Node) run for one configuration each (`skip`). */
const boards: { board: string; highSpeed: boolean; skip: string[] }[] = [
  { board: 'stlink3mini', highSpeed: true, skip: ['pyocd'] },
  { board: 'devebox-stm32h743', highSpeed: false, skip: ['node-usb'] },
];

/** The step's text once it ran without an exception in the guest. */
function stepText(results: Results, name: string): string {
  const s = results[name];
  assert.ok(s, `the guest never ran '${name}'`);
  assert.ok(s.ok, `${name} failed in the guest:\n${s.text}`);
  return s.text;
}

/** The part of a gdbBatch transcript that `command` printed (up to the next marker). */
function gdbOutput(transcript: string, command: string): string {
  const at = transcript.indexOf(`>>> ${command}\n`);
  assert.ok(at >= 0, `'${command}' not in the transcript:\n${transcript}`);
  const from = at + command.length + 5;
  const next = transcript.indexOf('\n>>> ', from);
  return transcript.slice(from, next < 0 ? undefined : next);
}

describe('the probe firmware over USB/IP, enumerated and used through a Linux kernel in a VM', function () {
  this.timeout(300_000);
  const results: Record<string, Results> = {};
  let seconds = 0;

  before(async function () {
    const vm = (await import(pathToFileURL(join(root, 'test/vm/vm.mjs')).href)) as VmModule;
    const why = vm.vmUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    for (const { board } of boards) {
      const program = join(root, 'build-native', `bmp-usbip-probe-${board}`);
      assert.ok(existsSync(program), `${program} is not built (cmake --build build-native)`);
    }
    // One VM per configuration, side by side (each is one QEMU thread).
    const runs = await Promise.all(boards.map((b) => vm.runVm({
      modules: ['usbip-core', 'vhci-hcd', 'cdc_acm', 'usbhid', 'hid-generic'],
      script: `ip link set lo up\nnode test/vm/usbip-guest.mjs ${b.board}:${b.skip.join(',')}`,
      timeoutMs: 240_000,
    })));
    boards.forEach(({ board }, i) => {
      const r = runs[i];
      seconds = Math.max(seconds, r.seconds);
      const file = r.files[`${board}.json`];
      assert.ok(file, `no results for ${board}${r.timedOut ? ' (the VM timed out)' : ''}:\n${r.console.slice(-4000)}`);
      results[board] = JSON.parse(file.toString()) as Results;
      console.log(`      ${board}: VM ${r.seconds.toFixed(0)} s${r.timedOut ? ', timed out' : ''}`);
    });
  });

  it('both configurations, booted side by side, within 3 minutes', () => {
    assert.ok(seconds < 180, `${seconds} s`);
  });

  for (const { board, highSpeed, skip } of boards) {
    const bulk = highSpeed ? '0x0200' : '0x0040';

    it(`${board}: the kernel binds cdc_acm to both ports and usbhid to CMSIS-DAP v1, leaves the vendor interface to libusb; lsusb -v shows the declared descriptors; dmesg has no complaint`, () => {
      const r = results[board];
      assert.match(stepText(r, 'ready'), highSpeed ? /\(high speed\)/ : /\(full speed\)/);
      const e = JSON.parse(stepText(r, 'enumeration')) as { drivers: Record<string, string>; ttys: string[]; hidraws: string[]; speed: string };
      assert.deepEqual(
        Object.fromEntries(Object.entries(e.drivers).filter(([k]) => k.startsWith('1-1:'))),
        { '1-1:1.0': 'cdc_acm', '1-1:1.1': 'cdc_acm', '1-1:1.2': 'cdc_acm', '1-1:1.3': 'cdc_acm', '1-1:1.4': 'usbhid', '1-1:1.5': 'none' },
      );
      assert.deepEqual(e.ttys, ['ttyACM0', 'ttyACM1']);
      assert.equal(e.hidraws.length, 1);
      assert.equal(e.speed, highSpeed ? '480' : '12');

      const lsusb = stepText(r, 'lsusb');
      assert.match(lsusb, /bDeviceClass\s+239 Miscellaneous Device/);
      assert.match(lsusb, /bDeviceProtocol\s+1 Interface Association/);
      assert.match(lsusb, /iProduct\s+2 bmp-gdbserver CMSIS-DAP/);
      assert.equal(lsusb.match(/Interface Association:/g)?.length, 2, 'one IAD per CDC-ACM function');
      assert.equal(lsusb.match(/bFunctionClass\s+2 Communications/g)?.length, 2);
      for (const name of ['GDB Server', 'Target UART', 'CMSIS-DAP v1', 'CMSIS-DAP v2'])
        assert.match(lsusb, new RegExp(`iInterface\\s+\\d+ ${name}`), name);
      assert.match(lsusb, /bInterfaceClass\s+3 Human Interface Device/);
      assert.match(lsusb, /bInterfaceClass\s+255 Vendor Specific Class/);
      assert.match(lsusb, /CDC Union:/);
      assert.match(lsusb, /CDC ACM:/);
      // Every endpoint the firmware declares (usb_probe_desc.h), with its size at this speed.
      const endpoints = [...lsusb.matchAll(/bEndpointAddress\s+(0x[0-9a-f]{2})[\s\S]*?wMaxPacketSize\s+(0x[0-9a-f]{4})/g)]
        .map((m) => `${m[1]} ${m[2]}`)
        .sort();
      assert.deepEqual(endpoints, [
        `0x02 ${bulk}`, `0x04 ${bulk}`, '0x05 0x0040', `0x06 ${bulk}`,
        '0x81 0x0010', `0x82 ${bulk}`, '0x83 0x0010', `0x84 ${bulk}`, '0x85 0x0040', `0x86 ${bulk}`,
      ]);
      assert.doesNotMatch(lsusb, /can't get|cannot get|unable to|invalid|\*\* UNRECOGNIZED/i);

      const dmesg = stepText(r, 'dmesg');
      assert.match(dmesg, /cdc_acm 1-1:1\.0: ttyACM0: USB ACM device/);
      assert.match(dmesg, /cdc_acm 1-1:1\.2: ttyACM1: USB ACM device/);
      assert.match(dmesg, /hid-generic .*hidraw0: USB HID v1\.11 Device/);
      assert.match(dmesg, highSpeed ? /new high-speed USB device/ : /new full-speed USB device/);
      const usbLines = dmesg.split('\n').filter((l) => /usb 1-1|cdc_acm|hid|vhci/.test(l));
      const complaints = usbLines.filter((l) => /descriptor|invalid|error|failed|babble|overcurrent|not ready/i.test(l));
      assert.deepEqual(complaints, [], usbLines.join('\n'));
    });

    it(`${board}: gdb-multiarch on /dev/ttyACM0 scans, attaches, loads into flash, compare-sections, breaks, steps, watches, Ctrl-C; usbip detach while the target runs ends the session cleanly`, () => {
      const t = stepText(results[board], 'gdb');
      const scan = gdbOutput(t, 'monitor swdp_scan');
      assert.match(scan, /Available Targets:/);
      assert.match(scan, /1\s+STM32F40x\/41x Cortex-M4/);
      const load = gdbOutput(t, 'load');
      assert.match(load, /Loading section \.text, size 0x[0-9a-f]+ lma 0x8000040/);
      assert.match(load, /Transfer rate:/);
      const compare = gdbOutput(t, 'compare-sections');
      assert.equal(compare.match(/: matched\./g)?.length, 4, compare);
      assert.doesNotMatch(compare, /MIS-MATCHED/);
      assert.match(gdbOutput(t, 'break fixture_tick'), /Breakpoint 1 at 0x8000070: file fixture\.c, line 34\./);
      const run = gdbOutput(t, 'run');
      assert.match(run, /fixture: hello/, 'semihosting output through the firmware');
      assert.match(run, /Breakpoint 1, fixture_tick \(n=1\) at fixture\.c:34/);
      assert.match(gdbOutput(t, 'bt'), /#1  0x[0-9a-f]+ in main \(\) at fixture\.c:60/);
      assert.match(gdbOutput(t, 'step'), /main \(\) at fixture\.c:6\d/);
      assert.match(gdbOutput(t, 'next'), /^6\d\s/m);
      assert.match(gdbOutput(t, 'watch watched'), /Hardware watchpoint 2: watched/);
      assert.match(gdbOutput(t, 'continue'), /Hardware watchpoint 2: watched\s+Old value = \d+\s+New value = \d+/);
      assert.match(gdbOutput(t, 'continue (ctrl-c)'), /Program received signal SIGINT, Interrupt\./);
      assert.ok(Number(/\$\d+ = (\d+)/.exec(gdbOutput(t, 'print counter'))?.[1]) > 1, 'the program ran until Ctrl-C');
      const unplugged = t.slice(t.indexOf('>>> continue (unplug)'));
      const before = t.slice(0, t.indexOf('>>> continue (unplug)'));
      assert.doesNotMatch(before, /Remote communication error|Remote connection closed|Ignoring packet error|internal-error/);
      assert.match(gdbOutput(t, 'continue (unplug)'), /Remote communication error\.\s+Target disconnected|Remote connection closed/);
      assert.match(unplugged, /\[gdb exit status \d+\]/, 'GDB ended by itself');
      assert.doesNotMatch(unplugged, /internal-error/);
      assert.match(t, /usbip detach: status 0/);
      assert.match(t, /probe program still running: true/);
    });

    it(`${board}: re-attached after the detach, the probe serves a new GDB session as at power-up`, () => {
      const r = stepText(results[board], 'reattach');
      assert.match(gdbOutput(r, 'monitor swdp_scan'), /1\s+STM32F40x\/41x Cortex-M4/);
      assert.match(gdbOutput(r, 'attach 1'), /fixture\.c|in main|fixture_tick/);
      assert.match(gdbOutput(r, 'x/xw 0x20004000'), /0x20004000:\s+0x[0-9a-f]{8}/);
      assert.match(r, /\[gdb exit status 0\]/);
      assert.doesNotMatch(r, /Could not read registers|Remote communication error/);
    });

    it(`${board}: a byte on the second ttyACM comes out of the target UART's pty, and back`, () => {
      const t = stepText(results[board], 'uart');
      assert.match(t, /^pty got: probe$/m);
      assert.match(t, /^ttyACM1 got: board$/m);
    });

    for (const backend of ['usb_bulk', 'hid']) {
      it(`${board}: OpenOCD (cmsis_dap_backend ${backend}) examines, halts and round-trips 16 KiB of SRAM`, () => {
        const t = stepText(results[board], `openocd ${backend}`);
        assert.match(t, /CMSIS-DAP: Interface Initialised \(SWD\)/);
        assert.match(t, /SWD DPIDR 0x2ba01477/);
        assert.match(t, /Cortex-M4 r0p1 processor detected/);
        assert.match(t, /halted due to debug-request/);
        assert.match(t, /0x20004000: cafef00d/);
        assert.match(t, /dumped 16384 bytes/);
        assert.match(t, /round trip: identical/);
      });
    }

    if (!skip.includes('pyocd')) it(`${board}: pyOCD lists the probe and writes and reads target memory`, () => {
      const t = stepText(results[board], 'pyocd');
      assert.match(t, /bmp-gdbserver CMSIS-DAP \([^)]*\) \| 5053494D3030303030303031/);
      assert.match(t, /Connected to CoreSightTarget/);
      assert.match(t, /20004000:\s+12345678/);
      assert.match(t, /e0042000:\s+10076413/); // DBGMCU IDCODE of the F407
    });

    it(`${board}: this package's own --probe path: the HID transport through node-hid${skip.includes('node-usb') ? '' : ', bmp-gdbserver through node-usb with GDB over TCP'}`, () => {
      const hid = JSON.parse(stepText(results[board], 'node-hid')) as { packetSize: number; version: string };
      assert.deepEqual(hid, { packetSize: 64, version: '2.1.0' });
      if (skip.includes('node-usb')) return;
      const t = stepText(results[board], 'node-usb');
      assert.match(t, /CMSIS-DAP probe 5053494D3030303030303031/);
      assert.match(t, /target 1: STM32F40x\/41x \(Cortex-M4\), DPIDR 0x2ba01477/);
      assert.match(gdbOutput(t, 'monitor swdp_scan'), /1\s+STM32F40x\/41x Cortex-M4/);
      assert.match(gdbOutput(t, 'print counter'), /\$1 = \d+/);
      assert.match(t, /\[gdb exit status 0\]/);
    });

  }
});

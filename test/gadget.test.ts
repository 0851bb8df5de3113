/**
 * `bmp-gdbserver gadget` on a machine without a USB device port, and what it writes to the kernel.
 * The gadget itself, through a real kernel, is tested in a VM (test/vm/usb-vm.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { functionFsDescriptors, functionFsHidDescriptors, functionFsStrings, hidReportDescriptor, hidSetup } from '../lib/gadget/descriptors.js';

const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('bmp-gdbserver gadget, and probe access', () => {
  it('refuses in one line with a code and a hint when configfs or a UDC is missing (exit 1)', function () {
    if (existsSync('/sys/kernel/config/usb_gadget') && spawnSync('ls', ['/sys/class/udc']).stdout.length) this.skip();
    const r = spawnSync(process.execPath, [cli, 'gadget', '--sim', 'stm32f103'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^bmp-gdbserver: (no \/sys\/kernel\/config\/usb_gadget: load libcomposite|no USB device controller in \/sys\/class\/udc).* \[ENOTSUP\]\n$/);
  });

  it('usage errors: an unknown profile, --probe, --udc outside gadget (exit 2)', () => {
    for (const args of [['gadget', '--sim', 'nosuch'], ['gadget', '--probe', 'X'], ['--udc', 'dummy_udc.0']]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
    }
  });

  it('--udev-rules prints the shipped udev/60-bmp-gdbserver.rules', () => {
    const r = spawnSync(process.execPath, [cli, '--udev-rules'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, readFileSync(`${root}udev/60-bmp-gdbserver.rules`, 'utf8'));
    assert.match(r.stdout, /ATTR\{idVendor\}=="1d50", ATTR\{idProduct\}=="6018"/);
  });

  it('--list without /sys/bus/usb says so in one line, and lists the simulated targets', function () {
    if (existsSync('/sys/bus/usb')) this.skip();
    const r = spawnSync(process.execPath, [cli, '--list'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /stm32f407/);
    assert.equal(r.stdout.match(/No USB here \(no \/sys\/bus\/usb[^\n]*--sim\.\n/g)?.length, 1);
  });

  it('FunctionFS blocks: v2 descriptors (FS and HS: a vendor interface, bulk OUT then IN), MS OS compat ID, strings', () => {
    const d = functionFsDescriptors();
    assert.equal(d.readUInt32LE(0), 3); // FUNCTIONFS_DESCRIPTORS_MAGIC_V2
    assert.equal(d.readUInt32LE(4), d.length);
    assert.equal(d.readUInt32LE(8), 1 | 2 | 8); // FS, HS, MS OS descriptors
    assert.deepEqual([d.readUInt32LE(12), d.readUInt32LE(16), d.readUInt32LE(20)], [3, 3, 1]);
    let at = 24;
    for (const size of [64, 512]) {
      assert.deepEqual([...d.subarray(at, at + 9)], [9, 4, 0, 0, 2, 0xff, 0, 0, 1]);
      assert.deepEqual([...d.subarray(at + 9, at + 16)], [7, 5, 0x01, 2, size & 0xff, size >> 8, 0]);
      assert.deepEqual([...d.subarray(at + 16, at + 23)], [7, 5, 0x82, 2, size & 0xff, size >> 8, 0]);
      at += 23;
    }
    assert.equal(d.subarray(at + 11 + 2, at + 11 + 8).toString('latin1'), 'WINUSB');
    assert.equal(at + 11 + 24, d.length);
    const s = functionFsStrings('CMSIS-DAP v2');
    assert.deepEqual([s.readUInt32LE(0), s.readUInt32LE(4), s.readUInt32LE(8), s.readUInt32LE(12), s.readUInt16LE(16)], [2, s.length, 1, 1, 0x409]);
    assert.equal(s.subarray(18).toString('utf8'), 'CMSIS-DAP v2\0');
  });

  it('FunctionFS blocks: v1 descriptors (FS and HS: a HID interface, its class descriptor, interrupt IN then OUT, 64 bytes, every frame)', () => {
    const d = functionFsHidDescriptors();
    assert.equal(d.readUInt32LE(0), 3);
    assert.equal(d.readUInt32LE(4), d.length);
    assert.equal(d.readUInt32LE(8), 1 | 2); // FS and HS, no MS OS descriptors (HID needs no driver on Windows)
    assert.deepEqual([d.readUInt32LE(12), d.readUInt32LE(16)], [4, 4]);
    const report = hidReportDescriptor().length;
    let at = 20;
    for (let speed = 0; speed < 2; speed++) {
      assert.deepEqual([...d.subarray(at, at + 9)], [9, 4, 0, 0, 2, 3, 0, 0, 1]);
      assert.deepEqual([...d.subarray(at + 9, at + 18)], [9, 0x21, 0x11, 0x01, 0, 1, 0x22, report, 0]);
      assert.deepEqual([...d.subarray(at + 18, at + 25)], [7, 5, 0x81, 3, 64, 0, 1]);
      assert.deepEqual([...d.subarray(at + 25, at + 32)], [7, 5, 0x02, 3, 64, 0, 1]);
      at += 32;
    }
    assert.equal(at, d.length);
  });

  it('the v1 interface answers as the firmware: GET_DESCRIPTOR (report, HID) cut to wLength, GET_REPORT, GET/SET_IDLE; stalls the rest', () => {
    const state = { idle: 0 };
    const req = (requestType: number, request: number, value: number, length: number) => hidSetup({ requestType, request, value, index: 0, length }, state);
    assert.deepEqual(req(0x81, 6, 0x2200, 255), { data: hidReportDescriptor() });
    assert.deepEqual(req(0x81, 6, 0x2200, 9), { data: hidReportDescriptor().subarray(0, 9) });
    assert.deepEqual(req(0x81, 6, 0x2100, 9), { data: functionFsHidDescriptors().subarray(29, 38) });
    assert.equal(req(0x81, 6, 0x2300, 9), 'stall'); // physical descriptor: none
    assert.deepEqual(req(0xa1, 0x01, 0x0100, 64), { data: Buffer.alloc(64) }); // GET_REPORT, input: empty
    assert.equal(req(0xa1, 0x01, 0x0300, 64), 'stall'); // GET_REPORT of a feature report: none
    assert.deepEqual(req(0xa1, 0x02, 0, 1), { data: Buffer.from([0]) }); // GET_IDLE
    assert.equal(req(0x21, 0x0a, 0x7d00, 0), 'ack'); // SET_IDLE 500 ms
    assert.deepEqual(req(0xa1, 0x02, 0, 1), { data: Buffer.from([0x7d]) });
    assert.equal(req(0x21, 0x0a, 0, 1), 'stall'); // SET_IDLE with a data stage
    assert.equal(req(0x21, 0x09, 0x0200, 64), 'stall'); // SET_REPORT: requests come on interrupt OUT
    assert.equal(req(0x21, 0x0b, 0, 0), 'stall'); // SET_PROTOCOL: no boot protocol
    assert.equal(req(0xa1, 0x03, 0, 1), 'stall'); // GET_PROTOCOL
    assert.equal(req(0xc1, 0x01, 0, 1), 'stall'); // a vendor request
  });

  it('the HID report descriptor is the firmware\'s: vendor page, 64-byte input and output reports, no report ID', () => {
    const source = readFileSync(`${root}firmware/usb/usb_probe_desc.c`, 'utf8');
    const items = /static const uint8_t items\[\] = \{([\s\S]*?)\};/.exec(source)![1]
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => (t === 'USB_PROBE_HID_REPORT' ? 64 : Number(t)));
    assert.deepEqual([...hidReportDescriptor()], items);
  });
});

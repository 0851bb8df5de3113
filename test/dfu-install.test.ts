// The USB DFU installer (lib/firmware/dfu-install.ts) against the virtual DfuSe device: the
// DfuSe device core over a RAM model of each board's flash (lib/firmware/dfu-virtual.ts). Each
// bundled board image is written and read back; faults (a stall, errTARGET, errVERIFY,
// errCHECK_ERASED, a disconnect halfway) each stop the install with a clear error and a second
// run completes; images for another board, too large, or over the bootloader are refused before
// anything is erased; the probe is asked to reboot into its bootloader when it is the one
// attached. Time is virtual: the installer sleeps bwPollTimeout on the device's clock, and the
// device counts any request that comes early.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadDfuBoard, type DfuBoard } from '../lib/firmware/dfu-board.js';
import {
  DfuInstallError,
  installDfu,
  parseDfuConfiguration,
  parseDfuseLayout,
  type ControlSetup,
  type DfuProgress,
  type DfuUsbDevice,
} from '../lib/firmware/dfu-install.js';
import { ListSource, VirtualClock, VirtualDfuDevice } from '../lib/firmware/dfu-virtual.js';
import { crc32Gdb, loadFirmwareImage, makeDfuseFile, parseDfuseFile, readTrailer } from '../lib/firmware/dfuse-file.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const images = join(root, 'firmware', 'images');
const BOARDS = ['stlink3mini', 'devebox-stm32h743', 'devebox-stm32h750'];
const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function imageOf(board: string, kind: 'dfu' | 'bin' | 'hex'): Uint8Array {
  return new Uint8Array(readFileSync(join(images, `${board}.${kind}`)));
}

/** A device with "old firmware" in it: the bootloader's region and the application's filled with
 * patterns, so that what the install changes shows. */
function device(board: string, options: { receiver?: 'own' | 'st-rom'; tolerant?: boolean } = {}) {
  const clock = new VirtualClock();
  const dev = new VirtualDfuDevice({ board, receiver: options.receiver, manifestationTolerant: options.tolerant, clock });
  const b = dev.board;
  if (b.bootloader) dev.writeFlash(b.bootloader.base, new Uint8Array(b.bootloader.size).fill(0xb0));
  dev.writeFlash(b.app.base, new Uint8Array(b.app.size).fill(0x5a));
  return { dev, clock, b };
}

function snapshot(dev: VirtualDfuDevice): Uint8Array {
  return dev.readFlash(dev.board.flash.base, dev.board.flash.size);
}

/** Checks the flash after a complete install of `image` (its bytes at the application's base). */
function assertInstalled(dev: VirtualDfuDevice, image: Uint8Array, before: Uint8Array) {
  const b = dev.board;
  assert.deepEqual(dev.readFlash(b.app.base, image.length), image, 'the application region holds the image');
  const after = snapshot(dev);
  const off = (a: number) => a - b.flash.base;
  // Only the sectors the image covers changed: erased past the image, old contents beyond.
  const end = b.app.base + image.length;
  for (const s of b.flash.sectors) {
    const bytes = after.subarray(off(s.base), off(s.base) + s.size);
    const old = before.subarray(off(s.base), off(s.base) + s.size);
    if (s.base >= end || s.base + s.size <= b.app.base) {
      assert.deepEqual(bytes, old, `the sector ${hex32(s.base)} is untouched`);
    } else if (s.base + s.size > end) {
      assert.ok(bytes.subarray(end - s.base).every((x) => x === 0xff), `the rest of the sector ${hex32(s.base)} is erased`);
    }
  }
  if (b.bootloader) {
    const boot = after.subarray(off(b.bootloader.base), off(b.bootloader.base) + b.bootloader.size);
    assert.ok(boot.every((x) => x === 0xb0), "the bootloader's region is unchanged");
  }
  assert.equal(dev.state.outside, 0, 'no erase or program outside the region');
}

describe('DFU installer', function () {
  before(function () {
    if (!BOARDS.every((b) => existsSync(join(images, `${b}.dfu`)))) this.skip(); // npm run firmware makes them
  });

  describe('files and descriptors', () => {
    it('each bundled .dfu parses (prefix, target, element at the application base, suffix, CRC) and carries the trailer', () => {
      for (const name of BOARDS) {
        const board = loadDfuBoard(name);
        const dfu = parseDfuseFile(imageOf(name, 'dfu'));
        assert.equal(dfu.targets.length, 1);
        assert.equal(dfu.targets[0].name, 'Internal Flash');
        assert.equal(dfu.targets[0].elements[0].address, board.app.base);
        assert.deepEqual(dfu.targets[0].elements[0].data, imageOf(name, 'bin'));
        assert.deepEqual([dfu.suffix.idVendor, dfu.suffix.idProduct], [board.dfu.vid, board.dfu.pid]);
        const trailer = readTrailer(imageOf(name, 'bin'));
        assert.ok(trailer, `${name}: a trailer`);
        assert.equal(trailer.boardTag, board.tag);
        assert.ok(trailer.crcMatches);
        assert.equal(trailer.offset + 16, imageOf(name, 'bin').length);
        const hex = loadFirmwareImage(imageOf(name, 'hex'), { name: `${name}.hex` });
        assert.equal(hex.address, board.app.base);
        assert.deepEqual(hex.data, imageOf(name, 'bin'));
      }
    });

    it('a damaged .dfu is refused by its CRC; makeDfuseFile round-trips', () => {
      const file = imageOf('stlink3mini', 'dfu');
      file[400] ^= 1;
      assert.throws(() => parseDfuseFile(file), /CRC/);
      const made = makeDfuseFile([{ alternate: 0, name: 'x', elements: [{ address: 0x08008000, data: new Uint8Array([1, 2, 3]) }] }], { vid: 0x1d50, pid: 0x6017 });
      const back = parseDfuseFile(made);
      assert.deepEqual(back.targets[0].elements[0].data, new Uint8Array([1, 2, 3]));
      assert.equal(back.targets[0].name, 'x');
      assert.equal(crc32Gdb(new TextEncoder().encode('123456789')), 0x0376e6e7);
    });

    it('layout strings: ours, and ST ROM ones', () => {
      const ours = parseDfuseLayout('@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg');
      assert.equal(ours.name, 'Application');
      assert.deepEqual(ours.segments.map((s) => [s.base, s.count, s.size]), [[0x08008000, 2, 16384], [0x08010000, 1, 65536], [0x08020000, 3, 131072]]);
      const st = parseDfuseLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg');
      assert.equal(st.segments.length, 3);
      const ob = parseDfuseLayout('@Option Bytes  /0x1FFFC000/01*016 e');
      assert.deepEqual([ob.segments[0].readable, ob.segments[0].erasable, ob.segments[0].writable], [true, false, true]);
      assert.throws(() => parseDfuseLayout('Internal Flash'), /layout/);
      assert.throws(() => parseDfuseLayout('@x/0x0800/04*016Kz'), /sectors/);
    });

    it("the virtual bootloader's descriptors: DFU-mode interface, functional descriptor, the layout from the board", async () => {
      const { dev } = device('stlink3mini');
      await dev.open();
      const setup: ControlSetup = { requestType: 'standard', recipient: 'device', request: 6, value: 0x0200, index: 0 };
      const r = await dev.controlTransferIn(setup, 255);
      const config = new Uint8Array(r.data!.buffer, r.data!.byteOffset, r.data!.byteLength);
      const [intf] = parseDfuConfiguration(config);
      assert.equal(intf.interfaceNumber, 0);
      assert.equal(intf.alternate, 0);
      assert.equal(intf.functional.dfuVersion, 0x011a);
      assert.equal(intf.functional.transferSize, 2048);
      assert.ok(intf.functional.canDownload && intf.functional.canUpload && intf.functional.willDetach);
      assert.ok(!intf.functional.manifestationTolerant);
      assert.equal(dev.native.altString(), '@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg');
      assert.equal(new VirtualDfuDevice({ board: 'devebox-stm32h743' }).native.altString(), '@Application /0x08020000/15*128Kg');
      assert.equal(new VirtualDfuDevice({ board: 'devebox-stm32h750' }).native.altString(), '@Internal Flash  /0x08000000/01*128Kg');
    });
  });

  describe('bootloader images', () => {
    it("each board with a bootloader of its own has one: at the flash base, inside its region, vectors in place, the trailer sealed", () => {
      const manifest = JSON.parse(readFileSync(join(images, 'manifest.json'), 'utf8'));
      for (const name of BOARDS) {
        const board = loadDfuBoard(name);
        const entry = manifest.boards.find((e: { board: string }) => e.board === name);
        if (!board.bootloader) {
          assert.equal(entry.bootloaderImage, undefined, `${name} has none`);
          assert.ok(!existsSync(join(images, `${name}-bootloader.bin`)));
          continue;
        }
        const bin = new Uint8Array(readFileSync(join(images, `${name}-bootloader.bin`)));
        assert.ok(bin.length <= board.bootloader.size, `${name}: the bootloader fits its ${board.bootloader.size} bytes`);
        const v = new DataView(bin.buffer, bin.byteOffset);
        const sp = v.getUint32(0, true);
        const reset = v.getUint32(4, true);
        assert.ok(sp > board.ram.base && sp <= board.ram.base + board.ram.size, 'initial SP in the RAM');
        assert.equal(reset & 1, 1, 'Thumb');
        assert.ok((reset & ~1) >= board.bootloader.base && (reset & ~1) < board.bootloader.base + bin.length, 'reset inside the bootloader');
        const trailer = readTrailer(bin);
        assert.ok(trailer && trailer.crcMatches && trailer.boardTag === board.tag, `${name}: the bootloader's trailer`);
        const hex = loadFirmwareImage(imageOf(`${name}-bootloader`, 'hex'), { name: 'x.hex' });
        assert.equal(hex.address, board.bootloader.base);
        assert.deepEqual(hex.data, bin);
        assert.equal(Number.parseInt(entry.bootloaderImage.base, 16), board.bootloader.base);
        assert.equal(entry.bootloaderImage.files.bin.bytes, bin.length);
        // Installable without SWD only where ST's ROM DFU is on the board's connector.
        const dfuPath = join(images, `${name}-bootloader.dfu`);
        assert.equal(existsSync(dfuPath), board.stRom !== null, `${name}: a .dfu for ST's ROM`);
        if (board.stRom) {
          const dfu = parseDfuseFile(new Uint8Array(readFileSync(dfuPath)));
          assert.deepEqual([dfu.suffix.idVendor, dfu.suffix.idProduct], [0x0483, 0xdf11]);
          assert.equal(dfu.targets[0].elements[0].address, board.bootloader.base);
          assert.deepEqual(dfu.targets[0].elements[0].data, bin);
        }
      }
    });
  });

  describe('installs each bundled image', () => {
    for (const name of BOARDS) {
      it(`${name}: the .dfu through its DFU device, read back, left; the bootloader would start it`, async () => {
        const { dev, clock, b } = device(name);
        const before = snapshot(dev);
        assert.notEqual(dev.bootDecision(), 'application');
        const phases: DfuProgress[] = [];
        const result = await installDfu({
          board: name,
          image: join(images, `${name}.dfu`),
          source: new ListSource([dev]),
          sleep: clock.sleep,
          onProgress: (p) => phases.push(p),
        });
        const bin = imageOf(name, 'bin');
        assertInstalled(dev, bin, before);
        assert.equal(result.bytes, bin.length);
        assert.ok(result.verified && result.left);
        assert.equal(result.device.receiver, b.dfu.receiver);
        assert.equal(dev.state.left, true, 'the device left DFU mode');
        assert.equal(dev.bootDecision(), 'application');
        assert.equal(dev.earlyRequests, 0, 'every bwPollTimeout was honoured');
        const smallest = Math.min(...b.flash.sectors.map((x) => x.size));
        assert.ok(clock.now >= (result.sectorsErased * smallest * b.flash.timing.eraseMsPerKiB) / 1024, 'the erase times were waited for');
        const order = [...new Set(phases.map((p) => p.phase))];
        assert.deepEqual(order, ['image', 'find', 'erase', 'download', 'verify', 'leave', 'done']);
        const last = phases.filter((p) => p.phase === 'download').at(-1)!;
        assert.equal(last.done, bin.length);
        assert.equal(last.total, bin.length);
      });
    }

    it('stlink3mini from the .bin and from the .hex', async () => {
      for (const kind of ['bin', 'hex'] as const) {
        const { dev, clock } = device('stlink3mini');
        const before = snapshot(dev);
        await installDfu({ board: 'stlink3mini', image: join(images, `stlink3mini.${kind}`), source: new ListSource([dev]), sleep: clock.sleep });
        assertInstalled(dev, imageOf('stlink3mini', 'bin'), before);
      }
    });

    it("devebox-stm32h743 through ST's ROM bootloader: all of the flash offered, only the application's sectors erased", async () => {
      const { dev, clock } = device('devebox-stm32h743', { receiver: 'st-rom' });
      assert.deepEqual([dev.vendorId, dev.productId], [0x0483, 0xdf11]);
      const before = snapshot(dev);
      const result = await installDfu({ board: 'devebox-stm32h743', image: join(images, 'devebox-stm32h743.dfu'), source: new ListSource([dev]), sleep: clock.sleep });
      assert.equal(result.device.receiver, 'st-rom');
      assertInstalled(dev, imageOf('devebox-stm32h743', 'bin'), before);
    });

    it('a manifestation-tolerant device is reset at the end', async () => {
      const { dev, clock } = device('stlink3mini', { tolerant: true });
      await installDfu({ board: 'stlink3mini', image: join(images, 'stlink3mini.dfu'), source: new ListSource([dev]), sleep: clock.sleep });
      assert.equal(dev.state.left, false);
      assert.equal(dev.state.stateName, 'dfuIDLE');
      assert.equal(dev.bootDecision(), 'application');
    });
  });

  describe('faults: a clear error, nothing reported done that is not, and a second run completes', () => {
    const cases: { fault: 'stall' | 'errTARGET' | 'errVERIFY' | 'errCHECK_ERASED' | 'disconnect'; at: number; match: RegExp; code: string }[] = [
      { fault: 'stall', at: 5, match: /stalled DFU_DNLOAD|stalled/, code: 'EPROBE' },
      { fault: 'errTARGET', at: 7, match: /errTARGET/, code: 'EFLASH' },
      { fault: 'errVERIFY', at: 3, match: /errVERIFY/, code: 'EVERIFY' },
      { fault: 'errCHECK_ERASED', at: 2, match: /errCHECK_ERASED/, code: 'EFLASH' },
      { fault: 'disconnect', at: 12, match: /went away/, code: 'ENOPROBE' },
    ];
    for (const c of cases) {
      it(`${c.fault}`, async () => {
        const { dev, clock } = device('stlink3mini');
        const before = snapshot(dev);
        const bin = imageOf('stlink3mini', 'bin');
        dev.inject(c.fault, c.at);
        let progressDone = false;
        const error = await installDfu({
          board: 'stlink3mini',
          image: join(images, 'stlink3mini.dfu'),
          source: new ListSource([dev]),
          sleep: clock.sleep,
          onProgress: (p) => (progressDone ||= p.phase === 'done'),
        }).then(
          () => assert.fail('the install should fail'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof DfuInstallError, String(error));
        assert.match(error.message, c.match);
        assert.equal(error.code, c.code);
        assert.equal(error.flashUnchanged, false);
        assert.ok(error.bytesWritten < bin.length, 'not everything was written');
        assert.match(error.message, /Run the install again/);
        assert.ok(!progressDone, 'no "done" was reported');
        assert.notEqual(dev.bootDecision(), 'application', 'the bootloader would stay in DFU mode');
        if (c.fault === 'disconnect') dev.reconnect(); // plugged in again
        await installDfu({ board: 'stlink3mini', image: join(images, 'stlink3mini.dfu'), source: new ListSource([dev]), sleep: clock.sleep });
        assertInstalled(dev, bin, before);
        assert.equal(dev.bootDecision(), 'application');
      });
    }
  });

  describe('refused before anything is erased', () => {
    async function refused(board: string, image: Uint8Array, name: string, match: RegExp, dev?: VirtualDfuDevice) {
      const d = dev ?? device(board).dev;
      const before = snapshot(d);
      const error = await installDfu({ board, image, name, source: new ListSource([d]), sleep: d.clock.sleep }).then(
        () => assert.fail('the install should be refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DfuInstallError, String(error));
      assert.equal(error.code, 'EIMAGE');
      assert.match(error.message, match);
      assert.match(error.message, /Nothing was erased/);
      assert.equal(error.flashUnchanged, true);
      assert.deepEqual(snapshot(d), before, 'the flash is unchanged');
      assert.equal(d.state.erases + d.state.programs, 0);
      return d;
    }

    it('an image for another board (by its .dfu suffix, by its trailer)', async () => {
      let d = await refused('stlink3mini', imageOf('devebox-stm32h750', 'dfu'), 'devebox-stm32h750.dfu', /suffix names 0483:df11/);
      assert.equal(d.log.length, 0, 'the device was not even asked');
      // The H743's image carries the same DFU VID:PID; its address and its trailer say otherwise.
      d = await refused('stlink3mini', imageOf('devebox-stm32h743', 'dfu'), 'devebox-stm32h743.dfu', /starts at 0x08020000/);
      assert.equal(d.log.length, 0);
      const bin = imageOf('devebox-stm32h743', 'bin');
      d = await refused('stlink3mini', bin, 'devebox-stm32h743.bin', /another board/);
      assert.equal(d.log.length, 0);
    });

    it('an image too large for the application region', async () => {
      const board = loadDfuBoard('stlink3mini');
      const big = sealed(board, board.app.size + 1024);
      await refused('stlink3mini', big, 'big.bin', /holds 491520/);
    });

    it("an image over the bootloader's region", async () => {
      const board = loadDfuBoard('stlink3mini');
      const dfu = makeDfuseFile([{ alternate: 0, name: 'Internal Flash', elements: [{ address: 0x08000000, data: sealed(board, 0x10000) }] }], board.dfu);
      await refused('stlink3mini', dfu, 'over-bootloader.dfu', /overlaps the bootloader/);
    });

    it('a damaged image (trailer CRC), and one without a trailer', async () => {
      const bin = imageOf('stlink3mini', 'bin');
      bin[0x200] ^= 0xff;
      await refused('stlink3mini', bin, 'damaged.bin', /CRC does not match/);
      await refused('stlink3mini', new Uint8Array(4096).fill(0x11), 'foreign.bin', /no image trailer/);
    });

    it("a DFU device whose layout does not hold the image (another board's bootloader, same VID:PID)", async () => {
      // The H743's bootloader answers to 1d50:6017 as the STLINK-V3MINI's does; its layout has no
      // flash at 0x08008000.
      const { dev } = device('devebox-stm32h743');
      const error = await installDfu({ board: 'stlink3mini', image: join(images, 'stlink3mini.dfu'), source: new ListSource([dev]), sleep: dev.clock.sleep }).then(
        () => assert.fail('refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DfuInstallError);
      assert.match(error.message, /has no flash for all of 0x08008000/);
      assert.match(error.message, /Nothing was erased/);
      assert.equal(dev.state.erases + dev.state.programs, 0);
    });
  });

  describe('finding the device', () => {
    it('asks a probe running this firmware to reboot into its bootloader, then waits for it', async () => {
      const board = loadDfuBoard('stlink3mini');
      const { dev, clock } = device('stlink3mini');
      const source = new ListSource();
      const requests: ControlSetup[] = [];
      const probe = fakeProbe(board, async (setup) => {
        requests.push(setup);
        source.devices = []; // the probe resets...
        setTimeout(() => (source.devices = [dev]), 0); // ...and its bootloader enumerates
      });
      source.devices = [probe];
      const phases: string[] = [];
      const result = await installDfu({
        board: 'stlink3mini',
        image: join(images, 'stlink3mini.dfu'),
        source,
        sleep: (ms) => new Promise((done) => setTimeout(done, Math.min(ms, 5))),
        onProgress: (p) => phases.push(p.phase),
      });
      assert.deepEqual(requests, [{ requestType: 'vendor', recipient: 'device', request: 0x02, value: 0, index: 0 }]);
      assert.ok(phases.includes('reboot'));
      assert.ok(result.verified);
      void clock;
    });

    it('no DFU device and no probe: says how to enter DFU mode', async () => {
      for (const [name, hint] of [['stlink3mini', /bootloaderPin|PC1|boot-request/], ['devebox-stm32h750', /BOOT0/]] as const) {
        const error = await installDfu({ board: name, image: join(images, `${name}.dfu`), source: new ListSource([]), sleep: async () => {} }).then(
          () => assert.fail('no device'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof DfuInstallError);
        assert.equal(error.code, 'ENOPROBE');
        assert.match(error.message, hint);
        assert.equal(error.flashUnchanged, true);
      }
    });

    it('a probe that never comes back as a DFU device: a time-out, nothing erased', async () => {
      const board = loadDfuBoard('stlink3mini');
      const source = new ListSource();
      source.devices = [fakeProbe(board, async () => void (source.devices = []))];
      const error = await installDfu({ board: 'stlink3mini', image: join(images, 'stlink3mini.dfu'), source, rebootTimeoutMs: 1000, sleep: async () => {} }).then(
        () => assert.fail('no DFU device'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DfuInstallError);
      assert.equal(error.code, 'ETIMEDOUT');
      assert.equal(error.flashUnchanged, true);
    });
  });
});

/** An image of `length` bytes for `board` with a valid trailer (vector table and all). */
function sealed(board: DfuBoard, length: number): Uint8Array {
  const image = new Uint8Array(length).fill(0x33);
  const v = new DataView(image.buffer);
  const offset = length - 16;
  v.setUint32(0, board.ram.base + board.ram.size, true);
  v.setUint32(4, board.app.base + 0x201, true);
  v.setUint32(28, offset, true);
  v.setUint32(offset, 0x54504d42, true);
  v.setUint32(offset + 4, offset, true);
  v.setUint32(offset + 8, board.tag, true);
  v.setUint32(offset + 12, crc32Gdb(image.subarray(0, offset + 12)), true);
  return image;
}

/** The probe's application as node-usb would show it; `onDfu` is called for the DFU request. */
function fakeProbe(board: DfuBoard, onDfu: (setup: ControlSetup) => Promise<void>): DfuUsbDevice {
  const none = async () => {};
  return {
    vendorId: board.probe.vid,
    productId: board.probe.pid,
    productName: board.probe.product,
    serialNumber: '0123456789ABCDEF01234567',
    opened: false,
    configuration: { configurationValue: 1 },
    open: none,
    close: none,
    selectConfiguration: none,
    claimInterface: none,
    releaseInterface: none,
    selectAlternateInterface: none,
    reset: none,
    controlTransferIn: async () => ({ status: 'stall' as const }),
    controlTransferOut: async (setup: ControlSetup) => {
      if (setup.requestType === 'vendor' && setup.request === 0x02) {
        await onDfu(setup);
        return { status: 'ok' as const, bytesWritten: 0 };
      }
      return { status: 'stall' as const, bytesWritten: 0 };
    },
  };
}

/**
 * dfu-util 0.11 from Debian, an independent DfuSe client, drives the project's DfuSe device core
 * through a libusb stand-in (test/interop/standins/libusb_dfu.c) that links the core and the
 * virtual device's flash model, the flash kept in a file between runs. It lists the device and
 * its layout, writes each board's image with `-s <base>:leave -D`, and reads it back with `-U`;
 * faults each fail the run with the device's error, and a second run completes; a client that
 * forces writes over the bootloader is refused by the device.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { loadDfuBoard, type DfuBoard } from '../../lib/firmware/dfu-board.js';
import { buildStandins, root } from './helpers.js';

const images = join(root, 'firmware', 'images');
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

interface Rig {
  board: DfuBoard;
  dir: string;
  flashFile: string;
  config: (extra?: Record<string, string | number>) => string;
}

/** A stand-in configuration for the board's DFU receiver, and its flash file with patterns in
 * the bootloader's (0xB0) and the application's (0x5A) regions. Erase times are cut to a few
 * milliseconds so that dfu-util's waits stay short. */
function rig(name: string, work: string): Rig {
  const board = loadDfuBoard(name);
  const dir = mkdtempSync(join(work, `${name}-`));
  const own = board.dfu.receiver === 'own';
  const region = own ? board.app : { base: board.flash.base, size: board.flash.size };
  const groups: { count: number; size: number }[] = [];
  for (const s of board.flash.sectors.filter((x) => x.base >= region.base && x.base < region.base + region.size)) {
    const last = groups.at(-1);
    if (last && last.size === s.size) last.count++;
    else groups.push({ count: 1, size: s.size });
  }
  const flash = new Uint8Array(board.flash.size).fill(0x5a);
  if (board.bootloader) flash.fill(0xb0, board.bootloader.base - board.flash.base, board.bootloader.base - board.flash.base + board.bootloader.size);
  const flashFile = join(dir, 'flash.bin');
  writeFileSync(flashFile, flash);
  const config = (extra: Record<string, string | number> = {}) => {
    const values: Record<string, string | number> = {
      vid: board.dfu.vid,
      pid: board.dfu.pid,
      manufacturer: own ? 'bmp-gdbserver' : 'STMicroelectronics',
      product: own ? `bmp-gdbserver DFU (${board.title})` : 'DFU in FS Mode',
      serial: '0123456789ABCDEF01234567',
      high_speed: own && board.family === 'stm32f72x' ? 1 : 0,
      name: own ? 'Application' : 'Internal Flash ',
      base: region.base,
      sectors: groups.map((g) => `${g.count}*${g.size}*${g.size >= 131072 ? 8 : 3}`).join(','),
      transfer_size: 2048,
      program_unit: board.flash.timing.programUnit,
      program_ms_per_kib: 1,
      attributes: 0x0b,
      flash_base: board.flash.base,
      flash_size: board.flash.size,
      flash_file: flashFile,
      state_file: join(dir, 'state.bin'),
      log_file: join(dir, 'log.txt'),
      ...extra,
    };
    const file = join(dir, 'config');
    writeFileSync(file, Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    return file;
  };
  return { board, dir, flashFile, config };
}

function dfuUtil(dfuLibs: string, config: string, args: string[]): { status: number; out: string } {
  const r = spawnSync('dfu-util', args, {
    env: { ...process.env, LD_LIBRARY_PATH: dfuLibs, BMP_DFU_CONFIG: config },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function flashOf(r: Rig): Uint8Array {
  return new Uint8Array(readFileSync(r.flashFile));
}

/** The image at the application's base, the bootloader's pattern intact, nothing else changed
 * outside the sectors the image covers. */
function assertWritten(r: Rig, image: Uint8Array) {
  const { board } = r;
  const flash = flashOf(r);
  const at = board.app.base - board.flash.base;
  assert.deepEqual(flash.subarray(at, at + image.length), image, 'the image is in flash');
  if (board.bootloader) {
    const b = board.bootloader.base - board.flash.base;
    assert.ok(flash.subarray(b, b + board.bootloader.size).every((x) => x === 0xb0), "the bootloader's region is unchanged");
  }
  const end = board.app.base + image.length;
  for (const s of board.flash.sectors.filter((x) => x.base >= end)) {
    const o = s.base - board.flash.base;
    assert.ok(flash.subarray(o, o + s.size).every((x) => x === 0x5a), `the sector ${hex(s.base)} past the image is untouched`);
  }
}

describe('dfu-util drives the DfuSe device core', function () {
  this.timeout(120_000);
  let dfuLibs = '';
  let work = '';

  before(function () {
    if (spawnSync('dfu-util', ['--version']).status !== 0) this.skip();
    if (!existsSync(join(images, 'stlink3mini.bin'))) this.skip(); // npm run firmware makes them
    dfuLibs = join(dirname(buildStandins()), 'dfu');
    work = mkdtempSync(join(tmpdir(), 'bmp-dfu-util-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const name of ['stlink3mini', 'devebox-stm32h743', 'devebox-stm32h750']) {
    it(`${name}: dfu-util -l shows the layout; -s <base>:leave -D writes the .bin; -U reads it back`, () => {
      const r = rig(name, work);
      const config = r.config();
      const list = dfuUtil(dfuLibs, config, ['-l']);
      assert.equal(list.status, 0, list.out);
      const id = `${r.board.dfu.vid.toString(16).padStart(4, '0')}:${r.board.dfu.pid.toString(16).padStart(4, '0')}`;
      const layout =
        r.board.dfu.receiver === 'own'
          ? { stlink3mini: '@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg', 'devebox-stm32h743': '@Application /0x08020000/15*128Kg' }[name]
          : '@Internal Flash  /0x08000000/01*128Kg';
      assert.ok(list.out.includes(`Found DFU: [${id}]`), list.out);
      assert.ok(list.out.includes(`alt=0, name="${layout}"`), list.out);

      const bin = join(images, `${name}.bin`);
      const image = new Uint8Array(readFileSync(bin));
      const down = dfuUtil(dfuLibs, config, ['-a', '0', '-s', `${hex(r.board.app.base)}:leave`, '-D', bin]);
      assert.equal(down.status, 0, down.out);
      assert.match(down.out, /File downloaded successfully/);
      assert.match(down.out, /Transitioning to dfuMANIFEST state/);
      assertWritten(r, image);
      assert.match(readFileSync(join(r.dir, 'log.txt'), 'utf8'), /dfuMANIFEST-WAIT-RESET/);

      const back = join(r.dir, 'back.bin');
      const up = dfuUtil(dfuLibs, config, ['-a', '0', '-s', `${hex(r.board.app.base)}:${image.length}`, '-U', back]);
      assert.equal(up.status, 0, up.out);
      assert.deepEqual(new Uint8Array(readFileSync(back)), image, 'dfu-util reads the image back');
    });
  }

  it('devebox-stm32h750: the .dfu, matched by its suffix (0483:df11), with -D alone', () => {
    const r = rig('devebox-stm32h750', work);
    const down = dfuUtil(dfuLibs, r.config(), ['-a', '0', '-D', join(images, 'devebox-stm32h750.dfu')]);
    assert.equal(down.status, 0, down.out);
    assert.match(down.out, /Match vendor ID from file: 0483/);
    assertWritten(r, new Uint8Array(readFileSync(join(images, 'devebox-stm32h750.bin'))));
  });

  const faults: { fault: string; at: number; says: RegExp }[] = [
    { fault: 'stall', at: 4, says: /Error during download/ },
    { fault: 'errTARGET', at: 5, says: /dfuERROR, status\(1\)/ },
    { fault: 'errVERIFY', at: 3, says: /dfuERROR, status\(7\)/ },
    { fault: 'errCHECK_ERASED', at: 2, says: /ERASE_PAGE not correctly executed/ },
    { fault: 'disconnect', at: 10, says: /Error during download/ },
  ];
  for (const f of faults) {
    it(`${f.fault}: dfu-util fails with the device's error and does not say it is done; the next run completes`, () => {
      const r = rig('stlink3mini', work);
      const bin = join(images, 'stlink3mini.bin');
      const image = new Uint8Array(readFileSync(bin));
      const args = ['-a', '0', '-s', `${hex(r.board.app.base)}:leave`, '-D', bin];
      const first = dfuUtil(dfuLibs, r.config({ fault: f.fault, fault_at: f.at }), args);
      assert.notEqual(first.status, 0, first.out);
      assert.match(first.out, f.says);
      assert.doesNotMatch(first.out, /File downloaded successfully|Transitioning to dfuMANIFEST/);
      const at = r.board.app.base - r.board.flash.base;
      assert.notDeepEqual(flashOf(r).subarray(at, at + image.length), image, 'the image is not all there');
      // The device stays plugged in (in dfuERROR after a device error); dfu-util clears it.
      const second = dfuUtil(dfuLibs, r.config(), args);
      assert.equal(second.status, 0, second.out);
      if (f.fault !== 'disconnect') assert.match(second.out, /DFU state\(10\) = dfuERROR[^\n]*\n(.*\n)?Clearing status/);
      assertWritten(r, image);
    });
  }

  it('a client that forces a write over the bootloader is refused by the device (errTARGET): the bootloader stays', () => {
    const r = rig('stlink3mini', work);
    const bin = join(images, 'stlink3mini.bin');
    const forced = dfuUtil(dfuLibs, r.config(), ['-a', '0', '-s', `${hex(r.board.flash.base)}:force`, '-D', bin]);
    assert.match(forced.out, /not correctly executed|errTARGET|status\(1\)/);
    const massErase = dfuUtil(dfuLibs, r.config(), ['-a', '0', '-s', `${hex(r.board.flash.base)}:mass-erase:force`, '-D', bin]);
    assert.match(massErase.out, /not correctly executed|errTARGET|status\(1\)/);
    const flash = flashOf(r);
    assert.ok(flash.subarray(0, r.board.bootloader!.size).every((x) => x === 0xb0), "the bootloader's region is unchanged");
    assert.match(readFileSync(join(r.dir, 'log.txt'), 'utf8'), /errTARGET/);
  });
});

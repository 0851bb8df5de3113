/**
 * Flash programming through the Target API on every simulated profile: ELF, Intel HEX and binary
 * images, the fast (on-target loader) and direct paths, mass erase, and the failure paths: locked
 * flash, an image outside flash, a transport failure in the middle.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { parseIntelHex, loadImage } from '../lib/image.js';
import type { SimProfileName } from '../lib/sim.js';
import { openProbe } from '../lib/target.js';
import { fixturePath, loadFixture, symbol } from './helpers/fixture.js';
import { Random } from './helpers/random.js';

/** `keyr`: the flash controller's key register (a wrong key locks it); `flash`: where the flash
 * starts (0x08000000 unless given); `bin`: where the fixture's BIN image starts (the flash's
 * start unless given). */
const profiles: { name: SimProfileName; keyr?: number; flash?: number; bin?: number }[] = [
  { name: 'stm32f103', keyr: 0x40022004 },
  { name: 'stm32f407', keyr: 0x40023c04 },
  { name: 'stm32h743', keyr: 0x52002004 },
  { name: 'stm32f723', keyr: 0x40023c04 },
  { name: 'stm32h750', keyr: 0x52002004 },
  { name: 'stm32g071', keyr: 0x40022008 },
  { name: 'stm32l476', keyr: 0x40022008 },
  { name: 'stm32f072', keyr: 0x40022004 },
  { name: 'stm32f303', keyr: 0x40022004 },
  { name: 'stm32f411', keyr: 0x40023c04 },
  { name: 'stm32f429', keyr: 0x40023c04 },
  { name: 'stm32g431', keyr: 0x40022008 },
  { name: 'nrf52840', flash: 0 }, // the NVMC has no key
  { name: 'rp2040', flash: 0x10000000, bin: 0x10000100 }, // QSPI flash through the boot ROM: no key; boot2's 256 bytes first
];

function fixtureFile(profile: string, ext: string): Uint8Array {
  return readFileSync(fixturePath(profile).replace(/\.elf$/, `.${ext}`));
}

async function attached(profile: SimProfileName, usb?: 'hid' | 'bulk') {
  const probe = await openProbe({ sim: profile, usb });
  const target = await probe.attach();
  return { probe, target, sim: probe.sim! };
}

/**
 * Resets the target and lets it run with the debugger detached (the fixture's semihosting call
 * then takes its no-debugger path): the loaded program's counter must increase. Returns a fresh
 * attachment.
 */
async function runsTheFixture(t: Awaited<ReturnType<typeof attached>>, profile: string) {
  const counter = symbol(loadFixture(profile), 'counter');
  await t.target.reset();
  await t.target.detach();
  t.sim.advance(2_000_000);
  const first = t.sim.busRead(counter, 4);
  t.sim.advance(2_000_000);
  assert.ok(t.sim.busRead(counter, 4) > first, 'the programmed firmware runs');
  t.target = await t.probe.attach();
}

describe('Flash programming (Target API)', function () {
  this.timeout(120_000);

  it('parses Intel HEX with extended linear addresses and checks checksums', () => {
    const segments = parseIntelHex(':020000040800F2\n:0400000001020304F2\n:0400100005060708D2\n:00000001FF\n');
    assert.deepEqual(segments.map((s) => [s.address, [...s.data]]), [
      [0x08000000, [1, 2, 3, 4]],
      [0x08000010, [5, 6, 7, 8]],
    ]);
    assert.throws(() => parseIntelHex(':0400000001020304F3\n:00000001FF\n'), { code: 'EIMAGE' });
    assert.throws(() => parseIntelHex(':0400000001020304F2\n'), { code: 'EIMAGE' });
    assert.throws(() => loadImage(new Uint8Array(16)), { code: 'EIMAGE' }); // binary without base
  });

  it('Intel HEX: records gather into blocks, a later record wins where two overlap, an offset wraps in its 64 KiB segment', () => {
    const record = (type: number, offset: number, data: number[]) => {
      const bytes = [data.length, offset >> 8, offset & 0xff, type, ...data];
      const sum = -bytes.reduce((a, b) => a + b, 0) & 0xff;
      return ':' + Buffer.from([...bytes, sum]).toString('hex').toUpperCase();
    };
    const text = [
      record(4, 0, [0x08, 0x00]),
      record(0, 0x0000, [1, 2, 3, 4]),
      record(0, 0x0004, [5, 6]), // continues the block
      record(0, 0x0002, [9]), // overlaps it: this one wins
      record(0, 0x0100, [7]),
      record(4, 0, [0x08, 0x01]),
      record(0, 0xfffe, [0xa, 0xb, 0xc, 0xd]), // wraps to the start of segment 0x0801
      record(1, 0, []),
    ].join('\n');
    assert.deepEqual(parseIntelHex(text).map((s) => [s.address, [...s.data]]), [
      [0x08000000, [1, 2, 9, 4, 5, 6]],
      [0x08000100, [7]],
      [0x08010000, [0xc, 0xd]],
      [0x0801fffe, [0xa, 0xb]],
    ]);
  });

  for (const { name, keyr, flash: flashBase = 0x08000000, bin: binBase = flashBase } of profiles) {
    describe(name, () => {
      it('programs the fixture from ELF, HEX and BIN; each runs; mass erase empties the flash', async function () {
        const t = await attached(name);
        const image = loadImage(fixtureFile(name, 'elf'));
        for (const [ext, base] of [['elf', undefined], ['hex', undefined], ['bin', binBase]] as const) {
          await t.target.eraseMass();
          assert.ok(t.sim.peek(flashBase, 64).every((b) => b === 0xff), 'erased');
          const progress: [number, number][] = [];
          await t.target.flash(fixtureFile(name, ext), { base, progress: (done, total) => progress.push([done, total]) });
          for (const s of image) assert.deepEqual(t.sim.peek(s.address, s.data.length), new Uint8Array(s.data), `${ext} at 0x${s.address.toString(16)}`);
          const [done, total] = progress[progress.length - 1];
          assert.equal(done, total, 'progress ends at the total');
          assert.ok(total >= image.reduce((n, s) => n + s.data.length, 0));
          await runsTheFixture(t, name);
        }
        await t.target.eraseMass();
        assert.ok(t.sim.peek(flashBase, 4096).every((b) => b === 0xff), 'mass erase empties the flash');
        await t.probe.close();
      });

      it('programs 96 KiB of random data through the loader and directly, and verifies', async () => {
        const t = await attached(name);
        const random = new Random(`flash 96 KiB ${name}`);
        const data = random.bytes(96 << 10);
        await t.target.flash([{ address: flashBase, data }]);
        assert.deepEqual(t.sim.peek(flashBase, data.length), data);
        const again = random.bytes(5000 + 3);
        await t.target.flash([{ address: flashBase + 0x18000 + 8, data: again }], { fast: false });
        assert.deepEqual(t.sim.peek(flashBase + 0x18008, again.length), again);
        assert.ok(t.sim.peek(flashBase + 0x18000, 8).every((b) => b === 0xff), 'the bytes before the image stay erased');
        await t.probe.close();
      });

      it('an image outside flash is refused before erasing; locked flash (a controller with keys) gives ELOCKED with a clear message', async () => {
        const t = await attached(name);
        await t.target.flash(fixtureFile(name, 'elf'));
        const before = t.sim.peek(flashBase, 256);
        const outside = [{ address: flashBase, data: new Uint8Array(16) }, { address: 0x20000000, data: new Uint8Array(16) }];
        await assert.rejects(t.target.flash(outside), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'ERANGE');
          assert.match(e.message, /outside the flash.*nothing was erased/);
          return true;
        });
        assert.deepEqual(t.sim.peek(flashBase, 256), before, 'nothing was erased');
        if (keyr === undefined) return t.probe.close();
        // A wrong key locks the controller until reset (and the bus faults on the write).
        await t.target.write32(keyr, 0x12345678).catch(() => {});
        await assert.rejects(t.target.flash(fixtureFile(name, 'elf')), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'ELOCKED');
          assert.match(e.message, /locked/);
          return true;
        });
        await t.probe.close();
      });
    });
  }

  it('a transport failure in the middle reports the error, and running it again completes and verifies', async () => {
    for (const usb of ['hid', 'bulk'] as const) {
      const t = await attached('stm32f407', usb);
      const data = new Random(`flash transport failure ${usb}`).bytes(128 << 10);
      // The target vanishes mid-way: after 3,000 more SWD transfers (of about 35,000).
      t.sim.injectFault('no-ack', 0, 3000);
      const progress: number[] = [];
      await assert.rejects(t.target.flash([{ address: 0x08000000, data }], { progress: (done) => progress.push(done) }), {
        code: 'ENOTARGET',
      });
      assert.ok(!progress.includes(data.length), 'not reported as done');
      t.sim.injectFault('clear');
      const target = await t.probe.attach();
      await target.flash([{ address: 0x08000000, data }]);
      assert.deepEqual(t.sim.peek(0x08000000, data.length), data);
      await t.probe.close();
    }
  });
});

import assert from 'node:assert/strict';

import { openProbe, type Probe } from '../lib/target.js';
import type { SimProfileName } from '../lib/sim.js';
import { installFixture, loadFixture, symbol } from './helpers/fixture.js';
import { Random } from './helpers/random.js';

const parts: {
  name: SimProfileName;
  core: string;
  idcode: number;
  sram: number;
  ramSize: number;
  fpu: boolean;
  flashSizeRegister: number;
}[] = [
  { name: 'stm32f103', core: 'Cortex-M3', idcode: 0x410, sram: 0x20000000, ramSize: 20 << 10, fpu: false, flashSizeRegister: 0x1ffff7e0 },
  { name: 'stm32f407', core: 'Cortex-M4', idcode: 0x413, sram: 0x20000000, ramSize: 128 << 10, fpu: true, flashSizeRegister: 0x1fff7a22 },
  { name: 'stm32h743', core: 'Cortex-M7', idcode: 0x450, sram: 0x24000000, ramSize: 512 << 10, fpu: true, flashSizeRegister: 0x1ff1e880 },
];

async function withFixture(name: SimProfileName, link: 'swd' | 'cmsis-dap', usb?: 'hid' | 'bulk'): Promise<Probe> {
  const probe = await openProbe({ sim: name, link, usb });
  installFixture(probe.sim!, loadFixture(name));
  probe.sim!.reset('system');
  probe.sim!.advance(1_000_000);
  return probe;
}

for (const link of ['swd', 'cmsis-dap'] as const) {
  describe(`Target API over ${link === 'swd' ? 'swd_link (simulated wire)' : 'cmsis_dap_link (virtual probe)'}`, () => {
    for (const part of parts) {
      describe(part.name, () => {
        it('scans the right part and core, and describes it for GDB', async () => {
          const probe = await withFixture(part.name, link);
          const [found] = await probe.swdScan();
          assert.equal(found.core, part.core);
          assert.equal(found.idcode & 0xfff, part.idcode);
          const target = await probe.attach();
          assert.match(await target.partName(), /^STM32/);
          const map = await target.memoryMap();
          const flash = map.filter((r) => r.type === 'flash');
          const flashBytes = flash.reduce((sum, r) => sum + r.length, 0);
          assert.equal(flashBytes, probe.sim!.busRead(part.flashSizeRegister, 2) * 1024);
          assert.ok(map.some((r) => r.type === 'ram' && r.start === part.sram && r.length === part.ramSize));
          // Peripherals and the PPB are device memory; system memory (IDs, options) is ROM.
          for (const at of [0x40000000, 0x5fffffff, 0xe000ed08]) {
            assert.ok(map.some((r) => r.type === 'device' && at >= r.start && at - r.start < r.length), `0x${at.toString(16)}`);
          }
          assert.ok(map.some((r) => r.type === 'rom' && part.flashSizeRegister >= r.start && part.flashSizeRegister - r.start < r.length));
          const xml = await target.memoryMapXml();
          assert.match(xml, /<memory type="flash" start="0x8000000"/);
          assert.match(xml, /<memory type="ram" start="0x40000000" length="0x20000000"\/>/);
          assert.match(xml, /<memory type="rom" start="0x1ff/);
          assert.match(xml, /<property name="blocksize">0x/);
          const description = await target.targetDescription();
          assert.match(description, /org\.gnu\.gdb\.arm\.m-profile/);
          assert.equal(/org\.gnu\.gdb\.arm\.vfp/.test(description), part.fpu);
          await probe.close();
        });

        it('round-trips memory of random lengths at random alignments across 1 KiB boundaries', async () => {
          const probe = await withFixture(part.name, link);
          const target = await probe.attach(1);
          await target.halt();
          const random = new Random(`target round trips ${part.name} ${link}`);
          for (let i = 0; i < 12; i++) {
            const length = 1 + random.below(8192);
            // below the fixture's stack at the top of RAM, above its variables at the bottom
            const addr = part.sram + 0x400 + random.below(part.ramSize - 0x1000 - 8192);
            const data = Buffer.from(random.bytes(length));
            await target.writeMemory(addr, data);
            assert.deepEqual(Buffer.from(await target.readMemory(addr, length)), data, `${length} bytes at 0x${addr.toString(16)}`);
          }
          await probe.close();
        });

        it('round-trips registers, steps, and stops at breakpoints and watchpoints with the reason', async () => {
          const image = loadFixture(part.name);
          const probe = await withFixture(part.name, link);
          const target = await probe.attach();
          assert.equal(target.hasFpu, part.fpu);
          await target.halt();
          assert.deepEqual(await target.haltReason(), { reason: 'request' });
          await target.writeRegister('r4', 0xdeadbeef);
          assert.equal(await target.readRegister('r4'), 0xdeadbeef);
          if (part.fpu) {
            await target.writeRegister('s7', 0x3f800000);
            assert.equal(await target.readRegister('s7'), 0x3f800000);
          } else {
            await assert.rejects(target.readRegister('s7'), { code: 'EINVAL' });
          }
          const regs = await target.readRegisters();
          assert.equal(regs.r4, 0xdeadbeef);
          assert.ok(Number.isInteger(regs.pc));

          const pc = await target.readRegister('pc');
          await target.step();
          assert.notEqual(await target.readRegister('pc'), pc);
          assert.deepEqual(await target.haltReason(), { reason: 'step' });

          const tick = symbol(image, 'fixture_tick') & ~1;
          await target.setBreakpoint(tick);
          await target.resume();
          assert.deepEqual(await target.waitForHalt({ timeout: 100 }), { reason: 'breakpoint' });
          assert.equal(await target.readRegister('pc'), tick);
          await target.clearBreakpoint(tick);

          const watched = symbol(image, 'watched');
          await target.setWatchpoint(watched, 4, 'write');
          await target.resume();
          assert.deepEqual(await target.waitForHalt({ timeout: 100 }), { reason: 'watchpoint', address: watched });
          await target.clearWatchpoint(watched, 4);

          await target.reset({ halt: true });
          assert.deepEqual(await target.haltReason(), { reason: 'vector-catch' });
          assert.equal(await target.readRegister('pc'), symbol(image, 'Reset_Handler') & ~1);
          const resets = probe.sim!.state().resetCount;
          await target.resume();
          await target.reset({ halt: true, pin: true });
          assert.equal(probe.sim!.state().resetCount, resets + 1);
          assert.deepEqual(await target.haltReason(), { reason: 'vector-catch' });
          await probe.close();
        });
      });
    }

  });
}

// Faults through every path, the pipelined USB models included (packets in flight when it fails).
const variants: { name: string; link: 'swd' | 'cmsis-dap'; usb?: 'hid' | 'bulk' }[] = [
  { name: 'swd_link', link: 'swd' },
  { name: 'the virtual probe in process', link: 'cmsis-dap' },
  { name: 'the virtual probe on full-speed HID', link: 'cmsis-dap', usb: 'hid' },
  { name: 'the virtual probe on high-speed bulk', link: 'cmsis-dap', usb: 'bulk' },
];
for (const variant of variants) {
  describe(`Fault recovery through ${variant.name}`, () => {
    it('a fault at a bad address gives EBUSFAULT and the session goes on', async () => {
      const probe = await withFixture('stm32f407', variant.link, variant.usb);
      const target = await probe.attach();
      await assert.rejects(target.readMemory(0x60000000, 16), { code: 'EBUSFAULT' });
      await target.write32(0x20000100, 0x12345678);
      assert.equal(await target.read32(0x20000100), 0x12345678);
      await assert.rejects(target.read32(0x20000102), { code: 'ERANGE' });
      await assert.rejects(target.readMemory(-1, 4), { code: 'ERANGE' });
      await assert.rejects(target.readRegister('r99'), { code: 'EINVAL' });
      await probe.close();
    });

    it('a WAIT storm and a target that disappears give clear errors, then the session recovers', async () => {
      const probe = await withFixture('stm32f103', variant.link, variant.usb);
      const target = await probe.attach();
      probe.sim!.injectFault('wait', 1000);
      await assert.rejects(target.read32(0x20000000), { code: 'ETIMEDOUT' });
      probe.sim!.injectFault('clear');
      assert.equal(typeof (await target.read32(0x20000000)), 'number');
      probe.sim!.injectFault('no-ack', 0);
      await assert.rejects(target.read32(0x20000000), { code: 'ENOTARGET' });
      probe.sim!.injectFault('clear');
      const again = await probe.attach(); // reconnect
      assert.equal(typeof (await again.read32(0x20000000)), 'number');
      await probe.close();
    });

    it('a 16 KiB round trip in SRAM matches', async () => {
      const probe = await withFixture('stm32f407', variant.link, variant.usb);
      const target = await probe.attach();
      await target.halt();
      const data = new Random(`target 16 KiB ${variant.link} ${variant.usb ?? ''}`).bytes(16 << 10);
      await target.writeMemory(0x20004001, data);
      assert.deepEqual(await target.readMemory(0x20004001, data.length), data);
      const stats = await probe.stats();
      if (variant.usb) assert.ok(stats.usbPackets! > 0 && stats.hostNs! > 0);
      await probe.close();
    });
  });
}

describe('Bit-banding through the Target API', () => {
  for (const name of ['stm32f103', 'stm32f407'] as const) {
    it(`${name}: a write to an SRAM alias word sets one bit, a read gives it back`, async () => {
      const probe = await withFixture(name, 'swd');
      const target = await probe.attach();
      await target.halt();
      const word = 0x20000800;
      const alias = (byte: number, bit: number) => 0x22000000 + (byte - 0x20000000) * 32 + bit * 4;
      await target.write32(word, 0x0000ff00);
      await target.write32(alias(word + 2, 3), 1);
      await target.write32(alias(word + 1, 0), 0xfffffffe);
      assert.equal(await target.read32(word), 0x0008fe00);
      assert.equal(await target.read32(alias(word + 2, 3)), 1);
      assert.equal(await target.read32(alias(word + 1, 0)), 0);
      await probe.close();
    });
  }

  it('stm32h743 (Cortex-M7) has no alias region', async () => {
    const probe = await withFixture('stm32h743', 'swd');
    const target = await probe.attach();
    await assert.rejects(target.read32(0x22000000), { code: 'EBUSFAULT' });
    await probe.close();
  });
});

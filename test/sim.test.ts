import assert from 'node:assert/strict';

import { BmpError } from '../lib/errors.js';
import { Ack, Sim, type SimProfileName } from '../lib/sim.js';
import { installFixture, loadFixture, symbol } from './helpers/fixture.js';
import { apRead32, apWrite32, powerUp, swdConnect } from './helpers/swd.js';

const profiles: { name: SimProfileName; dpidr: number; cpuid: number; dpv2: boolean; sram: number }[] = [
  { name: 'stm32f103', dpidr: 0x1ba01477, cpuid: 0x411fc231, dpv2: false, sram: 0x20000000 },
  { name: 'stm32f407', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'stm32h743', dpidr: 0x6ba02477, cpuid: 0x411fc271, dpv2: true, sram: 0x24000000 },
  { name: 'stm32f723', dpidr: 0x5ba02477, cpuid: 0x411fc270, dpv2: true, sram: 0x20000000 },
  { name: 'stm32h750', dpidr: 0x6ba02477, cpuid: 0x411fc271, dpv2: true, sram: 0x24000000 },
  { name: 'stm32g071', dpidr: 0x0bc11477, cpuid: 0x410cc601, dpv2: false, sram: 0x20000000 },
  { name: 'stm32l476', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'nrf52840', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'rp2040', dpidr: 0x0bc12477, cpuid: 0x410cc601, dpv2: true, sram: 0x20000000 },
  { name: 'stm32f072', dpidr: 0x0bb11477, cpuid: 0x410cc200, dpv2: false, sram: 0x20000000 },
  { name: 'stm32f303', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'stm32f411', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'stm32f429', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
  { name: 'stm32g431', dpidr: 0x2ba01477, cpuid: 0x410fc241, dpv2: false, sram: 0x20000000 },
];

describe('Sim (the simulated target from TypeScript)', () => {
  it('lists the profiles with their debug identities', () => {
    const list = Sim.profiles();
    assert.deepEqual(
      list.map((p) => [p.name, p.dpidr >>> 0, p.cpuid >>> 0]),
      profiles.map((p) => [p.name, p.dpidr, p.cpuid]),
    );
  });

  it('refuses an unknown profile with EPROFILE', () => {
    assert.throws(() => new Sim('stm32f999'), (e: unknown) => e instanceof BmpError && e.code === 'EPROFILE');
  });

  it('rejects bad arguments with codes and keeps working', () => {
    const sim = new Sim('stm32f103');
    assert.throws(() => sim.busRead(0x20000000, 3 as 4), { code: 'ERANGE' });
    assert.throws(() => sim.busRead(-4), { code: 'ERANGE' });
    assert.throws(() => sim.wireIn(33), { code: 'ERANGE' });
    assert.throws(() => sim.dpRead(false, 5), { code: 'ERANGE' });
    assert.throws(() => sim.reset('warm' as 'system'), { code: 'EINVAL' });
    assert.throws(() => sim.busRead(0x60000000), { code: 'EBUSFAULT' });
    assert.throws(() => sim.setClocks({ swdHz: 999 }), { code: 'ERANGE' });
    assert.throws(() => sim.setClocks({ coreHz: 2e9 }), { code: 'ERANGE' });
    assert.throws(() => sim.setClocks({ swdHz: 1e6 + 0.5 }), { code: 'ERANGE' });
    assert.throws(() => sim.setClocks({ swdHz: '4M' as unknown as number }), { code: 'EINVAL' });
    assert.throws(() => sim.load(0x20000000 + 0.5, new Uint8Array(1)), /addr must be an integer from 0 to 4294967295/);
    sim.busWrite(0x20000000, 0xcafef00d);
    assert.equal(sim.busRead(0x20000000), 0xcafef00d);
    sim.close();
    assert.throws(() => sim.busRead(0x20000000), { code: 'ECLOSED' });
  });

  for (const p of profiles) {
    describe(p.name, () => {
      it('answers DPIDR after an SWD connect on the bit-level wire', () => {
        const sim = new Sim(p.name);
        swdConnect(sim, p.dpv2);
        const r = sim.dpRead(false, 0x0);
        assert.equal(r.ack, Ack.OK);
        assert.equal(r.data >>> 0, p.dpidr);
        sim.close();
      });

      it('reads CPUID and round-trips SRAM through the MEM-AP', () => {
        const sim = new Sim(p.name);
        swdConnect(sim, p.dpv2);
        powerUp(sim);
        assert.equal(apRead32(sim, 0xe000ed00), p.cpuid);
        apWrite32(sim, p.sram + 0x100, 0x12345678);
        assert.equal(apRead32(sim, p.sram + 0x100), 0x12345678);
        sim.close();
      });

      it('runs the fixture firmware: its counter grows as virtual time passes', () => {
        const image = loadFixture(p.name);
        const sim = new Sim(p.name);
        installFixture(sim, image);
        sim.reset('system');
        const counter = symbol(image, 'counter');
        const read = () => new DataView(sim.peek(counter, 4).buffer).getUint32(0, true);
        sim.advance(1_000_000); // 1 ms
        const first = read();
        sim.advance(1_000_000);
        const second = read();
        assert.ok(first > 0, 'the counter started');
        assert.ok(second > first, `the counter moved on (${first} -> ${second})`);
        assert.ok(sim.state().nowPs >= 2_000_000_000n);
        sim.close();
      });
    });
  }

  it('read-out protection: level 1 keeps a debugger out of the flash, level 2 silences the debug port', () => {
    for (const [profile, dpv2] of [['stm32f723', true], ['stm32h750', true], ['stm32f407', false]] as const) {
      const sim = new Sim(profile);
      sim.load(0x08000000, Uint8Array.of(1, 2, 3, 4));
      assert.deepEqual(sim.optionBytes(), { rdp: 0xaa, rdpProgrammed: 0xaa, level: 0 });
      assert.equal(sim.busRead(0x08000000), 0x04030201);
      sim.setOptionBytes({ rdp: 0x55 });
      assert.deepEqual(sim.optionBytes(), { rdp: 0x55, rdpProgrammed: 0x55, level: 1 });
      assert.throws(() => sim.busRead(0x08000000), { code: 'EBUSFAULT' });
      assert.equal(swdConnect(sim, dpv2), Ack.OK); // the debug port still answers
      sim.setOptionBytes({ rdp: 0xcc });
      assert.equal(sim.optionBytes().level, 2);
      assert.equal(swdConnect(sim, dpv2), Ack.NONE);
      sim.reset('power-on');
      assert.equal(swdConnect(sim, dpv2), Ack.NONE);
      assert.deepEqual([...sim.peek(0x08000000, 4)], [1, 2, 3, 4]); // the flash is kept
      sim.close();
    }
    // The F1: RDP 0xA5 unprotects, anything else is level 1 (no level 2).
    const f1 = new Sim('stm32f103');
    assert.deepEqual(f1.optionBytes(), { rdp: 0xa5, rdpProgrammed: 0xa5, level: 0 });
    f1.setOptionBytes({ rdp: 0xcc });
    assert.deepEqual(f1.optionBytes(), { rdp: 0xcc, rdpProgrammed: 0xcc, level: 1 });
    assert.throws(() => f1.busRead(0x08000000), { code: 'EBUSFAULT' });
    f1.close();
    const g0 = new Sim('stm32g071');
    assert.throws(() => g0.setOptionBytes({ rdp: 0x55 }), { code: 'ENOTSUP' });
    assert.throws(() => new Sim('stm32f407').setOptionBytes({ rdp: 256 }), { code: 'ERANGE' });
    g0.close();
  });

  it('injected WAITs answer WAIT, then the AP answers again', () => {
    const sim = new Sim('stm32f103');
    swdConnect(sim, false);
    powerUp(sim);
    sim.injectFault('wait', 3);
    for (let i = 0; i < 3; i++) assert.equal(sim.dpRead(true, 0xc).ack, Ack.WAIT);
    assert.equal(apRead32(sim, 0x20000000), 0);
    sim.close();
  });

  it('a target that stops answering gives no ACK until it comes back', () => {
    const sim = new Sim('stm32f407');
    swdConnect(sim, false);
    sim.injectFault('no-ack', 0);
    assert.equal(sim.dpRead(false, 0).ack, Ack.NONE);
    sim.injectFault('clear');
    swdConnect(sim, false);
    assert.equal(sim.dpRead(false, 0).ack, Ack.OK);
    sim.close();
  });

  it('SWD transfers cost virtual time at the SWD clock', () => {
    const sim = new Sim('stm32f103');
    sim.setClocks({ swdHz: 1_000_000 });
    swdConnect(sim, false);
    const before = sim.state().nowPs;
    for (let i = 0; i < 10; i++) sim.dpRead(false, 0);
    const perTransfer = Number(sim.state().nowPs - before) / 10 / 1e6; // in SWD cycles at 1 MHz
    assert.ok(perTransfer >= 46 && perTransfer <= 60, `a read took ${perTransfer} cycles`);
    sim.close();
  });
});

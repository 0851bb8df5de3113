/**
 * The target families beyond the STM32F1/F4/H7 (native/core/families/): `bmp-gdbserver flash`
 * on each new profile, and the nRF52840's access-port protection as a GDB user meets it: with
 * UICR.APPROTECT set, `monitor swdp_scan` still finds the part (through its CTRL-AP), `attach`
 * fails naming the recovery command, `monitor erase_mass` erases the chip, and it then attaches.
 * The gdb-multiarch flash test on each profile is in gdb-e2e.test.ts; the Target API's in
 * flash.test.ts.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { GdbServer } from '../lib/gdb-server.js';
import type { SimProfileName } from '../lib/sim.js';
import { openProbe } from '../lib/target.js';
import { runNode } from './helpers/cli.js';
import { fixturePath, installFixture, loadFixture } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';

const cli = fileURLToPath(new URL('../lib/cli/bmp-gdbserver.js', import.meta.url));

const families: { profile: SimProfileName; part: RegExp }[] = [
  { profile: 'stm32g071', part: /STM32G07x/ },
  { profile: 'stm32l476', part: /STM32L47x/ },
  { profile: 'nrf52840', part: /nRF52840/ },
  { profile: 'rp2040', part: /RP2040/ },
  { profile: 'stm32f072', part: /STM32F07x/ },
  { profile: 'stm32f303', part: /STM32F302\/F303xB\/C/ },
  { profile: 'stm32f411', part: /STM32F411xC\/E/ },
  { profile: 'stm32f429', part: /STM32F42x\/43x/ },
  { profile: 'stm32g431', part: /STM32G431\/441/ },
];

describe('Target families', function () {
  this.timeout(60_000);

  for (const { profile, part } of families) {
    it(`bmp-gdbserver flash programs and verifies the ${profile} fixture (HEX)`, async () => {
      const hex = fixturePath(profile).replace(/\.elf$/, '.hex');
      const r = await runNode(cli, ['flash', hex, '--sim', profile]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`Programming .*${profile}\\.hex into ${part.source}`));
      assert.match(r.out, /Programmed \d+ bytes and verified them/);
    });
  }

  it('RP2040: the scan lists both cores, attach 1 and attach 2 each reach their core, stepi works on each', async function () {
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
    const probe = await openProbe({ sim: 'rp2040', link: 'cmsis-dap', usb: 'bulk' });
    installFixture(probe.sim!, loadFixture('rp2040'));
    probe.sim!.reset('system');
    const server = new GdbServer({ probe, port: 0 });
    const port = await server.listen();
    const gdb = new GdbDriver(fixturePath('rp2040'));
    try {
      await gdb.run('set confirm off');
      await gdb.run(`target extended-remote 127.0.0.1:${port}`);
      const scan = await gdb.run('monitor swdp_scan');
      assert.match(scan, /Available Targets:[\s\S]* 1\s+RP2040[\s\S]* 2\s+RP2040/);
      for (const core of [1, 2]) {
        assert.match(await gdb.run(`attach ${core}`), /Attaching to program/);
        // SIO CPUID: the number of the core that reads it.
        assert.match(await gdb.run('x/xw 0xd0000000'), new RegExp(`:\\s+0x0000000${core - 1}`));
        const before = /0x([0-9a-f]+)/.exec(await gdb.run('print/x $pc'))![1];
        await gdb.run('stepi');
        const after = /0x([0-9a-f]+)/.exec(await gdb.run('print/x $pc'))![1];
        assert.notEqual(after, before, `core ${core}: stepi moved the PC`);
        if (core === 2) assert.ok(Number.parseInt(after, 16) < 0x4000, 'core 1 sleeps in the boot ROM');
        await gdb.run('detach');
      }
    } finally {
      await gdb.quit();
      await server.close();
      await probe.close();
    }
  });

  it('nRF52840 with APPROTECT: the scan lists it, attach fails naming the recovery, monitor erase_mass erases the chip, then it attaches', async function () {
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
    const probe = await openProbe({ sim: 'nrf52840', link: 'cmsis-dap', usb: 'bulk' });
    const sim = probe.sim!;
    installFixture(sim, loadFixture('nrf52840'));
    sim.load(0x10001208, new Uint8Array([0x00, 0xff, 0xff, 0xff])); // UICR.APPROTECT: PALL enabled
    sim.reset('system'); // the part reads it at reset
    const server = new GdbServer({ probe, port: 0 });
    const port = await server.listen();
    const gdb = new GdbDriver(fixturePath('nrf52840'));
    try {
      await gdb.run('set confirm off');
      await gdb.run(`target extended-remote 127.0.0.1:${port}`);
      const scan = await gdb.run('monitor swdp_scan');
      assert.match(scan, /Available Targets:[\s\S]* 1\s+nRF52840/);
      // The reason and the recovery, where GDB shows them (GDB 13 drops vAttach's E.<text> reply,
      // which later versions print as "Attaching to ... failed with: <text>").
      assert.match(scan, /nRF52840 APPROTECT is enabled: the AHB-AP refuses the debugger\. `monitor erase_mass` recovers the part through the CTRL-AP by ERASING ALL OF IT/);
      assert.match(await gdb.run('attach 1'), /Attaching to .* failed/);
      assert.ok(sim.peek(0, 8).some((b) => b !== 0xff), 'the program is still there');
      const help = await gdb.run('monitor help');
      assert.match(help, /nRF52840 commands:\s+erase_mass -- Erase the whole chip/);
      const erase = await gdb.run('monitor erase_m', 30_000); // a unique prefix, as on the Black Magic Probe
      assert.match(erase, /erasing ALL of the chip through the CTRL-AP: flash, UICR .* and RAM/);
      assert.match(erase, /Chip erased; APPROTECT is off/);
      assert.ok(sim.peek(0, 4096).every((b) => b === 0xff), 'the flash is erased');
      assert.ok(sim.peek(0x10001000, 0x300).every((b) => b === 0xff), 'the UICR is erased');
      assert.match(await gdb.run('attach 1'), /Attaching to program/);
      assert.match(await gdb.run('x/xw 0x10000100'), /0x00052840/); // FICR INFO.PART through the AHB-AP
      // ST's RDP is not the nRF's: `monitor rdp` says so instead of claiming level 0
      assert.match(await gdb.run('monitor rdp'), /RDP: not driven for this part/);
      const load = await gdb.run('load', 30_000);
      assert.match(load, /Transfer rate:/);
      assert.doesNotMatch(await gdb.run('compare-sections'), /MIS-MATCHED/);
    } finally {
      await gdb.quit();
      await server.close();
      await probe.close();
    }
  });
});

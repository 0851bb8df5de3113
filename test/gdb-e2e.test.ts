/**
 * GDB end to end: gdb-multiarch (Debian) against GdbServer on each simulated profile, through the
 * virtual probe (with its high-speed bulk USB model) and through swd_link on the simulated wire.
 * The assertions read GDB's own output.
 */
import assert from 'node:assert/strict';

import { GdbServer } from '../lib/gdb-server.js';
import type { SimProfileName } from '../lib/sim.js';
import { openProbe, type Probe } from '../lib/target.js';
import { installFixture, loadFixture, fixturePath } from './helpers/fixture.js';
import { GdbDriver, haveGdb } from './helpers/gdb.js';

/** `flashCr`: the flash controller's control register, locked after reset (a peripheral): its
 * `locked` bits read as `lockedValue` (all ones unless given). `flash`: where the flash starts
 * (0x08000000 unless given). */
const profiles: {
  name: SimProfileName; fpu: boolean; part: RegExp; flashCr: number; locked: number; lockedValue?: number; flash?: number;
  noVtor?: boolean;
}[] = [
  { name: 'stm32f103', fpu: false, part: /STM32F1/, flashCr: 0x40022010, locked: 0x80 },
  { name: 'stm32f407', fpu: true, part: /STM32F40x/, flashCr: 0x40023c10, locked: 0x80000000 },
  { name: 'stm32h743', fpu: true, part: /STM32H7/, flashCr: 0x5200200c, locked: 0x1 },
  { name: 'stm32g071', fpu: false, part: /STM32G07x/, flashCr: 0x40022014, locked: 0x80000000 },
  { name: 'stm32l476', fpu: true, part: /STM32L47x/, flashCr: 0x40022014, locked: 0x80000000 },
  { name: 'stm32f072', fpu: false, part: /STM32F07x/, flashCr: 0x40022010, locked: 0x80, noVtor: true },
  { name: 'stm32f303', fpu: true, part: /STM32F302\/F303xB\/C/, flashCr: 0x40022010, locked: 0x80 },
  { name: 'stm32f411', fpu: true, part: /STM32F411xC\/E/, flashCr: 0x40023c10, locked: 0x80000000 },
  { name: 'stm32f429', fpu: true, part: /STM32F42x\/43x/, flashCr: 0x40023c10, locked: 0x80000000 },
  { name: 'stm32g431', fpu: true, part: /STM32G431\/441/, flashCr: 0x40022014, locked: 0x80000000 },
  { name: 'nrf52840', fpu: true, part: /nRF52840/, flashCr: 0x4001e504, locked: 0x3, lockedValue: 0, flash: 0 }, // NVMC CONFIG: read only
  // No flash controller: SYSINFO CHIP_ID (PART 0x0002, MANUFACTURER 0x927) stands for a peripheral register.
  { name: 'rp2040', fpu: false, part: /RP2040/, flashCr: 0x40000000, locked: 0x0fffffff, lockedValue: 0x2927, flash: 0x10000000 },
];

const links = [
  { name: 'the virtual probe (high-speed bulk)', link: 'cmsis-dap' as const, usb: 'bulk' as const },
  { name: 'swd_link', link: 'swd' as const, usb: undefined },
];

/**
 * The fixture builds: the STM32F1/F4/H7 fixtures in their ARMv6-M (Cortex-M0+) build, which every
 * profile runs, and for the part's own core (`<profile>-own`: Cortex-M3, M4F, M7F with their
 * FPUs), through the virtual probe; the newer families' fixtures are built for their own core.
 */
const ownCoreBuilds = new Set<SimProfileName>(['stm32f103', 'stm32f407', 'stm32h743']);
const builds = [
  { name: '', suffix: '', links },
  { name: ', built for its own core', suffix: '-own', links: links.slice(0, 1) },
];

async function startServer(profile: SimProfileName, link: 'swd' | 'cmsis-dap', usb?: 'hid' | 'bulk', fixture: string = profile) {
  const probe: Probe = await openProbe({ sim: profile, link, usb });
  installFixture(probe.sim!, loadFixture(fixture));
  probe.sim!.reset('system');
  const server = new GdbServer({ probe, port: 0 });
  const port = await server.listen();
  return { probe, server, port };
}

describe('gdb-multiarch end to end', function () {
  this.timeout(120_000);
  before(function () {
    if (!haveGdb()) throw new Error('gdb-multiarch is missing: run scripts/install-test-deps.sh');
  });

  for (const { name: profile, fpu, part, flashCr, locked, lockedValue = locked, flash = 0x08000000, noVtor = false } of profiles) {
    const flashHex = `0x${flash.toString(16).padStart(8, '0')}`;
    for (const build of builds.filter((b) => !b.suffix || ownCoreBuilds.has(profile))) for (const variant of build.links) {
      it(`${profile}${build.name} through ${variant.name}: scan, attach, break, step, watch, registers, memory, Ctrl-C, detach, kill, run, semihosting`, async () => {
        const fixture = profile + build.suffix;
        const { probe, server, port } = await startServer(profile, variant.link, variant.usb, fixture);
        const gdb = new GdbDriver(fixturePath(fixture));
        try {
          assert.match(await gdb.connect(port), /Remote debugging using/);
          const scan = await gdb.run('monitor swdp_scan');
          assert.match(scan, /Available Targets:/);
          assert.match(scan, part);
          assert.match(await gdb.run('attach 1'), /Attaching to program/);

          assert.match(await gdb.run('break fixture_tick'), /Breakpoint 1 at 0x[0-9a-f]+: file fixture\.c/);
          assert.match(await gdb.run('continue'), /Breakpoint 1, fixture_tick \(n=\d+\) at fixture\.c:34/);
          assert.match(await gdb.run('bt'), /#0  fixture_tick[\s\S]*#1  0x[0-9a-f]+ in main \(\) at fixture\.c:60/);
          assert.match(await gdb.run('finish'), /main \(\) at fixture\.c:6\d/);
          assert.match(await gdb.run('next'), /^6\d\s/m);
          await gdb.run('step');
          assert.match(await gdb.run('print counter'), /\$\d+ = \d+/);
          await gdb.run('set var counter = 1234');
          assert.match(await gdb.run('print counter'), /\$\d+ = 1234/);
          await gdb.run('delete');

          assert.match(await gdb.run('watch watched'), /Hardware watchpoint \d+: watched/);
          assert.match(await gdb.run('continue'), /Hardware watchpoint \d+: watched\s+Old value = \d+\s+New value = \d+/);
          await gdb.run('delete');
          assert.match(await gdb.run('hbreak fixture_tick'), /Hardware assisted breakpoint \d+ at/);
          assert.match(await gdb.run('continue'), /Breakpoint \d+, fixture_tick/);
          await gdb.run('delete');

          const regs = await gdb.run('info registers');
          assert.match(regs, /^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <fixture_tick/m);
          assert.match(regs, /^msp\s+0x/m);
          if (fpu) {
            assert.match(await gdb.run('info registers fpscr'), /^fpscr\s+0x/m);
            assert.match(await gdb.run('print $d1'), /\$\d+ = /);
          } else {
            assert.match(await gdb.run('print $d1'), /void/);
          }
          const mem = await gdb.run('info mem');
          assert.match(mem, new RegExp(`${flashHex} 0x[0-9a-f]+ flash blocksize 0x`));
          // Peripherals and the SCB out of the box (no `set mem inaccessible-by-default off`),
          // while flash stays protected from plain writes.
          const cr = /:\s+0x([0-9a-f]{8})/.exec(await gdb.run(`x/xw 0x${flashCr.toString(16)}`));
          assert.ok(cr && ((Number.parseInt(cr[1], 16) & locked) >>> 0) === lockedValue, `flash controller register: ${cr?.[0]}`);
          // VTOR, or on the Cortex-M0 (which has none) SHPR3's SysTick priority.
          const [scb, value] = noVtor ? ['0xE000ED20', '0xc0000000'] : ['0xE000ED08', '0x08000200'];
          const before = /:\s+(0x[0-9a-f]{8})/.exec(await gdb.run(`x/xw ${scb}`))![1];
          await gdb.run(`set *(unsigned int *)${scb} = ${value}`);
          assert.match(await gdb.run(`x/xw ${scb}`), new RegExp(`:\\s+${value}`));
          await gdb.run(`set *(unsigned int *)${scb} = ${before}`);
          assert.match(await gdb.run(`set *(unsigned int *)${flashHex} = 0`), /Writing to flash memory forbidden/);
          const words = await gdb.run('x/64xw &counter');
          assert.equal(words.match(/0x[0-9a-f]{8}/g)!.length >= 64 + 16, true, words);

          assert.match(await gdb.interruptAfter('continue', 300), /Program received signal SIGINT, Interrupt\./);
          assert.match(await gdb.run('detach'), /Detaching from program/);
          assert.match(await gdb.run('attach 1'), /Attaching to program/);
          await gdb.run('kill');
          await gdb.run('break fixture_tick');
          const run = await gdb.run('run');
          assert.match(run, /fixture: hello/, 'semihosting output from the restarted program');
          assert.match(run, /Breakpoint \d+, fixture_tick \(n=1\)/);
          assert.match(await gdb.run('monitor version'), /bmp-gdbserver/);
          assert.match(await gdb.run('monitor frobnicate'), /Unknown command/);
        } finally {
          await gdb.quit();
          await server.close();
          await probe.close();
        }
        if (/Remote connection closed|internal-error/.test(gdb.transcript)) assert.fail(gdb.transcript);
      });
    }

    it(`${profile}: load, compare-sections, the loaded program runs, monitor erase_mass empties the flash`, async function () {
      const { probe, server, port } = await startServer(profile, 'cmsis-dap', 'hid');
      probe.sim!.load(flash, new Uint8Array(512).fill(0xff)); // not the fixture: load must put it there
      const gdb = new GdbDriver(fixturePath(profile));
      try {
        await gdb.run('set confirm off');
        await gdb.run(`target extended-remote 127.0.0.1:${port}`);
        await gdb.run('monitor swdp_scan');
        await gdb.run('attach 1');
        const load = await gdb.run('load', 60_000);
        const lma = /Loading section \.text, size 0x[0-9a-f]+ lma (0x[0-9a-f]+)/.exec(load);
        assert.ok(lma && Number(lma[1]) >= flash && Number(lma[1]) < flash + 0x100000, load);
        assert.match(load, /Transfer rate:/);
        const compare = await gdb.run('compare-sections');
        assert.doesNotMatch(compare, /MIS-MATCHED/);
        const sections = compare.match(/^Section /gm)?.length ?? 0;
        assert.ok(sections >= 3, compare);
        assert.equal(compare.match(/: matched\./g)?.length, sections, 'every section matched');
        await gdb.run('break fixture_tick');
        const run = await gdb.run('run', 30_000);
        assert.match(run, /fixture: hello/);
        assert.match(run, /Breakpoint \d+, fixture_tick/);
        await gdb.run('continue');
        assert.ok(Number((await gdb.run('print counter')).match(/= (\d+)/)![1]) > 1, 'the loaded program ran');
        await gdb.run('delete');
        const erase = await gdb.run('monitor erase_mass', 60_000);
        assert.match(erase, /Flash erased|Chip erased; APPROTECT is off; attached again/);
        assert.match(await gdb.run('compare-sections'), /MIS-MATCHED/);
        assert.match(await gdb.run(`x/2xw ${flashHex}`), /0xffffffff\s+0xffffffff/);
      } finally {
        await gdb.quit();
        await server.close();
        await probe.close();
      }
    });
  }

  it('stm32f103 read-protected: monitor rdp shows level 1, load fails, monitor rdp 0 mass-erases and unprotects, and after a reset load works', async function () {
    const { probe, server, port } = await startServer('stm32f103', 'cmsis-dap', 'hid');
    probe.sim!.setOptionBytes({ rdp: 0x00 });
    const gdb = new GdbDriver(fixturePath('stm32f103'));
    try {
      await gdb.run('set confirm off');
      await gdb.run(`target extended-remote 127.0.0.1:${port}`);
      // the scan says so before anything fails
      assert.match(await gdb.run('monitor swdp_scan'), /STM32F1 medium density Cortex-M3\n\s+flash read-protected: `monitor rdp 0` ERASES it to unprotect\n/);
      await gdb.run('attach 1');
      assert.match(await gdb.run('monitor rdp'), /RDP level 1 \(0x00\)\./);
      assert.match(await gdb.run('monitor rdp 1'), /Usage: monitor rdp \[0\]/);
      assert.match(await gdb.run('load', 60_000), /Error finishing flash operation/); // GDB shows no reason for vFlashDone
      const removed = await gdb.run('monitor rdp 0', 60_000);
      assert.match(removed, /Removing it: the part ERASES ITS FLASH\.\.\.\nRemoved; `monitor reset` before using the flash\./);
      assert.match(await gdb.run('monitor reset'), /Target reset/);
      assert.match(await gdb.run('monitor rdp'), /RDP level 0 \(0xa5\)\./);
      assert.doesNotMatch(await gdb.run('monitor swdp_scan'), /read-protected/);
      await gdb.run('attach 1');
      assert.equal(probe.sim!.optionBytes().level, 0);
      assert.match(await gdb.run('load', 60_000), /Transfer rate:/);
      const compare = await gdb.run('compare-sections');
      assert.doesNotMatch(compare, /MIS-MATCHED/);
      assert.match(compare, /matched/);
    } finally {
      await gdb.quit();
      await server.close();
      await probe.close();
    }
    if (/Remote connection closed|internal-error/.test(gdb.transcript)) assert.fail(gdb.transcript);
  });
});

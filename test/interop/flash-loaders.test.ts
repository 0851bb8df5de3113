/**
 * Peers' flash loaders on the simulated parts: OpenOCD 0.12 programs and verifies the simulated
 * STM32F407 (256 KiB), STM32F103, STM32F072 and STM32F303 (their whole flash) with its stock
 * target configuration and its own
 * on-target flash loader (Thumb-2 code that the simulated core runs), and pyOCD 0.13 programs the
 * STM32F103 with its flash algorithm, through the CMSIS-DAP engine served on TCP as `bmp-dap
 * serve` serves it and the USB library stand-ins. Afterwards our Target API, on the same
 * simulated chip, reads the flash back: it must hold the image.
 *
 * pyOCD 0.13 (Debian) has no STM32F407 target; its nearest, stm32f439xi, has the same sectors
 * in its first megabyte, and its algorithm reloads the independent watchdog (IWDG_KR at
 * 0x40003000) first, which the simulated F407 models (sim_iwdg.c); it programs the F407's 16 KiB
 * sectors (its larger ones need the F439's SRAM). Its STM32F103 target is the
 * high-density stm32f103rc (2 KiB pages); on the medium-density F103 (1 KiB pages) its erase of
 * a "page" clears only the first half, so the image goes onto a blank chip past the first page.
 *
 * The F1's option bytes and read-out protection against OpenOCD's `stm32f1x unlock` and
 * `stm32f1x lock`: the model takes their sequences, and our removal takes the state OpenOCD's
 * lock leaves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DapEngine, WallClockEngine } from '../../lib/dap-engine.js';
import { DapServer } from '../../lib/dap-server.js';
import { Sim, type SimProfileName } from '../../lib/sim.js';
import { Probe } from '../../lib/target.js';
import { installFixture, loadFixture } from '../helpers/fixture.js';
import { Random } from '../helpers/random.js';
import { buildStandins, fixtureElf, runClient, startDapServer } from './helpers.js';

const FLASH = 0x08000000;
/** 256 KiB on the F407; the simulated F103 is the medium-density part: its whole 128 KiB. */
const parts: { profile: SimProfileName; config: string; part: RegExp; size: number; at?: number }[] = [
  { profile: 'stm32f407', config: 'target/stm32f4x.cfg', part: /flash size = 1024 KiB/, size: 256 << 10 },
  { profile: 'stm32f103', config: 'target/stm32f1x.cfg', part: /flash size = 128 KiB/, size: 128 << 10 },
  // The F0 (Cortex-M0: OpenOCD reads its DBGMCU at 0x40015800) and the F3 through OpenOCD's
  // stm32f1x driver, with their flash-size register at 0x1FFFF7CC.
  { profile: 'stm32f072', config: 'target/stm32f0x.cfg', part: /flash size = 128 ?KiB/, size: 128 << 10 },
  { profile: 'stm32f303', config: 'target/stm32f3x.cfg', part: /flash size = 256 ?KiB/, size: 256 << 10 },
  // The F411 (DEV_ID 0x431), 512 KiB: OpenOCD's stm32f2x driver sizes it from its own table.
  { profile: 'stm32f411', config: 'target/stm32f4x.cfg', part: /flash size = 512 ?KiB/, size: 256 << 10 },
  // The dual-bank F429: 256 KiB across the banks (bank 1's last sector, bank 2's first five).
  { profile: 'stm32f429', config: 'target/stm32f4x.cfg', part: /flash size = 2048 ?KiB/, size: 256 << 10, at: 0x080e0000 },
  // The G431 through OpenOCD's stm32l4x driver (its G4 table), single bank.
  { profile: 'stm32g431', config: 'target/stm32g4x.cfg', part: /flash size = 128 ?KiB/, size: 64 << 10, at: 0x08008000 },
];

/** The simulated part behind a CMSIS-DAP server on TCP, as `bmp-dap serve --sim <profile>
 * --image <fixture>` prepares it (the same WallClockEngine: the target's time follows wall time
 * between packets, since the clients time their waits for the flash by the clock), in this
 * process so that our Target API can read the same chip afterwards. */
async function serve(profile: SimProfileName, packetSize: number) {
  const sim = new Sim(profile);
  installFixture(sim, loadFixture(profile));
  sim.reset('system');
  const engine = new WallClockEngine(new DapEngine(sim, { packetSize, packetCount: 8 }), sim);
  const server = new DapServer({ engine, host: '127.0.0.1', port: 0 });
  return { sim, server, port: await server.listen() };
}

/** Our Target API, on the same simulated chip, reads the flash back; then the chip is closed. */
async function readBack(sim: Sim, size: number, at = FLASH): Promise<Buffer> {
  const probe = new Probe({ sim, link: 'cmsis-dap', usb: 'bulk', packetSize: 512 });
  try {
    const target = await probe.attach();
    return Buffer.from(await target.readMemory(at, size));
  } finally {
    await probe.close();
    sim.close();
  }
}

/** One OpenOCD session on the served part: its stock `config`, `init` and `reset halt`, then
 * `commands`; resolves with its log. */
function openocdSession(config: string, commands: string[], libs: string, port: number): Promise<string> {
  return runClient('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', 'cmsis_dap_backend usb_bulk', '-c', 'transport select swd',
    '-f', config, ...['gdb_port disabled', 'tcl_port disabled', 'telnet_port disabled', 'init', 'reset halt', ...commands, 'shutdown']
      .flatMap((c) => ['-c', c])], libs, port);
}

/** Our Target API on a part at RDP level 1: its flash refuses reads; removeReadProtection()
 * brings it to level 0 (`rdp` the open byte), after a reset where the part needs one, with the
 * flash mass-erased. */
async function ourRemoval(sim: Sim, { rdp, resetAfter }: { rdp: number; resetAfter: boolean }): Promise<void> {
  const probe = new Probe({ sim, link: 'cmsis-dap', usb: 'bulk', packetSize: 512 });
  try {
    const target = await probe.attach();
    assert.equal((await target.readProtection()).level, 1);
    await assert.rejects(target.readMemory(FLASH, 4));
    await target.removeReadProtection();
    if (resetAfter) await target.reset({ halt: true });
    assert.deepEqual(await target.readProtection(), { level: 0, rdp });
    assert.ok((await target.readMemory(FLASH, 1024)).every((b) => b === 0xff), 'the part mass-erased its flash');
  } finally {
    await probe.close();
  }
}

describe('peers\' flash loaders run on the simulated parts', function () {
  this.timeout(300_000);
  let libs = '';
  let work = '';
  before(() => {
    libs = buildStandins();
    work = mkdtempSync(join(tmpdir(), 'bmp-flash-loaders-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const { profile, config, part, size, at = FLASH } of parts) {
    it(`${profile}: ${config} stock, \`program <${size >> 10} KiB> 0x${at.toString(16)} verify\` through the loader; our Target API reads the image back`, async () => {
      const image = new Random(`openocd flash ${profile}`).bytes(size);
      const file = join(work, `${profile}.bin`);
      writeFileSync(file, image);
      const { sim, server, port } = await serve(profile, 512);
      if (at !== FLASH) sim.load(at, new Uint8Array(size)); // zeros: only an erase makes them take the image
      try {
        const commands = ['debug_level 3', 'gdb_port disabled', 'tcl_port disabled', 'telnet_port disabled', 'init', 'reset halt',
          `program ${file} 0x${at.toString(16)} verify`, 'shutdown'];
        const log = await runClient('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', 'cmsis_dap_backend usb_bulk',
          '-c', 'transport select swd', '-c', 'adapter speed 4000', '-f', config, ...commands.flatMap((c) => ['-c', c])],
        libs, port);
        assert.match(log, part, log);
        // The loader ran on the simulated core: OpenOCD's log (debug level 3) shows its ring
        // buffer's read pointer, which only the loader moves, advancing.
        const rp = new Set([...log.matchAll(/target_run_flash_async_algorithm\(\): offs 0x[0-9a-f]+ count 0x[0-9a-f]+ wp 0x[0-9a-f]+ rp (0x[0-9a-f]+)/g)].map((m) => m[1]));
        assert.ok(rp.size >= 2, `the on-target loader consumed the buffer (read pointers seen: ${[...rp].join(' ')})`);
        // OpenOCD falls back to single writes (and says so) only without it.
        assert.doesNotMatch(log, /error executing stm32x flash write algorithm|falling back|couldn't use block writes|no working area/i, log);
        assert.match(log, /\*\* Programming Finished \*\*/, log);
        assert.match(log, /\*\* Verified OK \*\*/, log);
      } finally {
        await server.close();
      }
      assert.ok((await readBack(sim, size, at)).equals(Buffer.from(image)), 'the flash holds the image OpenOCD programmed');
    });
  }

  it('through the bmp-dap serve CLI itself: OpenOCD programs 64 KiB into the F103 (its erase waits are timed by the clock), verifies, and dumps it back', async () => {
    const image = new Random('bmp-dap serve flash').bytes(64 << 10);
    const file = join(work, 'cli.bin');
    const dump = join(work, 'cli-dump.bin');
    writeFileSync(file, image);
    const server = await startDapServer(['--sim', 'stm32f103', '--packet-size', '512', '--image', fixtureElf('stm32f103')]);
    try {
      const commands = ['gdb_port disabled', 'tcl_port disabled', 'telnet_port disabled', 'init', 'reset halt',
        `program ${file} 0x${FLASH.toString(16)} verify`, `dump_image ${dump} 0x${FLASH.toString(16)} ${image.length}`, 'shutdown'];
      const log = await runClient('openocd', ['-f', 'interface/cmsis-dap.cfg', '-c', 'cmsis_dap_backend usb_bulk',
        '-c', 'transport select swd', '-f', 'target/stm32f1x.cfg', ...commands.flatMap((c) => ['-c', c])], libs, server.port);
      assert.doesNotMatch(log, /timed out waiting for flash|Programming Failed/, log);
      assert.match(log, /\*\* Verified OK \*\*/, log);
      assert.ok(readFileSync(dump).equals(Buffer.from(image)), 'OpenOCD reads back what it programmed');
    } finally {
      server.stop();
    }
  });

  it('STM32F1 read-out protection against OpenOCD: its `stm32f1x unlock` unprotects the simulated part and it mass-erases; its `stm32f1x lock` protects it from the reset on; our removeReadProtection() then unprotects it', async () => {
    const { sim, server, port } = await serve('stm32f103', 512);
    const openocd = (commands: string[]) => openocdSession('target/stm32f1x.cfg', commands, libs, port);
    try {
      sim.setOptionBytes({ rdp: 0x00 });
      const unlocked = await openocd(['stm32f1x unlock 0', 'reset halt', 'stm32f1x options_read 0']);
      assert.match(unlocked, /stm32x unlocked/, unlocked);
      assert.match(unlocked, /read protection: off/, unlocked);
      assert.deepEqual(sim.optionBytes(), { rdp: 0xa5, rdpProgrammed: 0xa5, level: 0 });
      assert.ok(sim.peek(FLASH, 1024).every((b) => b === 0xff), 'the part mass-erased its flash');
      installFixture(sim, loadFixture('stm32f103'));
      const locked = await openocd(['stm32f1x lock 0', 'reset halt']);
      assert.match(locked, /stm32x locked/, locked);
      assert.equal(sim.optionBytes().level, 1, 'protected from the reset on');
      await ourRemoval(sim, { rdp: 0xa5, resetAfter: true });
    } finally {
      await server.close();
    }
  });

  it('STM32F3 read-out protection against OpenOCD: the part loads its option bytes at OBL_LAUNCH (`stm32f1x options_load`), not at a system reset; OpenOCD\'s unlock and lock take effect through it; our removeReadProtection() launches it itself', async () => {
    const { sim, server, port } = await serve('stm32f303', 512);
    const openocd = (commands: string[]) => openocdSession('target/stm32f3x.cfg', commands, libs, port);
    try {
      sim.setOptionBytes({ rdp: 0x00 });
      const unlocked = await openocd(['stm32f1x unlock 0', 'reset halt', 'stm32f1x options_read 0']);
      assert.match(unlocked, /stm32x unlocked/, unlocked);
      assert.deepEqual(sim.optionBytes(), { rdp: 0x00, rdpProgrammed: 0xaa, level: 1 }, 'a system reset loads nothing');
      assert.match(unlocked, /read protection: on/, unlocked);
      await openocd(['stm32f1x options_load 0']);
      assert.deepEqual(sim.optionBytes(), { rdp: 0xaa, rdpProgrammed: 0xaa, level: 0 });
      assert.ok(sim.peek(FLASH, 2048).every((b) => b === 0xff), 'the part mass-erased its flash');
      installFixture(sim, loadFixture('stm32f303'));
      const locked = await openocd(['stm32f1x lock 0', 'reset halt']);
      assert.match(locked, /stm32x locked/, locked);
      assert.equal(sim.optionBytes().level, 0, 'not yet: a system reset loads nothing');
      await openocd(['stm32f1x options_load 0']);
      assert.equal(sim.optionBytes().level, 1, 'protected from OBL_LAUNCH on');
      await ourRemoval(sim, { rdp: 0xaa, resetAfter: false });
    } finally {
      await server.close();
    }
  });

  // The F407 through the F4 target pyOCD knows, its 16 KiB sectors only: pyOCD stages a whole
  // sector at 0x20001000, and a 64 or 128 KiB sector there reaches past the F407's 128 KiB of SRAM
  // into the F439's SRAM3, which a real F407 lacks as the simulated one does (pyOCD then reports
  // a transfer fault at 0x20020000). Its algorithm feeds the watchdog first.
  const pyocdRuns: { profile: SimProfileName; target: string; core: string; size: number; what: string; at?: number }[] = [
    { profile: 'stm32f407', target: 'stm32f439xi', core: 'Cortex-M4', size: 64 << 10, what: 'the F4 it knows; it feeds the watchdog' },
    { profile: 'stm32f103', target: 'stm32f103rc', core: 'Cortex-M3', size: 128 << 10, what: 'its F1' },
    // The dual-bank F429 (the F439's die without the crypto): bank 2's first sectors.
    { profile: 'stm32f429', target: 'stm32f439xi', core: 'Cortex-M4', size: 64 << 10, what: 'its F439, over bank 2', at: 0x08100000 },
  ];
  for (const { profile, target, core, size, what, at = FLASH } of pyocdRuns) {
    it(`pyOCD 0.13 (${target}, ${what}) programs ${size >> 10} KiB at 0x${at.toString(16)} into the simulated ${profile} with its flash algorithm; our Target API reads it back`, async () => {
      const image = new Random(`pyocd flash ${profile}`).bytes(size);
      const file = join(work, `pyocd-${profile}.bin`);
      writeFileSync(file, image);
      const { sim, server, port } = await serve(profile, 64);
      if (at !== FLASH) sim.load(at, new Uint8Array(size)); // zeros: only an erase makes them take the image
      try {
        const log = await runClient('pyocd-flashtool', ['-t', target, '-a', `0x${at.toString(16)}`, file, 'bin'], libs, port);
        assert.match(log, new RegExp(`CPU core is ${core}`), log);
        assert.match(log, new RegExp(`Programmed ${size} bytes \\(\\d+ pages\\)`), log);
        assert.doesNotMatch(log, /Traceback|Error/, log);
      } finally {
        await server.close();
      }
      assert.equal(sim.state().watchdogResets, 0, 'the watchdog never reset the chip');
      assert.ok((await readBack(sim, size, at)).equals(Buffer.from(image)), 'the flash holds the image pyOCD programmed');
    });
  }
});

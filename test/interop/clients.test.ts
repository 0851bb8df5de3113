/**
 * Real clients from Debian's packages drive the CMSIS-DAP engine through `bmp-dap serve` and the
 * USB library stand-ins (test/interop/standins), as they would drive a USB probe: OpenOCD 0.12
 * over HID and over USB bulk, pyOCD 0.13 over HID (pyusb).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Random } from '../helpers/random.js';
import { buildStandins, fixtureElf, openocdSramRoundTrip, runClient, startDapServer } from './helpers.js';

describe('interop with real debug clients', function () {
  this.timeout(180_000);
  let libs = '';
  let work = '';

  before(() => {
    libs = buildStandins();
    work = mkdtempSync(join(tmpdir(), 'bmp-interop-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const [backend, packetSize] of [
    ['hid', 64],
    ['usb_bulk', 512],
  ] as const) {
    it(`OpenOCD 0.12 (${backend}) examines the simulated STM32F103, halts it, reads registers and round-trips 16 KiB of SRAM`, async () => {
      const server = await startDapServer(['--sim', 'stm32f103', '--packet-size', String(packetSize), '--image', fixtureElf('stm32f103')]);
      try {
        const log = await openocdSramRoundTrip({ backend, targetConfig: 'target/stm32f1x.cfg', libs, port: server.port, work,
          pattern: Buffer.from(new Random(`openocd ${backend}`).bytes(16384)) });
        assert.match(log, /SWD DPIDR 0x1ba01477/);
        assert.match(log, /Cortex-M3 r1p1 processor detected/);
      } finally {
        server.stop();
      }
    });
  }

  it('pyOCD 0.13 lists the probe, and reads and writes target memory through it', async () => {
    const server = await startDapServer(['--sim', 'stm32f103', '--packet-size', '64', '--image', fixtureElf('stm32f103')]);
    try {
      const list = await runClient('pyocd-flashtool', ['--list'], libs, server.port);
      assert.match(list, /bmp-gdbserver CMSIS-DAP \| SIM00001/);
      const session = await runClient('pyocd-tool', ['-t', 'cortex_m'], libs, server.port,
        'write32 0x20004000 0xcafef00d\nread32 0x20004000 4\nread32 0x40022000 4\nread32 0xe0042000 4\nexit\n');
      assert.match(session, /Connected to CoreSightTarget/);
      assert.match(session, /20004000:\s+cafef00d/);
      assert.match(session, /e0042000:\s+20036410/); /* DBGMCU IDCODE of the F103 */
    } finally {
      server.stop();
    }
  });
});

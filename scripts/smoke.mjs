// Loads the addon the way a user of the package does and puts it to work. Used by the tarball
// check (on the installed package, with no compiler on the PATH) and by the CMake-build check.
//   1. The simulated STM32F103 on the bit-level SWD wire: connect sequence, DPIDR.
//   2. The Target API on a simulated STM32F407 behind the virtual CMSIS-DAP probe: scan, attach,
//      halt, program 1 KiB of flash through the on-target loader (verified by CRC), read it back,
//      run a few instructions from RAM up to a BKPT, read the registers they changed.
import assert from 'node:assert/strict';

import { openProbe, Sim } from 'bmp-gdbserver';

const sim = new Sim('stm32f103');
const lineReset = () => {
  sim.wireOut(0xffffffff, 32);
  sim.wireOut(0xffffffff, 28);
};
lineReset();
sim.wireOut(0xe79e, 16); // JTAG-to-SWD select (ADIv5.2 B5.2.1)
lineReset();
sim.wireOut(0, 2); // idle
const { ack, data } = sim.dpRead(false, 0);
sim.close();
assert.equal(ack, 1, 'SWD ACK OK for the DPIDR read');
assert.equal(data >>> 0, 0x1ba01477, 'DPIDR of the STM32F103');
console.log('addon loaded; DPIDR 0x1ba01477 on the simulated wire');

const probe = await openProbe({ sim: 'stm32f407', link: 'cmsis-dap' });
try {
  const found = await probe.swdScan();
  assert.equal(found.length, 1, 'one target answers the scan');
  assert.equal(found[0].core, 'Cortex-M4');
  const target = await probe.attach(found[0].index);
  const part = await target.partName();
  assert.match(part, /STM32F4/);
  await target.halt();

  const image = new Uint8Array(1024).map((_, i) => (i * 7 + 3) & 0xff);
  await target.flash(image, { base: 0x08000000, verify: true });
  assert.deepEqual(await target.readMemory(0x08000000, image.length), image, 'flash reads back as programmed');

  // movs r0, #42; adds r0, #1; bkpt #0; b .
  const code = 0x20000100;
  await target.writeMemory(code, Uint8Array.of(0x2a, 0x20, 0x01, 0x30, 0x00, 0xbe, 0xfe, 0xe7));
  await target.writeRegister('sp', 0x20001000);
  await target.writeRegister('xpsr', 0x01000000); // Thumb
  await target.writeRegister('pc', code);
  await target.resume();
  const stop = await target.waitForHalt({ timeout: 1000 });
  assert.equal(stop.reason, 'breakpoint');
  assert.equal(await target.readRegister('pc'), code + 4, 'halted at the BKPT');
  assert.equal(await target.readRegister('r0'), 43);
  await target.detach();
  console.log(`${found[0].core} (${part}) attached; 1 KiB flashed and read back; ran from RAM to a BKPT, r0 = 43`);
} finally {
  await probe.close();
}

// The Target API on a simulated STM32F407 behind the virtual probe (the CMSIS-DAP engine):
// attach, load the test firmware, break on a function, watch a variable, read registers.
//
//   node examples/target-demo.mjs
import { readFileSync } from 'node:fs';

import { openProbe, parseElf } from 'bmp-gdbserver';

const probe = await openProbe({ sim: 'stm32f407', link: 'cmsis-dap' });
const [found] = await probe.swdScan();
console.log(`found ${found.core}, DPIDR 0x${found.dpidr.toString(16)}, IDCODE 0x${found.idcode.toString(16)}`);

const target = await probe.attach(1);
await target.halt();
const elf = parseElf(readFileSync(new URL('../test/fixtures/firmware/build/stm32f407.elf', import.meta.url)));
for (const segment of elf.segments) {
  // RAM can be written through the debugger; flash needs the flash driver (a later release),
  // so the demo uses the simulator's back door for it.
  if (segment.data.length) probe.sim.load(segment.paddr, segment.data);
}
await target.reset({ halt: true });
console.log('reset and halted at', (await target.haltReason()).reason, 'pc', (await target.readRegister('pc')).toString(16));

// Runs until the next halt. The firmware starts with a semihosting call (BKPT 0xAB); a GDB
// server would serve it, the demo just steps over it.
async function run() {
  for (;;) {
    await target.resume();
    const stop = await target.waitForHalt({ timeout: 100 });
    const pc = await target.readRegister('pc');
    const instruction = new DataView((await target.readMemory(pc, 2)).buffer).getUint16(0, true);
    if (stop.reason !== 'breakpoint' || instruction !== 0xbeab) return stop;
    console.log('semihosting call', await target.readRegister('r0'), '(skipped)');
    await target.writeRegister('pc', pc + 2);
  }
}

const tick = elf.symbols.get('fixture_tick').value & ~1;
await target.setBreakpoint(tick);
console.log('stopped:', await run(), 'in fixture_tick(n), n =', await target.readRegister('r0'));
await target.clearBreakpoint(tick);

const watched = elf.symbols.get('watched').value;
await target.setWatchpoint(watched, 4, 'write');
console.log('stopped:', await run(), 'watched =', await target.read32(watched));
const { pc, sp, lr, xpsr } = await target.readRegisters();
console.log('registers:', { pc, sp, lr, xpsr });
console.log(`CMSIS-DAP packets exchanged: ${await probe.packets()}`);
await probe.close();

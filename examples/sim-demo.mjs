// A tour of the simulated target, as a debugger sees it: connect over the SWD wire, identify
// the part, load the test firmware, let it run in virtual time, halt it and read its PC.
//
//   node examples/sim-demo.mjs [stm32f103|stm32f407|stm32h743]
import { readFileSync } from 'node:fs';

import { Sim, parseElf } from 'bmp-gdbserver';

const profile = process.argv[2] ?? 'stm32f407';
const sim = new Sim(profile);
const hex = (n) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const ok = (r) => {
  if (r.ack !== 1) throw new Error(`SWD ACK ${r.ack}`);
  return r;
};

// Line reset, then JTAG-to-SWD (DPv1) or the dormant wake-up (DPv2), then another line reset.
const lineReset = () => (sim.wireOut(0xffffffff, 32), sim.wireOut(0xffffffff, 28));
const dpv2 = profile === 'stm32h743';
lineReset();
if (dpv2) {
  sim.wireOut(0xffff, 16);
  sim.wireOut(0x33bbbbba, 32);
  sim.wireOut(0xff, 8);
  for (const w of [0x6209f392, 0x86852d95, 0xe3ddafe9, 0x19bc0ea2]) sim.wireOut(w, 32);
  sim.wireOut(0, 4);
  sim.wireOut(0x1a, 8);
} else {
  sim.wireOut(0xe79e, 16);
}
lineReset();
sim.wireOut(0, 2);
console.log(`${profile}: DPIDR ${hex(ok(sim.dpRead(false, 0)).data)}`);

// Power up the debug domain, then read through AP0 (32-bit accesses, posted reads).
ok(sim.dpWrite(false, 0x4, 0x50000000));
while (((ok(sim.dpRead(false, 0x4)).data & 0xa0000000) >>> 0) !== 0xa0000000);
ok(sim.dpWrite(false, 0x8, 0x000000f0)); // APBANKSEL 0xF: IDR lives at 0xFC
ok(sim.dpRead(true, 0xc));
console.log(`AP0 IDR ${hex(ok(sim.dpRead(false, 0xc)).data)}`);
ok(sim.dpWrite(false, 0x8, 0));
ok(sim.dpWrite(true, 0x0, 0x23000012));
const read32 = (addr) => {
  ok(sim.dpWrite(true, 0x4, addr));
  ok(sim.dpRead(true, 0xc));
  return ok(sim.dpRead(false, 0xc)).data >>> 0;
};
const write32 = (addr, value) => {
  ok(sim.dpWrite(true, 0x4, addr));
  ok(sim.dpWrite(true, 0xc, value));
};
console.log(`CPUID ${hex(read32(0xe000ed00))}`);

// Load the fixture firmware into flash through the back door and start it.
const elf = parseElf(readFileSync(new URL(`../test/fixtures/firmware/build/${profile}.elf`, import.meta.url)));
for (const s of elf.segments) if (s.data.length) sim.load(s.paddr, s.data);
sim.reset('system');
const counter = elf.symbols.get('counter').value;
sim.advance(5_000_000); // 5 ms of virtual time
console.log(`after 5 ms the firmware's counter is ${read32(counter)}`);

// Halt through DHCSR and read the PC through DCRSR/DCRDR.
write32(0xe000edf0, 0xa05f0003); // DBGKEY | C_HALT | C_DEBUGEN
while (!(read32(0xe000edf0) & 0x20000)); // S_HALT
write32(0xe000edf4, 15); // DCRSR: read the PC
while (!(read32(0xe000edf0) & 0x10000)); // S_REGRDY
console.log(`halted at PC ${hex(read32(0xe000edf8))}; virtual time ${sim.seconds * 1e3} ms`);
sim.close();

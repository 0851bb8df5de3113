/** Host-side SWD sequences for tests that drive the simulated wire directly (ADIv5.2 B5). */
import { Ack, Sim } from '../../lib/sim.js';

export function lineReset(sim: Sim): void {
  sim.wireOut(0xffffffff, 32);
  sim.wireOut(0xffffffff, 28);
}

/**
 * JTAG-to-SWD, and for DPv2 parts the dormant-state wake-up, then a line reset and the DPIDR
 * read that must follow it (ADIv5.2 B4.3.3). Returns the ACK of that read.
 */
export function swdConnect(sim: Sim, dpv2: boolean): number {
  lineReset(sim);
  if (dpv2) {
    sim.wireOut(0xffff, 16);
    sim.wireOut(0x33bbbbba, 32); // JTAG-to-dormant (B5.3.2)
    sim.wireOut(0xff, 8);
    // Selection alert: 128 bits, LSB first (B5.3.4)
    for (const word of [0x6209f392, 0x86852d95, 0xe3ddafe9, 0x19bc0ea2]) sim.wireOut(word, 32);
    sim.wireOut(0x0, 4);
    sim.wireOut(0x1a, 8); // SWD activation code
  } else {
    sim.wireOut(0xe79e, 16); // JTAG-to-SWD select
  }
  lineReset(sim);
  sim.wireOut(0, 2);
  return sim.dpRead(false, 0).ack;
}

/** Powers up the debug domain and sets up AP0 for 32-bit auto-incrementing accesses. */
export function powerUp(sim: Sim): void {
  expectOk(sim.dpWrite(false, 0x0, 0x1e).ack); // ABORT: clear sticky flags
  expectOk(sim.dpWrite(false, 0x4, 0x50000000).ack); // CTRL/STAT: CSYSPWRUPREQ | CDBGPWRUPREQ
  for (let i = 0; i < 100; i++) {
    const r = sim.dpRead(false, 0x4);
    if (r.ack === Ack.OK && (r.data & 0xa0000000) >>> 0 === 0xa0000000) return;
  }
  throw new Error('debug power-up was never acknowledged');
}

export function expectOk(ack: number): void {
  if (ack !== Ack.OK) throw new Error(`SWD ACK ${ack}, expected OK`);
}

/** A 32-bit memory read through AP0 (SELECT, CSW, TAR, DRW, then RDBUFF for the posted result). */
export function apRead32(sim: Sim, addr: number, ap = 0): number {
  expectOk(sim.dpWrite(false, 0x8, ap << 24).ack);
  expectOk(sim.dpWrite(true, 0x0, 0x23000012).ack); // CSW: 32-bit, single increment, DbgSwEnable/Prot
  expectOk(sim.dpWrite(true, 0x4, addr).ack);
  expectOk(sim.dpRead(true, 0xc).ack);
  const r = sim.dpRead(false, 0xc);
  expectOk(r.ack);
  return r.data >>> 0;
}

export function apWrite32(sim: Sim, addr: number, value: number, ap = 0): void {
  expectOk(sim.dpWrite(false, 0x8, ap << 24).ack);
  expectOk(sim.dpWrite(true, 0x0, 0x23000012).ack);
  expectOk(sim.dpWrite(true, 0x4, addr).ack);
  expectOk(sim.dpWrite(true, 0xc, value).ack);
  expectOk(sim.dpRead(false, 0xc).ack); // RDBUFF: the write has completed without a fault
}

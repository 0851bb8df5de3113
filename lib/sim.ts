/**
 * The simulated target: an STM32 with a Cortex-M core, an SW-DP, MEM-APs and flash, faithful
 * down to the SWD wire. Tests and benchmarks use it directly; the virtual probe builds on it.
 */
import { fromNative } from './errors.js';
import { native, type NativeProfile, type NativeSim, type NativeSimState } from './native.js';

export type SimProfileName = 'stm32f103' | 'stm32f407' | 'stm32h743' | 'stm32f723' | 'stm32h750' | 'stm32g071' | 'stm32l476' | 'nrf52840' | 'rp2040' | 'stm32f072' | 'stm32f303' | 'stm32f411' | 'stm32f429' | 'stm32g431';
export type SimResetKind = 'power-on' | 'system' | 'core';
export type SimFaultKind =
  | 'wait' // the next `count` AP accesses answer WAIT
  | 'fault' // the next AP access faults on the bus
  | 'no-ack' // the target stops answering for `count` transfers (0: until cleared)
  | 'sticky-orun' // STICKYORUN set now
  | 'clear' // cancel injected faults
  | 'flash-error' // the next flash operation fails
  | 'target-reset'; // a system reset happens now

/** SWD acknowledge values (ADIv5.2 B4.2.2); NONE is what a host reads from an undriven line. */
export const Ack = { OK: 1, WAIT: 2, FAULT: 4, NONE: 7 } as const;

export type SimProfile = NativeProfile;
export type SimState = NativeSimState;

export class Sim {
  readonly profile: string;
  /** @internal the addon object, for other native classes that drive this target */
  readonly handle: NativeSim;

  constructor(profile: SimProfileName | string) {
    try {
      this.handle = new (native().Sim)(profile);
    } catch (error) {
      throw fromNative(error);
    }
    this.profile = profile;
  }

  /** The profiles the simulator offers. */
  static profiles(): SimProfile[] {
    return native().Sim.profiles();
  }

  private call<T>(fn: (sim: NativeSim) => T): T {
    try {
      return fn(this.handle);
    } catch (error) {
      throw fromNative(error);
    }
  }

  close(): void {
    this.call((s) => s.close());
  }

  /** One SWD transfer at transaction level. `addr` is A[3:2] as a byte offset. */
  dpRead(ap: boolean, addr: number): { ack: number; data: number } {
    return this.call((s) => s.dpTransfer(ap, true, addr));
  }

  dpWrite(ap: boolean, addr: number, data: number): { ack: number } {
    return this.call((s) => s.dpTransfer(ap, false, addr, data));
  }

  /** Bit level: clock `count` bits (1-32, LSB first) out with the host driving SWDIO. */
  wireOut(bits: number, count: number): void {
    this.call((s) => s.wireOut(bits >>> 0, count));
  }

  /** Bit level: clock `count` bits in with the host's driver off. */
  wireIn(count: number): number {
    return this.call((s) => s.wireIn(count)) >>> 0;
  }

  /** A bus access as a debugger's MEM-AP makes it; throws EBUSFAULT. */
  busRead(addr: number, size: 1 | 2 | 4 = 4): number {
    return this.call((s) => s.busRead(addr, size)) >>> 0;
  }

  busWrite(addr: number, value: number, size: 1 | 2 | 4 = 4): void {
    this.call((s) => s.busWrite(addr, size, value >>> 0));
  }

  /** Back door: copies bytes into memory or flash storage, bypassing the flash controller. */
  load(addr: number, data: Uint8Array): void {
    this.call((s) => s.load(addr, data));
  }

  /** Back door: reads bytes from memory or flash storage. */
  peek(addr: number, length: number): Uint8Array {
    return this.call((s) => s.peek(addr, length));
  }

  /** Lets virtual time pass; the core runs unless halted. */
  advance(nanoseconds: number): void {
    this.call((s) => s.advance(nanoseconds));
  }

  reset(kind: SimResetKind = 'system'): void {
    this.call((s) => s.reset(kind));
  }

  setNrst(low: boolean): void {
    this.call((s) => s.setNrst(low));
  }

  /**
   * Injects a fault; with `after`, the injected faults act only once that many more SWD
   * transfers have passed (a fault in the middle of a long operation, set up before it).
   */
  injectFault(kind: SimFaultKind, count = 1, after = 0): void {
    this.call((s) => s.injectFault(kind, count, after));
  }

  setClocks(clocks: { swdHz?: number; coreHz?: number }): void {
    this.call((s) => s.setClocks(clocks));
  }

  state(): SimState {
    return this.call((s) => s.state());
  }

  /**
   * Sets option bytes as if they had been programmed before this power-up, in effect at once.
   * `rdp` is the read-out protection byte: 0xAA level 0, 0xCC level 2 (the debug port stops
   * answering for good), anything else level 1 (a debugger's flash reads fault; changing it back
   * to 0xAA through the option bytes mass-erases the flash). F4, F7 and H7 profiles (ENOTSUP on
   * the F1).
   */
  setOptionBytes(options: { rdp?: number }): void {
    this.call((s) => s.setOptionBytes(options));
  }

  /** The RDP byte in effect, the programmed one (an F4/F7 loads it at the next reset), the level. */
  optionBytes(): { rdp: number; rdpProgrammed: number; level: 0 | 1 | 2 } {
    return this.call((s) => s.optionBytes());
  }

  /** Virtual time in seconds (for reports). */
  get seconds(): number {
    return Number(this.state().nowPs) / 1e12;
  }
}

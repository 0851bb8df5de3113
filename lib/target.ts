/**
 * The Target API: attach to a Cortex-M core through a probe and drive it — memory, registers,
 * run control, breakpoints and watchpoints. Every call returns a Promise.
 *
 * Probes today are simulated: `openProbe({ sim: 'stm32f407' })` puts the target layer on the
 * simulated wire (`link: 'swd'`, the firmware's path) or behind the CMSIS-DAP engine
 * (`link: 'cmsis-dap'`, the virtual probe). USB probes come with their transports.
 */
import { EventEmitter } from 'node:events';

import { BmpError, fromNative } from './errors.js';
import { native, type NativeSimProbe } from './native.js';
import { Sim, type SimProfileName } from './sim.js';

export type CoreName = 'unknown' | 'Cortex-M0' | 'Cortex-M0+' | 'Cortex-M3' | 'Cortex-M4' | 'Cortex-M7' | 'Cortex-M33';
const CORE_NAMES: CoreName[] = ['unknown', 'Cortex-M0', 'Cortex-M0+', 'Cortex-M3', 'Cortex-M4', 'Cortex-M7', 'Cortex-M33'];

export type HaltReason =
  | { reason: 'running' }
  | { reason: 'request' | 'step' | 'breakpoint' | 'vector-catch' | 'lockup' }
  | { reason: 'watchpoint'; address: number };
const REASONS = ['running', 'request', 'step', 'breakpoint', 'watchpoint', 'vector-catch', 'lockup'] as const;

export type WatchKind = 'read' | 'write' | 'access';

export interface MemoryRegion {
  type: 'flash' | 'ram';
  start: number;
  length: number;
  /** Flash only: the erase unit in this region. */
  blockSize?: number;
}
const WATCH_KINDS: Record<WatchKind, number> = { read: 5, write: 6, access: 7 };

/** Register names and their DCRSR.REGSEL numbers (ARMv7-M C1.6.3). */
const REGISTERS: Record<string, number> = {
  ...Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`r${i}`, i])),
  sp: 13, lr: 14, pc: 15, xpsr: 16, msp: 17, psp: 18, special: 20, fpscr: 0x21,
  ...Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`s${i}`, 0x40 + i])),
};
/** CONTROL, FAULTMASK, BASEPRI and PRIMASK share REGSEL 20: byte positions in it. */
const SPECIAL_BYTES: Record<string, number> = { primask: 0, basepri: 1, faultmask: 2, control: 3 };

export interface OpenProbeOptions {
  /** A simulated target: the profile name. */
  sim: SimProfileName;
  /** 'cmsis-dap' (default): through the CMSIS-DAP engine; 'swd': on the simulated wire directly. */
  link?: 'swd' | 'cmsis-dap';
  /** CMSIS-DAP packet size (default 512). */
  packetSize?: number;
}

export interface ScanResult {
  index: number;
  dpidr: number;
  cpuid: number;
  core: CoreName;
  idcode: number;
}

function wrap<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(fromNative(error));
  }
}

function checkAddress(addr: number, what = 'address'): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) {
    throw new BmpError('ERANGE', `${what} must be an integer from 0 to 0xFFFFFFFF, not ${addr}`);
  }
}

export class Probe {
  readonly sim: Sim;
  private readonly handle: NativeSimProbe;
  private readonly dormant: boolean;
  private target?: Target;

  constructor(sim: Sim, link: 'swd' | 'cmsis-dap', packetSize: number) {
    this.sim = sim;
    this.dormant = sim.profile === 'stm32h743'; // DPv2: wake it from the dormant state
    try {
      this.handle = new (native().SimProbe)(sim.handle, link, packetSize);
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Connects over SWD and reports what answers (one target on a point-to-point wire). */
  swdScan(): Promise<ScanResult[]> {
    return wrap(() => {
      const { dpidr } = this.handle.connect(this.dormant);
      const info = this.handle.attach();
      const idAddress = this.sim.profile === 'stm32h743' ? 0x5c001000 : 0xe0042000;
      const idcode = new DataView(this.handle.readMemory(idAddress, 4).buffer).getUint32(0, true);
      return [{ index: 1, dpidr: dpidr >>> 0, cpuid: info.cpuid >>> 0, core: CORE_NAMES[info.core], idcode }];
    });
  }

  /** Attaches to target `index` (from swdScan; 1 on a point-to-point wire). */
  async attach(index = 1): Promise<Target> {
    if (index !== 1) throw new BmpError('EINVAL', `no target ${index}: the scan found one target`);
    const info = await wrap(() => {
      this.handle.connect(this.dormant);
      return this.handle.attach();
    });
    this.target = new Target(this.handle, this.sim, CORE_NAMES[info.core], info.hasFpu);
    return this.target;
  }

  /** CMSIS-DAP packets exchanged so far (0 on the direct SWD link). */
  get packets(): number {
    return this.handle.packets();
  }

  async close(): Promise<void> {
    if (this.target) await this.target.detach().catch(() => {});
    this.sim.close();
  }
}

export class Target extends EventEmitter {
  readonly core: CoreName;
  readonly hasFpu: boolean;
  private attached = true;

  constructor(
    private readonly handle: NativeSimProbe,
    private readonly sim: Sim,
    core: CoreName,
    hasFpu: boolean,
  ) {
    super();
    this.core = core;
    this.hasFpu = hasFpu;
  }

  private call<T>(fn: () => T): Promise<T> {
    if (!this.attached) return Promise.reject(new BmpError('ENOTATTACHED', 'the target is detached'));
    return wrap(fn);
  }

  detach(): Promise<void> {
    return this.call(() => {
      this.handle.detach();
      this.attached = false;
    });
  }

  readMemory(addr: number, length: number): Promise<Uint8Array> {
    return this.call(() => {
      checkAddress(addr);
      if (!Number.isInteger(length) || length < 0 || length > 16 << 20 || addr + length > 0x100000000) {
        throw new BmpError('ERANGE', `length must be 0 to 16 MiB and stay below 4 GiB, not ${length}`);
      }
      return this.handle.readMemory(addr, length);
    });
  }

  writeMemory(addr: number, data: Uint8Array): Promise<void> {
    return this.call(() => {
      checkAddress(addr);
      if (!(data instanceof Uint8Array)) throw new BmpError('EINVAL', 'data must be a Uint8Array');
      if (addr + data.length > 0x100000000) throw new BmpError('ERANGE', 'the write runs past 4 GiB');
      this.handle.writeMemory(addr, data);
    });
  }

  async read32(addr: number): Promise<number> {
    if (addr % 4) throw new BmpError('ERANGE', `read32 needs a 4-byte aligned address, not 0x${addr.toString(16)}`);
    const bytes = await this.readMemory(addr, 4);
    return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  }

  async write32(addr: number, value: number): Promise<void> {
    if (addr % 4) throw new BmpError('ERANGE', `write32 needs a 4-byte aligned address, not 0x${addr.toString(16)}`);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
    await this.writeMemory(addr, bytes);
  }

  private regsel(name: string | number): { regsel: number; byte?: number } {
    if (typeof name === 'number') {
      if (!Number.isInteger(name) || name < 0 || name > 0x7f) throw new BmpError('ERANGE', `no register ${name}`);
      return { regsel: name };
    }
    const key = name.toLowerCase();
    if (key in SPECIAL_BYTES) return { regsel: 20, byte: SPECIAL_BYTES[key] };
    if (key in REGISTERS) return { regsel: REGISTERS[key] };
    throw new BmpError('EINVAL', `no register named '${name}'`);
  }

  readRegister(name: string | number): Promise<number> {
    return this.call(() => {
      const { regsel, byte } = this.regsel(name);
      const value = this.handle.readRegister(regsel) >>> 0;
      return byte === undefined ? value : (value >>> (8 * byte)) & 0xff;
    });
  }

  writeRegister(name: string | number, value: number): Promise<void> {
    return this.call(() => {
      const { regsel, byte } = this.regsel(name);
      checkAddress(value, 'value');
      if (byte === undefined) return this.handle.writeRegister(regsel, value);
      const old = this.handle.readRegister(20) >>> 0;
      const merged = ((old & ~(0xff << (8 * byte))) | ((value & 0xff) << (8 * byte))) >>> 0;
      this.handle.writeRegister(20, merged);
    });
  }

  /** r0-r12, sp, lr, pc, xpsr, msp, psp, primask, basepri, faultmask, control (and s0-s31, fpscr). */
  async readRegisters(): Promise<Record<string, number>> {
    const names = [...Array.from({ length: 13 }, (_, i) => `r${i}`), 'sp', 'lr', 'pc', 'xpsr', 'msp', 'psp',
      'primask', 'basepri', 'faultmask', 'control'];
    if (this.hasFpu) names.push(...Array.from({ length: 32 }, (_, i) => `s${i}`), 'fpscr');
    const out: Record<string, number> = {};
    for (const name of names) out[name] = await this.readRegister(name);
    return out;
  }

  halt(): Promise<void> {
    return this.call(() => this.handle.halt()).then(() => this.noteHalt());
  }

  resume(): Promise<void> {
    return this.call(() => this.handle.resume());
  }

  step(options: { maskInterrupts?: boolean } = {}): Promise<void> {
    return this.call(() => this.handle.step(options.maskInterrupts ?? true)).then(() => this.noteHalt());
  }

  /** Resets the target: by AIRCR.SYSRESETREQ, or with `pin` by pulsing the probe's nRST line. */
  reset(options: { halt?: boolean; pin?: boolean } = {}): Promise<void> {
    return this.call(() => this.handle.reset(options.halt ?? false, options.pin ?? false)).then(() => {
      if (options.halt) return this.noteHalt();
    });
  }

  haltReason(): Promise<HaltReason> {
    return this.call(() => {
      const { reason, watchAddress } = this.handle.haltReason();
      const name = REASONS[reason] ?? 'request';
      return name === 'watchpoint' ? { reason: name, address: watchAddress >>> 0 } : ({ reason: name } as HaltReason);
    });
  }

  /**
   * Waits until the core halts; resolves with the reason, rejects with ETIMEDOUT. On a simulated
   * target `timeout` is virtual time: the target runs 1 ms per poll.
   */
  async waitForHalt(options: { timeout?: number } = {}): Promise<HaltReason> {
    const timeout = options.timeout ?? 1000;
    for (let waited = 0; waited <= timeout; waited++) {
      const state = await this.haltReason();
      if (state.reason !== 'running') {
        this.emit('halted', state);
        return state;
      }
      this.sim.advance(1_000_000);
    }
    throw new BmpError('ETIMEDOUT', `the target did not halt within ${timeout} ms`);
  }

  private async noteHalt(): Promise<void> {
    const state = await this.haltReason();
    if (state.reason !== 'running') this.emit('halted', state);
  }

  /** The part's name from DBGMCU IDCODE ("STM32F40x/41x"), or "unknown Cortex-M part". */
  partName(): Promise<string> {
    return this.call(() => this.handle.describe().name);
  }

  /** Flash and RAM regions of the identified part (flash with its erase block size). */
  memoryMap(): Promise<MemoryRegion[]> {
    return this.call(() => this.handle.describe().regions);
  }

  /** The same map as GDB's memory-map XML (qXfer:memory-map:read). */
  memoryMapXml(): Promise<string> {
    return this.call(() => this.handle.describe().memoryMap);
  }

  /** GDB's target description XML (qXfer:features:read:target.xml), with the FPU if present. */
  targetDescription(): Promise<string> {
    return this.call(() => this.handle.describe().targetXml);
  }

  setBreakpoint(addr: number): Promise<void> {
    return this.call(() => {
      checkAddress(addr);
      this.handle.breakpoint(addr, true);
    });
  }

  clearBreakpoint(addr: number): Promise<void> {
    return this.call(() => this.handle.breakpoint(addr, false));
  }

  setWatchpoint(addr: number, size: number, kind: WatchKind = 'write'): Promise<void> {
    return this.call(() => {
      checkAddress(addr);
      if (!(kind in WATCH_KINDS)) throw new BmpError('EINVAL', `watchpoint kind must be read, write or access`);
      this.handle.watchpoint(addr, size, WATCH_KINDS[kind]);
    });
  }

  clearWatchpoint(addr: number, size: number): Promise<void> {
    return this.call(() => this.handle.watchpoint(addr, size, 0));
  }
}

/** Opens a probe. Today: a simulated target behind the virtual probe or on the SWD wire. */
export async function openProbe(options: OpenProbeOptions): Promise<Probe> {
  const sim = new Sim(options.sim);
  try {
    return new Probe(sim, options.link ?? 'cmsis-dap', options.packetSize ?? 512);
  } catch (error) {
    sim.close();
    throw error;
  }
}

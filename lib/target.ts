/**
 * The Target API: attach to a Cortex-M core through a probe and drive it — memory, registers,
 * run control, breakpoints and watchpoints. Every call returns a Promise; the work runs on the
 * probe's own native thread (docs/ARCHITECTURE.md, "The addon and the threads").
 *
 * `openProbe({ sim: 'stm32f407' })` puts the target layer on a simulated target: on the
 * simulated wire (`link: 'swd'`, the firmware's path) or behind the CMSIS-DAP engine
 * (`link: 'cmsis-dap'`, the virtual probe; `usb: 'hid' | 'bulk'` adds its USB timing model).
 * `openProbe({ transport })` drives a CMSIS-DAP probe whose packets travel through JavaScript.
 */
import { EventEmitter } from 'node:events';

import { BmpError, fromNative } from './errors.js';
import { native, type NativeProbe, type NativeProbeOptions, type NativeScan } from './native.js';
import { loadImage, type ImageFormat, type ImageSegment } from './image.js';
import { Sim, type SimProfileName } from './sim.js';
import type { DapTransport } from './transports/types.js';

export type CoreName = 'unknown' | 'Cortex-M0' | 'Cortex-M0+' | 'Cortex-M3' | 'Cortex-M4' | 'Cortex-M7' | 'Cortex-M33';
const CORE_NAMES: CoreName[] = ['unknown', 'Cortex-M0', 'Cortex-M0+', 'Cortex-M3', 'Cortex-M4', 'Cortex-M7', 'Cortex-M33'];

export type HaltReason =
  | { reason: 'running' }
  | { reason: 'request' | 'step' | 'breakpoint' | 'vector-catch' | 'lockup' }
  | { reason: 'watchpoint'; address: number };
const REASONS = ['running', 'request', 'step', 'breakpoint', 'watchpoint', 'vector-catch', 'lockup'] as const;

export type WatchKind = 'read' | 'write' | 'access';

export interface MemoryRegion {
  /** 'device': peripherals and the system control space; 'rom': system memory, IDs, options. */
  type: 'flash' | 'ram' | 'rom' | 'device';
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

export type OpenProbeOptions =
  | {
      /** A simulated target: the profile name. */
      sim: SimProfileName;
      /** 'cmsis-dap' (default): through the CMSIS-DAP engine; 'swd': on the simulated wire directly. */
      link?: 'swd' | 'cmsis-dap';
      /** The virtual probe's USB model: full-speed HID (64-byte reports) or high-speed bulk. */
      usb?: 'hid' | 'bulk';
      /** CMSIS-DAP packet size without a USB model (default 512). */
      packetSize?: number;
    }
  | {
      transport: DapTransport;
      /** How long to wait for each response, in milliseconds (default 2000). */
      timeout?: number;
    };

export interface FlashOptions {
  /** Verify what was programmed (default true): a CRC-32 that the on-target routine computes
   * from the flash as it programs, or a read-back where it cannot run. */
  verify?: boolean;
  /** Called as programming proceeds: bytes sent of the total (the total once all is written
   * and verified). Calls come from a timer on the main thread while the probe works. */
  progress?: (done: number, total: number) => void;
  /** For a raw binary: where it goes. */
  base?: number;
  /** The file's format when it cannot be told from its content ('elf' | 'hex' | 'bin'). */
  format?: ImageFormat;
  /** Use the on-target loader in RAM (default true); false: direct writes through the MEM-AP. */
  fast?: boolean;
}

export interface ScanResult {
  /** 1-based, as GDB's `attach` takes it. */
  index: number;
  dpidr: number;
  apsel: number;
  cpuid: number;
  core: CoreName;
  /** DBGMCU IDCODE read through the core's access port (0 if none answered). */
  idcode: number;
  /** The part that IDCODE names ("STM32F40x/41x"), or '' if it is not one this package knows. */
  part: string;
}

export interface CoreSightComponent {
  address: number;
  /** PIDR part number */
  part: number;
  /** JEP106 designer: continuation code << 8 | identity code (0x43B: Arm) */
  designer: number;
  /** CIDR class: 1 ROM table, 9 CoreSight component */
  class: number;
  depth: number;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw fromNative(error);
  }
}

function checkAddress(addr: number, what = 'address'): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) {
    throw new BmpError('ERANGE', `${what} must be an integer from 0 to 0xFFFFFFFF, not ${addr}`);
  }
}

/** Reads a probe's private native session (set by the class below); other modules use probeSession(). */
let sessionOf: (probe: Probe) => NativeProbe | undefined;

/**
 * A probe, from `openProbe` (the package exports this class as a type only). Its native session
 * is private to this package.
 */
export class Probe {
  /** The simulated target, when the probe drives one. */
  readonly sim?: Sim;
  readonly #handle: NativeProbe;
  readonly #transport?: DapTransport;
  #target?: Target;
  #lastScan?: NativeScan;

  static {
    sessionOf = (probe) => (#handle in probe ? probe.#handle : undefined);
  }

  constructor(options: { sim: Sim; link: 'swd' | 'cmsis-dap'; usb?: 'hid' | 'bulk'; packetSize: number } | { transport: DapTransport; timeout: number }) {
    const nativeOptions: NativeProbeOptions =
      'sim' in options
        ? { sim: options.sim.handle, link: options.link, usb: options.usb, packetSize: options.packetSize }
        : {
            transfer: (request) => options.transport.transfer(request),
            packetCount: options.transport.packetCount ?? 1,
            timeoutMs: options.timeout,
          };
    if ('sim' in options) this.sim = options.sim;
    else this.#transport = options.transport;
    try {
      this.#handle = new (native().Probe)(nativeOptions);
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Connects over SWD and lists the Cortex-M cores behind the debug port. */
  async swdScan(): Promise<ScanResult[]> {
    const scan = await call(() => this.#handle.scan());
    this.#lastScan = scan;
    this.#target = undefined;
    return scan.targets.map((t, i) => ({
      index: i + 1,
      dpidr: scan.dpidr >>> 0,
      apsel: t.apsel,
      cpuid: t.cpuid >>> 0,
      core: CORE_NAMES[t.core] ?? 'unknown',
      idcode: t.idcode >>> 0,
      part: t.part,
    }));
  }

  /** CoreSight components found by the last scan's ROM-table walk. */
  get components(): CoreSightComponent[] {
    return this.#lastScan?.components.map((c) => ({ ...c, address: c.address >>> 0 })) ?? [];
  }

  /** Attaches to target `index` (1-based, from swdScan); scans first if needed. */
  async attach(index = 1): Promise<Target> {
    if (!Number.isInteger(index) || index < 1) throw new BmpError('EINVAL', `target numbers start at 1, not ${index}`);
    if (!this.#lastScan) await this.swdScan();
    const info = await call(() => this.#handle.attach(index - 1));
    this.#target = new Target(this.#handle, this.sim, index, CORE_NAMES[info.core] ?? 'unknown', info.hasFpu);
    return this.#target;
  }

  /**
   * The target attached now, whoever attached it: attach(), or a GDB session served on this
   * probe (`attach 1` in GDB). Undefined if none is.
   */
  async currentTarget(): Promise<Target | undefined> {
    const info = await call(() => this.#handle.current());
    if (!info) return undefined;
    if (this.#target?.isAttached && this.#target.index === info.index + 1) return this.#target;
    this.#target = new Target(this.#handle, this.sim, info.index + 1, CORE_NAMES[info.core] ?? 'unknown', info.hasFpu);
    return this.#target;
  }

  /** CMSIS-DAP packets exchanged so far (0 on the direct SWD link), and the USB model's figures. */
  stats(): Promise<{ packets: number; usbPackets?: number; hostNs?: number }> {
    return call(() => this.#handle.stats());
  }

  /** CMSIS-DAP packets exchanged so far. */
  async packets(): Promise<number> {
    return (await this.stats()).packets;
  }

  /** Detaches (waiting at most half a second for calls still queued), then ends the session. */
  async close(): Promise<void> {
    if (this.#target) {
      const detached = this.#target.detach().catch(() => {});
      await Promise.race([detached, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    }
    this.#handle.close();
    this.sim?.close();
    await this.#transport?.close?.(); // a transport written in JavaScript may lack it
  }
}

/**
 * The native session of a probe from `openProbe`, for the GDB server to share (EINVAL for anything
 * else). Internal to the package: index.ts does not export it.
 */
export function probeSession(probe: Probe): NativeProbe {
  const handle = typeof probe === 'object' && probe !== null ? sessionOf(probe) : undefined;
  if (!handle) throw new BmpError('EINVAL', 'expected a probe from openProbe()');
  return handle;
}

export class Target extends EventEmitter {
  /** Its number in the scan (1-based). */
  readonly index: number;
  readonly core: CoreName;
  readonly hasFpu: boolean;
  private attached = true;

  constructor(
    private readonly handle: NativeProbe,
    private readonly sim: Sim | undefined,
    index: number,
    core: CoreName,
    hasFpu: boolean,
  ) {
    super();
    this.index = index;
    this.core = core;
    this.hasFpu = hasFpu;
  }

  /** False once detach() was called on this object. */
  get isAttached(): boolean {
    return this.attached;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.attached) return Promise.reject(new BmpError('ENOTATTACHED', 'the target is detached'));
    return call(fn);
  }

  async detach(): Promise<void> {
    await this.call(() => this.handle.detach());
    this.attached = false;
  }

  readMemory(addr: number, length: number): Promise<Uint8Array> {
    return this.call(async () => {
      checkAddress(addr);
      if (!Number.isInteger(length) || length < 0 || length > 16 << 20 || addr + length > 0x100000000) {
        throw new BmpError('ERANGE', `length must be 0 to 16 MiB and stay below 4 GiB, not ${length}`);
      }
      return this.handle.readMemory(addr, length);
    });
  }

  writeMemory(addr: number, data: Uint8Array): Promise<void> {
    return this.call(async () => {
      checkAddress(addr);
      if (!(data instanceof Uint8Array)) throw new BmpError('EINVAL', 'data must be a Uint8Array');
      if (addr + data.length > 0x100000000) throw new BmpError('ERANGE', 'the write runs past 4 GiB');
      await this.handle.writeMemory(addr, data);
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

  async readRegister(name: string | number): Promise<number> {
    const [value] = Object.values(await this.readNamed([name]));
    return value;
  }

  /** Reads several registers in one trip to the probe's thread. */
  private readNamed(names: (string | number)[]): Promise<Record<string, number>> {
    return this.call(async () => {
      const sels = names.map((n) => this.regsel(n));
      const values = await this.handle.readRegisters(sels.map((s) => s.regsel));
      const out: Record<string, number> = {};
      sels.forEach(({ byte }, i) => {
        const v = values[i] >>> 0;
        out[String(names[i])] = byte === undefined ? v : (v >>> (8 * byte)) & 0xff;
      });
      return out;
    });
  }

  writeRegister(name: string | number, value: number): Promise<void> {
    return this.call(async () => {
      const { regsel, byte } = this.regsel(name);
      checkAddress(value, 'value');
      if (byte === undefined) return this.handle.writeRegister(regsel, value);
      const [old] = await this.handle.readRegisters([20]);
      const merged = (((old >>> 0) & ~(0xff << (8 * byte))) | ((value & 0xff) << (8 * byte))) >>> 0;
      await this.handle.writeRegister(20, merged);
    });
  }

  /** r0-r12, sp, lr, pc, xpsr, msp, psp, primask, basepri, faultmask, control (and s0-s31, fpscr). */
  readRegisters(): Promise<Record<string, number>> {
    const names = [...Array.from({ length: 13 }, (_, i) => `r${i}`), 'sp', 'lr', 'pc', 'xpsr', 'msp', 'psp',
      'primask', 'basepri', 'faultmask', 'control'];
    if (this.hasFpu) names.push(...Array.from({ length: 32 }, (_, i) => `s${i}`), 'fpscr');
    return this.readNamed(names);
  }

  async halt(): Promise<void> {
    await this.call(() => this.handle.halt());
    await this.noteHalt();
  }

  resume(): Promise<void> {
    return this.call(() => this.handle.resume());
  }

  async step(options: { maskInterrupts?: boolean } = {}): Promise<void> {
    await this.call(() => this.handle.step(options.maskInterrupts ?? true));
    await this.noteHalt();
  }

  /** Resets the target: by AIRCR.SYSRESETREQ, or with `pin` by pulsing the probe's nRST line. */
  async reset(options: { halt?: boolean; pin?: boolean } = {}): Promise<void> {
    await this.call(() => this.handle.reset(options.halt ?? false, options.pin ?? false));
    if (options.halt) await this.noteHalt();
  }

  async haltReason(): Promise<HaltReason> {
    const { reason, watchAddress } = await this.call(() => this.handle.haltReason());
    const name = REASONS[reason] ?? 'request';
    return name === 'watchpoint' ? { reason: name, address: watchAddress >>> 0 } : ({ reason: name } as HaltReason);
  }

  /**
   * Waits until the core halts; resolves with the reason, rejects with ETIMEDOUT. On a simulated
   * target `timeout` is virtual time: the target runs 1 ms per poll. On a real one it is wall
   * time, polled every few milliseconds.
   */
  async waitForHalt(options: { timeout?: number } = {}): Promise<HaltReason> {
    const timeout = options.timeout ?? 1000;
    const started = Date.now();
    for (let waited = 0; this.sim ? waited <= timeout : Date.now() - started <= timeout; waited++) {
      const state = await this.haltReason();
      if (state.reason !== 'running') {
        this.emit('halted', state);
        return state;
      }
      if (this.sim) this.sim.advance(1_000_000);
      else await new Promise((resolve) => setTimeout(resolve, Math.min(20, 1 + waited)));
    }
    throw new BmpError('ETIMEDOUT', `the target did not halt within ${timeout} ms`);
  }

  private async noteHalt(): Promise<void> {
    const state = await this.haltReason();
    if (state.reason !== 'running') this.emit('halted', state);
  }

  /** The part's name from DBGMCU IDCODE ("STM32F40x/41x"), or "unknown Cortex-M part". */
  async partName(): Promise<string> {
    return (await this.call(() => this.handle.describe())).name;
  }

  /** Flash and RAM regions of the identified part (flash with its erase block size). */
  async memoryMap(): Promise<MemoryRegion[]> {
    return (await this.call(() => this.handle.describe())).regions;
  }

  /** The same map as GDB's memory-map XML (qXfer:memory-map:read). */
  async memoryMapXml(): Promise<string> {
    return (await this.call(() => this.handle.describe())).memoryMap;
  }

  /** GDB's target description XML (qXfer:features:read:target.xml), with the FPU if present. */
  async targetDescription(): Promise<string> {
    return (await this.call(() => this.handle.describe())).targetXml;
  }

  /**
   * Programs an image into flash: ELF (loadable segments at their physical addresses), Intel HEX,
   * raw binary (with `base`), or segments. Every segment must lie in the part's flash: an image
   * that does not is refused before anything is erased. Erases the blocks the image touches,
   * programs, and verifies. The core is halted first and left halted.
   */
  async flash(image: Uint8Array | ImageSegment[], options: FlashOptions = {}): Promise<void> {
    const segments = Array.isArray(image) ? image : loadImage(image, { base: options.base, format: options.format });
    await this.halt();
    // The core plans and writes the image (native/core/flash/flash_image.h); progress comes
    // back through shared memory that the session thread writes as it goes.
    const cells = options.progress ? new Int32Array(new SharedArrayBuffer(8)) : undefined;
    let reported = -1;
    const report = () => {
      const done = Atomics.load(cells!, 0);
      const total = Atomics.load(cells!, 1);
      if (total > 0 && done !== reported) {
        reported = done;
        options.progress!(done, total);
      }
    };
    const timer = cells ? setInterval(report, 20) : undefined;
    try {
      await this.call(() => this.handle.flashImage(segments, options.verify ?? true, options.fast ?? true, cells));
    } finally {
      if (timer) clearInterval(timer);
    }
    if (cells) report();
  }

  /**
   * Erases every flash block that the range touches (the part's erase blocks: see memoryMap()).
   * The range must lie in flash (ERANGE). The core is halted first.
   */
  async eraseFlash(addr: number, length: number): Promise<void> {
    checkAddress(addr);
    if (!Number.isInteger(length) || length < 1 || addr + length > 0x100000000) {
      throw new BmpError('ERANGE', `length must be at least 1 and stay below 4 GiB, not ${length}`);
    }
    await this.halt();
    await this.call(() => this.handle.flashErase(addr, length));
  }

  /** Erases the whole flash (every bank). The core is halted first. */
  async eraseMass(): Promise<void> {
    await this.halt();
    await this.call(() => this.handle.flashMassErase());
  }

  /**
   * The part's read-out protection: `level` 0 (none), 1 (the flash is closed to a debugger: reads
   * fault, erasing and programming fail) or 2 (permanent: the debug port is disabled, so a part
   * at level 2 normally cannot even be attached to). `rdp` is the RDP option byte on STM32F4/F7/H7
   * (0xAA level 0, 0xCC level 2, any other value level 1); on an STM32F0/F1/F3 the RDP byte as
   * programmed at 0x1FFFF800 (F1: 0xA5 level 0, any other value level 1; F0/F3 as the F4). On an F4/F7
   * this is OPTCR as loaded at the last reset or as since written, so after
   * `removeReadProtection()` it reads 0 before the reset that makes it so.
   */
  async readProtection(): Promise<{ level: 0 | 1 | 2; rdp?: number }> {
    return this.call(() => this.handle.flashReadProtection());
  }

  /**
   * Takes read-out protection from level 1 back to level 0 through the option bytes. THE PART
   * MASS-ERASES ITS WHOLE FLASH as it does so: that is what level 1 guarantees. Waits until the
   * erase is done (seconds). The core is halted first. An STM32F1/F4/F7 loads the new level at its
   * next reset: reset it (`reset({ halt: true })`) before using the flash. An STM32F0/F3 loads it
   * only at power-on or OBL_LAUNCH, which this sets: the part resets and is at level 0 when this
   * returns. Level 0: nothing to do;
   * level 2 is permanent (EPROTECTED).
   */
  async removeReadProtection(): Promise<void> {
    await this.halt();
    await this.call(() => this.handle.flashRdpRegress());
  }

  setBreakpoint(addr: number): Promise<void> {
    return this.call(async () => {
      checkAddress(addr);
      await this.handle.breakpoint(addr, true);
    });
  }

  clearBreakpoint(addr: number): Promise<void> {
    return this.call(() => this.handle.breakpoint(addr, false));
  }

  setWatchpoint(addr: number, size: number, kind: WatchKind = 'write'): Promise<void> {
    return this.call(async () => {
      checkAddress(addr);
      if (!(kind in WATCH_KINDS)) throw new BmpError('EINVAL', `watchpoint kind must be read, write or access`);
      await this.handle.watchpoint(addr, size, WATCH_KINDS[kind]);
    });
  }

  clearWatchpoint(addr: number, size: number): Promise<void> {
    return this.call(() => this.handle.watchpoint(addr, size, 0));
  }
}

/** Opens a probe: a simulated target (virtual probe or SWD wire), or a CMSIS-DAP transport. */
export async function openProbe(options: OpenProbeOptions): Promise<Probe> {
  if ('transport' in options) {
    const timeout = options.timeout ?? 2000;
    if (!Number.isInteger(timeout) || timeout < 1) throw new BmpError('ERANGE', `timeout must be a positive integer, not ${timeout}`);
    return new Probe({ transport: options.transport, timeout });
  }
  const sim = new Sim(options.sim);
  try {
    return new Probe({ sim, link: options.link ?? 'cmsis-dap', usb: options.usb, packetSize: options.packetSize ?? 512 });
  } catch (error) {
    sim.close();
    throw error;
  }
}

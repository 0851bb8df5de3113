/**
 * Loads the native addon: a local build (build/Release) when there is one, else a prebuilt
 * binary from prebuilds/ that matches this platform (node-gyp-build's order). BMP_NATIVE_PATH
 * names a .node file to load instead (used to test the CMake build of the same sources).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BmpError } from './errors.js';

export interface NativeProfile {
  name: string;
  part: string;
  dpidr: number;
  cpuid: number;
  idcode: number;
  flashBase: number;
  flashSize: number;
  hasFpu: boolean;
}

export interface NativeSimState {
  profile: string;
  nowPs: bigint;
  cycles: bigint;
  halted: boolean;
  sleeping: boolean;
  lockup: boolean;
  resetCount: number;
  /** Of those, the resets the independent watchdog caused (parts with a modelled IWDG). */
  watchdogResets: number;
  coreHz: number;
  swdHz: number;
  pc: number;
}

export interface NativeSim {
  close(): void;
  dpTransfer(ap: boolean, read: boolean, addr: number, data?: number): { ack: number; data: number };
  wireOut(bits: number, count: number): void;
  wireIn(count: number): number;
  busRead(addr: number, size: number): number;
  busWrite(addr: number, size: number, value: number): void;
  load(addr: number, data: Uint8Array): void;
  peek(addr: number, length: number): Uint8Array;
  advance(nanoseconds: number): void;
  reset(kind: string): void;
  setNrst(low: boolean): void;
  injectFault(kind: string, count?: number, after?: number): void;
  setClocks(clocks: { swdHz?: number; coreHz?: number }): void;
  state(): NativeSimState;
  setOptionBytes(options: { rdp?: number }): void;
  optionBytes(): { rdp: number; rdpProgrammed: number; level: 0 | 1 | 2 };
}

export interface NativeDapEngine {
  execute(request: Uint8Array): Uint8Array[];
  abort(): void;
  readonly packetSize: number;
}

export interface NativeScan {
  dpidr: number;
  aps: number;
  targets: { apsel: number; cpuid: number; core: number; idcode: number; part: string }[];
  components: { address: number; part: number; designer: number; class: number; depth: number }[];
}

export interface NativeProbeOptions {
  sim?: NativeSim;
  link?: 'swd' | 'cmsis-dap';
  usb?: 'hid' | 'bulk';
  packetSize?: number;
  transfer?: (request: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  packetCount?: number;
  timeoutMs?: number;
}

/** A probe session: every call runs on the probe's own native thread. */
export interface NativeProbe {
  scan(dormant?: boolean): Promise<NativeScan>;
  attach(index: number): Promise<{
    cpuid: number; core: number; hasFpu: boolean; fpbRevision: number; breakpoints: number; watchpoints: number; part: string;
  }>;
  detach(): Promise<void>;
  current(): Promise<{ index: number; core: number; hasFpu: boolean } | null>;
  readMemory(addr: number, length: number): Promise<Uint8Array>;
  writeMemory(addr: number, data: Uint8Array): Promise<void>;
  halt(): Promise<void>;
  resume(): Promise<void>;
  step(maskInterrupts: boolean): Promise<void>;
  reset(halt: boolean, pin: boolean): Promise<void>;
  haltReason(): Promise<{ reason: number; watchAddress: number }>;
  readRegisters(regsels: number[]): Promise<number[]>;
  writeRegister(regsel: number, value: number): Promise<void>;
  breakpoint(addr: number, set: boolean): Promise<void>;
  watchpoint(addr: number, size: number, kind: number): Promise<void>;
  stats(): Promise<{ packets: number; usbPackets?: number; hostNs?: number }>;
  describe(): Promise<{
    name: string;
    devId: number;
    regions: { type: 'flash' | 'ram' | 'rom' | 'device'; start: number; length: number; blockSize?: number }[];
    memoryMap: string;
    targetXml: string;
  }>;
  close(): void;
  flashErase(addr: number, length: number): Promise<void>;
  flashImage(
    segments: { address: number; data: Uint8Array }[],
    verify: boolean,
    fast?: boolean,
    progress?: Int32Array,
  ): Promise<void>;
  flashMassErase(): Promise<void>;
  flashReadProtection(): Promise<{ level: 0 | 1 | 2; rdp?: number }>;
  flashRdpRegress(): Promise<void>;
}

/** The GDB server core on a probe's session thread. */
/** What the GDB core reports after each call: bytes for GDB, and the session's state. */
export interface NativeGdbResult {
  output: Uint8Array;
  running: boolean;
  /** A target is attached (vAttach/vRun and no D or k since). */
  attached: boolean;
  /** A monitor command of the embedding's, parked until monitorReply(seq, ...): its full name,
   * then its arguments as typed. Reported once. */
  monitor?: { seq: number; command: string };
}

export interface NativeGdbSession {
  input(bytes: Uint8Array): Promise<NativeGdbResult>;
  poll(runNs: number): Promise<NativeGdbResult>;
  disconnect(): Promise<NativeGdbResult>;
  configure(options: {
    connectUnderReset?: boolean;
    monitorCommands?: { name: string; help: string }[];
    cmdline?: string;
    heapInfo?: number[];
  }): Promise<void>;
  monitorReply(seq: number, output: string, ok: boolean): Promise<NativeGdbResult>;
}

/** The virtual DfuSe device's options (native/sim/sim_dfu.h, native/addon/dfu_wrap.cc). */
export interface NativeVirtualDfuOptions {
  vid: number;
  pid: number;
  bcdDevice: number;
  manufacturer: string;
  product: string;
  serial: string;
  highSpeed: boolean;
  /** The region the device writes: its name in the layout string, base and sectors. */
  name: string;
  base: number;
  sectors: { count: number; size: number; eraseMs: number }[];
  transferSize: number;
  programUnit: number;
  programMsPerKiB: number;
  /** bmAttributes of the DFU functional descriptor. */
  attributes: number;
  /** The modelled flash (it holds the region, and whatever else the board has). */
  flashBase: number;
  flashSize: number;
}

export type NativeDfuFault = 'none' | 'stall' | 'disconnect' | 'errTARGET' | 'errVERIFY' | 'errCHECK_ERASED';

export interface NativeVirtualDfuState {
  state: number;
  status: number;
  stateName: string;
  statusName: string;
  pointer: number;
  connected: boolean;
  left: boolean;
  blocks: number;
  erases: number;
  programs: number;
  outside: number;
}

export interface NativeVirtualDfu {
  control(setup: Uint8Array, data?: Uint8Array | null): { result: 'ok' | 'stall' | 'gone'; data?: Uint8Array };
  readFlash(address: number, length: number): Uint8Array;
  writeFlash(address: number, bytes: Uint8Array): void;
  setFault(kind: NativeDfuFault, at?: number): void;
  reconnect(): void;
  bootDecision(inputs: {
    appBase: number;
    appSize: number;
    ramBase: number;
    ramSize: number;
    boardTag: number;
    request: number;
    button: boolean;
  }): string;
  altString(): string;
  readonly state: NativeVirtualDfuState;
}

export interface NativeBinding {
  Sim: { new (profile: string): NativeSim; profiles(): NativeProfile[] };
  DapEngine: { new (sim: NativeSim, packetSize: number, packetCount: number): NativeDapEngine };
  Probe: { new (options: NativeProbeOptions): NativeProbe };
  GdbSession: { new (probe: NativeProbe): NativeGdbSession };
  VirtualDfu: { new (options: NativeVirtualDfuOptions): NativeVirtualDfu };
}

const require = createRequire(import.meta.url);
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

function load(): NativeBinding {
  try {
    const override = process.env.BMP_NATIVE_PATH;
    if (override) return require(override) as NativeBinding;
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(packageRoot) as NativeBinding;
  } catch (error) {
    const reason = (error as Error).message.trim().split('\n')[0];
    throw new BmpError('ENATIVE', `cannot load the bmp-gdbserver native addon: ${reason}. ${nativeHelp()}`);
  }
}

/**
 * Which platforms have prebuilt addons and what building one from source needs: the install
 * script's own words (scripts/install.cjs, shipped in the package), so that both say the same.
 */
function nativeHelp(): string {
  try {
    const install = require(join(packageRoot, 'scripts', 'install.cjs')) as { nativeHelp(): string };
    return install.nativeHelp();
  } catch {
    return 'Reinstall the package on a machine with a C/C++ compiler, Python 3 and make.';
  }
}

let binding: NativeBinding | undefined;

/** The addon, loaded on first use so that importing the package never throws. */
export function native(): NativeBinding {
  binding ??= load();
  return binding;
}

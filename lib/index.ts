/** bmp-gdbserver: the public API. */
export { BmpError, type BmpErrorCode } from './errors.js';
export { DapEngine, WallClockEngine, type DapEngineOptions } from './dap-engine.js';
export { DapServer, type DapPacketEngine, type DapServerOptions } from './dap-server.js';
export {
  openProbe,
  type Probe,
  type Target,
  type CoreName,
  type HaltReason,
  type MemoryRegion,
  type OpenProbeOptions,
  type ScanResult,
  type CoreSightComponent,
  type FlashOptions,
  type WatchKind,
} from './target.js';
export { parseElf, type ElfImage, type ElfSegment, type ElfSymbol } from './elf.js';
export {
  Ack,
  Sim,
  type SimFaultKind,
  type SimProfile,
  type SimProfileName,
  type SimResetKind,
  type SimState,
} from './sim.js';
export { GdbServer, GDB_DEFAULT_PORT, type GdbServerOptions, type GdbMonitorCommand } from './gdb-server.js';
export { listProbeDetails, listProbes, openTransport, type ProbeDetails } from './transports/enumerate.js';
export { ReconnectingTransport } from './transports/reconnect.js';
export type { DapTransport, ProbeInfo } from './transports/types.js';
export { loadImage, parseIntelHex, detectFormat, type ImageSegment, type ImageFormat } from './image.js';

/** bmp-gdbserver: the public API. */
export { BmpError, type BmpErrorCode } from './errors.js';
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

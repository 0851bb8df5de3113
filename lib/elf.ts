/**
 * A reader for 32-bit little-endian ARM ELF files (System V ABI, ELF for the Arm Architecture):
 * the loadable segments a flash programmer writes, and the symbol table tests and tools look
 * names up in. It validates every offset and size against the file before using it.
 */
import { BmpError } from './errors.js';

export interface ElfSegment {
  /** Physical (load) address: where a programmer puts the bytes. */
  paddr: number;
  /** Virtual address: where the program expects them at run time. */
  vaddr: number;
  /** Bytes present in the file; memsz - data.length bytes of zeros follow at run time. */
  data: Uint8Array;
  memsz: number;
  flags: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  type: 'func' | 'object' | 'other';
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  symbols: Map<string, ElfSymbol>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const EM_ARM = 40;

function fail(message: string): never {
  throw new BmpError('EELF', `not a usable ARM ELF file: ${message}`);
}

export function parseElf(file: Uint8Array): ElfImage {
  if (file.length < 52) fail('too short');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, false) !== 0x7f454c46) fail('bad magic');
  if (file[4] !== 1) fail('not 32-bit');
  if (file[5] !== 1) fail('not little-endian');
  if (view.getUint16(18, true) !== EM_ARM) fail('not an ARM file');
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const within = (offset: number, size: number, what: string) => {
    if (offset + size > file.length || offset < 0 || size < 0) fail(`${what} runs past the end`);
  };

  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < 32) fail('bad program header size');
    within(phoff, phentsize * phnum, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      if (u32(o) !== PT_LOAD) continue;
      const offset = u32(o + 4);
      const filesz = u32(o + 16);
      const memsz = u32(o + 20);
      if (memsz === 0) continue;
      within(offset, filesz, `segment ${i}`);
      segments.push({
        vaddr: u32(o + 8),
        paddr: u32(o + 12),
        data: file.subarray(offset, offset + filesz),
        memsz,
        flags: u32(o + 24),
      });
    }
  }

  const symbols = new Map<string, ElfSymbol>();
  if (shnum > 0 && shoff > 0) {
    if (shentsize < 40) fail('bad section header size');
    within(shoff, shentsize * shnum, 'section header table');
    // The first symbol table only: the gABI allows one SHT_SYMTAB per file, and reading every
    // one of thousands of headers that name the same big table took quadratic time.
    let read = false;
    for (let i = 0; i < shnum && !read; i++) {
      const o = shoff + i * shentsize;
      if (u32(o + 4) !== SHT_SYMTAB) continue;
      read = true;
      const symOffset = u32(o + 16);
      const symSize = u32(o + 20);
      const link = u32(o + 24);
      if (link >= shnum) fail('symbol table names a bad string table');
      const so = shoff + link * shentsize;
      const strOffset = u32(so + 16);
      const strSize = u32(so + 20);
      within(symOffset, symSize, 'symbol table');
      within(strOffset, strSize, 'string table');
      const decoder = new TextDecoder();
      for (let s = symOffset; s + 16 <= symOffset + symSize; s += 16) {
        const nameOffset = u32(s);
        if (nameOffset === 0 || nameOffset >= strSize) continue;
        let end = strOffset + nameOffset;
        while (end < strOffset + strSize && file[end] !== 0) end++;
        const name = decoder.decode(file.subarray(strOffset + nameOffset, end));
        const info = file[s + 12];
        const kind = info & 0xf;
        symbols.set(name, {
          name,
          value: u32(s + 4),
          size: u32(s + 8),
          type: kind === 2 ? 'func' : kind === 1 ? 'object' : 'other',
        });
      }
    }
  }
  return { entry, segments, symbols };
}

/**
 * Firmware images for flashing: ELF (the loadable segments at their physical addresses), Intel
 * HEX (data, extended segment and extended linear address records, checksums checked), and raw
 * binary at a base address. The result is a list of contiguous segments in address order.
 */
import { BmpError } from './errors.js';
import { parseElf } from './elf.js';

export interface ImageSegment {
  address: number;
  data: Uint8Array;
}

export type ImageFormat = 'elf' | 'hex' | 'bin';

function imageError(message: string): BmpError {
  return new BmpError('EIMAGE', message);
}

/** Parses Intel HEX text (Intel "Hexadecimal Object File Format Specification", rev. A). */
export function parseIntelHex(text: string): ImageSegment[] {
  const bytes = new Map<number, number>();
  let upper = 0;
  let ended = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || ended) return;
    const where = `line ${i + 1}`;
    if (!/^:([0-9A-Fa-f]{2})+$/.test(line)) throw imageError(`Intel HEX ${where}: not a record`);
    const record = Buffer.from(line.slice(1), 'hex');
    const count = record[0];
    if (record.length !== count + 5) throw imageError(`Intel HEX ${where}: length ${count} does not match the record`);
    const sum = record.reduce((a, b) => (a + b) & 0xff, 0);
    if (sum !== 0) throw imageError(`Intel HEX ${where}: bad checksum`);
    const offset = (record[1] << 8) | record[2];
    const type = record[3];
    const data = record.subarray(4, 4 + count);
    switch (type) {
      case 0x00:
        for (let k = 0; k < count; k++) bytes.set((upper + ((offset + k) & 0xffff)) >>> 0, data[k]);
        break;
      case 0x01:
        ended = true;
        break;
      case 0x02: // extended segment address: bits 4-19
        if (count !== 2) throw imageError(`Intel HEX ${where}: bad extended segment address`);
        upper = ((data[0] << 8) | data[1]) << 4;
        break;
      case 0x04: // extended linear address: bits 16-31
        if (count !== 2) throw imageError(`Intel HEX ${where}: bad extended linear address`);
        upper = (((data[0] << 8) | data[1]) << 16) >>> 0;
        break;
      case 0x03:
      case 0x05:
        break; // start addresses: not needed to program flash
      default:
        throw imageError(`Intel HEX ${where}: unknown record type ${type}`);
    }
  });
  if (!ended) throw imageError('Intel HEX: no end-of-file record');
  return coalesce([...bytes.entries()].sort((a, b) => a[0] - b[0]));
}

function coalesce(sorted: [number, number][]): ImageSegment[] {
  const segments: ImageSegment[] = [];
  let start = -1;
  let run: number[] = [];
  const flush = () => {
    if (run.length) segments.push({ address: start, data: Uint8Array.from(run) });
  };
  for (const [address, value] of sorted) {
    if (start >= 0 && address === start + run.length) {
      run.push(value);
      continue;
    }
    flush();
    start = address;
    run = [value];
  }
  flush();
  return segments;
}

/** Which format a file is in: by content (ELF magic, HEX records), else by name, else binary. */
export function detectFormat(file: Uint8Array, name = ''): ImageFormat {
  if (file.length >= 4 && file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46) return 'elf';
  if (file.length && file[0] === 0x3a && /\.(hex|ihex|ihx)$/i.test(name || '.hex')) return 'hex';
  return 'bin';
}

/** Segments of an image file; a binary needs its base address. */
export function loadImage(file: Uint8Array, options: { format?: ImageFormat; base?: number; name?: string } = {}): ImageSegment[] {
  const format = options.format ?? detectFormat(file, options.name);
  if (format === 'elf') {
    const elf = parseElf(file);
    const segments = elf.segments.filter((s) => s.data.length > 0).map((s) => ({ address: s.paddr, data: s.data }));
    if (!segments.length) throw imageError('the ELF file has no loadable data');
    return segments.sort((a, b) => a.address - b.address);
  }
  if (format === 'hex') return parseIntelHex(Buffer.from(file).toString('latin1'));
  if (options.base === undefined) throw imageError('a raw binary image needs a base address (e.g. 0x08000000)');
  if (!Number.isInteger(options.base) || options.base < 0 || options.base + file.length > 0x100000000) {
    throw new BmpError('ERANGE', `base address ${options.base} does not fit the image in 32 bits`);
  }
  return [{ address: options.base, data: file }];
}

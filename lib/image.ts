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

/**
 * Parses Intel HEX text (Intel "Hexadecimal Object File Format Specification", rev. A). Data
 * records are gathered into blocks as they come (a record that continues the previous one joins
 * it), then blocks are sorted and joined where they touch or overlap (a later record wins).
 */
export function parseIntelHex(text: string): ImageSegment[] {
  const blocks: { address: number; parts: Uint8Array[]; length: number }[] = [];
  let current: (typeof blocks)[number] | undefined;
  const add = (address: number, data: Uint8Array) => {
    if (!data.length) return;
    if (current && current.address + current.length === address) {
      current.parts.push(data);
      current.length += data.length;
    } else {
      current = { address, parts: [data], length: data.length };
      blocks.push(current);
    }
  };
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
    const data = new Uint8Array(record.subarray(4, 4 + count));
    switch (type) {
      case 0x00: {
        // The offset wraps inside its 64 KiB segment.
        const first = Math.min(count, 0x10000 - offset);
        add((upper + offset) >>> 0, data.subarray(0, first));
        add(upper >>> 0, data.subarray(first));
        break;
      }
      case 0x01:
        ended = true;
        break;
      case 0x02: // extended segment address: bits 4-19
        if (count !== 2) throw imageError(`Intel HEX ${where}: bad extended segment address`);
        upper = ((data[0] << 8) | data[1]) << 4;
        current = undefined;
        break;
      case 0x04: // extended linear address: bits 16-31
        if (count !== 2) throw imageError(`Intel HEX ${where}: bad extended linear address`);
        upper = (((data[0] << 8) | data[1]) << 16) >>> 0;
        current = undefined;
        break;
      case 0x03:
      case 0x05:
        break; // start addresses: not needed to program flash
      default:
        throw imageError(`Intel HEX ${where}: unknown record type ${type}`);
    }
  });
  if (!ended) throw imageError('Intel HEX: no end-of-file record');
  return joinBlocks(blocks.map((b, order) => ({ address: b.address, data: Buffer.concat(b.parts), order })));
}

/** Sorts blocks by address and joins those that touch or overlap; where they overlap, the one
 * that came later in the file wins. */
function joinBlocks(blocks: { address: number; data: Uint8Array; order: number }[]): ImageSegment[] {
  const sorted = [...blocks].sort((a, b) => a.address - b.address || a.order - b.order);
  const out: { address: number; pieces: typeof blocks; end: number }[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && b.address <= last.end) {
      last.pieces.push(b);
      last.end = Math.max(last.end, b.address + b.data.length);
    } else {
      out.push({ address: b.address, pieces: [b], end: b.address + b.data.length });
    }
  }
  return out.map((o) => {
    if (o.pieces.length === 1) return { address: o.address, data: new Uint8Array(o.pieces[0].data) };
    const data = new Uint8Array(o.end - o.address);
    for (const p of [...o.pieces].sort((x, y) => x.order - y.order)) data.set(p.data, p.address - o.address);
    return { address: o.address, data };
  });
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

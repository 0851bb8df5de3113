/**
 * Firmware files for the DFU installer: ST's DfuSe format (UM0391: a prefix, targets, image
 * elements, then the DFU 1.1 suffix with its CRC-32), raw binaries and Intel HEX, and the image
 * trailer this project's builds end with (native/core/dfu/dfu_boot.h), which tells which board an
 * image is for and lets the bootloader check it.
 */
import { BmpError } from '../errors.js';
import { parseIntelHex, type ImageSegment } from '../image.js';

function imageError(message: string): BmpError {
  return new BmpError('EIMAGE', message);
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const hex32 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** DFU 1.1's CRC-32 (appendix B): reflected polynomial 0xEDB88320, preset to ones, no final XOR. */
export function dfuCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc >>> 0;
}

/** The image trailer's CRC (native/core/flash/crc32.h: polynomial 0x04C11DB7, most significant
 * bit first, preset to ones, no final inversion). */
export function crc32Gdb(bytes: Uint8Array, crc = 0xffffffff): number {
  for (const byte of bytes) {
    crc = (crc ^ (byte << 24)) >>> 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}

/** A board's tag in the trailer: the CRC of its name. */
export function boardTag(name: string): number {
  return crc32Gdb(new TextEncoder().encode(name));
}

/** The DFU 1.1 suffix: the last 16 bytes of a .dfu file, stored backwards from its end. */
export interface DfuSuffix {
  bcdDevice: number;
  idProduct: number;
  idVendor: number;
  bcdDFU: number;
  length: number;
  crc: number;
}

export interface DfuseElement {
  address: number;
  data: Uint8Array;
}

export interface DfuseTarget {
  alternate: number;
  /** The target's name, when the file names it. */
  name?: string;
  elements: DfuseElement[];
}

export interface DfuseFile {
  version: number;
  targets: DfuseTarget[];
  suffix: DfuSuffix;
}

/** Reads and checks a DFU suffix ("UFD", its length, the CRC over everything before the CRC). */
export function parseDfuSuffix(file: Uint8Array): DfuSuffix {
  if (file.length < 16) throw imageError('DFU file: too short for a DFU suffix');
  const v = view(file);
  const s = file.length - 16;
  if (ascii(file.subarray(s + 8, s + 11)) !== 'UFD') throw imageError('DFU file: no DFU suffix (its signature "UFD" is missing)');
  const suffix: DfuSuffix = {
    bcdDevice: v.getUint16(s, true),
    idProduct: v.getUint16(s + 2, true),
    idVendor: v.getUint16(s + 4, true),
    bcdDFU: v.getUint16(s + 6, true),
    length: file[s + 11],
    crc: v.getUint32(s + 12, true),
  };
  if (suffix.length < 16 || suffix.length > file.length) throw imageError(`DFU file: suffix length ${suffix.length} is not possible`);
  const crc = dfuCrc(file.subarray(0, file.length - 4));
  if (crc !== suffix.crc) throw imageError(`DFU file: CRC ${hex32(suffix.crc)} in the suffix, ${hex32(crc)} computed: the file is damaged`);
  return suffix;
}

/** Parses a DfuSe file: prefix ("DfuSe", version 1, size, targets), each target (274-byte prefix,
 * then its elements: address, size, data) and the suffix (bcdDFU 0x011A, CRC checked). */
export function parseDfuseFile(file: Uint8Array): DfuseFile {
  const suffix = parseDfuSuffix(file);
  if (suffix.bcdDFU !== 0x011a) throw imageError(`DFU file: bcdDFU ${suffix.bcdDFU.toString(16)} in the suffix, not DfuSe's 11a`);
  const end = file.length - suffix.length;
  if (end < 11 || ascii(file.subarray(0, 5)) !== 'DfuSe') throw imageError('DFU file: no DfuSe prefix');
  const v = view(file);
  const version = file[5];
  if (version !== 1) throw imageError(`DfuSe file: format version ${version}, only 1 is known`);
  const imageSize = v.getUint32(6, true);
  if (imageSize !== end) throw imageError(`DfuSe file: the prefix gives ${imageSize} bytes before the suffix, the file has ${end}`);
  const count = file[10];
  const targets: DfuseTarget[] = [];
  let at = 11;
  for (let t = 0; t < count; t++) {
    if (at + 274 > end) throw imageError(`DfuSe file: target ${t} runs past the end`);
    if (ascii(file.subarray(at, at + 6)) !== 'Target') throw imageError(`DfuSe file: target ${t} has no "Target" signature`);
    const alternate = file[at + 6];
    const named = v.getUint32(at + 7, true) !== 0;
    const nameBytes = file.subarray(at + 11, at + 266);
    const nul = nameBytes.indexOf(0);
    const name = named ? ascii(nameBytes.subarray(0, nul < 0 ? nameBytes.length : nul)) : undefined;
    const size = v.getUint32(at + 266, true);
    const elementCount = v.getUint32(at + 270, true);
    at += 274;
    const targetEnd = at + size;
    if (targetEnd > end) throw imageError(`DfuSe file: target ${t}'s ${size} bytes run past the end`);
    const elements: DfuseElement[] = [];
    for (let e = 0; e < elementCount; e++) {
      if (at + 8 > targetEnd) throw imageError(`DfuSe file: target ${t} element ${e} runs past its target`);
      const address = v.getUint32(at, true);
      const length = v.getUint32(at + 4, true);
      if (at + 8 + length > targetEnd) throw imageError(`DfuSe file: target ${t} element ${e} runs past its target`);
      elements.push({ address, data: file.slice(at + 8, at + 8 + length) });
      at += 8 + length;
    }
    if (at !== targetEnd) throw imageError(`DfuSe file: target ${t}'s size does not match its elements`);
    targets.push({ alternate, name, elements });
  }
  if (at !== end) throw imageError('DfuSe file: bytes left between the last target and the suffix');
  return { version, targets, suffix };
}

/** Writes a DfuSe file: the targets given, then the suffix for `vid`:`pid` (any device release). */
export function makeDfuseFile(targets: DfuseTarget[], usb: { vid: number; pid: number }): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 11;
  for (const t of targets) {
    const body = t.elements.reduce((n, e) => n + 8 + e.data.length, 0);
    const prefix = new Uint8Array(274);
    const pv = view(prefix);
    prefix.set(new TextEncoder().encode('Target'), 0);
    prefix[6] = t.alternate;
    if (t.name !== undefined) {
      pv.setUint32(7, 1, true);
      prefix.set(new TextEncoder().encode(t.name).subarray(0, 254), 11);
    }
    pv.setUint32(266, body, true);
    pv.setUint32(270, t.elements.length, true);
    parts.push(prefix);
    for (const e of t.elements) {
      const head = new Uint8Array(8);
      view(head).setUint32(0, e.address, true);
      view(head).setUint32(4, e.data.length, true);
      parts.push(head, e.data);
    }
    size += 274 + body;
  }
  const file = new Uint8Array(size + 16);
  const fv = view(file);
  file.set(new TextEncoder().encode('DfuSe'), 0);
  file[5] = 1;
  fv.setUint32(6, size, true);
  file[10] = targets.length;
  let at = 11;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  fv.setUint16(at, 0xffff, true);
  fv.setUint16(at + 2, usb.pid, true);
  fv.setUint16(at + 4, usb.vid, true);
  fv.setUint16(at + 6, 0x011a, true);
  file.set(new TextEncoder().encode('UFD'), at + 8);
  file[at + 11] = 16;
  fv.setUint32(at + 12, dfuCrc(file.subarray(0, file.length - 4)), true);
  return file;
}

/** The image trailer (native/core/dfu/dfu_boot.h): the image's last 16 bytes, found through the
 * vector table's word 7. */
export interface ImageTrailer {
  /** Where it starts in the image (the image's length before it). */
  offset: number;
  boardTag: number;
  crc: number;
  /** Whether the CRC matches the image. */
  crcMatches: boolean;
}

export const TRAILER_MAGIC = 0x54504d42; // "BMPT"

/** The trailer of `image` (its bytes from the application's base), or undefined when it has none. */
export function readTrailer(image: Uint8Array): ImageTrailer | undefined {
  if (image.length < 0x40 + 16) return undefined;
  const v = view(image);
  const offset = v.getUint32(7 * 4, true);
  if (offset < 0x40 || offset % 4 || offset + 16 > image.length) return undefined;
  if (v.getUint32(offset, true) !== TRAILER_MAGIC || v.getUint32(offset + 4, true) !== offset) return undefined;
  const crc = v.getUint32(offset + 12, true);
  return { offset, boardTag: v.getUint32(offset + 8, true), crc, crcMatches: crc32Gdb(image.subarray(0, offset + 12)) === crc };
}

export type FirmwareFormat = 'dfu' | 'bin' | 'hex';

/** An image to install: contiguous bytes at an address, and what the file said about itself. */
export interface FirmwareImage {
  format: FirmwareFormat;
  address: number;
  data: Uint8Array;
  /** For a .dfu file: the VID:PID its suffix names (the device meant to receive it). */
  usb?: { vid: number; pid: number };
  /** For a .dfu file: the alternate setting of its target. */
  alternate?: number;
}

/** The format from the file's name, else from its contents. */
export function detectFirmwareFormat(file: Uint8Array, name = ''): FirmwareFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.dfu')) return 'dfu';
  if (lower.endsWith('.hex') || lower.endsWith('.ihex')) return 'hex';
  if (lower.endsWith('.bin')) return 'bin';
  if (file.length >= 16 && ascii(file.subarray(0, 5)) === 'DfuSe') return 'dfu';
  if (file.length > 0 && file[0] === 0x3a /* ':' */ && /^:[0-9A-Fa-f]{10}/.test(ascii(file.subarray(0, 11)))) return 'hex';
  return 'bin';
}

/** Joins segments into one run from the lowest address, gaps as erased flash (0xFF). */
function contiguous(segments: ImageSegment[], what: string): { address: number; data: Uint8Array } {
  if (!segments.length) throw imageError(`${what}: no data`);
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  const start = sorted[0].address;
  const end = Math.max(...sorted.map((s) => s.address + s.data.length));
  if (end - start > 64 * 1024 * 1024) throw imageError(`${what}: spans ${end - start} bytes, more than any probe's flash`);
  const data = new Uint8Array(end - start).fill(0xff);
  for (const s of sorted) data.set(s.data, s.address - start);
  return { address: start, data };
}

/**
 * Reads a firmware file: a .dfu (every element of its targets for alternate setting `alternate`,
 * default 0), a .hex, or a .bin placed at `base`. The result is one run of bytes (gaps between
 * elements or records filled with 0xFF).
 */
export function loadFirmwareImage(
  file: Uint8Array,
  options: { name?: string; format?: FirmwareFormat; base?: number; alternate?: number } = {},
): FirmwareImage {
  const format = options.format ?? detectFirmwareFormat(file, options.name);
  const what = options.name ?? `the ${format} image`;
  if (format === 'dfu') {
    const dfu = parseDfuseFile(file);
    const alternate = options.alternate ?? 0;
    const targets = dfu.targets.filter((t) => t.alternate === alternate);
    if (!targets.length) throw imageError(`${what}: no target for alternate setting ${alternate}`);
    const run = contiguous(targets.flatMap((t) => t.elements), what);
    return { format, ...run, usb: { vid: dfu.suffix.idVendor, pid: dfu.suffix.idProduct }, alternate };
  }
  if (format === 'hex') return { format, ...contiguous(parseIntelHex(new TextDecoder('latin1').decode(file)), what) };
  if (options.base === undefined) throw imageError(`${what}: a raw binary needs the address it goes to`);
  return { format, address: options.base, data: file };
}

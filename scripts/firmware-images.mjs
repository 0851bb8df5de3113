#!/usr/bin/env node
// The board images the package ships, made from the linked firmware (firmware/boards.cmake runs
// this after every board is linked, so `npm run firmware` and `cmake --build` make them):
//
//   firmware/images/<board>.elf   the linked application (for a debugger)
//   firmware/images/<board>.bin   its flash contents from the application's base
//   firmware/images/<board>.hex   the same as Intel HEX
//   firmware/images/<board>.dfu   DfuSe (ST UM0391): a prefix, one target (the board's alternate
//                                 setting, named), one image element at the application's base,
//                                 and the DFU 1.1 suffix with the VID:PID of the bootloader that
//                                 receives it and its CRC-32
//   firmware/images/<board>-bootloader.{elf,bin,hex}  for a board with a bootloader of its own
//                                 (firmware/bootloader), at its flash.bootloader; and a .dfu of it
//                                 for ST's ROM bootloader where the board's USB reaches that ROM
//   firmware/images/manifest.json board, MCU, version, addresses, sizes and the sha256 of each file
//
// Every image ends with the trailer (native/core/dfu/dfu_boot.h) whose CRC this script writes.
//
// and a size report: each image's flash and RAM against its board's budget (boards/<name>.json:
// the application's flash region; its RAM region with ram.stackSize kept for the stack). An
// image past its budget fails this script, and so the build.
//
//   node scripts/firmware-images.mjs [--build-dir build-firmware] [--out firmware/images]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { boardFiles, crc32Gdb, loadBoard, packageVersion, repoRoot } from '../firmware/board/board-json.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : fallback;
}
const buildDir = option('--build-dir', join(repoRoot, 'build-firmware'));
const outDir = option('--out', join(repoRoot, 'firmware', 'images'));

const hex32 = (n) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
const hex16 = (n) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

/** The parts of a little-endian ELF32 file this needs: loadable segments, allocated sections, entry. */
function readElf(bytes, what) {
  const le = Buffer.from(bytes);
  if (le.readUInt32BE(0) !== 0x7f454c46 || le[4] !== 1 || le[5] !== 1) throw new Error(`${what}: not a little-endian ELF32 file`);
  if (le.readUInt16LE(18) !== 40) throw new Error(`${what}: not an Arm ELF file`);
  const entry = le.readUInt32LE(24);
  const phoff = le.readUInt32LE(28), shoff = le.readUInt32LE(32);
  const phentsize = le.readUInt16LE(42), phnum = le.readUInt16LE(44);
  const shentsize = le.readUInt16LE(46), shnum = le.readUInt16LE(48);
  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (le.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const offset = le.readUInt32LE(p + 4), paddr = le.readUInt32LE(p + 12), filesz = le.readUInt32LE(p + 16);
    if (filesz) segments.push({ paddr, offset, data: le.subarray(offset, offset + filesz) });
  }
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * shentsize;
    const flags = le.readUInt32LE(s + 8), addr = le.readUInt32LE(s + 12), size = le.readUInt32LE(s + 20);
    if (flags & 2 && size) sections.push({ addr, size }); // SHF_ALLOC
  }
  return { entry, segments, sections };
}

/** The flash contents from `base`: every loadable segment at its load address, gaps 0xFF. */
function flashImage(elf, base, what) {
  if (!elf.segments.length) throw new Error(`${what}: nothing to load`);
  const start = Math.min(...elf.segments.map((s) => s.paddr));
  const end = Math.max(...elf.segments.map((s) => s.paddr + s.data.length));
  if (start !== base) throw new Error(`${what}: the image starts at ${hex32(start)}, not at the application's base ${hex32(base)}`);
  const image = Buffer.alloc(end - start, 0xff);
  for (const s of elf.segments) s.data.copy(image, s.paddr - start);
  return image;
}

/** The image trailer (native/core/dfu/dfu_boot.h), the image's last 16 bytes: checks what the
 * linker put there (magic, the length, the board's tag; vector 7 pointing at it) and writes the
 * CRC, over the image before the trailer and the trailer's first 12 bytes. Returns its offset. */
const TRAILER_MAGIC = 0x54504d42; // "BMPT"
function sealTrailer(image, board, what) {
  const offset = image.readUInt32LE(7 * 4);
  if (offset + 16 !== image.length) throw new Error(`${what}: vector 7 (${hex32(offset)}) does not point at the last 16 bytes`);
  if (image.readUInt32LE(offset) !== TRAILER_MAGIC) throw new Error(`${what}: no trailer magic at ${hex32(offset)}`);
  if (image.readUInt32LE(offset + 4) !== offset) throw new Error(`${what}: the trailer's length is not its offset`);
  if (image.readUInt32LE(offset + 8) !== board.tag) throw new Error(`${what}: the trailer's board tag is not ${board.name}'s`);
  image.writeUInt32LE(crc32Gdb(image.subarray(0, offset + 12)), offset + 12);
  return offset;
}

/** Writes `bytes` at flash `address` into an ELF file's loadable segment that holds it. */
function patchElf(elfBytes, elf, address, bytes, what) {
  const s = elf.segments.find((x) => address >= x.paddr && address + bytes.length <= x.paddr + x.data.length);
  if (!s) throw new Error(`${what}: no loadable segment holds ${hex32(address)}`);
  bytes.copy(elfBytes, s.offset + (address - s.paddr));
}

/** Intel HEX: extended linear address records, 16 data bytes a record, the start address, EOF. */
function intelHex(image, base, entry) {
  const lines = [];
  const record = (type, address, data) => {
    const bytes = [data.length, (address >> 8) & 0xff, address & 0xff, type, ...data];
    const sum = (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    lines.push(':' + [...bytes, sum].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(''));
  };
  let upper = -1;
  for (let at = 0; at < image.length; at += 16) {
    const address = base + at;
    if (address >>> 16 !== upper) {
      upper = address >>> 16;
      record(4, 0, [upper >> 8, upper & 0xff]);
    }
    record(0, address & 0xffff, [...image.subarray(at, Math.min(at + 16, image.length))]);
  }
  record(5, 0, [entry >>> 24, (entry >>> 16) & 0xff, (entry >>> 8) & 0xff, entry & 0xff]);
  record(1, 0, []);
  return lines.join('\n') + '\n';
}

/** CRC-32 as DFU 1.1 (appendix B) defines it: reflected polynomial 0xEDB88320, register
 * preset to all ones, and no final complement (so the complement of zlib's CRC-32). */
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function dfuCrc(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return crc >>> 0;
}

/** A DfuSe file (UM0391): one target holding one element, then the DFU suffix. */
export function dfuseFile(image, address, { vid, pid, alternate, targetName }) {
  const element = Buffer.alloc(8 + image.length);
  element.writeUInt32LE(address, 0);
  element.writeUInt32LE(image.length, 4);
  image.copy(element, 8);
  const target = Buffer.alloc(274); // "Target", alternate setting, named flag, 255-byte name, size, element count
  target.write('Target', 0, 'latin1');
  target[6] = alternate;
  target.writeUInt32LE(1, 7);
  target.write(targetName, 11, 'latin1');
  target.writeUInt32LE(element.length, 266);
  target.writeUInt32LE(1, 270);
  const prefix = Buffer.alloc(11); // "DfuSe", version 1, the file's size without the suffix, one target
  prefix.write('DfuSe', 0, 'latin1');
  prefix[5] = 0x01;
  prefix.writeUInt32LE(prefix.length + target.length + element.length, 6);
  prefix[10] = 1;
  const suffix = Buffer.alloc(16); // bcdDevice, idProduct, idVendor, bcdDFU, "UFD", bLength, dwCRC
  suffix.writeUInt16LE(0xffff, 0); // any device release
  suffix.writeUInt16LE(pid, 2);
  suffix.writeUInt16LE(vid, 4);
  suffix.writeUInt16LE(0x011a, 6); // DfuSe's bcdDFU
  suffix.write('UFD', 8, 'latin1');
  suffix[11] = 16;
  const file = Buffer.concat([prefix, target, element, suffix]);
  file.writeUInt32LE(dfuCrc(file.subarray(0, file.length - 4)), file.length - 4);
  return file;
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function kib(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * One linked image of a board (its application, or its bootloader) made into the package's
 * files: the trailer sealed in the image and the ELF copy, .elf, .bin, .hex, and a .dfu when a
 * DFU device can receive it (`dfu`: its VID:PID, alternate setting and target name). Returns the
 * files, the size report's line and the usage, or throws when the ELF is missing.
 */
function makeImage(board, target, region, dfu) {
  const elfPath = join(buildDir, `${target}.elf`);
  if (!existsSync(elfPath)) throw new Error(`${relative(repoRoot, elfPath)} is missing: build the firmware first`);
  const elfBytes = readFileSync(elfPath);
  const elf = readElf(elfBytes, elfPath);
  const image = flashImage(elf, region.base, elfPath);
  // The trailer's CRC, in the image and in the ELF copy (so that a debugger's load writes it too).
  const trailer = sealTrailer(image, board, elfPath);
  patchElf(elfBytes, elf, region.base + trailer, image.subarray(trailer, trailer + 16), elfPath);
  const ramEnd = board.ramApp.base + board.ramApp.size;
  const staticRam = elf.sections.filter((s) => s.addr >= board.ramApp.base && s.addr < ramEnd).reduce((a, s) => a + s.size, 0);
  const ramUsed = staticRam + board.stackSize;
  const flashOver = image.length > region.size;
  const ramOver = ramUsed > board.ramApp.size;
  const line =
    `  ${target.padEnd(28)} flash ${kib(image.length).padStart(10)} of ${kib(region.size).padStart(10)} ` +
    `(${((100 * image.length) / region.size).toFixed(1).padStart(5)}%)${flashOver ? ' OVER' : ''}   ` +
    `RAM ${kib(staticRam).padStart(9)} + stack ${kib(board.stackSize)} of ${kib(board.ramApp.size).padStart(9)} ` +
    `(${((100 * ramUsed) / board.ramApp.size).toFixed(1).padStart(5)}%)${ramOver ? ' OVER' : ''}`;
  const files = {
    elf: { name: `${target}.elf`, bytes: elfBytes, inPackage: false },
    bin: { name: `${target}.bin`, bytes: image, inPackage: true },
    hex: { name: `${target}.hex`, bytes: Buffer.from(intelHex(image, region.base, elf.entry), 'latin1'), inPackage: false },
  };
  if (dfu) files.dfu = { name: `${target}.dfu`, bytes: dfuseFile(image, region.base, dfu), inPackage: true };
  for (const f of Object.values(files)) writeFileSync(join(outDir, f.name), f.bytes);
  return {
    image,
    line,
    over: flashOver || ramOver,
    trailer: { offset: trailer, boardTag: hex32(board.tag), crc: hex32(image.readUInt32LE(trailer + 12)) },
    usage: {
      flash: { used: image.length, budget: region.size },
      ram: { static: staticRam, stack: board.stackSize, used: ramUsed, budget: board.ramApp.size },
    },
    files: Object.fromEntries(
      Object.entries(files).map(([kind, f]) => [kind, { name: f.name, bytes: f.bytes.length, sha256: sha256(f.bytes), inPackage: f.inPackage }]),
    ),
  };
}

function main() {
  const version = packageVersion();
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (/\.(elf|bin|hex|dfu)$|^manifest\.json$/.test(f)) rmSync(join(outDir, f));

  const boards = [];
  const report = [];
  let over = false;
  for (const file of boardFiles()) {
    const board = loadBoard(file);
    const name = board.name;
    const { json } = board;
    const app = makeImage(board, name, board.app, board.dfu);
    report.push(app.line);
    over ||= app.over;

    // A bootloader of our own: its image at flash.bootloader, with a .dfu for ST's ROM
    // bootloader where the board's USB connector reaches it (the way to install it without SWD).
    let bootloaderImage;
    if (board.bootloaderUsb) {
      const rom = json.bootloader.stRomDfu?.reachable ? json.bootloader.stRomDfu.usb : null;
      const dfu = rom ? { vid: Number.parseInt(rom.vid, 16), pid: Number.parseInt(rom.pid, 16), alternate: 0, targetName: 'Internal Flash' } : null;
      const b = makeImage(board, `${name}-bootloader`, board.bootloader, dfu);
      report.push(b.line);
      over ||= b.over;
      bootloaderImage = {
        base: hex32(board.bootloader.base),
        usb: { vid: hex16(board.bootloaderUsb.vid), pid: hex16(board.bootloaderUsb.pid) },
        initialStackPointer: hex32(b.image.readUInt32LE(0)),
        resetHandler: hex32(b.image.readUInt32LE(4)),
        trailer: b.trailer,
        dfu: dfu ? { receiver: 'st-rom', vid: hex16(dfu.vid), pid: hex16(dfu.pid), alternate: 0, address: hex32(board.bootloader.base) } : null,
        usage: b.usage,
        files: b.files,
      };
    }

    boards.push({
      board: name,
      title: json.title,
      mcu: json.mcu.part,
      family: json.mcu.family,
      version,
      description: `boards/${name}.json`,
      app: { base: hex32(board.app.base), size: board.app.size },
      bootloader: board.bootloader ? { base: hex32(board.bootloader.base), size: board.bootloader.size, kind: json.bootloader.kind } : { kind: json.bootloader.kind },
      ram: { base: hex32(board.ramApp.base), size: board.ramApp.size },
      initialStackPointer: hex32(app.image.readUInt32LE(0)),
      resetHandler: hex32(app.image.readUInt32LE(4)),
      trailer: app.trailer,
      dfu: { receiver: board.dfu.receiver, vid: hex16(board.dfu.vid), pid: hex16(board.dfu.pid), alternate: board.dfu.alternate, address: hex32(board.app.base) },
      usage: app.usage,
      files: app.files,
      ...(bootloaderImage ? { bootloaderImage } : {}),
    });
  }

  const manifest = { package: 'bmp-gdbserver', version, boards };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(`firmware images in ${relative(repoRoot, outDir) || '.'} (version ${version}); size against each board's budget:\n`);
  process.stdout.write(report.join('\n') + '\n');
  if (over) {
    process.stderr.write('firmware-images: an image is past its board budget (OVER above)\n');
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`firmware-images: ${error.message}\n`);
    process.exit(1);
  }
}

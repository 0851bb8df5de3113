// The probe boards' images (firmware/images/, made by `npm run firmware`), read back with code of
// its own rather than the writer's (scripts/firmware-images.mjs): each .dfu parsed field by field
// as ST's DfuSe format (UM0391) and the DFU 1.1 suffix lay it out, its CRC-32 computed bit by
// bit; the manifest's sha256 against the files; the .bin against the linked ELF (through the
// package's own ELF parser); and each image's vector table against its board's description.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseElf } from '../lib/elf.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const images = join(root, 'firmware', 'images');

interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
  inPackage: boolean;
}
interface ManifestBoard {
  board: string;
  mcu: string;
  version: string;
  app: { base: string; size: number };
  ram: { base: string; size: number };
  dfu: { vid: string; pid: string; alternate: number; address: string };
  usage: { flash: { used: number; budget: number }; ram: { used: number; budget: number } };
  files: Record<'elf' | 'bin' | 'hex' | 'dfu', ManifestFile>;
}
interface BoardJson {
  name: string;
  mcu: { part: string };
  flash: { app: { base: string; size: number } };
  ram: { app: { base: string; size: number }; stackSize: number };
  dfu: { vid: string; pid: string; alternate: number; targetName: string };
}

const address = (text: string): number => {
  assert.match(text, /^0x[0-9a-f]+$/i);
  return Number.parseInt(text.slice(2), 16);
};

/** DFU 1.1, appendix B: CRC-32, reflected polynomial 0xEDB88320, preset to ones, no final XOR. */
function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc >>> 0;
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** The DfuSe file's parts, each checked for the layout UM0391 gives. */
function parseDfuse(file: Uint8Array) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  // Suffix: the last 16 bytes, fields in file order.
  const s = file.length - 16;
  const suffix = {
    bcdDevice: view.getUint16(s, true),
    idProduct: view.getUint16(s + 2, true),
    idVendor: view.getUint16(s + 4, true),
    bcdDFU: view.getUint16(s + 6, true),
    signature: ascii(file.subarray(s + 8, s + 11)),
    length: file[s + 11],
    crc: view.getUint32(s + 12, true),
  };
  // Prefix: "DfuSe", version, the size of everything before the suffix, the number of targets.
  const prefix = {
    signature: ascii(file.subarray(0, 5)),
    version: file[5],
    imageSize: view.getUint32(6, true),
    targets: file[10],
  };
  // One target prefix of 274 bytes, then its elements.
  const t = 11;
  const nameBytes = file.subarray(t + 11, t + 11 + 255);
  const target = {
    signature: ascii(file.subarray(t, t + 6)),
    alternate: file[t + 6],
    named: view.getUint32(t + 7, true),
    name: ascii(nameBytes.subarray(0, nameBytes.indexOf(0))),
    size: view.getUint32(t + 266, true),
    elements: view.getUint32(t + 270, true),
  };
  const e = t + 274;
  const elementSize = view.getUint32(e + 4, true);
  const element = { address: view.getUint32(e, true), size: elementSize, data: file.subarray(e + 8, e + 8 + elementSize) };
  return { prefix, target, element, suffix, end: e + 8 + elementSize };
}

describe('firmware images', function () {
  const manifestPath = join(images, 'manifest.json');

  it('exist: npm run firmware wrote the manifest', () => {
    assert.ok(existsSync(manifestPath), `${manifestPath} is missing: run npm run firmware`);
  });
  if (!existsSync(manifestPath)) return;

  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; boards: ManifestBoard[] };
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

  it('cover every board description, at the package version', () => {
    const described = readdirSync(join(root, 'boards'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
    assert.deepEqual(manifest.boards.map((b) => b.board).sort(), described);
    assert.equal(manifest.version, version);
  });

  for (const entry of manifest.boards) {
    describe(entry.board, () => {
      const board = JSON.parse(readFileSync(join(root, 'boards', `${entry.board}.json`), 'utf8')) as BoardJson;
      const file = (kind: keyof ManifestBoard['files']) => readFileSync(join(images, entry.files[kind].name));
      const appBase = address(board.flash.app.base);
      const ramBase = address(board.ram.app.base);

      it('manifest: sha256 and size of each file, addresses and budgets from the board description', () => {
        for (const kind of ['elf', 'bin', 'hex', 'dfu'] as const) {
          const bytes = file(kind);
          assert.equal(bytes.length, entry.files[kind].bytes, `${kind} size`);
          assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.files[kind].sha256, `${kind} sha256`);
        }
        assert.equal(entry.mcu, board.mcu.part);
        assert.equal(entry.version, version);
        assert.equal(address(entry.app.base), appBase);
        assert.equal(entry.usage.flash.budget, board.flash.app.size);
        assert.equal(entry.usage.flash.used, file('bin').length);
        assert.ok(entry.usage.flash.used <= entry.usage.flash.budget, 'flash within budget');
        assert.equal(entry.usage.ram.budget, board.ram.app.size);
        assert.ok(entry.usage.ram.used <= entry.usage.ram.budget, 'RAM within budget');
      });

      it('.dfu: DfuSe prefix, one target, one element at the application base, suffix with the receiver and a good CRC', () => {
        const dfu = new Uint8Array(file('dfu'));
        const bin = new Uint8Array(file('bin'));
        const { prefix, target, element, suffix, end } = parseDfuse(dfu);

        assert.equal(prefix.signature, 'DfuSe');
        assert.equal(prefix.version, 1);
        assert.equal(prefix.imageSize, dfu.length - 16, 'prefix size = file without the suffix');
        assert.equal(prefix.targets, 1);

        assert.equal(target.signature, 'Target');
        assert.equal(target.alternate, board.dfu.alternate);
        assert.equal(target.named, 1);
        assert.equal(target.name, board.dfu.targetName);
        assert.equal(target.elements, 1);
        assert.equal(target.size, 8 + element.size, 'target size = its one element with its header');

        assert.equal(element.address, appBase, "element address = the board's application base");
        assert.equal(address(entry.dfu.address), appBase);
        assert.deepEqual(element.data, bin, 'the element holds the .bin');
        assert.equal(end, dfu.length - 16, 'nothing between the element and the suffix');

        assert.equal(suffix.signature, 'UFD');
        assert.equal(suffix.length, 16);
        assert.equal(suffix.bcdDFU, 0x011a, 'DfuSe files carry bcdDFU 1.1a');
        assert.equal(suffix.idVendor, address(board.dfu.vid));
        assert.equal(suffix.idProduct, address(board.dfu.pid));
        assert.equal(suffix.bcdDevice, 0xffff);
        assert.equal(suffix.crc, crcBitwise(dfu.subarray(0, dfu.length - 4)), 'CRC-32 over all but itself');
      });

      it('.bin: the ELF loadable segments from the application base; vector table inside the board memories', () => {
        const bin = file('bin');
        const elf = parseElf(new Uint8Array(file('elf')));
        for (const segment of elf.segments.filter((s) => s.data.length)) {
          const at = segment.paddr - appBase;
          assert.ok(at >= 0 && at + segment.data.length <= bin.length, `segment at 0x${segment.paddr.toString(16)} inside the image`);
          assert.deepEqual(new Uint8Array(bin.subarray(at, at + segment.data.length)), segment.data);
        }
        assert.ok(bin.length <= board.flash.app.size, 'the image fits its flash region');

        const sp = bin.readUInt32LE(0);
        const reset = bin.readUInt32LE(4);
        assert.ok(sp > ramBase && sp <= ramBase + board.ram.app.size, `initial SP 0x${sp.toString(16)} inside the board's RAM`);
        assert.equal(sp % 8, 0, 'initial SP 8-byte aligned');
        assert.equal(reset & 1, 1, 'reset vector has the Thumb bit set');
        const handler = reset & ~1;
        assert.ok(handler >= appBase && handler < appBase + bin.length, `reset handler 0x${handler.toString(16)} inside the image`);
        assert.equal(elf.entry, reset, 'the ELF entry is the reset vector');
        // The exception vectors that must be there (NMI, HardFault, SysTick) point into the image too.
        for (const n of [2, 3, 15]) {
          const v = bin.readUInt32LE(4 * n);
          assert.ok(v & 1 && (v & ~1) >= appBase && (v & ~1) < appBase + bin.length, `vector ${n}`);
        }
      });

      it('.hex: Intel HEX with good checksums, holding the same bytes at the same addresses', () => {
        const bin = file('bin');
        const text = file('hex').toString('latin1');
        const seen = new Uint8Array(bin.length).fill(0xff);
        let upper = 0;
        let count = 0;
        for (const line of text.trim().split('\n')) {
          assert.match(line, /^:([0-9A-F]{2})+$/);
          const bytes = Buffer.from(line.slice(1), 'hex');
          assert.equal(bytes.reduce((a, b) => a + b, 0) & 0xff, 0, 'record checksum');
          const [length, type] = [bytes[0], bytes[3]];
          const offset = (bytes[1] << 8) | bytes[2];
          if (type === 4) upper = (bytes[4] << 8) | bytes[5];
          if (type === 0) {
            const at = upper * 0x10000 + offset - appBase;
            seen.set(bytes.subarray(4, 4 + length), at);
            count += length;
          }
        }
        assert.equal(count, bin.length);
        assert.deepEqual(Buffer.from(seen), bin);
      });
    });
  }
});

/**
 * Property-based fuzzing (fast-check) of the parsers that read files and arguments from outside:
 * ELF (lib/elf.ts), Intel HEX (lib/image.ts), DfuSe files and the image trailer
 * (lib/firmware/dfuse-file.ts), and the command lines' value parsers (lib/cli/common.ts). For
 * any input: the result is well formed, or the error is a BmpError with the parser's code;
 * never another exception, and never more than a bounded time. Runs are seeded from
 * BMP_TEST_SEED (test/helpers/random.ts), which a failure prints with fast-check's own
 * counterexample; FUZZ_JS_RUNS scales the number of runs (a longer campaign).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import fc from 'fast-check';

import { UsageError, parseFrequency, parsePort } from '../lib/cli/common.js';
import { parseElf } from '../lib/elf.js';
import { BmpError } from '../lib/errors.js';
import {
  crc32Gdb,
  dfuCrc,
  loadFirmwareImage,
  makeDfuseFile,
  parseDfuseFile,
  readTrailer,
  type DfuseTarget,
} from '../lib/firmware/dfuse-file.js';
import { loadImage, parseIntelHex, type ImageSegment } from '../lib/image.js';
import { fixturePath } from './helpers/fixture.js';
import { testSeed } from './helpers/random.js';

const scale = Number(process.env.FUZZ_JS_RUNS ?? 1);
const runs = (n: number) => ({ seed: testSeed | 0, numRuns: Math.max(1, Math.round(n * scale)) });
/** Each parse must finish in this long (inputs here are at most a few MiB). */
const BOUND_MS = 2000;

/** Runs `parse`; a thrown error must be a BmpError with `code`. Returns the result or undefined.
 * `bound` is the time allowed (files of megabytes get more: linear, on a busy machine). */
function parsesOrRefuses<T>(code: string, parse: () => T, bound = BOUND_MS): T | undefined {
  const started = Date.now();
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof BmpError)) throw new Error(`not a BmpError: ${(error as Error)?.stack ?? String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.length > 0);
    return undefined;
  } finally {
    const took = Date.now() - started;
    assert.ok(took < bound, `took ${took} ms`);
  }
}

/** Segments as loaders promise them: in address order, inside 32 bits. */
function checkSegments(segments: ImageSegment[]) {
  for (const s of segments) {
    assert.ok(Number.isInteger(s.address) && s.address >= 0 && s.address <= 0xffffffff);
    assert.ok(s.address + s.data.length <= 0x100000000, 'a segment runs past 4 GiB');
  }
}

/** A few byte overwrites of `base`, as fast-check generates them. */
const mutations = (length: number) =>
  fc.array(fc.record({ at: fc.nat({ max: length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 8,
  });
function mutate(base: Uint8Array, changes: { at: number; value: number }[]): Uint8Array {
  const out = new Uint8Array(base);
  for (const c of changes) out[c.at] = c.value;
  return out;
}

describe('fuzzing the parsers (fast-check)', function () {
  this.timeout(120_000);

  describe('ELF', () => {
    const fixture = new Uint8Array(readFileSync(fixturePath('stm32f103')));

    const checkElf = (bytes: Uint8Array, bound = BOUND_MS) => {
      const elf = parsesOrRefuses('EELF', () => parseElf(bytes), bound);
      if (!elf) return;
      for (const s of elf.segments) {
        // The data is a view of the file's bytes (never past its end).
        assert.ok(s.data.byteOffset - bytes.byteOffset + s.data.length <= bytes.length);
      }
      for (const [name, sym] of elf.symbols) assert.equal(sym.name, name);
    };

    it('arbitrary bytes after a valid ELF identification: parsed or EELF', () => {
      const ident = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1];
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), fc.boolean(), (tail, arm) => {
          const bytes = new Uint8Array(Math.max(tail.length, 52));
          bytes.set(tail);
          if (bytes.length >= 52) {
            bytes.set(ident);
            if (arm) bytes.set([40, 0], 18);
          }
          checkElf(bytes.subarray(0, Math.max(tail.length, 0)));
          checkElf(bytes);
        }),
        runs(400),
      );
    });

    it('the fixture with bytes overwritten in its headers, tables or anywhere: parsed or EELF', () => {
      const header = Math.min(fixture.length, 52);
      fc.assert(
        fc.property(mutations(fixture.length), mutations(header), (anywhere, inHeader) => {
          checkElf(mutate(fixture, anywhere));
          checkElf(mutate(fixture, inHeader));
        }),
        runs(300),
      );
    });

    it('many symbol tables over one big table take linear time, not quadratic', () => {
      // 4000 section headers all naming the same 256 KiB symbol table (16384 symbols).
      const shnum = 4000;
      const symSize = 256 * 1024;
      const shoff = 52;
      const symOffset = shoff + shnum * 40;
      const bytes = new Uint8Array(symOffset + symSize + 16);
      const v = new DataView(bytes.buffer);
      bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
      v.setUint16(18, 40, true);
      v.setUint32(32, shoff, true);
      v.setUint16(46, 40, true);
      v.setUint16(48, shnum, true);
      for (let i = 0; i < shnum; i++) {
        const o = shoff + i * 40;
        v.setUint32(o + 4, 2, true); // SHT_SYMTAB
        v.setUint32(o + 16, symOffset, true);
        v.setUint32(o + 20, symSize, true);
        v.setUint32(o + 24, 0, true); // its strings: section 0's range, the same table
      }
      for (let s = symOffset; s < symOffset + symSize; s += 16) v.setUint32(s, 1 + ((s / 16) % 64), true);
      // Once over the table is some 16,000 symbols; 4000 times over took about a minute.
      checkElf(bytes, 5000);
    });
  });

  describe('Intel HEX', () => {
    const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
    const record = (type: number, offset: number, data: number[]) => {
      const bytes = [data.length, offset >> 8, offset & 0xff, type, ...data];
      const sum = (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
      return ':' + [...bytes, sum].map(hex2).join('');
    };
    const anyRecord = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constant(0), fc.nat({ max: 0xffff }), fc.array(fc.nat({ max: 255 }), { maxLength: 32 })) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 4), fc.nat({ max: 0xffff }), fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 3 })) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffff }), fc.array(fc.nat({ max: 255 }), { maxLength: 8 })) },
    );
    const corruption = fc.oneof(
      fc.constant((l: string) => l),
      fc.constant((l: string) => l.slice(0, -1)),
      fc.constant((l: string) => l.replace(/.$/, (c) => (c === '0' ? '1' : '0'))),
      fc.constant((l: string) => l.toLowerCase()),
      fc.constant((l: string) => l + 'Z'),
      fc.constant((l: string) => ' ' + l + '\r'),
      fc.constant((_: string) => ''),
    );

    const checkHex = (text: string, bound = BOUND_MS) => {
      const segments = parsesOrRefuses('EIMAGE', () => parseIntelHex(text), bound);
      if (!segments) return;
      checkSegments(segments);
      for (let i = 1; i < segments.length; i++) {
        const prev = segments[i - 1];
        assert.ok(prev.address + prev.data.length < segments[i].address, 'segments overlap or touch');
      }
      const file = new TextEncoder().encode(text);
      const run = parsesOrRefuses('EIMAGE', () => loadFirmwareImage(file, { format: 'hex' }), bound);
      if (run) assert.ok(run.data.length <= 64 * 1024 * 1024);
    };

    it('records (valid, corrupted, of any type) in any order: parsed or EIMAGE', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(anyRecord, corruption), { maxLength: 40 }),
          fc.boolean(),
          (records, withEnd) => {
            const lines = records.map(([[type, offset, data], corrupt]) => corrupt(record(type, offset, data)));
            if (withEnd) lines.push(record(1, 0, []));
            checkHex(lines.join('\n'));
          },
        ),
        runs(500),
      );
    });

    it('arbitrary text: parsed or EIMAGE', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (text) => checkHex(text)),
        runs(300),
      );
      fc.assert(
        fc.property(fc.stringMatching(/^(:[0-9A-F]{0,24}\n){0,12}$/), (text) => checkHex(text + ':00000001FF\n')),
        runs(300),
      );
    });

    it('a file of very many separate records: EIMAGE or parsed, never a stack overflow', () => {
      const lines: string[] = [];
      for (let i = 0; i < 140_000; i++) {
        if (i % 0x8000 === 0) lines.push(record(4, 0, [0, i >> 15]));
        lines.push(record(0, (i * 2) & 0xffff, [i & 0xff]));
      }
      lines.push(record(1, 0, []));
      checkHex(lines.join('\n'), 20_000); // 2 MiB of text
    });
  });

  describe('DfuSe files', () => {
    const element = fc.record({ address: fc.nat({ max: 0xffffffff }), data: fc.uint8Array({ maxLength: 64 }) });
    const target: fc.Arbitrary<DfuseTarget> = fc.record({
      alternate: fc.nat({ max: 3 }),
      name: fc.option(fc.stringMatching(/^[A-Za-z0-9 ]{0,20}$/), { nil: undefined }),
      elements: fc.array(element, { maxLength: 4 }),
    });
    const file = fc
      .tuple(fc.array(target, { maxLength: 3 }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }))
      .map(([targets, vid, pid]) => ({ targets, bytes: makeDfuseFile(targets, { vid, pid }) }));

    const checkDfu = (bytes: Uint8Array, bound = BOUND_MS) => {
      const dfu = parsesOrRefuses('EIMAGE', () => parseDfuseFile(bytes), bound);
      if (dfu) {
        // Accepted: then its CRC is right (computed here again).
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        assert.equal(dfuCrc(bytes.subarray(0, bytes.length - 4)), v.getUint32(bytes.length - 4, true));
      }
      const run = parsesOrRefuses('EIMAGE', () => loadFirmwareImage(bytes, { format: 'dfu' }), bound);
      if (run) checkSegments([{ address: run.address, data: run.data }]);
      return dfu;
    };

    it('round trip: what makeDfuseFile writes parses back to the same targets', () => {
      fc.assert(
        fc.property(file, ({ targets, bytes }) => {
          const dfu = checkDfu(bytes);
          assert.ok(dfu, 'a well-formed file was refused');
          assert.deepEqual(
            dfu.targets.map((t) => ({ alternate: t.alternate, elements: t.elements.map((e) => [e.address, [...e.data]]) })),
            targets.map((t) => ({ alternate: t.alternate, elements: t.elements.map((e) => [e.address, [...e.data]]) })),
          );
        }),
        runs(300),
      );
    });

    it('never accepts a file whose CRC is wrong: any change of up to 4 bytes is refused with EIMAGE', () => {
      fc.assert(
        fc.property(
          file,
          fc.array(fc.record({ at: fc.nat(), flip: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
          ({ bytes }, changes) => {
            const damaged = new Uint8Array(bytes);
            // Distinct positions within one 4-byte burst: CRC-32 detects every such error.
            const start = changes[0].at % bytes.length;
            changes.forEach((c, i) => {
              if (start + i < damaged.length) damaged[start + i] ^= c.flip;
            });
            assert.equal(parsesOrRefuses('EIMAGE', () => parseDfuseFile(damaged)), undefined, 'a damaged file was accepted');
          },
        ),
        runs(500),
      );
    });

    it('damaged files with their CRC made right again, and arbitrary bytes: parsed or EIMAGE', () => {
      fc.assert(
        fc.property(file, mutations(1 << 16), ({ bytes }, changes) => {
          const damaged = mutate(bytes, changes.map((c) => ({ at: c.at % bytes.length, value: c.value })));
          new DataView(damaged.buffer).setUint32(damaged.length - 4, dfuCrc(damaged.subarray(0, damaged.length - 4)), true);
          checkDfu(damaged);
        }),
        runs(500),
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
          checkDfu(bytes);
        }),
        runs(300),
      );
    });

    it('a file of very many elements: EIMAGE or loaded, never a stack overflow', () => {
      const elements = Array.from({ length: 140_000 }, (_, i) => ({ address: 0x08000000 + i * 2, data: new Uint8Array(0) }));
      const bytes = makeDfuseFile([{ alternate: 0, elements }], { vid: 0x1d50, pid: 0x6017 });
      checkDfu(bytes, 20_000);
    });

    it('the image trailer: found only where dfu_boot.h puts it, its CRC judged as computed here', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.nat({ max: 600 }), fc.boolean(), (image, offset, fix) => {
          const bytes = new Uint8Array(image);
          const v = new DataView(bytes.buffer);
          if (fix && bytes.length >= 0x50 && offset >= 0x40 && offset + 16 <= bytes.length) {
            const o = offset & ~3;
            v.setUint32(28, o, true);
            v.setUint32(o, 0x54504d42, true);
            v.setUint32(o + 4, o, true);
            if (offset & 1) v.setUint32(o + 12, crc32Gdb(bytes.subarray(0, o + 12)), true);
          }
          const t = readTrailer(bytes);
          if (!t) return;
          assert.ok(t.offset >= 0x40 && t.offset % 4 === 0 && t.offset + 16 <= bytes.length);
          assert.equal(v.getUint32(t.offset, true), 0x54504d42);
          assert.equal(t.crcMatches, crc32Gdb(bytes.subarray(0, t.offset + 12)) === v.getUint32(t.offset + 12, true));
        }),
        runs(500),
      );
    });
  });

  describe('images by format (loadImage)', () => {
    it('any bytes as ELF, HEX or binary: segments or EIMAGE/EELF/ERANGE', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 400 }),
          fc.constantFrom('elf', 'hex', 'bin', undefined),
          fc.option(fc.double({ noNaN: false }), { nil: undefined }),
          (bytes, format, base) => {
            const started = Date.now();
            try {
              checkSegments(loadImage(bytes, { format: format as 'elf' | 'hex' | 'bin' | undefined, base }));
            } catch (error) {
              assert.ok(error instanceof BmpError, String(error));
              assert.ok(['EIMAGE', 'EELF', 'ERANGE'].includes(error.code), error.code);
            }
            assert.ok(Date.now() - started < BOUND_MS);
          },
        ),
        runs(400),
      );
    });
  });

  describe('command-line values', () => {
    it('--port: 0 to 65535, or a usage error (a BmpError with EINVAL)', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.nat({ max: 200000 }).map(String), fc.constant(undefined)), (text) => {
          try {
            const port = parsePort(text, 4441);
            assert.ok(Number.isInteger(port) && port >= 0 && port <= 65535);
            if (text === undefined) assert.equal(port, 4441);
            else assert.equal(port, Number(text));
          } catch (error) {
            assert.ok(error instanceof UsageError && error instanceof BmpError, String(error));
            assert.equal(error.code, 'EINVAL');
          }
        }),
        runs(400),
      );
    });

    it('--swd-speed and friends: 1 kHz to 100 MHz, or a usage error (a BmpError with EINVAL)', () => {
      const frequency = fc.oneof(
        fc.string({ maxLength: 14 }),
        fc.tuple(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom('', 'k', 'K', 'm', 'M', 'kHz', 'MHZ', ' M', 'G'))
          .map(([n, unit]) => `${n}${unit}`),
      );
      fc.assert(
        fc.property(frequency, (text) => {
          try {
            const hz = parseFrequency(text);
            assert.ok(hz !== undefined && Number.isInteger(hz) && hz >= 1000 && hz <= 100e6, `${text} -> ${hz}`);
          } catch (error) {
            assert.ok(error instanceof UsageError && error instanceof BmpError, String(error));
            assert.equal(error.code, 'EINVAL');
          }
        }),
        runs(400),
      );
    });
  });
});

/**
 * Random test data from a seeded generator, so that a failure can be replayed: the seed comes
 * from BMP_TEST_SEED or the clock, and a failing mocha test prints it (see the root hook below).
 */
import { createHash } from 'node:crypto';

export const testSeed: number = process.env.BMP_TEST_SEED
  ? Number(process.env.BMP_TEST_SEED) >>> 0
  : (Date.now() ^ (process.pid << 16)) >>> 0;

/** A small, fast, well-mixed 32-bit generator (SplitMix32-style), seeded per use. */
export class Random {
  private state: number;

  /** `label` gives each test its own stream, independent of the order tests run in. */
  constructor(label: string, seed = testSeed) {
    const h = createHash('sha256').update(`${seed}:${label}`).digest();
    this.state = h.readUInt32LE(0);
  }

  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.u32();
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }
}

/** Mocha root hook: a failing test names the seed that reproduces it. */
export const mochaHooks = {
  afterEach(this: { currentTest?: { state?: string; title: string } }) {
    if (this.currentTest?.state === 'failed') {
      process.stdout.write(`        (random data seeded with BMP_TEST_SEED=${testSeed})\n`);
    }
  },
};

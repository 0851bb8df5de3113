/** The test firmware fixture: built ELF files per profile (test/fixtures/firmware). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseElf, type ElfImage } from '../../lib/elf.js';
import type { Sim } from '../../lib/sim.js';

export function fixturePath(profile: string): string {
  // Compiled tests live in dist/test/helpers; the fixtures stay in the source tree.
  return fileURLToPath(new URL(`../../../test/fixtures/firmware/build/${profile}.elf`, import.meta.url));
}

export function loadFixture(profile: string): ElfImage {
  return parseElf(readFileSync(fixturePath(profile)));
}

/** Writes the fixture's loadable segments at their physical addresses through the back door. */
export function installFixture(sim: Sim, image: ElfImage): void {
  for (const segment of image.segments) if (segment.data.length) sim.load(segment.paddr, segment.data);
}

export function symbol(image: ElfImage, name: string): number {
  const s = image.symbols.get(name);
  if (!s) throw new Error(`fixture has no symbol ${name}`);
  return s.value;
}


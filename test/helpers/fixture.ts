/** The test firmware fixture: built ELF files per profile (test/fixtures/firmware). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseElf, type ElfImage } from '../../lib/elf.js';
import { Sim, type SimProfileName } from '../../lib/sim.js';

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

/** Whether the simulator runs this profile's fixture (built for the part's own core: the M4F
 * parts' fixtures need the ARMv7E-M executor): after 2 ms from reset its main loop has counted. */
export function fixtureRuns(profile: SimProfileName): boolean {
  const sim = new Sim(profile);
  try {
    const image = loadFixture(profile);
    installFixture(sim, image);
    sim.reset('system');
    sim.advance(2_000_000);
    return new DataView(sim.peek(symbol(image, 'counter'), 4).buffer.slice(0)).getUint32(0, true) > 0;
  } finally {
    sim.close();
  }
}

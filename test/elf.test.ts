import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { parseElf } from '../lib/elf.js';
import { fixturePath, loadFixture } from './helpers/fixture.js';

describe('parseElf', () => {
  it('reads the fixture: segments in flash, and the symbols tests rely on', () => {
    const image = loadFixture('stm32f407');
    assert.ok(image.segments.length > 0);
    assert.ok(image.segments.some((s) => s.paddr === 0x08000000), 'the vector table is loaded at 0x08000000');
    for (const name of ['counter', 'fixture_tick', 'watched', 'fault_request']) {
      assert.ok(image.symbols.has(name), `symbol ${name}`);
    }
    assert.equal(image.symbols.get('fixture_tick')?.type, 'func');
  });

  it('refuses what is not an ARM ELF file with EELF', () => {
    assert.throws(() => parseElf(new Uint8Array(10)), { code: 'EELF' });
    const notElf = new Uint8Array(64);
    assert.throws(() => parseElf(notElf), { code: 'EELF' });
    const whole = readFileSync(fixturePath('stm32f103'));
    assert.throws(() => parseElf(whole.subarray(0, 600)), { code: 'EELF' });
  });

  it('refuses a file whose program headers run past its end', () => {
    const bytes = new Uint8Array(52);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    const view = new DataView(bytes.buffer);
    view.setUint16(18, 40, true); // EM_ARM
    view.setUint32(28, 52, true); // phoff
    view.setUint16(42, 32, true);
    view.setUint16(44, 4, true); // 4 headers that are not there
    assert.throws(() => parseElf(bytes), /program header table runs past the end/);
  });
});

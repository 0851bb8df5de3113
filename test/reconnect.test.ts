/** ReconnectingTransport: a probe unplugged and plugged in again (bmp-gdbserver --probe). */
import assert from 'node:assert/strict';

import { BmpError } from '../lib/errors.js';
import { ReconnectingTransport } from '../lib/transports/reconnect.js';
import type { DapTransport } from '../lib/transports/types.js';

/** Echoes requests back with a tag; `gone` makes every transfer fail as an unplugged device does. */
function fake(tag: number, packetSize = 64): DapTransport & { gone: boolean; closed: boolean } {
  const t = {
    packetSize,
    gone: false,
    closed: false,
    async transfer(request: Uint8Array) {
      if (t.gone) throw new BmpError('EPROBE', 'LIBUSB_ERROR_NO_DEVICE');
      return Uint8Array.from([...request, tag]);
    },
    async close() {
      t.closed = true;
    },
  };
  return t;
}

describe('ReconnectingTransport', () => {
  it('fails with EPROBE while the probe is away, says so once, and goes on with the probe reopened', async () => {
    const first = fake(1);
    const lines: string[] = [];
    let available: DapTransport | undefined;
    let reopens = 0;
    const t = new ReconnectingTransport(first, async () => {
      reopens++;
      if (!available) throw new BmpError('ENOPROBE', 'no CMSIS-DAP probe found');
      return available;
    }, (line) => lines.push(line));
    assert.deepEqual([...(await t.transfer(Uint8Array.of(0)))], [0, 1]);
    first.gone = true;
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'EPROBE', message: 'LIBUSB_ERROR_NO_DEVICE' });
    assert.ok(t.disconnected);
    assert.ok(first.closed, 'the dead transport is closed');
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'EPROBE', message: /disconnected \(no CMSIS-DAP probe found\); plug it in again/ });
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'EPROBE' });
    assert.equal(lines.filter((l) => /cannot be opened again/.test(l)).length, 1, lines.join('\n'));
    available = fake(2);
    assert.deepEqual([...(await t.transfer(Uint8Array.of(7)))], [7, 2]);
    assert.ok(!t.disconnected);
    assert.equal(reopens, 3);
    assert.match(lines.join('\n'), /went away[\s\S]*is back/);
  });

  it('refuses a probe that comes back with another packet size, and closes it', async () => {
    const first = fake(1, 64);
    const other = fake(2, 512);
    const t = new ReconnectingTransport(first, async () => other);
    first.gone = true;
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'EPROBE' });
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'EPROBE', message: /packet size of 512, not 64/ });
    assert.ok(other.closed);
    assert.equal(t.packetSize, 64);
  });

  it('other errors (a timeout) leave the probe in place', async () => {
    const first = fake(1);
    first.transfer = async () => {
      throw new BmpError('ETIMEDOUT', 'no answer');
    };
    const t = new ReconnectingTransport(first, async () => assert.fail('no reopen'));
    await assert.rejects(t.transfer(Uint8Array.of(0)), { code: 'ETIMEDOUT' });
    assert.ok(!t.disconnected);
  });
});

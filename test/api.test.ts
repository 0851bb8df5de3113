/** What the package exports: what users need, and no way into the internals. */
import assert from 'node:assert/strict';

import * as api from '../lib/index.js';
import type { DapTransport, Probe, Target } from '../lib/index.js';
import { BulkTransport } from '../lib/transports/usb-bulk.js';
import { HidTransport } from '../lib/transports/hid.js';

/** Never called: TypeScript checks here that the classes are exported as types only. */
export function typeChecks(probe: Probe, target: Target): void {
  // @ts-expect-error Probe is a type only: probes come from openProbe
  void new api.Probe({ transport: {} as DapTransport, timeout: 1 });
  // @ts-expect-error Target is a type only: targets come from probe.attach
  void api.Target;
  // @ts-expect-error the native session is not a member
  void probe.native;
  void target.core;
  // The USB transports are DapTransports, which openProbe takes.
  const transports: DapTransport[] = [{} as HidTransport, {} as BulkTransport];
  void transports.map((transport) => api.openProbe({ transport }));
}

describe('the public API', () => {
  it('exports openProbe, and neither the Probe nor the Target class', () => {
    assert.equal(typeof api.openProbe, 'function');
    assert.ok(!('Probe' in api), 'Probe is not exported as a value');
    assert.ok(!('Target' in api), 'Target is not exported as a value');
    for (const name of ['PacketTransport', 'TransportErrorCode', 'native', 'probeSession']) {
      assert.ok(!(name in api), `${name} is not exported`);
    }
  });

  it('a probe shows no native session, and the GDB server takes only a probe from openProbe', async () => {
    const probe = await api.openProbe({ sim: 'stm32f103', link: 'swd' });
    try {
      assert.ok(!('native' in probe));
      assert.ok(!('handle' in probe));
      assert.deepEqual(
        Object.keys(probe).filter((key) => key !== 'sim'),
        [],
        'no other own properties',
      );
      const target = await probe.attach(1);
      assert.equal(target.core, 'Cortex-M3');
      const fake = Object.create(Object.getPrototypeOf(probe)) as Probe;
      assert.throws(() => new api.GdbServer({ probe: fake, port: 0 }), { code: 'EINVAL' });
      const server = new api.GdbServer({ probe, port: 0 });
      assert.ok((await server.listen()) > 0);
      await server.close();
    } finally {
      await probe.close();
    }
  });
});

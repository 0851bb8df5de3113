/**
 * The transport bridge under stress (native/addon/js_transport.cc, session.cc): 150,000 CMSIS-DAP
 * packets through JavaScript without growing memory, and the process or a worker ending while
 * the probe's native thread is busy moving packets, without a hang or a crash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { DapEngine } from '../lib/dap-engine.js';
import { Sim } from '../lib/sim.js';
import { openProbe } from '../lib/target.js';
import type { DapTransport } from '../lib/transports/types.js';

/** A CMSIS-DAP probe in JavaScript that answers each packet on the next turn of the event loop. */
class CountingTransport implements DapTransport {
  readonly packetSize = 64;
  readonly packetCount = 4;
  transfers = 0;
  private readonly engine: DapEngine;

  constructor(sim: Sim) {
    this.engine = new DapEngine(sim, { packetSize: this.packetSize, packetCount: this.packetCount });
  }

  transfer(request: Uint8Array): Promise<Uint8Array> {
    this.transfers++;
    const [response] = this.engine.executeSync(request);
    return new Promise((resolve) => setImmediate(() => resolve(response)));
  }

  async close(): Promise<void> {}
}

const index = fileURLToPath(new URL('../lib/index.js', import.meta.url));
const dapEngine = fileURLToPath(new URL('../lib/dap-engine.js', import.meta.url));

/** A module that keeps a probe's thread busy: reads in a loop through a JavaScript transport. */
const busyProbe = `
  const { openProbe, Sim } = await import(${JSON.stringify(index)});
  const { DapEngine } = await import(${JSON.stringify(dapEngine)});
  const sim = new Sim('stm32f407');
  const engine = new DapEngine(sim, { packetSize: 64, packetCount: 4 });
  let packets = 0;
  const transport = { packetSize: 64, packetCount: 4, close: async () => {},
    transfer: (r) => { packets++; const [a] = engine.executeSync(r); return new Promise((ok) => setImmediate(() => ok(a))); } };
  const probe = await openProbe({ transport });
  const [found] = await probe.swdScan();
  const target = await probe.attach(found.index);
  (async () => { for (;;) await target.readMemory(0x20000000, 4096); })().catch(() => {});
  globalThis.busyPackets = () => packets;
`;

describe('the transport bridge under stress', function () {
  this.timeout(180_000);

  it('150,000 packets through a JavaScript transport: every read right, memory does not grow', async () => {
    const sim = new Sim('stm32f407');
    const pattern = new Uint8Array(4096).map((_, i) => (i * 7 + 3) & 0xff);
    sim.load(0x20000000, pattern);
    const transport = new CountingTransport(sim);
    const probe = await openProbe({ transport });
    try {
      const [found] = await probe.swdScan();
      const target = await probe.attach(found.index);
      // A full collection before each reading, in this process as the suite runs it (no
      // --expose-gc there): without it the heap's own growth counted as a leak.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      // RSS after 50,000, 100,000 and 150,000 packets: a leak grows it over both later stretches;
      // the suite's other work in this process (an allocator growing its arenas once) may grow
      // it over one, so the smaller growth is what counts.
      const marks = [50_000, 100_000, 150_000];
      const rss: number[] = [];
      while (transport.transfers < marks[marks.length - 1]) {
        const bytes = await target.readMemory(0x20000000, 4096);
        assert.deepEqual(bytes, pattern);
        if (transport.transfers >= marks[rss.length]) {
          gc();
          rss.push(process.memoryUsage().rss);
        }
      }
      gc();
      rss.push(process.memoryUsage().rss);
      const growth = Math.min(rss[1] - rss[0], rss[rss.length - 1] - rss[1]);
      // The later 50,000 packets may not keep what they used: a leak of even 300 bytes a
      // packet would show in both stretches.
      assert.ok(growth < 16 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB over each later 50,000 packets`);
    } finally {
      await probe.close();
      sim.close();
    }
  });

  it('process.exit while the probe thread is busy moving packets: exits at once, status 0', function () {
    const script = `${busyProbe}
      await new Promise((r) => setTimeout(r, 500));
      if (globalThis.busyPackets() < 10) { console.log('not busy'); process.exit(3); }
      console.log('exiting');
      process.exit(0);
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `killed by ${r.signal} (a hang?): ${r.stderr}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /exiting/);
    assert.ok(Date.now() - started < 60_000);
  });

  it('worker.terminate() while its probe thread is busy, three times over, then exit: no hang, no crash', function () {
    const script = `
      import { Worker } from 'node:worker_threads';
      const code = ${JSON.stringify(busyProbe + `
        const { parentPort } = await import('node:worker_threads');
        setInterval(() => parentPort.postMessage(globalThis.busyPackets()), 50);
      `)};
      for (let i = 0; i < 3; i++) {
        const worker = new Worker(code, { eval: true, type: 'module' });
        await new Promise((resolve, reject) => {
          worker.on('message', (n) => { if (n > 20) resolve(); });
          worker.on('error', reject);
        });
        await worker.terminate();
        console.log('terminated ' + i);
      }
      console.log('done');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.signal, null, `killed by ${r.signal} (a hang?): ${r.stderr}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /terminated 0\nterminated 1\nterminated 2\ndone/);
  });
});

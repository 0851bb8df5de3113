/**
 * The transport bridge: a probe whose CMSIS-DAP packets travel through JavaScript, while the
 * target layer runs on the probe's own native thread. The "probe" here is the DAP engine on a
 * simulated target, answering asynchronously as a USB device would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { DapEngine } from '../lib/dap-engine.js';
import { Sim } from '../lib/sim.js';
import { openProbe } from '../lib/target.js';
import type { DapTransport } from '../lib/transports/types.js';
import { installFixture, loadFixture, symbol } from './helpers/fixture.js';
import { Random } from './helpers/random.js';

/** A CMSIS-DAP probe in JavaScript; answers after a tick, or per `behaviour`. */
class EngineTransport implements DapTransport {
  readonly engine: DapEngine;
  readonly packetSize = 64;
  readonly packetCount: number;
  closed = false;
  outstanding = 0;
  maxOutstanding = 0;
  transfers = 0;
  /** 'answer' normally; 'silent' never answers; 'late' answers after 300 ms; 'fail' rejects. */
  behaviour: 'answer' | 'silent' | 'late' | 'fail' = 'answer';

  constructor(readonly sim: Sim, packetCount = 4) {
    this.engine = new DapEngine(sim, { packetSize: this.packetSize, packetCount });
    this.packetCount = packetCount;
  }

  transfer(request: Uint8Array): Promise<Uint8Array> {
    this.transfers++;
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const [response] = this.engine.executeSync(request);
    const behaviour = this.behaviour;
    return new Promise((resolve, reject) => {
      const settle = () => {
        this.outstanding--;
        if (behaviour === 'fail') reject(new Error('LIBUSB_ERROR_PIPE'));
        else resolve(response);
      };
      if (behaviour === 'silent') return;
      setTimeout(settle, behaviour === 'late' ? 300 : 0);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function simWithFixture(profile: 'stm32f407' | 'stm32f103') {
  const sim = new Sim(profile);
  const image = loadFixture(profile);
  installFixture(sim, image);
  sim.reset('system');
  sim.advance(1_000_000);
  return { sim, image };
}

describe('Probe over a JavaScript transport (the transport bridge)', () => {
  it('scans, attaches, round-trips memory and steps, with packets in flight', async () => {
    const { sim, image } = simWithFixture('stm32f407');
    const transport = new EngineTransport(sim);
    const probe = await openProbe({ transport });
    const [found] = await probe.swdScan();
    assert.equal(found.core, 'Cortex-M4');
    assert.ok(probe.components.some((c) => c.class === 1), 'the ROM walk found a ROM table');
    const target = await probe.attach(1);
    assert.match(await target.partName(), /STM32F4/);
    await target.halt();
    const data = new Random('probe bridge round trip').bytes(8192 + 3);
    await target.writeMemory(0x20001001, data);
    assert.deepEqual(await target.readMemory(0x20001001, data.length), data);
    assert.ok(transport.maxOutstanding > 1, `pipelined (${transport.maxOutstanding} in flight at most)`);
    assert.ok(transport.maxOutstanding <= 4, 'never more than the probe buffers');
    await target.setBreakpoint(symbol(image, 'fixture_tick') & ~1);
    await target.resume();
    sim.advance(5_000_000);
    assert.deepEqual(await target.haltReason(), { reason: 'breakpoint' });
    const pc = await target.readRegister('pc');
    await target.step();
    assert.notEqual(await target.readRegister('pc'), pc);
    await probe.close();
    assert.ok(transport.closed, 'closing the probe closes its transport');
    sim.close();
  });

  it('a probe that stops answering gives ETIMEDOUT; late answers are dropped; the session recovers', async () => {
    const { sim } = simWithFixture('stm32f103');
    const transport = new EngineTransport(sim, 2);
    const probe = await openProbe({ transport, timeout: 100 });
    const target = await probe.attach();
    await target.halt();
    await target.write32(0x20001000, 0xcafef00d);
    transport.behaviour = 'silent';
    const started = Date.now();
    await assert.rejects(target.read32(0x20001000), { code: 'ETIMEDOUT' });
    assert.ok(Date.now() - started < 2000, 'the timeout bounds the wait');
    transport.behaviour = 'late';
    await assert.rejects(target.read32(0x20001000), { code: 'ETIMEDOUT' });
    transport.behaviour = 'answer';
    await new Promise((resolve) => setTimeout(resolve, 400)); // the late answers arrive now
    const again = await probe.attach();
    assert.equal(await again.read32(0x20001000), 0xcafef00d);
    await probe.close();
    sim.close();
  });

  it('a transport error gives EPROBE with its message, and the next call works', async () => {
    const { sim } = simWithFixture('stm32f103');
    const transport = new EngineTransport(sim, 1);
    const probe = await openProbe({ transport });
    const target = await probe.attach();
    transport.behaviour = 'fail';
    await assert.rejects(target.read32(0x20000000), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EPROBE');
      assert.match(e.message, /LIBUSB_ERROR_PIPE/);
      return true;
    });
    transport.behaviour = 'answer';
    const again = await probe.attach();
    assert.equal(typeof (await again.read32(0x20000000)), 'number');
    await probe.close();
    sim.close();
  });

  it('closing the probe settles calls still queued with ECLOSED', async () => {
    const { sim } = simWithFixture('stm32f103');
    const transport = new EngineTransport(sim, 1);
    const probe = await openProbe({ transport, timeout: 60_000 });
    const target = await probe.attach();
    transport.behaviour = 'silent';
    const first = target.read32(0x20000000);
    const second = target.read32(0x20000004);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await probe.close();
    await assert.rejects(first, { code: 'EPROBE' }); // woken from its wait by the close
    await assert.rejects(second, { code: 'ECLOSED' });
    await assert.rejects(target.read32(0x20000000), { code: 'ECLOSED' });
    sim.close();
  });

  it('process exit and worker termination with a transfer outstanding neither hang nor crash', function () {
    this.timeout(20_000);
    const index = fileURLToPath(new URL('../lib/index.js', import.meta.url));
    const script = `
      import { Worker } from 'node:worker_threads';
      const { openProbe } = await import(${JSON.stringify(index)});
      const code = \`
        const { openProbe } = await import(${JSON.stringify(index)});
        const probe = await openProbe({ transport: { transfer: () => new Promise(() => {}) }, timeout: 600000 });
        probe.swdScan().catch(() => {});
      \`;
      const worker = new Worker(code, { eval: true, type: 'module' });
      await new Promise((r) => setTimeout(r, 300));
      await worker.terminate();
      console.log('worker terminated');
      const probe = await openProbe({ transport: { transfer: () => new Promise(() => {}) }, timeout: 600000 });
      probe.swdScan().catch(() => {});
      setTimeout(() => { console.log('exiting'); process.exit(0); }, 200);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /worker terminated\nexiting/);
  });
});

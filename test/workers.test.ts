/**
 * The addon in several Node.js environments at once: the main thread and worker threads each
 * load it and drive probes of their own (its classes are registered per environment). Worker
 * termination and process exit with probes busy must neither hang nor crash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';

import { exercise, Lockstep, type ExerciseResult } from './helpers/probe-worker.js';
import { testSeed } from './helpers/random.js';

const workerFile = new URL('./helpers/probe-worker.js', import.meta.url);

/** Runs `exercise` in a worker; resolves with its result once the worker has exited cleanly. */
function inWorker(label: string, rounds: number, lockstep: Lockstep): Promise<ExerciseResult> {
  const worker = new Worker(workerFile, {
    workerData: {
      probeWorker: {
        mode: 'exercise',
        label,
        rounds,
        lockstep: { buffer: lockstep.buffer, threads: 3 },
        seed: testSeed,
      },
    },
  });
  return new Promise((resolve, reject) => {
    let result: ExerciseResult | undefined;
    worker.on('message', (message: ExerciseResult) => (result = message));
    worker.on('error', (error) => {
      lockstep.fail();
      reject(error);
    });
    worker.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else {
        lockstep.fail();
        reject(new Error(`${label} exited with code ${code} ${result ? 'after' : 'before'} reporting`));
      }
    });
  });
}

describe('the addon in worker threads', () => {
  it('two workers and the main thread each scan, attach and round-trip memory on a probe of their own, at once', async function () {
    this.timeout(120_000);
    const rounds = 12;
    const lockstep = Lockstep.create(3);
    const results = await Promise.all([
      inWorker('worker 1', rounds, lockstep),
      inWorker('worker 2', rounds, lockstep),
      exercise('main thread', rounds, lockstep, testSeed),
    ]);
    for (const r of results) {
      assert.equal(r.core, 'Cortex-M4', r.label);
      assert.equal(r.rounds, rounds, r.label);
      assert.ok(r.bytes >= rounds, r.label);
    }
    assert.deepEqual(results.map((r) => r.label), ['worker 1', 'worker 2', 'main thread']);
  });

  it('terminating busy workers, a worker ending with its probe open, and process exit with a probe busy neither hang nor crash', function () {
    this.timeout(60_000);
    const index = new URL('../lib/index.js', import.meta.url).href;
    const script = `
      import { Worker } from 'node:worker_threads';
      const file = new URL(${JSON.stringify(workerFile.href)});
      const start = (mode, says) => {
        const worker = new Worker(file, { workerData: { probeWorker: { mode } }, execArgv: [] });
        const said = new Promise((resolve, reject) => {
          worker.on('message', (m) => m === says && resolve());
          worker.on('error', reject);
        });
        const exited = new Promise((resolve) => worker.on('exit', resolve));
        return { worker, said, exited };
      };
      const busy = [start('endless', 'busy'), start('endless', 'busy')];
      const abandoning = start('abandon', 'abandoned');
      await Promise.all([...busy.map((w) => w.said), abandoning.said]);
      await Promise.all(busy.map((w) => w.worker.terminate()));
      console.log('workers terminated');
      console.log('abandoning worker exited with ' + (await abandoning.exited));
      const { openProbe } = await import(${JSON.stringify(index)});
      const probe = await openProbe({ sim: 'stm32f407' });
      const target = await probe.attach(1);
      (async () => { for (;;) await target.readMemory(0x20000000, 8192); })().catch(() => {});
      setTimeout(() => { console.log('exiting'); process.exit(0); }, 200);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^workers terminated\nabandoning worker exited with 0\nexiting\n$/);
  });
});

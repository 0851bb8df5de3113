/**
 * A simulated probe driven from one thread: the main thread, or a worker started on this file
 * (test/workers.test.ts). The threads share a small SharedArrayBuffer that keeps them in
 * lockstep, round by round, so that their memory traffic really overlaps.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

import { GdbServer, openProbe, Sim } from '../../lib/index.js';
import { Random } from './random.js';

/** What one thread did. */
export interface ExerciseResult {
  label: string;
  core: string;
  rounds: number;
  bytes: number;
}

/** How threads meet between rounds: [threads arrived, in total; a thread failed]. */
export class Lockstep {
  private readonly cells: Int32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly threads: number,
  ) {
    this.cells = new Int32Array(buffer);
  }

  static create(threads: number): Lockstep {
    return new Lockstep(new SharedArrayBuffer(8), threads);
  }

  /** Arrives at the end of `round` and waits (at most 60 s) for every other thread to arrive too. */
  async meet(round: number): Promise<void> {
    Atomics.add(this.cells, 0, 1);
    const deadline = Date.now() + 60_000;
    while (Atomics.load(this.cells, 0) < this.threads * (round + 1)) {
      if (Atomics.load(this.cells, 1)) throw new Error('another thread failed');
      if (Date.now() > deadline) throw new Error(`the other threads never finished round ${round}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  fail(): void {
    Atomics.store(this.cells, 1, 1);
  }
}

/**
 * Loads the addon and waits for the other threads to have loaded it too (so that each makes its
 * objects after every environment has registered the classes). Then opens a simulated STM32F407
 * through the in-process CMSIS-DAP engine, scans, attaches, starts a GDB server on it (a GDB
 * session takes the probe), and round-trips `rounds` blocks of random data (length and place
 * from the seeded generator) through SRAM, checking every byte; then closes both.
 */
export async function exercise(label: string, rounds: number, lockstep: Lockstep, seed?: number): Promise<ExerciseResult> {
  const random = new Random(`probe worker ${label}`, seed);
  try {
    if (!Sim.profiles().some((p) => p.name === 'stm32f407')) throw new Error('no stm32f407 profile');
    await lockstep.meet(0);
    const probe = await openProbe({ sim: 'stm32f407' });
    const server = new GdbServer({ probe, port: 0 });
    try {
      await server.listen();
      const [found] = await probe.swdScan();
      const target = await probe.attach(1);
      await target.halt();
      let bytes = 0;
      for (let round = 1; round <= rounds; round++) {
        const length = 1 + random.below(8192);
        const addr = 0x20000400 + random.below(0x10000);
        const data = random.bytes(length);
        await target.writeMemory(addr, data);
        const back = await target.readMemory(addr, length);
        if (Buffer.compare(back, data) !== 0) {
          throw new Error(`${label}, round ${round}: ${length} bytes at 0x${addr.toString(16)} read back differently`);
        }
        bytes += length;
        await lockstep.meet(round);
      }
      return { label, core: found.core, rounds, bytes };
    } finally {
      await server.close();
      await probe.close();
    }
  } catch (error) {
    lockstep.fail();
    throw error;
  }
}

/** Attaches to a simulated target and keeps reading and writing until the thread is stopped. */
async function endless(): Promise<void> {
  const probe = await openProbe({ sim: 'stm32f407', usb: 'bulk' });
  const target = await probe.attach(1);
  const data = new Random('probe worker endless').bytes(4096);
  for (let round = 0; ; round++) {
    await target.writeMemory(0x20000000, data);
    await target.readMemory(0x20000000, data.length);
    if (round === 2) parentPort?.postMessage('busy');
  }
}

/** Attaches and leaves the probe open, with a read outstanding, as the thread ends. */
async function abandon(): Promise<void> {
  const probe = await openProbe({ sim: 'stm32f103', link: 'swd' });
  const target = await probe.attach(1);
  void target.readMemory(0x20000000, 4096).catch(() => {});
  parentPort?.postMessage('abandoned');
}

interface WorkerTask {
  mode: 'exercise' | 'endless' | 'abandon';
  label?: string;
  rounds?: number;
  lockstep?: { buffer: SharedArrayBuffer; threads: number };
  seed?: number;
}

if (!isMainThread && (workerData as { probeWorker?: WorkerTask } | undefined)?.probeWorker) {
  const task = (workerData as { probeWorker: WorkerTask }).probeWorker;
  if (task.mode === 'exercise') {
    const lockstep = new Lockstep(task.lockstep!.buffer, task.lockstep!.threads);
    parentPort!.postMessage(await exercise(task.label!, task.rounds!, lockstep, task.seed));
  } else if (task.mode === 'endless') {
    await endless();
  } else {
    await abandon();
  }
}

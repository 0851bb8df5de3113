/**
 * Starts the MicroPython worker (worker.ts). A command line that will run a script starts it
 * before it loads anything else (lib/cli/early.ts), since the worker's start-up is most of
 * `bmp-gdbserver run`'s: what the worker says before a ScriptHost takes it over is kept for it.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

import { CELLS, type WorkerInit, type WorkerMessage } from './protocol.js';

/** What the worker reported: a message, or that it failed or ended. */
export type WorkerEvent = { message: WorkerMessage } | { error: Error } | { exit: number };

export interface SpawnedWorker {
  readonly worker: Worker;
  readonly cells: Int32Array;
  /** The host's end of the sync port. */
  readonly sync: MessagePort;
  /** Hands the worker's events to `listener`, those kept so far first. */
  take(listener: (event: WorkerEvent) => void): void;
}

export const DEFAULT_HEAP_BYTES = 4 << 20;

export function spawnScriptWorker(heapBytes = DEFAULT_HEAP_BYTES): SpawnedWorker {
  const cells = new Int32Array(new SharedArrayBuffer(CELLS * 4));
  const channel = new MessageChannel();
  const init: WorkerInit = { cells: cells.buffer as SharedArrayBuffer, sync: channel.port2, heapBytes };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, transferList: [channel.port2] });
  const kept: WorkerEvent[] = [];
  let listener: ((event: WorkerEvent) => void) | undefined;
  const deliver = (event: WorkerEvent) => (listener ? listener(event) : kept.push(event));
  worker.on('message', (message: WorkerMessage) => deliver({ message }));
  worker.on('error', (error) => deliver({ error }));
  worker.on('exit', (exit) => deliver({ exit }));
  return {
    worker,
    cells,
    sync: channel.port1,
    take(l) {
      listener = l;
      for (const event of kept.splice(0)) l(event);
    },
  };
}

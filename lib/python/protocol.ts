/**
 * What the script host (main thread, host.ts) and the MicroPython worker (worker.ts) say to each
 * other. The worker blocks in Atomics.wait while the main thread does an operation; see
 * docs/ARCHITECTURE.md, "MicroPython scripts".
 */
import type { MessagePort } from 'node:worker_threads';

/** Cells of the shared Int32Array. */
export const CELL_SIGNAL = 0; // set to 1 (and notified) when the sync port has something for the worker
export const CELL_INTERRUPT = 1; // set to 1 by Ctrl-C; the worker takes it and raises KeyboardInterrupt
export const CELL_ACTIVE = 2; // 1 once the worker has noticed an interrupt (so the host need not end it)
export const CELLS = 3;

/** How an operation ended, as the Python side (python/_bmp.py) raises it. */
export const STATUS_OK = 0;
export const STATUS_RUNTIME = 1;
export const STATUS_VALUE = 2;
export const STATUS_INTERRUPT = 3;
export const STATUS_TYPE = 4;

/** A value that crosses to Python: a primitive, or a list of primitives (a Python list). */
export type ScriptValue = number | string | boolean | null;
export type ScriptResult = ScriptValue | ScriptValue[];

/** Worker to host, on parentPort. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'call'; id: number; op: string; args: ScriptValue[] }
  | { type: 'out'; fd: 1 | 2; data: Uint8Array }
  | { type: 'done'; code: number }
  | { type: 'failed'; error: string; kind: string }
  | { type: 'callbackDone'; id: number; output: string; ok: boolean }
  | { type: 'replIdle' }
  | { type: 'replExit' };

/** Host to worker, on parentPort while the worker is idle. */
export type HostMessage =
  | { type: 'run'; path: string; source: string; args: string[] }
  | { type: 'repl' }
  | { type: 'stdin'; data: Uint8Array }
  | { type: 'callback'; id: number; text: string };

/** Host to worker on the sync port, read while the worker waits for an operation. */
export type SyncMessage =
  | { type: 'result'; id: number; status: number; value: ScriptResult }
  | { type: 'callback'; id: number; text: string };

export interface WorkerInit {
  cells: SharedArrayBuffer;
  /** The sync port's worker end. */
  sync: MessagePort;
  /** MicroPython's heap. */
  heapBytes: number;
}

/**
 * The MicroPython worker: runs a script (or the REPL) on MicroPython compiled to WebAssembly,
 * with the modules `target`, `bmp` and `dap` (python/*.py). Their operations are done by the
 * host on the main thread (host.ts); a call posts the operation and blocks this thread in
 * Atomics.wait until the result is on the sync port, so that each call returns only once the
 * probe has done its part, as on the original probe. While it waits, the host can hand it a
 * `monitor python` callback to run first. See docs/ARCHITECTURE.md, "MicroPython scripts".
 */
import { readFileSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { loadMicroPython, type MicroPython, type PythonError } from '@micropython/micropython-webassembly-pyscript';

import {
  CELL_ACTIVE,
  CELL_INTERRUPT,
  CELL_SIGNAL,
  STATUS_INTERRUPT,
  STATUS_TYPE,
  type HostMessage,
  type ScriptResult,
  type SyncMessage,
  type WorkerInit,
  type WorkerMessage,
} from './protocol.js';

const init = workerData as WorkerInit;
const cells = new Int32Array(init.cells);
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

// ---- output: line by line to the host, or collected while a callback runs ----

const outBuffers: Record<1 | 2, number[]> = { 1: [], 2: [] };
let captured: number[] | null = null;
let mp: MicroPython;

function flush(fd: 1 | 2): void {
  const bytes = outBuffers[fd];
  if (!bytes.length) return;
  post({ type: 'out', fd, data: Uint8Array.from(bytes) });
  outBuffers[fd] = [];
}

function flushAll(): void {
  flush(1);
  flush(2);
}

function output(fd: 1 | 2, data: Uint8Array): void {
  for (const byte of data) {
    if (captured) {
      captured.push(byte);
      continue;
    }
    const bytes = outBuffers[fd];
    bytes.push(byte);
    if (byte === 10 || bytes.length >= 4096) flush(fd);
  }
  // A script that only prints can be interrupted here too: MicroPython raises the
  // KeyboardInterrupt at its next check.
  if (takeInterrupt()) mp._module._mp_sched_keyboard_interrupt();
}

/** A Ctrl-C the host posted, taken once. */
function takeInterrupt(): boolean {
  if (Atomics.load(cells, CELL_INTERRUPT) === 0) return false;
  Atomics.store(cells, CELL_INTERRUPT, 0);
  Atomics.store(cells, CELL_ACTIVE, 1);
  return true;
}

// ---- operations: post, then wait on the sync port ----

let nextId = 0;
const results = new Map<number, SyncMessage & { type: 'result' }>();
const abandoned = new Set<number>();
let interruptedInCallback = false;

function drain(): void {
  for (let m = receiveMessageOnPort(init.sync); m; m = receiveMessageOnPort(init.sync)) {
    const message = m.message as SyncMessage;
    if (message.type === 'result') {
      if (abandoned.delete(message.id)) continue;
      results.set(message.id, message);
    } else {
      runCallback(message.id, message.text);
    }
  }
}

function hostCall(op: string, args: unknown[]): { status: number; value: ScriptResult } {
  flushAll();
  if (takeInterrupt()) return { status: STATUS_INTERRUPT, value: null };
  for (const a of args) {
    if (a !== null && typeof a === 'object') return { status: STATUS_TYPE, value: `${op}: an argument that is not a number, string or bool` };
  }
  const id = ++nextId;
  post({ type: 'call', id, op, args: args as (number | string | boolean | null)[] });
  for (;;) {
    const result = results.get(id);
    if (result) {
      results.delete(id);
      return result;
    }
    Atomics.wait(cells, CELL_SIGNAL, 0);
    Atomics.store(cells, CELL_SIGNAL, 0); // before draining: a message posted after this wakes the next wait
    drain();
    if (interruptedInCallback || (!results.has(id) && takeInterrupt())) {
      interruptedInCallback = false;
      abandoned.add(id); // its result, when it comes, is dropped
      return { status: STATUS_INTERRUPT, value: null };
    }
  }
}

// ---- `monitor python`: bmp._dispatch(text), its output collected for GDB ----

function runCallback(id: number, text: string): void {
  flushAll();
  captured = [];
  let ok = false;
  let tail = '';
  try {
    const dispatch = mp.pyimport('bmp')._dispatch as (text: string) => boolean;
    ok = Boolean(dispatch(text));
  } catch (error) {
    if (!isPythonError(error)) throw error;
    tail = error.message.endsWith('\n') ? error.message : `${error.message}\n`;
    if (error.type === 'KeyboardInterrupt') interruptedInCallback = true;
  }
  // The dispatcher's own frame is no business of the script's.
  const shown = (Buffer.from(captured).toString() + tail).replace(/^ {2}File "\/lib\/bmp\.py", line \d+, in _dispatch\n/m, '');
  captured = null;
  post({ type: 'callbackDone', id, output: shown, ok });
}

function isPythonError(error: unknown): error is PythonError {
  return error instanceof Error && error.name === 'PythonError';
}

// ---- the module the Python side calls ----

let last: ScriptResult = null;
let scriptSource = '';
let scriptArgs = '[]';

const bridge = {
  call(op: string, ...args: unknown[]): number {
    const r = hostCall(op, args);
    last = r.value;
    return r.status;
  },
  value: (): ScriptResult => last,
  count: (): number => (Array.isArray(last) ? last.length : -1),
  item: (i: number) => (Array.isArray(last) ? last[i] : null),
  script: () => scriptSource,
  args: () => scriptArgs,
};

/** A traceback without the frames of the runner in python/_bmp.py; "KeyboardInterrupt", not "KeyboardInterrupt: ". */
function traceback(error: PythonError): string {
  return error.message
    .split('\n')
    .filter((line) => !/^ {2}File "\/lib\/_bmp\.py"/.test(line))
    .map((line) => line.replace(/^(\w+): $/, '$1'))
    .join('\n');
}

function run(path: string, source: string, args: string[]): void {
  scriptSource = source;
  scriptArgs = JSON.stringify(args);
  let code = 0;
  try {
    const runMain = mp.pyimport('_bmp').run_main as (path: string) => number;
    code = Number(runMain(path));
  } catch (error) {
    if (!isPythonError(error)) {
      flushAll();
      post({ type: 'failed', error: String((error as Error)?.stack ?? error), kind: 'internal' });
      return;
    }
    flushAll();
    const text = traceback(error);
    post({ type: 'out', fd: 2, data: new TextEncoder().encode(text.endsWith('\n') ? text : `${text}\n`) });
    code = error.type === 'KeyboardInterrupt' ? 130 : 1;
  }
  drain(); // a callback that came in after the last call is answered before the end
  flushAll();
  post({ type: 'done', code });
}

function replInput(data: Uint8Array): void {
  for (const byte of data) {
    if (mp.replProcessChar(byte)) {
      flushAll();
      post({ type: 'replExit' });
      return;
    }
  }
  drain();
  flushAll();
  post({ type: 'replIdle' });
}

async function start(): Promise<void> {
  mp = await loadMicroPython({
    heapsize: init.heapBytes,
    pystack: 8192,
    linebuffer: false,
    stdout: (data) => output(1, data),
    stderr: (data) => output(2, data),
  });
  const dir = new URL('../../../python/', import.meta.url);
  try {
    mp.FS.mkdir('/lib');
  } catch {
    // already there
  }
  for (const name of ['_bmp.py', 'target.py', 'bmp.py', 'dap.py']) {
    mp.FS.writeFile(`/lib/${name}`, readFileSync(new URL(name, dir))); // bytes: strings are written slowly
  }
  mp.registerJsModule('_bmphost', bridge);
  mp.runPython('import _bmp\n_bmp.install()\n');
  port.on('message', (message: HostMessage) => {
    switch (message.type) {
      case 'run': return run(message.path, message.source, message.args);
      case 'repl':
        mp.replInit();
        flushAll();
        return post({ type: 'replIdle' });
      case 'stdin': return replInput(message.data);
      case 'callback':
        runCallback(message.id, message.text);
        return flushAll();
    }
  });
  post({ type: 'ready' });
}

start().catch((error) => post({ type: 'failed', error: String((error as Error)?.stack ?? error), kind: 'start' }));

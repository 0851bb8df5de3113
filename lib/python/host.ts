/**
 * Runs MicroPython scripts (and the REPL) with the original probe's modules `target`, `bmp` and
 * `dap`, on a worker thread (worker.ts). This side owns the probe, the GDB server and the DAP
 * engine, and does each operation the script asks for (modules.ts) while the worker waits for
 * it; see docs/ARCHITECTURE.md, "MicroPython scripts".
 */
import type { MessagePort, Worker } from 'node:worker_threads';

import { BmpError } from '../errors.js';
import type { Probe } from '../target.js';
import { ScriptModules, ScriptTypeError, ScriptValueError } from './modules.js';
import { spawnScriptWorker, type SpawnedWorker, type WorkerEvent } from './spawn.js';
import {
  CELL_ACTIVE,
  CELL_INTERRUPT,
  CELL_SIGNAL,
  STATUS_OK,
  STATUS_RUNTIME,
  STATUS_TYPE,
  STATUS_VALUE,
  type HostMessage,
  type ScriptResult,
  type SyncMessage,
  type WorkerMessage,
} from './protocol.js';

export interface ScriptHostOptions {
  /** The probe the modules work on (it may still be opening). The host does not close it. */
  probe: Probe | Promise<Probe>;
  /** Where the script's output goes (default: this process's stdout and stderr). */
  stdout?: (data: Uint8Array) => void;
  stderr?: (data: Uint8Array) => void;
  /** Diagnostics: bmp.debug(True)'s lines (default: stderr). */
  log?: (line: string) => void;
  /** MicroPython's heap (default 4 MiB). */
  heapBytes?: number;
  /** A worker started already (spawnScriptWorker), to use instead of starting one. */
  spawned?: SpawnedWorker;
}

type Callback = { id: number; text: string };

export class ScriptHost {
  private readonly worker: Worker;
  private readonly cells: Int32Array;
  private readonly sync: MessagePort;
  private readonly ready: Promise<void>;
  private readonly options: ScriptHostOptions;
  private modulesPromise?: Promise<ScriptModules>;
  /** Operations the worker waits for. While there are some, a callback goes on the sync port. */
  private outstanding = 0;
  /** 'busy': running a script or a REPL line (callbacks wait for its next call); 'idle': waiting for messages. */
  private state: 'starting' | 'busy' | 'idle' | 'gone' = 'starting';
  private readonly queued: Callback[] = [];
  private readonly callbacks = new Map<number, (answer: { output: string; ok: boolean }) => void>();
  private nextCallback = 0;
  private finish?: { resolve: (code: number) => void; reject: (error: Error) => void };
  private replWaiters: (() => void)[] = [];

  constructor(options: ScriptHostOptions) {
    this.options = options;
    const spawned = options.spawned ?? spawnScriptWorker(options.heapBytes);
    this.worker = spawned.worker;
    this.cells = spawned.cells;
    this.sync = spawned.sync;
    let started!: () => void;
    let failed!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => ((started = resolve), (failed = reject)));
    this.ready.catch(() => {}); // reported where it is awaited
    spawned.take((event: WorkerEvent) => {
      if ('message' in event) this.receive(event.message, started, failed);
      else if ('error' in event) this.end(event.error, failed);
      else this.end(new BmpError('EINTERNAL', 'the MicroPython worker ended'), failed);
    });
  }

  private gdbPort?: number;

  /** The port of the GDB server the script started with bmp.init, while it runs. */
  get gdbServerPort(): number | undefined {
    return this.gdbPort;
  }

  /** Runs a script as __main__ with sys.argv = [path, ...args]; resolves with its exit status. */
  async run(path: string, source: string, args: string[] = []): Promise<number> {
    await this.ready;
    return this.start({ type: 'run', path, source, args });
  }

  /**
   * The interactive prompt on `input` (bytes as typed: a TTY in raw mode, or a pipe, whose line
   * feeds become returns); resolves when it is left (Ctrl-D on an empty line, or the end of input).
   */
  async repl(input: NodeJS.ReadableStream, options: { tty: boolean; onStuck?: () => void }): Promise<number> {
    await this.ready;
    const done = this.start({ type: 'repl' });
    let pending = false; // an interrupt not taken yet
    input.on('data', (chunk: Buffer) => {
      let bytes = Uint8Array.from(chunk);
      if (!options.tty) bytes = bytes.map((b) => (b === 0x0a ? 0x0d : b));
      if (this.state === 'busy' && bytes.includes(0x03)) {
        // Ctrl-C while a line runs interrupts it; at the prompt the REPL itself takes it. A line
        // that does not notice (a loop in pure Python) gets two seconds, or a second Ctrl-C.
        if (pending && !this.interruptTaken) return options.onStuck?.();
        this.interrupt();
        pending = true;
        setTimeout(() => {
          if (pending && !this.interruptTaken && this.state === 'busy') options.onStuck?.();
          pending = false;
        }, 2000).unref();
        bytes = bytes.filter((b) => b !== 0x03);
      }
      if (bytes.length) this.toIdleWorker({ type: 'stdin', data: bytes });
    });
    input.on('end', () => this.toIdleWorker({ type: 'stdin', data: Uint8Array.of(0x03, 0x04) }));
    return done;
  }

  /** Ctrl-C: KeyboardInterrupt in the script at its next call into the probe, sleep or print. */
  interrupt(): void {
    Atomics.store(this.cells, CELL_ACTIVE, 0);
    Atomics.store(this.cells, CELL_INTERRUPT, 1);
    this.signal();
  }

  /** Whether the script has noticed the last interrupt (a pure computation does not). */
  get interruptTaken(): boolean {
    return Atomics.load(this.cells, CELL_ACTIVE) === 1;
  }

  /** Stops the GDB server the script started, and the worker. The probe is left to its owner. */
  async close(): Promise<void> {
    const modules = await this.modulesPromise?.catch(() => undefined);
    await modules?.close();
    this.gdbPort = undefined;
    this.state = 'gone';
    void this.worker.terminate(); // not awaited: nothing more is asked of it, and exiting ends it anyway
  }

  private start(message: HostMessage): Promise<number> {
    this.state = 'busy';
    const done = new Promise<number>((resolve, reject) => (this.finish = { resolve, reject }));
    this.worker.postMessage(message);
    return done;
  }

  private toIdleWorker(message: HostMessage): void {
    if (message.type === 'stdin') this.state = 'busy';
    this.worker.postMessage(message);
  }

  private signal(): void {
    Atomics.store(this.cells, CELL_SIGNAL, 1);
    Atomics.notify(this.cells, CELL_SIGNAL);
  }

  private toWaitingWorker(message: SyncMessage): void {
    this.sync.postMessage(message);
    this.signal();
  }

  private modules(): Promise<ScriptModules> {
    this.modulesPromise ??= Promise.resolve(this.options.probe).then(
      (probe) =>
        new ScriptModules({
          probe,
          log: this.options.log ?? ((line) => process.stderr.write(`bmp: ${line}\n`)),
          callback: (text) => this.callback(text),
        }),
    );
    return this.modulesPromise;
  }

  /** Runs the script's `monitor python` function: now if the worker waits or idles, else at its next call. */
  private callback(text: string): Promise<{ output: string; ok: boolean }> {
    if (this.state === 'gone') return Promise.resolve({ output: 'The script has ended.\n', ok: false });
    const id = ++this.nextCallback;
    const answer = new Promise<{ output: string; ok: boolean }>((resolve) => this.callbacks.set(id, resolve));
    if (this.outstanding > 0) this.toWaitingWorker({ type: 'callback', id, text });
    else if (this.state === 'idle') this.worker.postMessage({ type: 'callback', id, text } satisfies HostMessage);
    else this.queued.push({ id, text });
    return answer;
  }

  private receive(m: WorkerMessage, started: () => void, failed: (error: Error) => void): void {
    switch (m.type) {
      case 'ready':
        this.state = 'idle';
        started();
        return;
      case 'out':
        (m.fd === 1 ? this.options.stdout ?? ((d) => process.stdout.write(d)) : this.options.stderr ?? ((d) => process.stderr.write(d)))(m.data);
        return;
      case 'call':
        this.outstanding++;
        for (const c of this.queued.splice(0)) this.toWaitingWorker({ type: 'callback', ...c });
        void this.serve(m.id, m.op, m.args);
        return;
      case 'callbackDone':
        this.callbacks.get(m.id)?.({ output: m.output, ok: m.ok });
        this.callbacks.delete(m.id);
        return;
      case 'done':
      case 'replExit':
        this.idle();
        this.finish?.resolve(m.type === 'done' ? m.code : 0);
        return;
      case 'replIdle':
        this.idle();
        for (const w of this.replWaiters.splice(0)) w();
        return;
      case 'failed': {
        const error = new BmpError('EINTERNAL', `MicroPython: ${m.error}`);
        if (m.kind === 'start') failed(error);
        else this.finish?.reject(error);
        return;
      }
    }
  }

  private idle(): void {
    this.state = 'idle';
    for (const c of this.queued.splice(0)) this.worker.postMessage({ type: 'callback', ...c } satisfies HostMessage);
  }

  private async serve(id: number, op: string, args: (number | string | boolean | null)[]): Promise<void> {
    let status = STATUS_OK;
    let value: ScriptResult = null;
    try {
      value = (await (await this.modules()).run(op, args)) ?? null;
      if (op === 'bmp.init') this.gdbPort = Number(value);
      if (op === 'bmp.deinit') this.gdbPort = undefined;
    } catch (error) {
      status = error instanceof ScriptValueError ? STATUS_VALUE : error instanceof ScriptTypeError ? STATUS_TYPE : STATUS_RUNTIME;
      const e = error as Error;
      value = error instanceof BmpError ? `${error.message} [${error.code}]` : e.message;
    }
    this.outstanding--;
    if (this.state !== 'gone') this.toWaitingWorker({ type: 'result', id, status, value });
  }

  private end(error: Error, failed: (error: Error) => void): void {
    if (this.state === 'gone') return;
    failed(error); // if it had not started
    this.state = 'gone';
    for (const answer of this.callbacks.values()) answer({ output: 'The script has ended.\n', ok: false });
    this.callbacks.clear();
    this.finish?.reject(error);
  }
}

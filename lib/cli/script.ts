/**
 * `bmp-gdbserver run <script.py>` and `bmp-gdbserver repl`: MicroPython with the original probe's
 * modules on the probe the command line names. A script that ends well with its GDB server
 * (bmp.init) still running leaves it serving until Ctrl-C. Ctrl-C raises KeyboardInterrupt in the script; a
 * script that does not notice it within two seconds (a loop in pure Python) is ended, and a second
 * Ctrl-C ends it at once. Either way the probe is released before the command exits.
 */
import { readFile } from 'node:fs/promises';

import { ScriptHost } from '../python/host.js';
import type { SpawnedWorker } from '../python/spawn.js';
import type { Probe } from '../target.js';

export interface RunScriptOptions {
  opening: Promise<{ probe: Probe; what: string }>;
  /** The script; none: the interactive prompt. */
  script?: string;
  args: string[];
  log?: (line: string) => void;
  /** The worker the command line started early, if it did. */
  spawned?: SpawnedWorker;
}

/** Runs the script (or the REPL) to its end; resolves with the exit status once the probe is released. */
export async function runScript(options: RunScriptOptions): Promise<number> {
  const source = options.script === undefined ? undefined : await readScript(options.script);
  const stderr = (text: string) => process.stderr.write(text);
  const host = new ScriptHost({
    probe: options.opening.then((o) => o.probe),
    log: (line) => stderr(`bmp: ${line}\n`),
    spawned: options.spawned,
  });
  let opened: { probe: Probe; what: string };
  try {
    opened = await options.opening;
  } catch (error) {
    await host.close();
    throw error;
  }

  // Ended from outside (signals): resolves with the exit status to give.
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  let phase: 'running' | 'serving' = 'running';
  let interrupts = 0;
  let scriptCode = 0;
  const stuck = () => {
    stderr('KeyboardInterrupt: the script did not notice it (a loop that never calls target, bmp, dap, time.sleep or print); stopped it\n');
    stop(130);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (phase === 'serving') return stop(scriptCode);
    if (signal === 'SIGTERM') return stop(128 + 15);
    if (++interrupts > 1) return stop(130);
    host.interrupt();
    setTimeout(() => {
      if (!host.interruptTaken) stuck();
    }, 2000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = process.stdin.isTTY === true;
  try {
    let finished: Promise<number>;
    if (source !== undefined) {
      finished = host.run(options.script!, source, options.args);
    } else {
      stderr(`bmp-gdbserver: MicroPython with the modules target, bmp and dap on the ${opened.what}\n`);
      if (tty) process.stdin.setRawMode(true);
      finished = host.repl(process.stdin, { tty, onStuck: stuck });
    }
    let ended = false;
    scriptCode = await Promise.race([finished.then((code) => ((ended = true), code)), stopped]);
    if (ended && scriptCode === 0 && host.gdbServerPort !== undefined) {
      phase = 'serving';
      stderr(`bmp-gdbserver: the script has ended; its GDB server goes on at 127.0.0.1:${host.gdbServerPort} until Ctrl-C\n`);
      scriptCode = await stopped;
    }
  } finally {
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
    await host.close();
    await opened.probe.close();
    options.log?.('the probe is released');
  }
  return scriptCode;
}

async function readScript(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the script ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

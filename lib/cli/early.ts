/**
 * Imported first by bmp-gdbserver: for `run` and `repl`, starts the MicroPython worker before the
 * rest of the command loads, so that the two overlap (bench/python-startup.mjs).
 */
import { spawnScriptWorker, type SpawnedWorker } from '../python/spawn.js';

const command = process.argv[2];
// The USB gadget keeps three blocking reads on the thread pool (FunctionFS ep0 and ep1, the HID node).
if (command === 'gadget') process.env.UV_THREADPOOL_SIZE ??= '8';
export const earlyWorker: SpawnedWorker | undefined = command === 'run' || command === 'repl' ? spawnScriptWorker() : undefined;

/**
 * Imported first by bmp-gdbserver: for `run` and `repl`, starts the MicroPython worker before the
 * rest of the command loads, so that the two overlap (bench/python-startup.mjs).
 */
import { spawnScriptWorker, type SpawnedWorker } from '../python/spawn.js';

const command = process.argv[2];
// The USB gadget keeps blocking FunctionFS I/O on the thread pool: a read of each OUT endpoint
// (v1 and v2) and a write of each IN endpoint while its response waits for the host; at least 8
// threads, whatever the environment asks for.
if (command === 'gadget') process.env.UV_THREADPOOL_SIZE = String(Math.max(8, Number(process.env.UV_THREADPOOL_SIZE) || 0));
export const earlyWorker: SpawnedWorker | undefined = command === 'run' || command === 'repl' ? spawnScriptWorker() : undefined;

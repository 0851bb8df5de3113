/** Shared pieces of the command-line tools: argument errors, logging, clean shutdown. */
import { BmpError } from '../errors.js';

/** A bad command line: a BmpError (EINVAL) that the tools answer with their usage text and exit 2. */
export class UsageError extends BmpError {
  constructor(message: string) {
    super('EINVAL', message);
    this.name = 'UsageError';
  }
}

/** Turns node:util parseArgs errors (unknown option, missing value) into usage errors. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be 0 to 65535, not '${text}'`);
  return port;
}

export function parseFrequency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kKmM]?)(?:[hH][zZ])?$/.exec(text.trim());
  if (!m) throw new UsageError(`cannot read '${text}' as a frequency (e.g. 4M, 1000k, 4000000)`);
  const scale = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2]] ?? 1;
  const hz = Math.round(Number(m[1]) * scale);
  if (hz < 1000 || hz > 100e6) throw new UsageError(`frequency ${hz} Hz is out of range (1 kHz to 100 MHz)`);
  return hz;
}

/** Runs a CLI main function: usage errors exit 2, other errors exit 1, both with a clear line. */
export async function runCli(name: string, usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${error.message}\n\n${usage}`);
      process.exit(2);
    }
    const code = error instanceof BmpError ? ` [${error.code}]` : '';
    process.stderr.write(`${name}: ${(error as Error).message}${code}\n`);
    process.exit(1);
  }
}

/** Calls `stop` once on SIGINT or SIGTERM, then exits. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

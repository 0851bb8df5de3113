/** Running real debug clients against `bmp-dap serve` through the USB library stand-ins. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/lib/cli/bmp-dap.js');

export interface DapServerProcess {
  child: ChildProcess;
  port: number;
  stop(): void;
}

/** Starts `bmp-dap serve` on a free loopback port. */
export async function startDapServer(args: string[]): Promise<DapServerProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bmp-dap exited with ${code}`)));
    setTimeout(() => reject(new Error('bmp-dap did not start')), 10_000).unref();
  });
  return { child, port, stop: () => child.kill('SIGTERM') };
}

/** Builds the stand-ins; returns the directory to put on LD_LIBRARY_PATH. */
export function buildStandins(): string {
  return execFileSync('bash', [join(root, 'test/interop/build.sh')], { encoding: 'utf8' }).trim();
}

/** Runs a program with the stand-ins loaded and the server's port; resolves with its output. */
export function runClient(program: string, args: string[], libs: string, port: number, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, LD_LIBRARY_PATH: libs, BMP_DAP_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(input);
  });
}

export const fixtureElf = (profile: string) => join(root, `test/fixtures/firmware/build/${profile}.elf`);

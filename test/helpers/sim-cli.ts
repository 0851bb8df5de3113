/** `bmp-gdbserver --sim <profile>` as a user starts it (the CLI in a child process). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SimCli {
  port: number;
  /** Everything the server printed so far. */
  log(): string;
  close(): Promise<void>;
}

export async function startSimCli(profile: string, extra: string[] = []): Promise<SimCli> {
  const cli = fileURLToPath(new URL('../../lib/cli/bmp-gdbserver.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [cli, '--sim', profile, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 20_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /extended-remote 127\.0\.0\.1:(\d+)/.exec(out)) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!m) {
    await close();
    throw new Error(`bmp-gdbserver --sim ${profile} did not start:\n${out}`);
  }
  return { port: Number(m[1]), log: () => out, close };
}

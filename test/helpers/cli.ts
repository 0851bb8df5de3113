/** Runs a Node script (a CLI of the package) and collects what it prints. */
import { spawn } from 'node:child_process';

/** Runs `script` with `args`; stops it with SIGTERM once its output matches `until`, and with
 * SIGKILL after 15 s. Resolves with the exit code and stdout and stderr together. */
export function runNode(script: string, args: string[], until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until && until.test(out)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

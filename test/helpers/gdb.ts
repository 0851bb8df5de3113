/** Drives a real gdb-multiarch over pipes, command by command, as a user at the prompt would. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The fixture programs' sources, which their debug info names as /fixture. */
const fixtureSources = fileURLToPath(new URL('../../../test/fixtures/firmware', import.meta.url));

export function haveGdb(): boolean {
  return spawnSync('gdb-multiarch', ['--version']).status === 0;
}

export class GdbDriver {
  private readonly gdb: ChildProcess;
  private out = '';
  /** Everything GDB printed so far. */
  get transcript(): string {
    return this.out;
  }

  constructor(elf: string, extra: string[] = []) {
    this.gdb = spawn('gdb-multiarch', ['-q', '-nx', ...extra, elf], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.gdb.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.gdb.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  /** Sends a command; resolves with what it printed once the prompt is back (or after `timeout`). */
  async run(command: string, timeout = 10_000): Promise<string> {
    const start = this.out.length;
    this.gdb.stdin!.write(command + '\n');
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const text = this.out.slice(start);
      if (text.includes('(gdb) ')) return text;
    }
    throw new Error(`GDB did not come back from '${command}' within ${timeout} ms:\n${this.out.slice(start)}`);
  }

  /** The session settings every test uses, then `target extended-remote` to a loopback port;
   * resolves with what that last command printed. */
  async connect(port: number): Promise<string> {
    await this.run('set confirm off');
    await this.run('set pagination off');
    await this.run(`set substitute-path /fixture ${fixtureSources}`);
    return this.run(`target extended-remote 127.0.0.1:${port}`);
  }

  /** Sends a command that does not return by itself (continue), then Ctrl-C after `ms`. */
  async interruptAfter(command: string, ms: number): Promise<string> {
    const start = this.out.length;
    this.gdb.stdin!.write(command + '\n');
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.gdb.kill('SIGINT');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (this.out.slice(start).includes('(gdb) ')) return this.out.slice(start);
    }
    throw new Error(`GDB did not stop after Ctrl-C:\n${this.out.slice(start)}`);
  }

  async quit(): Promise<void> {
    this.gdb.stdin!.write('quit\n');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.gdb.kill('SIGKILL');
        resolve();
      }, 3000);
      this.gdb.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

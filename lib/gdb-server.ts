/**
 * The GDB server: GDB's Remote Serial Protocol on a TCP socket, answered by the portable C core
 * (native/core/gdb) on the probe's session thread. Listens on 127.0.0.1:2000 by default, like the
 * Black Magic Probe's hosted server. One GDB client at a time: a client that has detached,
 * killed or closed gives way to the next at once (back-to-back sessions from scripts and IDEs);
 * while one is attached, a second is told so and closed, and the first is undisturbed.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

import { fromNative } from './errors.js';
import { ClientSlot, listenOn, peerOf, type SlotHolder } from './client-slot.js';
import { native, type NativeGdbResult, type NativeGdbSession } from './native.js';
import { probeSession, type Probe } from './target.js';

export const GDB_DEFAULT_PORT = 2000;

export interface GdbServerOptions {
  probe: Probe;
  /** TCP port (default 2000; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). RSP has no authentication. */
  host?: string;
  /** Assert nRST while attaching (monitor connect_rst). */
  connectUnderReset?: boolean;
  /** While the target runs: milliseconds between polls (default 2). */
  pollInterval?: number;
  /** While a simulated target runs: virtual nanoseconds it runs per poll (default 5 ms). */
  simSliceNs?: number;
  /**
   * How long a new client waits for an attached one to detach or close before it is refused
   * (ms, default 1000). A client that has detached, killed or closed is replaced at once.
   */
  handoverMs?: number;
  /** Diagnostics (connections, protocol errors), one line each. */
  log?: (line: string) => void;
  /**
   * Monitor commands served here rather than by the core (at most two): `monitor help` lists
   * them and unique prefixes reach them, as with the core's own. The core parks such a request
   * and GDB waits for its reply while `run` works (docs/ARCHITECTURE.md, "Monitor commands of
   * the embedding").
   */
  monitorCommands?: GdbMonitorCommand[];
}

export interface GdbMonitorCommand {
  /** One word, not one of the core's commands. */
  name: string;
  help: string;
  /** `monitor <name> <args>`: resolves with the text for GDB's console and whether it worked
   * (GDB shows an error otherwise). A rejection counts as a failure with its message. */
  run(args: string): Promise<{ output: string; ok: boolean }>;
}

/** Frames an RSP packet (for the refusal sent to a second client). */
function frame(payload: string): string {
  let sum = 0;
  for (const ch of Buffer.from(payload, 'latin1')) sum = (sum + ch) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** The GDB being served: busy (and so not to be displaced) while it has a target attached. */
interface GdbClient extends SlotHolder {
  attached: boolean;
}

export class GdbServer extends EventEmitter {
  private readonly session: NativeGdbSession;
  private readonly server: net.Server;
  private readonly slot: ClientSlot;
  private polling = false;
  private readonly options: Required<Omit<GdbServerOptions, 'probe' | 'log' | 'monitorCommands'>> & Pick<GdbServerOptions, 'log'>;
  private readonly monitorCommands: GdbMonitorCommand[];
  private configured: Promise<void>;

  constructor(options: GdbServerOptions) {
    super();
    this.options = {
      port: options.port ?? GDB_DEFAULT_PORT,
      host: options.host ?? '127.0.0.1',
      connectUnderReset: options.connectUnderReset ?? false,
      pollInterval: options.pollInterval ?? 2,
      simSliceNs: options.simSliceNs ?? 5_000_000,
      handoverMs: options.handoverMs ?? 1000,
      log: options.log,
    };
    try {
      this.session = new (native().GdbSession)(probeSession(options.probe));
    } catch (error) {
      throw fromNative(error);
    }
    this.monitorCommands = options.monitorCommands ?? [];
    this.configured = this.session.configure({
      connectUnderReset: this.options.connectUnderReset,
      ...(this.monitorCommands.length ? { monitorCommands: this.monitorCommands.map(({ name, help }) => ({ name, help })) } : {}),
    });
    this.slot = new ClientSlot({ waitMs: this.options.handoverMs, log: (line) => this.log(line) });
    this.server = net.createServer((socket) => this.accept(socket));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /**
   * What semihosting gives the program: the command line (SYS_GET_CMDLINE, empty unless set)
   * and the four words of SYS_HEAPINFO (heap base, heap limit, stack base, stack limit; zeros
   * unless set, which make the C library use its linker-script symbols).
   */
  async setSemihosting(options: { cmdline?: string; heapInfo?: [number, number, number, number] }): Promise<void> {
    try {
      await this.session.configure({ cmdline: options.cmdline, heapInfo: options.heapInfo });
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    await this.configured;
    return listenOn(this.server, this.options.host, this.options.port);
  }

  /**
   * Serves GDB on a serial line rather than a TCP connection (the USB gadget's /dev/ttyGS*, a
   * tty.ReadStream in raw mode). The line never closes between GDB sessions: a new GDB announces
   * itself with qSupported, and the session is reset first (as a closed socket resets it).
   */
  async serveLine(line: net.Socket, name: string): Promise<void> {
    await this.configured;
    this.slot.offer(
      line,
      () => this.serve(line, name),
      () => line.destroy(),
    );
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('error', (error) => this.log(`${peerOf(socket)}: ${error.message}`));
    this.slot.offer(
      socket,
      () => this.serve(socket),
      (busy) => this.refuse(socket, busy),
    );
  }

  /** A GDB still attached holds the target: the newcomer is told so and closed. */
  private refuse(socket: net.Socket, busy: SlotHolder): void {
    this.log(`refused ${peerOf(socket)}: the GDB from ${busy.peer} is attached to the target`);
    socket.once('data', () => {
      socket.end('+' + frame(`E.another GDB is already attached to this target (from ${busy.peer}); detach it first`));
    });
    socket.setTimeout(2000, () => socket.destroy());
  }

  private serve(socket: net.Socket, line?: string): GdbClient {
    const peer = line ?? peerOf(socket);
    const client: GdbClient = {
      socket,
      peer,
      attached: false,
      busy: () => client.attached,
    };
    this.log(`GDB connected from ${peer}`);
    this.emit('connect', peer);
    let seen = false;
    let lineQueue = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      const feed = () =>
        this.session.input(new Uint8Array(data.buffer, data.byteOffset, data.length)).then(
          (r) => this.deliver(client, r),
          (error) => this.log(`input failed: ${(error as Error).message}`),
        );
      if (line === undefined) {
        void feed();
        return;
      }
      const restart = seen && data.includes('$qSupported');
      seen = true;
      lineQueue = lineQueue.then(async () => {
        if (restart) {
          this.log(`a new GDB on ${line}`);
          await this.session.disconnect().catch(() => {});
        }
        await feed();
      });
    });
    socket.on('close', () => {
      this.log(`GDB disconnected (${peer})`);
      // Leave the target running and ready for the next client, as Black Magic Probe does; the
      // next client is served once this is done.
      this.session
        .disconnect()
        .catch(() => {})
        .finally(() => {
          this.slot.release(client);
          this.emit('disconnect', peer);
        });
    });
    return client;
  }

  private deliver(client: GdbClient, result: NativeGdbResult): void {
    client.attached = result.attached;
    if (result.output.length && !client.socket.destroyed) client.socket.write(result.output);
    if (result.monitor) void this.runMonitor(client, result.monitor);
    if (result.running && !this.polling) void this.pollWhileRunning(client);
  }

  /** A parked monitor command: run it here, then let the core send its output and reply. */
  private async runMonitor(client: GdbClient, request: { seq: number; command: string }): Promise<void> {
    const space = request.command.indexOf(' ');
    const name = space < 0 ? request.command : request.command.slice(0, space);
    const args = space < 0 ? '' : request.command.slice(space + 1).trim();
    const command = this.monitorCommands.find((c) => c.name === name);
    let answer: { output: string; ok: boolean };
    try {
      answer = command ? await command.run(args) : { output: `No handler for ${name}.\n`, ok: false };
    } catch (error) {
      answer = { output: `${(error as Error).message}\n`, ok: false };
    }
    try {
      // Dropped by the core if this GDB has gone (or asked again) in the meantime.
      this.deliver(client, await this.session.monitorReply(request.seq, answer.output, answer.ok));
    } catch (error) {
      this.log(`monitor ${name} failed: ${(error as Error).message}`);
    }
  }

  /** While the target runs: ask the core, every few milliseconds, whether it has stopped. */
  private async pollWhileRunning(client: GdbClient): Promise<void> {
    this.polling = true;
    try {
      for (;;) {
        if (this.slot.holder !== client || client.socket.destroyed) return;
        const r = await this.session.poll(this.options.simSliceNs);
        client.attached = r.attached;
        if (r.output.length && !client.socket.destroyed) client.socket.write(r.output);
        if (!r.running) return;
        await new Promise((resolve) => setTimeout(resolve, this.options.pollInterval));
      }
    } catch (error) {
      this.log(`poll failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /** Stops listening and drops the client. */
  async close(): Promise<void> {
    this.slot.closeAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

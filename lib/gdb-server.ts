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
  private readonly options: Required<Omit<GdbServerOptions, 'probe' | 'log'>> & Pick<GdbServerOptions, 'log'>;
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
    this.configured = this.session.configure({ connectUnderReset: this.options.connectUnderReset });
    this.slot = new ClientSlot({ waitMs: this.options.handoverMs, log: (line) => this.log(line) });
    this.server = net.createServer((socket) => this.accept(socket));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    await this.configured;
    return listenOn(this.server, this.options.host, this.options.port);
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

  private serve(socket: net.Socket): GdbClient {
    const peer = peerOf(socket);
    const client: GdbClient = {
      socket,
      peer,
      attached: false,
      busy: () => client.attached,
    };
    this.log(`GDB connected from ${peer}`);
    this.emit('connect', peer);
    socket.on('data', (data: Buffer) => {
      this.session.input(new Uint8Array(data.buffer, data.byteOffset, data.length)).then(
        (r) => this.deliver(client, r),
        (error) => this.log(`input failed: ${(error as Error).message}`),
      );
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
    if (result.running && !this.polling) void this.pollWhileRunning(client);
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

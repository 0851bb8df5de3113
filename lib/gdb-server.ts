/**
 * The GDB server: GDB's Remote Serial Protocol on a TCP socket, answered by the portable C core
 * (native/core/gdb) on the probe's session thread. Listens on 127.0.0.1:2000 by default, like the
 * Black Magic Probe's hosted server. One GDB client at a time: a second one is told so and
 * closed, and the first is undisturbed.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

import { BmpError, fromNative } from './errors.js';
import { native, type NativeGdbSession } from './native.js';
import type { Probe } from './target.js';

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
  /** Diagnostics (connections, protocol errors), one line each. */
  log?: (line: string) => void;
}

/** Frames an RSP packet (for the refusal sent to a second client). */
function frame(payload: string): string {
  let sum = 0;
  for (const ch of Buffer.from(payload, 'latin1')) sum = (sum + ch) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

export class GdbServer extends EventEmitter {
  private readonly session: NativeGdbSession;
  private readonly server: net.Server;
  private client?: net.Socket;
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
      log: options.log,
    };
    try {
      this.session = new (native().GdbSession)(options.probe.native);
    } catch (error) {
      throw fromNative(error);
    }
    this.configured = this.session.configure({ connectUnderReset: this.options.connectUnderReset });
    this.server = net.createServer((socket) => this.accept(socket));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    await this.configured;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new BmpError('EINVAL', `cannot listen on ${this.options.host}:${this.options.port}: ${error.message}`)),
      );
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    if (this.client) {
      this.log(`refused ${peer}: a GDB client is already connected`);
      socket.once('data', () => {
        socket.end('+' + frame('E.another GDB is already connected to this target'));
      });
      socket.setTimeout(2000, () => socket.destroy());
      socket.on('error', () => {});
      return;
    }
    this.client = socket;
    this.log(`GDB connected from ${peer}`);
    this.emit('connect', peer);
    socket.on('data', (data: Buffer) => {
      this.session.input(new Uint8Array(data.buffer, data.byteOffset, data.length)).then(
        (r) => this.deliver(socket, r),
        (error) => this.log(`input failed: ${(error as Error).message}`),
      );
    });
    socket.on('error', (error) => this.log(`${peer}: ${error.message}`));
    socket.on('close', () => {
      this.log(`GDB disconnected (${peer})`);
      if (this.client === socket) this.client = undefined;
      // Leave the target running and ready for the next client, as Black Magic Probe does.
      this.session.disconnect().catch(() => {});
      this.emit('disconnect', peer);
    });
  }

  private deliver(socket: net.Socket, result: { output: Uint8Array; running: boolean }): void {
    if (result.output.length && !socket.destroyed) socket.write(result.output);
    if (result.running && !this.polling) void this.pollWhileRunning(socket);
  }

  /** While the target runs: ask the core, every few milliseconds, whether it has stopped. */
  private async pollWhileRunning(socket: net.Socket): Promise<void> {
    this.polling = true;
    try {
      for (;;) {
        if (this.client !== socket) return;
        const r = await this.session.poll(this.options.simSliceNs);
        if (r.output.length && !socket.destroyed) socket.write(r.output);
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
    this.client?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

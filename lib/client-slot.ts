/**
 * One client at a time on a TCP server, with a hand-over between back-to-back clients (the GDB
 * server and the CMSIS-DAP server both use it).
 *
 * Scripts and IDEs connect a new client within milliseconds of the previous one closing its
 * socket; the new connection is often accepted before the old one's close has been processed.
 * So a connection that arrives while the slot is held is queued, not refused at once:
 *
 * - if the holder is done with the target (the socket is closed or half-closed, or the holder
 *   says it is no longer busy, e.g. a GDB that detached), the holder's socket is closed, its
 *   teardown is awaited (bounded), and the new client is served;
 * - if the holder is still busy, the new connection waits a bounded time for it to finish and is
 *   refused only if it does not.
 *
 * A queued socket is left paused (no 'data' listener), so whatever it sends waits in its buffer.
 */
import net from 'node:net';

import { BmpError } from './errors.js';

export interface SlotHolder {
  readonly socket: net.Socket;
  readonly peer: string;
  /** True while the holder still uses the target; a new client is refused only then. */
  busy(): boolean;
}

export interface ClientSlotOptions {
  /** How long a new connection waits for a busy holder to finish (ms). */
  waitMs?: number;
  /** How long a holder's teardown may take before the next client is served anyway (ms). */
  teardownMs?: number;
  log?: (line: string) => void;
}

interface Held {
  holder: SlotHolder;
  /** Resolves when the holder's teardown is complete (release was called). */
  released: Promise<void>;
  release: () => void;
}

/**
 * Resolves true when `promise` settles within `ms`, false otherwise. The timer is cleared when
 * the promise wins: thousands of back-to-back sessions must not leave timers (and the sockets
 * their closures hold) alive.
 */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

export class ClientSlot {
  private held?: Held;
  private admissions: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<net.Socket>();
  private readonly waitMs: number;
  private readonly teardownMs: number;
  private readonly log: (line: string) => void;

  constructor(options: ClientSlotOptions = {}) {
    this.waitMs = options.waitMs ?? 1000;
    this.teardownMs = options.teardownMs ?? 5000;
    this.log = options.log ?? (() => {});
  }

  /** The client being served, if any. */
  get holder(): SlotHolder | undefined {
    return this.held?.holder;
  }

  /**
   * Queues a newly accepted socket. When the slot is free, `admit` is called and returns the
   * new holder; if the current holder stays busy, `refuse` is called with it instead.
   */
  offer(socket: net.Socket, admit: () => SlotHolder, refuse: (busy: SlotHolder) => void): void {
    this.waiting.add(socket);
    this.admissions = this.admissions
      .then(() => this.decide(socket, admit, refuse))
      .catch((error) => {
        this.log(`admission failed: ${(error as Error).message}`);
        socket.destroy();
      })
      .finally(() => this.waiting.delete(socket));
  }

  /** The holder's teardown is complete: the next client may be served. */
  release(holder: SlotHolder): void {
    if (this.held?.holder === holder) {
      const held = this.held;
      this.held = undefined;
      held.release();
    }
  }

  /** Drops the holder and every queued connection (the server is closing). */
  closeAll(): void {
    this.held?.holder.socket.destroy();
    for (const socket of this.waiting) socket.destroy();
  }

  private async decide(socket: net.Socket, admit: () => SlotHolder, refuse: (busy: SlotHolder) => void) {
    if (socket.destroyed) return;
    const held = this.held;
    if (held) {
      const open = () => !held.holder.socket.destroyed && !held.holder.socket.readableEnded;
      const deadline = Date.now() + this.waitMs;
      while (this.held === held && open() && held.holder.busy() && Date.now() < deadline) {
        await settlesWithin(held.released, 5);
      }
      if (this.held === held && open() && held.holder.busy()) {
        refuse(held.holder);
        return;
      }
      if (this.held === held) {
        if (!held.holder.socket.destroyed) {
          this.log(`closing ${held.holder.peer}: it is no longer attached and ${peerOf(socket)} connected`);
          held.holder.socket.destroy();
        }
        if (!(await settlesWithin(held.released, this.teardownMs)) && this.held === held) {
          this.log(`the teardown of ${held.holder.peer} took over ${this.teardownMs} ms; serving the next client`);
          this.held = undefined;
        }
      }
      if (socket.destroyed) return;
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { holder: admit(), released, release };
  }
}

export function peerOf(socket: net.Socket): string {
  return socket.remoteFamily === 'IPv6'
    ? `[${socket.remoteAddress}]:${socket.remotePort}`
    : `${socket.remoteAddress}:${socket.remotePort}`;
}

/** Starts `server` listening; a port in use gives EADDRINUSE with the address. */
export function listenOn(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      reject(
        error.code === 'EADDRINUSE'
          ? new BmpError('EADDRINUSE', `port ${port} is already in use (${where}): choose another with --port`)
          : new BmpError('EINVAL', `cannot listen on ${where}: ${error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

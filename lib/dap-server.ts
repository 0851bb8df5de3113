/**
 * CMSIS-DAP over TCP, in the framing of OpenOCD's `cmsis_dap_tcp` backend: every request and
 * response is preceded by an 8-byte little-endian header — u32 signature 0x00504144 ("DAP\0"),
 * u16 payload length, u8 type (1 = request, 2 = response), u8 reserved.
 *
 * A malformed header closes that connection with a logged reason; the server keeps serving.
 * One client at a time; back-to-back clients are handed over (see client-slot.ts).
 * It listens on 127.0.0.1 unless told otherwise: the protocol has no authentication.
 */
import { EventEmitter } from 'node:events';
import { appendFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

import { ClientSlot, listenOn, peerOf, type SlotHolder } from './client-slot.js';
import { BmpError } from './errors.js';

export const DAP_TCP_SIGNATURE = 0x00504144;
export const DAP_TCP_HEADER_SIZE = 8;
export const DAP_TCP_REQUEST = 1;
export const DAP_TCP_RESPONSE = 2;
export const DAP_TCP_DEFAULT_PORT = 4441;

/**
 * Something that executes CMSIS-DAP command packets. One request gives zero responses (after
 * DAP_QueueCommands or DAP_TransferAbort), one, or several (the queued ones, then its own).
 */
export interface DapPacketEngine {
  readonly packetSize: number;
  execute(request: Uint8Array): Promise<Uint8Array[]>;
  /** DAP_TransferAbort arrives out of band: stop the transfer in progress. */
  abort?(): void;
}

export interface DapServerOptions {
  engine: DapPacketEngine;
  host?: string;
  port?: number;
  /**
   * One client at a time. A new connection waits this long (ms, default 1000) for the current
   * one to close, and is closed if it does not; a client that has closed gives way at once.
   */
  handoverMs?: number;
  log?: (line: string) => void;
}

export function encodeDapTcpFrame(type: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(DAP_TCP_HEADER_SIZE + payload.length);
  frame.writeUInt32LE(DAP_TCP_SIGNATURE, 0);
  frame.writeUInt16LE(payload.length, 4);
  frame[6] = type;
  frame.set(payload, DAP_TCP_HEADER_SIZE);
  return frame;
}

export class DapServer extends EventEmitter {
  private readonly engine: DapPacketEngine;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly log: (line: string) => void;
  private readonly server: net.Server;
  /** One client at a time: two debuggers interleaving packets on one engine would corrupt each other. */
  private readonly slot: ClientSlot;
  /** One engine, one packet at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: DapServerOptions) {
    super();
    const port = options.port ?? DAP_TCP_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new BmpError('ERANGE', `port must be an integer from 0 to 65535, not ${port}`);
    }
    this.engine = options.engine;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = port;
    this.log = options.log ?? (() => {});
    this.slot = new ClientSlot({ waitMs: options.handoverMs ?? 1000, log: (line) => this.log(`dap: ${line}`) });
    this.server = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {});
      this.slot.offer(
        socket,
        () => this.serve(socket),
        (busy) => {
          this.log(`dap: refused ${peerOf(socket)}: ${busy.peer} is connected`);
          socket.destroy();
        },
      );
    });
  }

  /** Starts listening; resolves with the port actually bound (useful with port 0). */
  listen(): Promise<number> {
    return listenOn(this.server, this.host, this.requestedPort);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.requestedPort;
  }

  async close(): Promise<void> {
    this.slot.closeAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.queue.catch(() => {});
  }

  private serve(socket: net.Socket): SlotHolder {
    const peer = peerOf(socket);
    const holder: SlotHolder = { socket, peer, busy: () => true };
    this.log(`dap: client ${peer} connected`);
    let pending: Buffer = Buffer.alloc(0);
    const capture = captureFile(this.engine.packetSize);
    const drop = (reason: string) => {
      this.log(`dap: closing ${peer}: ${reason}`);
      this.emit('protocol-error', reason);
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= DAP_TCP_HEADER_SIZE) {
        const signature = pending.readUInt32LE(0);
        const length = pending.readUInt16LE(4);
        const type = pending[6];
        if (signature !== DAP_TCP_SIGNATURE) return drop(`bad signature 0x${signature.toString(16)}`);
        if (type !== DAP_TCP_REQUEST) return drop(`bad packet type ${type}`);
        if (length === 0 || length > this.engine.packetSize) {
          return drop(`bad length ${length} (packet size ${this.engine.packetSize})`);
        }
        if (pending.length < DAP_TCP_HEADER_SIZE + length) break;
        const request = new Uint8Array(pending.subarray(DAP_TCP_HEADER_SIZE, DAP_TCP_HEADER_SIZE + length));
        pending = pending.subarray(DAP_TCP_HEADER_SIZE + length);
        capture?.(request);
        // DAP_TransferAbort is handled out of band, as the specification asks: it must reach
        // the engine while the transfer it aborts is still running.
        if (request[0] === 0x07) this.engine.abort?.();
        this.queue = this.queue.then(async () => {
          if (socket.destroyed) return;
          try {
            const responses = await this.engine.execute(request);
            for (const response of responses) {
              if (!socket.destroyed) socket.write(encodeDapTcpFrame(DAP_TCP_RESPONSE, response));
            }
          } catch (error) {
            drop(`engine error: ${(error as Error).message}`);
          }
        });
      }
    });
    socket.on('close', () => {
      this.log(`dap: client ${peer} disconnected`);
      // The next client is served once this one's packets have drained from the engine.
      void this.queue.catch(() => {}).then(() => this.slot.release(holder));
    });
    return holder;
  }
}

let captures = 0;

/**
 * With BMP_DAP_CAPTURE set to a directory, every connection's requests are appended to a file of
 * their own there (for seeding the fuzzers' corpora, see scripts/fuzz.mjs --import-dap): a line
 * "bmp-dap-capture <packet size>", then each request as u16 little-endian length and its bytes.
 */
function captureFile(packetSize: number): ((request: Uint8Array) => void) | undefined {
  const dir = process.env.BMP_DAP_CAPTURE;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}-${++captures}.dapcap`);
  appendFileSync(file, `bmp-dap-capture ${packetSize}\n`);
  return (request) => {
    const header = Buffer.alloc(2);
    header.writeUInt16LE(request.length, 0);
    appendFileSync(file, Buffer.concat([header, request]));
  };
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

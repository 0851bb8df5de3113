// The request/response pipeline both USB transports run, and the base class they share.
//
// A CMSIS-DAP probe answers every command packet with exactly one response packet, in the order
// the commands arrived. Two exceptions: DAP_QueueCommands packets are held by the probe until a
// packet with another command arrives, then answered one by one with the command byte
// DAP_ExecuteCommands; and DAP_TransferAbort is never answered. The pipeline below relies on that
// order: it keeps the transfers whose request went out in a FIFO, and every packet that comes in
// answers the oldest of them.
import {
  checkRequest,
  checkTimeout,
  describeError,
  queryPacketSize,
  transportError,
  type DapTransport,
  type TransportOptions,
} from './types.js';

const DAP_TRANSFER_ABORT = 0x07;
const DAP_QUEUE_COMMANDS = 0x7e;
const DAP_EXECUTE_COMMANDS = 0x7f;
/** What a probe answers to a command it does not know. */
const DAP_INVALID = 0xff;

/**
 * The device side of a transport, as the pipeline sees it: one packet out, one packet in.
 * Whatever framing the wire needs (HID report IDs, padding) is the channel's business.
 */
export interface PacketChannel {
  send(request: Uint8Array): Promise<void>;
  /** The next packet from the probe, or undefined when none came within `timeoutMs` (an empty packet is ignored). */
  receive(timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** Counters a transport keeps for diagnostics (and tests). */
export interface TransportCounters {
  /** Transfers that failed because the probe did not answer in time. */
  timeouts: number;
  /** Packets dropped because they answered a request that had already timed out. */
  lateDiscarded: number;
  /** Packets dropped because their command byte did not match the oldest pending request. */
  mismatchDiscarded: number;
}

interface PendingTransfer {
  readonly request: Uint8Array;
  /** The command byte the response must start with. */
  readonly command: number;
  readonly resolve: (response: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

function hex(byte: number): string {
  return '0x' + byte.toString(16).padStart(2, '0');
}

/**
 * Pipelined request/response matching over a PacketChannel.
 *
 * Requests go out as soon as they are submitted (in submission order) and wait in the `inFlight`
 * FIFO; one read loop receives packets and settles the oldest entry with each.
 *
 * Timeouts and late responses. When no packet arrives within `timeoutMs` while requests are in
 * flight, every in-flight transfer is rejected with ETIMEDOUT (the first because the probe did not
 * answer it, the rest because they were queued behind it and their pairing can no longer be
 * trusted). Their requests did reach the probe, though, so it may still answer them: the number of
 * such owed answers is kept in `stale`. While `stale` is non-zero no new request is sent; the loop
 * keeps reading and throws away one packet per owed answer. The transport is back in step when
 * `stale` reaches zero, or when a whole `timeoutMs` passes with no packet at all (the probe dropped
 * those requests; nothing more is coming). Requests submitted meanwhile wait and then go out in
 * order. As a second guard, a packet whose command byte differs from that of the oldest request
 * (accepting DAP_ExecuteCommands for DAP_QueueCommands and 0xFF, "invalid command", for any) is
 * discarded too, which also drops stray answers left in the probe by an earlier session.
 *
 * So an answer is never handed to the wrong transfer when it comes less than two timeouts after
 * its request; one that comes later still is caught only if its command byte differs.
 *
 * Device errors (a failing write or read) reject the in-flight transfers with EPROBE and are then
 * handled like a timeout, so a transient error does not leave the FIFO out of step. The transport
 * stays open; if the device is gone, the next transfers fail the same way.
 *
 * Commands without an immediate answer: while every request in flight is DAP_QueueCommands,
 * nothing is read (the probe answers nothing until the queue is released by a later request), so
 * queued transfers do not time out while the caller assembles the batch. DAP_TransferAbort is sent
 * at once, ahead of any request held back for draining, does not enter the FIFO, and resolves
 * with an empty Uint8Array once written.
 */
export class PacketPipeline {
  readonly counters: TransportCounters = { timeouts: 0, lateDiscarded: 0, mismatchDiscarded: 0 };
  private readonly waiting: PendingTransfer[] = [];
  private readonly inFlight: PendingTransfer[] = [];
  private stale = 0;
  private running = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly channel: PacketChannel,
    private readonly timeoutMs: number,
    /** Names the probe in error messages, e.g. "CMSIS-DAP HID probe". */
    private readonly name: string,
  ) {}

  transfer(request: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(transportError('ECLOSED', `the ${this.name} transport is closed`));
    if (request[0] === DAP_TRANSFER_ABORT) return this.sendAbort(request.slice());
    return new Promise<Uint8Array>((resolve, reject) => {
      const command = request[0] === DAP_QUEUE_COMMANDS ? DAP_EXECUTE_COMMANDS : request[0];
      const entry: PendingTransfer = { request: request.slice(), command, resolve, reject };
      if (this.stale === 0 && this.waiting.length === 0) this.send(entry);
      else this.waiting.push(entry);
      this.wake();
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    const error = transportError('ECLOSED', `the ${this.name} transport was closed`);
    for (const entry of this.inFlight.splice(0)) entry.reject(error);
    for (const entry of this.waiting.splice(0)) entry.reject(error);
    this.closing = Promise.resolve()
      .then(() => this.channel.close())
      .catch((cause: unknown) => {
        throw transportError('EPROBE', `closing the ${this.name} failed: ${describeError(cause)}`, cause);
      });
    return this.closing;
  }

  private async sendAbort(request: Uint8Array): Promise<Uint8Array> {
    try {
      await this.channel.send(request);
    } catch (cause) {
      throw transportError('EPROBE', `writing to the ${this.name} failed: ${describeError(cause)}`, cause);
    }
    return new Uint8Array(0);
  }

  private send(entry: PendingTransfer): void {
    this.inFlight.push(entry);
    let sent: Promise<void>;
    try {
      sent = this.channel.send(entry.request);
    } catch (cause) {
      sent = Promise.reject(cause);
    }
    sent.catch((cause: unknown) => this.sendFailed(entry, cause));
  }

  /** Starts the read loop unless it runs; deferred so that a burst of sends goes out first. */
  private wake(): void {
    if (this.running || this.closed) return;
    this.running = true;
    queueMicrotask(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.closed) return;
        if (this.stale === 0) {
          for (let entry = this.waiting.shift(); entry; entry = this.waiting.shift()) this.send(entry);
        }
        if (this.inFlight.length === 0 && this.stale === 0) return;
        if (this.stale === 0 && this.inFlight.every((entry) => entry.request[0] === DAP_QUEUE_COMMANDS)) return;
        let packet: Uint8Array | undefined;
        try {
          packet = await this.channel.receive(this.timeoutMs);
        } catch (cause) {
          if (this.closed) return;
          this.deviceFailed(`reading from the ${this.name} failed: ${describeError(cause)}`, cause, 0);
          continue;
        }
        if (this.closed) return;
        if (packet === undefined) this.timedOut();
        else if (packet.length > 0) this.accept(packet);
      }
    } finally {
      this.running = false;
    }
  }

  private accept(packet: Uint8Array): void {
    if (this.stale > 0) {
      this.stale--;
      this.counters.lateDiscarded++;
      return;
    }
    const head = this.inFlight[0];
    if (!head || (packet[0] !== head.command && packet[0] !== DAP_INVALID)) {
      this.counters.mismatchDiscarded++;
      return;
    }
    this.inFlight.shift();
    head.resolve(packet);
  }

  private timedOut(): void {
    if (this.inFlight.length === 0) {
      // A whole timeout passed while draining: the owed answers are not coming.
      this.stale = 0;
      return;
    }
    this.counters.timeouts++;
    const abandoned = this.inFlight.splice(0);
    this.stale += abandoned.length;
    const head = abandoned[0];
    const note =
      this.counters.mismatchDiscarded > 0
        ? ` (${this.counters.mismatchDiscarded} packet(s) with an unexpected command byte were discarded so far)`
        : '';
    head.reject(
      transportError('ETIMEDOUT', `the ${this.name} did not answer command ${hex(head.command)} within ${this.timeoutMs} ms${note}`),
    );
    for (const entry of abandoned.slice(1)) {
      entry.reject(
        transportError('ETIMEDOUT', `command ${hex(entry.command)} was abandoned: the ${this.name} did not answer an earlier command in time`),
      );
    }
  }

  private sendFailed(entry: PendingTransfer, cause: unknown): void {
    if (this.closed) return;
    const index = this.inFlight.indexOf(entry);
    if (index < 0) return; // already settled: timed out, or failed with an earlier error
    // The failed request never reached the probe, so it owes no answer for it.
    this.deviceFailed(`writing to the ${this.name} failed: ${describeError(cause)}`, cause, 1);
  }

  /** Rejects the in-flight transfers with EPROBE; `unsent` of them owe no answer. */
  private deviceFailed(message: string, cause: unknown, unsent: number): void {
    const failed = this.inFlight.splice(0);
    if (failed.length === 0) {
      this.stale = 0; // failing while draining: stop draining, let the next request find out
    } else {
      this.stale += Math.max(0, failed.length - unsent);
    }
    for (const entry of failed) entry.reject(transportError('EPROBE', message, cause));
    this.wake();
  }
}

/** The packet size a transport is given: a CMSIS-DAP packet size fits in DAP_Info's 16 bits. */
function checkPacketSize(size: number): number {
  if (!Number.isInteger(size) || size < 2 || size > 0xffff) {
    throw transportError('EINVAL', `packetSize must be an integer from 2 to 65535, not ${String(size)}`);
  }
  return size;
}

/**
 * What the USB transports share: a PacketPipeline over their device, the packet size, and the
 * checks and steps around a transfer. A subclass says only how one packet goes out and one comes
 * in (`sendPacket`, `receivePacket`); the pipeline calls those, never the caller.
 */
export abstract class PipelinedTransport<Device extends { close(): Promise<void> }> implements DapTransport {
  private size: number;
  private readonly pipeline: PacketPipeline;

  protected constructor(
    protected readonly device: Device,
    packetSize: number,
    options: TransportOptions,
    /** Names the probe in error messages, e.g. "CMSIS-DAP HID probe". */
    name: string,
  ) {
    this.size = checkPacketSize(packetSize);
    const channel: PacketChannel = {
      send: (request) => this.sendPacket(request),
      receive: (timeoutMs) => this.receivePacket(timeoutMs),
      close: () => device.close(),
    };
    this.pipeline = new PacketPipeline(channel, checkTimeout(options.timeoutMs), name);
  }

  /** Writes one request packet (no longer than `packetSize`) to the device, framed as the wire needs. */
  protected abstract sendPacket(request: Uint8Array): Promise<void>;

  /** The next packet from the device, or undefined when none came within `timeoutMs` (an empty packet is read past). */
  protected abstract receivePacket(timeoutMs: number): Promise<Uint8Array | undefined>;

  get packetSize(): number {
    return this.size;
  }

  get counters(): Readonly<TransportCounters> {
    return this.pipeline.counters;
  }

  transfer(request: Uint8Array): Promise<Uint8Array> {
    try {
      checkRequest(request, this.size);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pipeline.transfer(request);
  }

  close(): Promise<void> {
    return this.pipeline.close();
  }

  /**
   * The common part of the subclasses' static `connect`: unless a packet size was `given`, asks
   * the probe for its packet size (DAP_Info) and uses that from then on (keeping the current one
   * when the answer is not plausible). When asking fails, closes the transport, and so the
   * device, and rethrows.
   */
  protected async settlePacketSize(given: number | undefined): Promise<this> {
    if (given === undefined) {
      try {
        const size = await queryPacketSize(this);
        if (size !== undefined) this.size = size;
      } catch (error) {
        await this.close().catch(() => undefined);
        throw error;
      }
    }
    return this;
  }
}

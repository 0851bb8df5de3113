/**
 * The CMSIS-DAP engine (the same C core as the probe firmware) driving a simulated target over
 * its SWD wire: a virtual probe's packet processor.
 */
import type { DapPacketEngine } from './dap-server.js';
import { BmpError, fromNative } from './errors.js';
import { native, type NativeDapEngine } from './native.js';
import type { Sim } from './sim.js';

export interface DapEngineOptions {
  /** Bytes per packet: 64 for full-speed HID, 512 for high-speed bulk, 1024 over TCP. */
  packetSize?: number;
  /** Packets the host may have in flight. */
  packetCount?: number;
}

export class DapEngine implements DapPacketEngine {
  private readonly handle: NativeDapEngine;

  constructor(sim: Sim, options: DapEngineOptions = {}) {
    const packetSize = options.packetSize ?? 64;
    const packetCount = options.packetCount ?? 4;
    if (!Number.isInteger(packetSize) || packetSize < 64 || packetSize > 1024) {
      throw new BmpError('ERANGE', `packetSize must be an integer from 64 to 1024, not ${packetSize}`);
    }
    if (!Number.isInteger(packetCount) || packetCount < 1 || packetCount > 255) {
      throw new BmpError('ERANGE', `packetCount must be an integer from 1 to 255, not ${packetCount}`);
    }
    try {
      this.handle = new (native().DapEngine)(sim.handle, packetSize, packetCount);
    } catch (error) {
      throw fromNative(error);
    }
  }

  get packetSize(): number {
    return this.handle.packetSize;
  }

  /** Executes one command packet now. */
  executeSync(request: Uint8Array): Uint8Array[] {
    try {
      return this.handle.execute(request);
    } catch (error) {
      throw fromNative(error);
    }
  }

  async execute(request: Uint8Array): Promise<Uint8Array[]> {
    return this.executeSync(request);
  }

  abort(): void {
    this.handle.abort();
  }
}

/**
 * A CMSIS-DAP engine whose simulated target's time follows wall time between packets, as a real
 * chip's does while the host sleeps between polls: OpenOCD and pyOCD time their waits for the
 * flash (an F1 page erase takes 20-40 ms) by the clock, and would give up on a target whose time
 * moves only with the packets. One gap adds at most `maxGapNs` (a stalled host is not a long
 * wait for the target).
 */
export class WallClockEngine implements DapPacketEngine {
  #last = 0n;

  constructor(
    private readonly engine: DapPacketEngine,
    private readonly sim: Sim,
    private readonly maxGapNs = 1e9,
  ) {}

  get packetSize(): number {
    return this.engine.packetSize;
  }

  async execute(request: Uint8Array): Promise<Uint8Array[]> {
    const now = process.hrtime.bigint();
    if (this.#last) this.sim.advance(Math.min(Number(now - this.#last), this.maxGapNs));
    try {
      return await this.engine.execute(request);
    } finally {
      this.#last = process.hrtime.bigint();
    }
  }

  abort(): void {
    this.engine.abort?.();
  }
}

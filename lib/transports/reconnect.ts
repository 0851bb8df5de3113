// A probe that may be unplugged and plugged in again: the transport `bmp-gdbserver --probe` uses.
// When the probe goes away (a transfer fails with EPROBE: the device is gone), the transfers in
// flight and those after fail with EPROBE, which the GDB client sees as an error; the server
// stays up. The next transfer after that tries to open the probe again (same serial number), and
// once it answers, debugging goes on: `monitor swdp_scan` and `attach` work again.
import { describeError, transportError, type DapTransport } from './types.js';

export class ReconnectingTransport implements DapTransport {
  private current?: DapTransport;
  private reopening?: Promise<DapTransport>;
  private lastFailure?: string;
  private readonly size: number;
  private readonly count?: number;

  constructor(
    first: DapTransport,
    private readonly reopen: () => Promise<DapTransport>,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.current = first;
    this.size = first.packetSize;
    this.count = first.packetCount;
  }

  /** Fixed at the first opening: the target layer sized its batches on it. */
  get packetSize(): number {
    return this.size;
  }

  get packetCount(): number | undefined {
    return this.count;
  }

  /** True while the probe is away. */
  get disconnected(): boolean {
    return this.current === undefined;
  }

  private async connected(): Promise<DapTransport> {
    if (this.current) return this.current;
    this.reopening ??= (async () => {
      try {
        const t = await this.reopen();
        if (t.packetSize !== this.size) {
          await t.close().catch(() => {});
          throw transportError('EPROBE', `the probe came back with a packet size of ${t.packetSize}, not ${this.size}`);
        }
        this.current = t;
        this.lastFailure = undefined;
        this.log('the probe is back');
        return t;
      } finally {
        this.reopening = undefined;
      }
    })();
    try {
      return await this.reopening;
    } catch (error) {
      const why = describeError(error);
      if (why !== this.lastFailure) this.log(`the probe cannot be opened again yet: ${why}`);
      this.lastFailure = why;
      throw transportError('EPROBE', `the probe is disconnected (${describeError(error)}); plug it in again and retry`, error);
    }
  }

  async transfer(request: Uint8Array): Promise<Uint8Array> {
    const transport = await this.connected();
    try {
      return await transport.transfer(request);
    } catch (error) {
      if ((error as { code?: string }).code === 'EPROBE' && this.current === transport) {
        this.current = undefined;
        this.log(`the probe went away (${describeError(error)}); waiting for it to come back`);
        void transport.close().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const t = this.current;
    this.current = undefined;
    await t?.close();
  }
}

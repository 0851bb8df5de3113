/**
 * One FunctionFS function (Documentation/usb/functionfs.rst): its descriptors and strings are
 * written to ep0, then ep0 is read for events. ENABLE and DISABLE say whether the host has the
 * interface configured (the data endpoints work only then); SETUP is a control request to the
 * interface, answered here through `onSetup`: IN data is written to ep0, an OUT request is
 * acknowledged by reading ep0, and a stall is an operation in the wrong direction.
 *
 * The files are opened non-blocking. ep0 is polled for events (EAGAIN: none yet), so that no read
 * of it waits for an event that may never come (a gadget that was never bound, or unbound by
 * someone else). An endpoint's I/O says EAGAIN while the host has it disabled (the packet loops
 * wait for ENABLE then); on an enabled endpoint it still blocks on libuv's thread pool until the
 * transfer completes or the endpoint is disabled (ESHUTDOWN), so the gadget command raises
 * UV_THREADPOOL_SIZE (early.ts).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { BmpError } from '../errors.js';
import { FFS_EVENT_SIZE, FfsEvent, parseSetup, type SetupAnswer, type SetupPacket } from './descriptors.js';

/** How often ep0 is polled for events. */
const EP0_POLL_MS = 5;

export interface FunctionFsOptions {
  /** Where the function's FunctionFS instance is mounted. */
  mount: string;
  /** What the interface is, for messages ("CMSIS-DAP v2"). */
  name: string;
  descriptors: Buffer;
  strings: Buffer;
  onSetup?: (setup: SetupPacket) => SetupAnswer;
  log: (line: string) => void;
}

export class FunctionFsInterface {
  private enabled = false;
  private waiters: (() => void)[] = [];
  private stopping = false;
  private readonly handles = new Set<FileHandle>();
  /** Resolves when the ep0 loop has ended (after stop()). */
  readonly done: Promise<void>;

  private constructor(
    private readonly options: FunctionFsOptions,
    private readonly ep0: FileHandle,
  ) {
    this.handles.add(ep0);
    this.done = this.eventLoop();
  }

  /** Writes the descriptors and strings and starts reading events; refused blocks are ENOTSUP. */
  static async start(options: FunctionFsOptions): Promise<FunctionFsInterface> {
    const ep0 = await open(join(options.mount, 'ep0'), constants.O_RDWR | constants.O_NONBLOCK);
    try {
      await ep0.write(options.descriptors);
      await ep0.write(options.strings);
    } catch (error) {
      await ep0.close().catch(() => {});
      throw new BmpError('ENOTSUP', `FunctionFS refused the ${options.name} descriptors: ${(error as Error).message}`);
    }
    return new FunctionFsInterface(options, ep0);
  }

  /** Opens endpoint file `ep<n>` (numbered in descriptor order); closed by stop(). */
  async endpoint(n: number, flags: 'r' | 'w'): Promise<FileHandle> {
    const mode = (flags === 'r' ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK;
    const handle = await open(join(this.options.mount, `ep${n}`), mode);
    this.handles.add(handle);
    return handle;
  }

  /** What the interface is, for messages ("CMSIS-DAP v2"). */
  get name(): string {
    return this.options.name;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Resolves once the host has enabled the interface (at once if it has), or on stop(). */
  waitEnabled(): Promise<void> {
    if (this.enabled || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async eventLoop(): Promise<void> {
    const { log, name } = this.options;
    const events = Buffer.alloc(FFS_EVENT_SIZE * 4);
    while (!this.stopping) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.ep0.read(events, 0, events.length, null));
      } catch (error) {
        if (this.stopping) return;
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') log(`FunctionFS ep0 (${name}): ${(error as Error).message}`);
        await sleep(EP0_POLL_MS, undefined, { ref: false });
        continue;
      }
      for (let at = 0; at + FFS_EVENT_SIZE <= n; at += FFS_EVENT_SIZE) {
        const type = events[at + 8];
        if (type === FfsEvent.ENABLE) {
          this.enabled = true;
          log(`USB host connected (${name} interface enabled)`);
          this.wake();
        } else if (type === FfsEvent.DISABLE || type === FfsEvent.UNBIND) {
          if (this.enabled) log(`USB host gone (${name} interface disabled)`);
          this.enabled = false;
        } else if (type === FfsEvent.SETUP) {
          await this.answer(parseSetup(events, at));
        }
      }
    }
  }

  private async answer(setup: SetupPacket): Promise<void> {
    const dirIn = (setup.requestType & 0x80) !== 0;
    const answer = this.options.onSetup?.(setup) ?? 'stall';
    // Every operation moves at least one byte's room: Node skips a read or write of length 0
    // without asking the kernel, which would leave the request pending. FunctionFS cuts a read
    // to wLength (0: the status stage alone) and sends a short IN answer as it is.
    try {
      if (answer === 'ack' && !dirIn) {
        // The data stage (if any) is read; the read completes the status stage.
        const room = Math.max(1, setup.length);
        await this.ep0.read(Buffer.alloc(room), 0, room, null);
      } else if (typeof answer === 'object' && dirIn && answer.data.length > 0 && setup.length > 0) {
        await this.ep0.write(answer.data.subarray(0, setup.length));
      } else {
        // (An empty IN answer cannot be given: a write of nothing never reaches the kernel.)
        // A stall: FunctionFS halts ep0 when the transfer goes the wrong way (it fails with EL2HLT).
        await (dirIn ? this.ep0.read(Buffer.alloc(1), 0, 1, null) : this.ep0.write(Buffer.alloc(1)));
      }
    } catch {
      // The stall's expected failure, or the host went away mid-request.
    }
  }

  /**
   * Says the function is going: the ep0 loop ends at its next event instead of reading again.
   * Called before the gadget is unbound, whose DISABLE and UNBIND events are that next event.
   */
  beginStop(): void {
    this.stopping = true;
    this.wake();
  }

  /** Ends the ep0 loop (after beginStop() and the unbind, which wakes the reads) and closes the files. */
  async stop(): Promise<void> {
    this.beginStop();
    await Promise.race([this.done, sleep(1000, undefined, { ref: false })]);
    await Promise.race([Promise.allSettled([...this.handles].map((h) => h.close())), sleep(1000, undefined, { ref: false })]);
  }
}

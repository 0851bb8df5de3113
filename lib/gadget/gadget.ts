/**
 * `bmp-gdbserver gadget`: a Linux machine with a USB device port becomes a probe shaped like this
 * project's firmware. Through configfs (configfs.ts):
 * - CDC-ACM (the kernel's acm function): the GDB server on the device side's /dev/ttyGS<n>;
 * - HID (the hid function, 64-byte reports): CMSIS-DAP v1, served on /dev/hidg<n>;
 * - a vendor interface through FunctionFS: CMSIS-DAP v2, bulk OUT (ep1) then bulk IN (ep2).
 * The GDB server and both CMSIS-DAP engines drive one simulated target (the engines are the
 * firmware's C core, serialised with the GDB server's session thread by the target's lock).
 *
 * FunctionFS's files are read with blocking reads on libuv's thread pool (ep0 and ep1), so the
 * command raises UV_THREADPOOL_SIZE (early.ts); the HID node is served through `dd` (hidLoop).
 *
 * The USB host may go away at any time (cable, or the UDC unbound): a failed read or write ends
 * that packet, and the loop waits for the interface to come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import tty from 'node:tty';
import { setTimeout as sleep } from 'node:timers/promises';

import { DapEngine } from '../dap-engine.js';
import { BmpError } from '../errors.js';
import { GdbServer } from '../gdb-server.js';
import { listBoards } from '../firmware/boards.js';
import type { SimProfileName } from '../sim.js';
import { openProbe, type Probe } from '../target.js';
import { ConfigfsGadget, gadgetUnavailable, listUdcs, type GadgetIdentity } from './configfs.js';
import { FFS_EVENT_SIZE, FfsEvent, functionFsDescriptors, functionFsStrings, HID_REPORT_SIZE } from './descriptors.js';

export const BULK_PACKET_SIZE = 512;

export interface GadgetOptions {
  profile: SimProfileName;
  /** The USB device controller (default: the only one, or the first). */
  udc?: string;
  /** The serial number string (default: from /etc/machine-id). */
  serial?: string;
  /** Called once the probe has opened (to load an image into the simulated target). */
  prepare?: (probe: Probe) => Promise<void> | void;
  log?: (line: string) => void;
}

/** A serial number for this machine: 24 upper-case hex digits of /etc/machine-id. */
export function defaultSerial(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (/^[0-9a-f]{24,}$/i.test(id)) return id.slice(0, 24).toUpperCase();
  } catch {
    // no machine-id
  }
  return 'BMPGADGET0001';
}

function firmwareUsbId(): { vendorId: number; productId: number } {
  const board = listBoards()[0];
  return board ? { vendorId: board.usb.vid, productId: board.usb.pid } : { vendorId: 0x1d50, productId: 0x6018 };
}

export class UsbGadget {
  readonly udc: string;
  readonly identity: GadgetIdentity;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly handles = new Set<FileHandle>();
  private readonly children = new Set<ChildProcess>();
  private bulkEnabled?: () => void;
  private enabled = false;
  private line?: tty.ReadStream;
  /** The device side's tty that GDB is served on. */
  ttyPath = '';
  private lineFd = -1;
  private lineRdev = -1;

  private constructor(
    readonly gadget: ConfigfsGadget,
    readonly probe: Probe,
    readonly server: GdbServer,
    private readonly hidEngine: DapEngine,
    private readonly bulkEngine: DapEngine,
    udc: string,
    identity: GadgetIdentity,
    private readonly log: (line: string) => void,
  ) {
    this.udc = udc;
    this.identity = identity;
  }

  /** Makes the gadget, binds it to the UDC and starts serving; stop() undoes it all. */
  static async start(options: GadgetOptions): Promise<UsbGadget> {
    const refusal = gadgetUnavailable(options.udc);
    if (refusal) throw refusal;
    const udc = options.udc ?? listUdcs()[0];
    const log = options.log ?? (() => {});
    const probe = await openProbe({ sim: options.profile });
    let gadget: ConfigfsGadget | undefined;
    let g: UsbGadget | undefined;
    try {
      await options.prepare?.(probe);
      const identity: GadgetIdentity = {
        ...firmwareUsbId(),
        manufacturer: 'bmp-gdbserver',
        product: `bmp-gdbserver CMSIS-DAP (gadget, simulated ${options.profile})`,
        serial: options.serial ?? defaultSerial(),
      };
      const hidEngine = new DapEngine(probe.sim!, { packetSize: HID_REPORT_SIZE, packetCount: 4 });
      const bulkEngine = new DapEngine(probe.sim!, { packetSize: BULK_PACKET_SIZE, packetCount: 4 });
      gadget = ConfigfsGadget.create(identity);
      const server = new GdbServer({ probe, log: options.log });
      g = new UsbGadget(gadget, probe, server, hidEngine, bulkEngine, udc, identity, log);
      await g.startFunctionFs();
      gadget.bind(udc);
      g.startLine();
      g.loops.push(g.hidLoop());
      return g;
    } catch (error) {
      if (g) {
        g.stopping = true;
        for (const h of g.handles) await h.close().catch(() => {});
      }
      const left = gadget?.destroy() ?? [];
      await probe.close();
      if (left.length) log(`left behind: ${left.join('; ')}`);
      throw error;
    }
  }

  /** Descriptors and strings to ep0; then the ep0 event loop and the bulk loop. */
  private async startFunctionFs(): Promise<void> {
    const ep0 = await open(join(this.gadget.ffsMount, 'ep0'), 'r+');
    this.handles.add(ep0);
    try {
      await ep0.write(functionFsDescriptors());
      await ep0.write(functionFsStrings('CMSIS-DAP v2'));
    } catch (error) {
      throw new BmpError('ENOTSUP', `FunctionFS refused the CMSIS-DAP v2 descriptors: ${(error as Error).message}`);
    }
    this.loops.push(this.eventLoop(ep0), this.bulkLoop());
  }

  private async eventLoop(ep0: FileHandle): Promise<void> {
    const event = Buffer.alloc(FFS_EVENT_SIZE * 4);
    while (!this.stopping) {
      let n: number;
      try {
        ({ bytesRead: n } = await ep0.read(event, 0, event.length, null));
      } catch (error) {
        if (this.stopping) return;
        this.log(`FunctionFS ep0: ${(error as Error).message}`);
        await sleep(100);
        continue;
      }
      for (let at = 0; at + FFS_EVENT_SIZE <= n; at += FFS_EVENT_SIZE) {
        const type = event[at + 8];
        if (type === FfsEvent.ENABLE) {
          this.enabled = true;
          this.log('USB host connected (CMSIS-DAP v2 interface enabled)');
          this.bulkEnabled?.();
        } else if (type === FfsEvent.DISABLE || type === FfsEvent.UNBIND) {
          if (this.enabled) this.log('USB host gone (CMSIS-DAP v2 interface disabled)');
          this.enabled = false;
        } else if (type === FfsEvent.SETUP) {
          // No class or vendor requests are ours: stall by moving data the wrong way.
          const dirIn = (event[at] & 0x80) !== 0;
          await (dirIn ? ep0.read(Buffer.alloc(0), 0, 0, null) : ep0.write(Buffer.alloc(0))).catch(() => {});
        }
      }
    }
  }

  private waitEnabled(): Promise<void> {
    if (this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      this.bulkEnabled = () => {
        this.bulkEnabled = undefined;
        resolve();
      };
    });
  }

  /** CMSIS-DAP v2: one request per bulk OUT transfer, each response one bulk IN transfer. */
  private async bulkLoop(): Promise<void> {
    const out = await open(join(this.gadget.ffsMount, 'ep1'), 'r');
    const inp = await open(join(this.gadget.ffsMount, 'ep2'), 'w');
    this.handles.add(out);
    this.handles.add(inp);
    const buffer = Buffer.alloc(BULK_PACKET_SIZE);
    while (!this.stopping) {
      await this.waitEnabled();
      if (this.stopping) return;
      try {
        const { bytesRead } = await out.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) continue;
        for (const response of this.bulkEngine.executeSync(buffer.subarray(0, bytesRead))) {
          await inp.write(response);
        }
      } catch (error) {
        if (this.stopping) return;
        const code = (error as NodeJS.ErrnoException).code;
        // ESHUTDOWN: the host went away mid-packet; wait for it to come back.
        if (code !== 'ESHUTDOWN' && code !== 'EAGAIN') this.log(`CMSIS-DAP v2: ${(error as Error).message}`);
        if (this.enabled) await sleep(20);
      }
    }
  }

  /**
   * CMSIS-DAP v1: 64-byte output reports in, 64-byte input reports out, on /dev/hidg<n>. The
   * node is read and written by two `dd` processes, one report per read or write: f_hid does not
   * wake a blocked reader when the UDC goes away, and a process holding the node open keeps the
   * gadget from being removed. A child process can be killed; a thread-pool read cannot.
   */
  private async hidLoop(): Promise<void> {
    let failed = false;
    while (!this.stopping) {
      let device: string;
      try {
        device = this.gadget.hidDevice;
      } catch {
        await sleep(200);
        continue;
      }
      // conv=sync pads a short report to 64 bytes, so that the stream stays in whole reports.
      const reader = spawn('dd', [`if=${device}`, `bs=${HID_REPORT_SIZE}`, 'conv=sync', 'status=none'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const writer = spawn('dd', [`of=${device}`, `bs=${HID_REPORT_SIZE}`, 'iflag=fullblock', 'status=none'], { stdio: ['pipe', 'ignore', 'pipe'] });
      this.children.add(reader);
      this.children.add(writer);
      writer.stdin.on('error', () => {});
      let pending = Buffer.alloc(0);
      let errors = '';
      reader.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      writer.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      reader.stdout.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= HID_REPORT_SIZE) {
          const report = pending.subarray(0, HID_REPORT_SIZE);
          pending = pending.subarray(HID_REPORT_SIZE);
          if (failed) this.log('CMSIS-DAP v1: the USB host is back');
          failed = false;
          for (const response of this.hidEngine.executeSync(report)) {
            const padded = Buffer.alloc(HID_REPORT_SIZE);
            padded.set(response.subarray(0, HID_REPORT_SIZE));
            writer.stdin.write(padded);
          }
        }
      });
      await Promise.race([once(reader, 'close'), once(writer, 'close')]);
      reader.kill('SIGKILL');
      writer.kill('SIGKILL');
      this.children.delete(reader);
      this.children.delete(writer);
      if (this.stopping) return;
      if (!failed) this.log(`CMSIS-DAP v1: ${device}: ${errors.trim().split('\n')[0] || 'closed'}; waiting for the USB host`);
      failed = true;
      await sleep(200);
    }
  }

  /**
   * GDB on the CDC-ACM function's tty, raw. The tty hangs up when the USB host goes away (the
   * stream closes): it is opened again, so that GDB works once the host is back.
   */
  private startLine(): void {
    const path = this.gadget.gdbTty;
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (error) {
      this.log(`${path}: ${(error as Error).message}`);
      setTimeout(() => this.stopping || this.startLine(), 500);
      return;
    }
    this.lineFd = fd;
    this.lineRdev = fstatSync(fd).rdev;
    const line = new tty.ReadStream(fd);
    line.setRawMode(true);
    line.on('error', (error) => this.log(`${path}: ${error.message}`));
    line.once('close', () => {
      if (this.stopping) return;
      try {
        if (fstatSync(fd).rdev === this.lineRdev) closeSync(fd);
      } catch {
        // closed already
      }
      setTimeout(() => this.stopping || this.startLine(), 200);
    });
    this.line = line;
    this.ttyPath = path;
    void this.server.serveLine(line, path);
  }

  /** Unbinds from the UDC, stops serving, removes the gadget; resolves with what could not be removed. */
  async stop(): Promise<string[]> {
    if (this.stopping) return [];
    this.stopping = true;
    for (const child of this.children) child.kill('SIGKILL');
    this.gadget.unbind(); // wakes the reads on ep0 and ep1
    this.bulkEnabled?.();
    if (this.line) {
      const closed = once(this.line, 'close');
      this.line.destroy();
      // The tty must be closed before its function can be removed (u_serial waits for it).
      await Promise.race([closed, sleep(2000)]);
      // Node leaves a tty's descriptor open when the stream closes (it is the caller's): close it
      // if it is still this tty.
      try {
        if (fstatSync(this.lineFd).rdev === this.lineRdev) closeSync(this.lineFd);
      } catch {
        // closed already
      }
    }
    await this.server.close().catch(() => {});
    await Promise.race([Promise.allSettled(this.loops), sleep(1000)]);
    // FunctionFS's reads end with the unbind, so its files close and it unmounts.
    await Promise.race([Promise.allSettled([...this.handles].map((h) => h.close())), sleep(1000)]);
    const left = this.gadget.destroy();
    await this.probe.close().catch(() => {});
    return left;
  }
}


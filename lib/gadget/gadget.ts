/**
 * `bmp-gdbserver gadget`: a Linux machine with a USB device port becomes a probe shaped like this
 * project's firmware. Through configfs (configfs.ts):
 * - CDC-ACM (the kernel's acm function): the GDB server on the device side's /dev/ttyGS<n>;
 * - FunctionFS (functionfs.ts): the HID interface of CMSIS-DAP v1 (64-byte reports on interrupt
 *   endpoints, the report descriptor answered here) and the vendor interface of CMSIS-DAP v2
 *   (bulk OUT, then bulk IN).
 * The GDB server and both CMSIS-DAP engines drive one simulated target (the engines are the
 * firmware's C core, serialised with the GDB server's session thread by the target's lock).
 *
 * The USB host may go away at any time (cable, or the UDC unbound): a failed read or write ends
 * that packet, and the loop waits for the interface to come back.
 */
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import tty from 'node:tty';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileHandle } from 'node:fs/promises';

import { DapEngine } from '../dap-engine.js';
import { GdbServer } from '../gdb-server.js';
import { listBoards } from '../firmware/boards.js';
import type { SimProfileName } from '../sim.js';
import { openProbe, type Probe } from '../target.js';
import { ConfigfsGadget, gadgetUnavailable, listUdcs, type GadgetIdentity } from './configfs.js';
import { functionFsDescriptors, functionFsHidDescriptors, functionFsStrings, HID_REPORT_SIZE, hidSetup } from './descriptors.js';
import { FunctionFsInterface } from './functionfs.js';

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
  private readonly functions: FunctionFsInterface[] = [];
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
      return g;
    } catch (error) {
      if (g) {
        g.stopping = true;
        for (const f of g.functions) await f.stop();
      }
      const left = gadget?.destroy() ?? [];
      await probe.close();
      if (left.length) log(`left behind: ${left.join('; ')}`);
      throw error;
    }
  }

  /** Both FunctionFS functions get their descriptors; then their data loops start. */
  private async startFunctionFs(): Promise<void> {
    const hidState = { idle: 0 };
    const hid = await FunctionFsInterface.start({
      mount: this.gadget.ffsMounts.hid,
      name: 'CMSIS-DAP v1',
      descriptors: functionFsHidDescriptors(),
      strings: functionFsStrings('CMSIS-DAP v1'),
      onSetup: (setup) => hidSetup(setup, hidState),
      log: this.log,
    });
    this.functions.push(hid);
    const bulk = await FunctionFsInterface.start({
      mount: this.gadget.ffsMounts.bulk,
      name: 'CMSIS-DAP v2',
      descriptors: functionFsDescriptors(),
      strings: functionFsStrings('CMSIS-DAP v2'),
      log: this.log,
    });
    this.functions.push(bulk);
    // v1: interrupt IN is ep1, interrupt OUT ep2; v2: bulk OUT is ep1, bulk IN ep2.
    this.loops.push(
      this.packetLoop(hid, this.hidEngine, await hid.endpoint(2, 'r'), await hid.endpoint(1, 'w'), HID_REPORT_SIZE, true),
      this.packetLoop(bulk, this.bulkEngine, await bulk.endpoint(1, 'r'), await bulk.endpoint(2, 'w'), BULK_PACKET_SIZE, false),
    );
  }

  /**
   * One CMSIS-DAP request per OUT transfer, each response one IN transfer. HID reports are whole
   * 64-byte reports (a shorter response is padded with zeros); bulk responses are as long as they are.
   */
  private async packetLoop(
    fn: FunctionFsInterface,
    engine: DapEngine,
    out: FileHandle,
    inp: FileHandle,
    size: number,
    report: boolean,
  ): Promise<void> {
    const buffer = Buffer.alloc(size);
    while (!this.stopping) {
      await fn.waitEnabled();
      if (this.stopping) return;
      try {
        const { bytesRead } = await out.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) continue;
        // A short output report is a whole one padded with zeros, as the firmware's HID class sees it.
        if (report) buffer.fill(0, bytesRead);
        for (const response of engine.executeSync(report ? buffer : buffer.subarray(0, bytesRead))) {
          if (report) {
            const padded = Buffer.alloc(size);
            padded.set(response.subarray(0, size));
            await inp.write(padded);
          } else {
            await inp.write(response);
          }
        }
      } catch (error) {
        if (this.stopping) return;
        const code = (error as NodeJS.ErrnoException).code;
        // ESHUTDOWN: the host went away mid-packet; EAGAIN: the endpoint is disabled (the
        // ENABLE event may not have been read yet); wait for the host to come back.
        if (code !== 'ESHUTDOWN' && code !== 'EAGAIN') this.log(`${fn.name}: ${(error as Error).message}`);
        if (fn.isEnabled) await sleep(20);
      }
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
    for (const f of this.functions) f.beginStop();
    this.gadget.unbind(); // wakes the blocked reads of ep0 and of the OUT endpoints
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
    for (const f of this.functions) await f.stop();
    await Promise.race([Promise.allSettled(this.loops), sleep(1000)]);
    const left = this.gadget.destroy();
    await this.probe.close().catch(() => {});
    return left;
  }
}


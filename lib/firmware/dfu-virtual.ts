/**
 * A virtual DfuSe device: the DfuSe device core (native/core/dfu) over a RAM model of a board's
 * flash (native/sim/sim_dfu.c, through the addon), behind node-usb's WebUSB USBDevice shape, so
 * that the installer (dfu-install.ts) and anything else written against node-usb can be run
 * without hardware. It presents the board's DFU receiver: our bootloader (the application region
 * only, "@Application /0x...") or ST's ROM bootloader ("@Internal Flash  /0x...", all of the
 * flash), with faults to inject and a clock that checks the host honours bwPollTimeout.
 */
import { native, type NativeDfuFault, type NativeVirtualDfu } from '../native.js';
import { loadDfuBoard, type DfuBoard, type UsbId } from './dfu-board.js';
import type { ControlSetup, DfuDeviceSource, DfuUsbDevice } from './dfu-install.js';

/** Milliseconds that pass only when someone sleeps: the installer's `sleep` and the device agree
 * on time without waiting for real. */
export class VirtualClock {
  now = 0;
  readonly sleep = (ms: number): Promise<void> => {
    this.now += ms;
    return Promise.resolve();
  };
}

export interface VirtualDfuOptions {
  /** The board whose DFU device this is (its name or description). */
  board: string | DfuBoard;
  /** Which of the board's DFU devices: our bootloader (default where the board has one) or ST's ROM. */
  receiver?: 'own' | 'st-rom';
  /** bmAttributes' manifestation tolerance (default: not tolerant, it detaches). */
  manifestationTolerant?: boolean;
  transferSize?: number;
  serial?: string;
  clock?: VirtualClock;
}

type Setup = ControlSetup;

const TYPES = { standard: 0x00, class: 0x20, vendor: 0x40 } as const;
const RECIPIENTS = { device: 0, interface: 1, endpoint: 2, other: 3 } as const;

function setupBytes(setup: Setup, in_: boolean, length: number): Uint8Array {
  return new Uint8Array([
    (in_ ? 0x80 : 0) | TYPES[setup.requestType] | RECIPIENTS[setup.recipient],
    setup.request,
    setup.value & 0xff,
    setup.value >> 8,
    setup.index & 0xff,
    setup.index >> 8,
    length & 0xff,
    length >> 8,
  ]);
}

/** node-usb's error for a device that is gone. */
function noDevice(): Error {
  const error = new Error('LIBUSB_ERROR_NO_DEVICE') as Error & { errno: number };
  error.errno = -4;
  return error;
}

export class VirtualDfuDevice implements DfuUsbDevice {
  readonly board: DfuBoard;
  readonly receiver: 'own' | 'st-rom';
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string;
  readonly productName: string;
  readonly manufacturerName: string;
  readonly native: NativeVirtualDfu;
  readonly clock: VirtualClock;
  opened = false;
  configuration: { configurationValue: number } | null = null;
  /** Requests that came before the bwPollTimeout the device asked for had passed. */
  earlyRequests = 0;
  /** Every control transfer, for tests: the request and its result. */
  readonly log: { request: number; value: number; result: string }[] = [];
  private busyUntil = 0;

  constructor(options: VirtualDfuOptions) {
    this.board = typeof options.board === 'string' ? loadDfuBoard(options.board) : options.board;
    const b = this.board;
    this.receiver = options.receiver ?? (b.dfu.receiver === 'own' ? 'own' : 'st-rom');
    this.clock = options.clock ?? new VirtualClock();
    // The times and program unit the board's bootloader reports (boards/<name>.json flash.timing).
    const timing = b.flash.timing;
    const own = this.receiver === 'own';
    if (own && !b.bootloader) throw new Error(`${b.name} has no bootloader of our own`);
    const id: UsbId = own ? b.dfu : (b.stRom ?? { vid: 0x0483, pid: 0xdf11 });
    // Our bootloader writes the application region; ST's ROM all of the flash.
    const region = own ? b.app : { base: b.flash.base, size: b.flash.size };
    const sectors: { count: number; size: number; eraseMs: number }[] = [];
    for (const s of b.flash.sectors.filter((x) => x.base >= region.base && x.base < region.base + region.size)) {
      const last = sectors[sectors.length - 1];
      if (last && last.size === s.size) last.count++;
      else sectors.push({ count: 1, size: s.size, eraseMs: Math.ceil((s.size / 1024) * timing.eraseMsPerKiB) });
    }
    this.vendorId = id.vid;
    this.productId = id.pid;
    this.serialNumber = options.serial ?? '0123456789ABCDEF01234567';
    this.manufacturerName = own ? 'bmp-gdbserver' : 'STMicroelectronics';
    this.productName = own ? `bmp-gdbserver DFU (${b.title})` : 'DFU in FS Mode';
    this.native = new (native().VirtualDfu)({
      vid: id.vid,
      pid: id.pid,
      bcdDevice: own ? 0x0100 : 0x2200,
      manufacturer: this.manufacturerName,
      product: this.productName,
      serial: this.serialNumber,
      highSpeed: own && b.family === 'stm32f72x',
      name: own ? 'Application' : 'Internal Flash ',
      base: region.base,
      sectors,
      transferSize: options.transferSize ?? 2048,
      programUnit: timing.programUnit,
      programMsPerKiB: timing.programMsPerKiB,
      attributes: 0x01 | 0x02 | (options.manifestationTolerant ? 0x04 : 0x08),
      flashBase: b.flash.base,
      flashSize: b.flash.size,
    });
  }

  /** The flash as the model holds it (not through the device). */
  readFlash(address: number, length: number): Uint8Array {
    return this.native.readFlash(address, length);
  }

  writeFlash(address: number, bytes: Uint8Array): void {
    this.native.writeFlash(address, bytes);
  }

  /** Arms a fault that fires once, at the `at`-th event of its kind (sim_dfu.h). */
  inject(kind: NativeDfuFault, at = 1): void {
    this.native.setFault(kind, at);
  }

  /** Plugged in again (or reset into DFU mode): dfuIDLE, the flash as it was. */
  reconnect(): void {
    this.native.reconnect();
    this.opened = false;
    this.configuration = null;
  }

  get state() {
    return this.native.state;
  }

  /** What the bootloader would decide at reset: 'application', or why it stays in DFU mode. */
  bootDecision(options: { request?: number; button?: boolean } = {}): string {
    const b = this.board;
    return this.native.bootDecision({
      appBase: b.app.base,
      appSize: b.app.size,
      ramBase: b.ram.base,
      ramSize: b.ram.size,
      boardTag: b.tag,
      request: options.request ?? 0,
      button: options.button ?? false,
    });
  }

  async open(): Promise<void> {
    this.check();
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  async selectConfiguration(value: number): Promise<void> {
    const r = await this.controlTransferOut({ requestType: 'standard', recipient: 'device', request: 9, value, index: 0 });
    if (r.status !== 'ok') throw new Error('LIBUSB_ERROR_PIPE');
    this.configuration = value ? { configurationValue: value } : null;
  }

  async claimInterface(number: number): Promise<void> {
    this.check();
    if (number !== 0) throw new Error('LIBUSB_ERROR_NOT_FOUND');
  }

  async releaseInterface(number: number): Promise<void> {
    if (number !== 0) throw new Error('LIBUSB_ERROR_NOT_FOUND');
  }

  async selectAlternateInterface(number: number, alternate: number): Promise<void> {
    const r = await this.controlTransferOut({ requestType: 'standard', recipient: 'interface', request: 11, value: alternate, index: number });
    if (r.status !== 'ok') throw new Error('LIBUSB_ERROR_PIPE');
  }

  async reset(): Promise<void> {
    this.check();
    this.native.reconnect();
  }

  async controlTransferIn(setup: Setup, length: number): Promise<{ data?: DataView; status: 'ok' | 'stall' | 'babble' }> {
    const r = this.transfer(setup, setupBytes(setup, true, length), null);
    if (r.result === 'stall') return { status: 'stall' };
    const data = r.data ?? new Uint8Array(0);
    this.noteBusy(setup, data);
    return { status: 'ok', data: new DataView(data.buffer, data.byteOffset, data.byteLength) };
  }

  async controlTransferOut(setup: Setup, data?: ArrayBuffer): Promise<{ bytesWritten: number; status: 'ok' | 'stall' }> {
    const bytes = new Uint8Array(data ?? new ArrayBuffer(0));
    const r = this.transfer(setup, setupBytes(setup, false, bytes.length), bytes.length ? bytes : null);
    return r.result === 'stall' ? { status: 'stall', bytesWritten: 0 } : { status: 'ok', bytesWritten: bytes.length };
  }

  private check(): void {
    const s = this.native.state;
    if (!s.connected || s.left) throw noDevice();
  }

  private transfer(setup: Setup, bytes: Uint8Array, data: Uint8Array | null) {
    this.check();
    if (this.clock.now < this.busyUntil) {
      // A real device busy with the work NAKs until it is done: the request waits.
      this.earlyRequests++;
      this.clock.now = this.busyUntil;
    }
    const r = this.native.control(bytes, data);
    this.log.push({ request: setup.request, value: setup.value, result: r.result });
    if (r.result === 'gone') throw noDevice();
    return r;
  }

  /** After a DFU_GETSTATUS that says dfuDNBUSY or dfuMANIFEST, the device is busy for bwPollTimeout. */
  private noteBusy(setup: Setup, data: Uint8Array): void {
    if (setup.requestType !== 'class' || setup.request !== 3 || data.length < 6) return;
    const poll = data[1] | (data[2] << 8) | (data[3] << 16);
    if (data[4] === 4 || data[4] === 7) this.busyUntil = this.clock.now + poll;
  }
}

/** A device source over a fixed set of devices (virtual ones, or fakes), for the installer. */
export class ListSource implements DfuDeviceSource {
  constructor(public devices: DfuUsbDevice[] = []) {}

  async list(ids: UsbId[]): Promise<DfuUsbDevice[]> {
    return this.devices.filter((d) => {
      const gone = d instanceof VirtualDfuDevice && (!d.state.connected || d.state.left);
      return !gone && ids.some((id) => id.vid === d.vendorId && id.pid === d.productId);
    });
  }
}

// CMSIS-DAP v2: command and response packets on a pair of bulk endpoints, through node-usb.
//
// The probe's CMSIS-DAP v2 interface is vendor-specific and its string descriptor (iInterface)
// contains "CMSIS-DAP". Its first bulk OUT endpoint takes requests, its first bulk IN endpoint
// returns responses; a second bulk IN endpoint, when present, streams SWO and is not used here.
// Requests go out unpadded; every response is read as one IN transfer of the probe's packet size.
// The package `usb` (node-usb 2.x, its callback-style "legacy" API) is an optional dependency,
// imported only when a bulk probe is used.
import { PipelinedTransport } from './pipeline.js';
import {
  checkTimeout,
  describeError,
  openError,
  optionalPackage,
  transportError,
  type ProbeInfo,
  type ProbeScan,
  type TransportOptions,
} from './types.js';

/** The part of an open CMSIS-DAP v2 interface the transport uses. */
export interface BulkDevice {
  /** wMaxPacketSize of the bulk IN endpoint (64 at full speed, 512 at high speed). */
  readonly maxPacketSize: number;
  /** One OUT transfer on the command endpoint. */
  transferOut(data: Uint8Array): Promise<void>;
  /** One IN transfer of up to `length` bytes; undefined when nothing came within `timeoutMs`. */
  transferIn(length: number, timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export interface BulkTransportOptions extends TransportOptions {
  /** The packet size (default: what the probe reports in DAP_Info, else the endpoint's wMaxPacketSize). */
  packetSize?: number;
}

export class BulkTransport extends PipelinedTransport<BulkDevice> {
  /** wMaxPacketSize of the IN endpoint, as the device gave it when the transport was made. */
  private readonly endpointSize: number;

  constructor(device: BulkDevice, options: BulkTransportOptions = {}) {
    const endpointSize = device.maxPacketSize;
    super(device, options.packetSize ?? endpointSize, options, 'CMSIS-DAP bulk probe');
    this.endpointSize = endpointSize;
  }

  protected override sendPacket(request: Uint8Array): Promise<void> {
    // A request filling whole USB packets but shorter than the probe's packet would leave the
    // probe waiting for the rest; sending a full packet ends the transfer unambiguously.
    if (request.length < this.packetSize && request.length % this.endpointSize === 0) {
      const padded = new Uint8Array(this.packetSize);
      padded.set(request);
      return this.device.transferOut(padded);
    }
    return this.device.transferOut(request);
  }

  protected override async receivePacket(timeoutMs: number): Promise<Uint8Array | undefined> {
    // Zero-length packets carry nothing; keep reading until the deadline.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      const packet = await this.device.transferIn(this.packetSize, remaining);
      if (packet === undefined || packet.length > 0) return packet;
    }
  }

  /**
   * Wraps an open interface and, unless `options.packetSize` is given, asks the probe for its
   * packet size (DAP_Info) and reads responses of that size. Closes the device when that fails.
   */
  static async connect(device: BulkDevice, options: BulkTransportOptions = {}): Promise<BulkTransport> {
    return new BulkTransport(device, options).settlePacketSize(options.packetSize);
  }

  /** Opens a probe found by `scanBulkProbes` (or one with the same path) with node-usb. */
  static async open(probe: ProbeInfo, options: BulkTransportOptions = {}): Promise<BulkTransport> {
    const timeoutMs = checkTimeout(options.timeoutMs);
    let found = candidates.get(probe);
    if (!found) {
      const scan = await scanBulkProbes();
      const same = scan.probes.find((p) => p.path === probe.path && p.serial === probe.serial);
      found = same && candidates.get(same);
    }
    if (!found) {
      throw transportError('EPROBE', `the CMSIS-DAP bulk probe ${probe.serial || probe.path || ''} is no longer connected`);
    }
    const device = await openInterface(found, timeoutMs);
    return BulkTransport.connect(device, options);
  }
}

/** USB devices with a CMSIS-DAP v2 interface; their ProbeInfo `path` is "bus-port.port...". */
export async function listBulkProbes(): Promise<ProbeInfo[]> {
  return (await scanBulkProbes()).probes;
}

/**
 * Like `listBulkProbes`, and also says which devices with a vendor-specific bulk interface could
 * not be opened to read their strings (typically missing permissions or, on Windows, a missing
 * WinUSB driver), so that "no probe found" can say why.
 */
export async function scanBulkProbes(): Promise<ProbeScan> {
  const usb = await nodeUsb.load();
  let devices: UsbDevice[];
  try {
    devices = usb.getDeviceList();
  } catch (cause) {
    throw transportError('EPROBE', `listing USB devices failed: ${describeError(cause)}`, cause);
  }
  const scan: ProbeScan = { probes: [], problems: [] };
  for (const device of devices) {
    const interfaces = bulkInterfaces(device);
    if (interfaces.length === 0) continue;
    const where = `USB device ${hex4(device.deviceDescriptor.idVendor)}:${hex4(device.deviceDescriptor.idProduct)} at ${devicePath(device)}`;
    try {
      device.open(false);
    } catch (cause) {
      scan.problems.push(`${where} has a vendor-specific bulk interface but cannot be opened: ${describeError(cause)}`);
      continue;
    }
    try {
      for (const candidate of interfaces) {
        const name = await stringDescriptor(device, candidate.iInterface);
        if (!name.includes('CMSIS-DAP')) continue;
        const descriptor = device.deviceDescriptor;
        const probe: ProbeInfo = {
          kind: 'bulk',
          serial: await stringDescriptor(device, descriptor.iSerialNumber),
          product: await stringDescriptor(device, descriptor.iProduct),
          manufacturer: await stringDescriptor(device, descriptor.iManufacturer),
          vendorId: descriptor.idVendor,
          productId: descriptor.idProduct,
          path: devicePath(device),
        };
        scan.probes.push(probe);
        candidates.set(probe, candidate);
        break; // one CMSIS-DAP v2 interface per device
      }
    } catch (cause) {
      scan.problems.push(`reading the strings of ${where} failed: ${describeError(cause)}`);
    } finally {
      try {
        device.close();
      } catch {
        // nothing was claimed; a failing close leaves nothing to undo
      }
    }
  }
  return scan;
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

// The slice of node-usb 2.x used here, declared locally so that this file type-checks without the
// package installed.
interface UsbEndpointDescriptor {
  bEndpointAddress: number;
  bmAttributes: number;
  wMaxPacketSize: number;
}

interface UsbInterfaceDescriptor {
  bInterfaceNumber: number;
  bAlternateSetting: number;
  bInterfaceClass: number;
  iInterface: number;
  endpoints: UsbEndpointDescriptor[];
}

interface UsbDeviceDescriptor {
  idVendor: number;
  idProduct: number;
  iManufacturer: number;
  iProduct: number;
  iSerialNumber: number;
}

type UsbCallback = (error?: Error | null) => void;

interface UsbInEndpoint {
  timeout: number;
  transfer(length: number, callback: (error: Error | undefined | null, data?: Buffer) => void): unknown;
}

interface UsbOutEndpoint {
  timeout: number;
  transfer(data: Buffer, callback: (error: Error | undefined | null) => void): unknown;
}

interface UsbInterface {
  claim(): void;
  release(closeEndpoints: boolean, callback: UsbCallback): void;
  setAltSetting(alternateSetting: number, callback: UsbCallback): void;
  isKernelDriverActive(): boolean;
  detachKernelDriver(): void;
  endpoint(address: number): unknown;
}

interface UsbDevice {
  busNumber: number;
  deviceAddress: number;
  portNumbers?: number[];
  deviceDescriptor: UsbDeviceDescriptor;
  readonly configDescriptor?: { interfaces: UsbInterfaceDescriptor[][] };
  open(defaultConfig?: boolean): void;
  close(): void;
  interface(interfaceNumber: number): UsbInterface | undefined;
  getStringDescriptor(index: number, callback: (error?: Error | null, value?: string) => void): void;
}

interface UsbModule {
  getDeviceList(): UsbDevice[];
}

/** libusb's codes for a timed-out transfer: the transfer status, and the error code. */
const LIBUSB_TRANSFER_TIMED_OUT = 2;
const LIBUSB_ERROR_TIMEOUT = -7;

/** A CMSIS-DAP v2 interface candidate: its place on the device and its two endpoints. */
interface BulkCandidate {
  device: UsbDevice;
  interfaceNumber: number;
  alternateSetting: number;
  iInterface: number;
  outAddress: number;
  inAddress: number;
  maxPacketSize: number;
}

/** What `scanBulkProbes` found behind each ProbeInfo it returned. */
const candidates = new WeakMap<ProbeInfo, BulkCandidate>();

const USB_CLASS_VENDOR_SPECIFIC = 0xff;
const ENDPOINT_IN = 0x80;
const TRANSFER_TYPE_MASK = 0x03;
const TRANSFER_TYPE_BULK = 0x02;

/** Vendor-specific interfaces with a bulk OUT and a bulk IN endpoint, in descriptor order. */
function bulkInterfaces(device: UsbDevice): BulkCandidate[] {
  let config: UsbDevice['configDescriptor'];
  try {
    config = device.configDescriptor;
  } catch {
    return [];
  }
  const result: BulkCandidate[] = [];
  for (const alternates of config?.interfaces ?? []) {
    for (const descriptor of alternates) {
      if (descriptor.bInterfaceClass !== USB_CLASS_VENDOR_SPECIFIC || descriptor.iInterface === 0) continue;
      const bulk = descriptor.endpoints.filter((e) => (e.bmAttributes & TRANSFER_TYPE_MASK) === TRANSFER_TYPE_BULK);
      const out = bulk.find((e) => (e.bEndpointAddress & ENDPOINT_IN) === 0);
      const inp = bulk.find((e) => (e.bEndpointAddress & ENDPOINT_IN) !== 0);
      if (!out || !inp) continue;
      result.push({
        device,
        interfaceNumber: descriptor.bInterfaceNumber,
        alternateSetting: descriptor.bAlternateSetting,
        iInterface: descriptor.iInterface,
        outAddress: out.bEndpointAddress,
        inAddress: inp.bEndpointAddress,
        maxPacketSize: inp.wMaxPacketSize & 0x7ff,
      });
    }
  }
  return result;
}

function devicePath(device: UsbDevice): string {
  const ports = device.portNumbers;
  return ports && ports.length > 0 ? `${device.busNumber}-${ports.join('.')}` : `${device.busNumber}:${device.deviceAddress}`;
}

function stringDescriptor(device: UsbDevice, index: number): Promise<string> {
  if (index === 0) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    device.getStringDescriptor(index, (error, value) => {
      if (error) reject(error);
      else resolve((value ?? '').replace(/\0+$/, ''));
    });
  });
}

function callbackPromise(start: (callback: UsbCallback) => void): Promise<void> {
  return new Promise((resolve, reject) => start((error) => (error ? reject(error) : resolve())));
}

/** Opens the device, claims the CMSIS-DAP interface and wraps its endpoints as a BulkDevice. */
async function openInterface(candidate: BulkCandidate, timeoutMs: number): Promise<BulkDevice> {
  const { device } = candidate;
  const what = `the CMSIS-DAP bulk probe at ${devicePath(device)}`;
  try {
    device.open();
  } catch (cause) {
    throw openError(what, cause);
  }
  let iface: UsbInterface | undefined;
  let claimed = false;
  try {
    iface = device.interface(candidate.interfaceNumber);
    if (!iface) throw new Error(`interface ${candidate.interfaceNumber} is missing`);
    try {
      if (iface.isKernelDriverActive()) iface.detachKernelDriver();
    } catch {
      // not supported on this platform, or no driver: claiming tells whether it worked
    }
    iface.claim();
    claimed = true;
    const claimedIface = iface;
    if (candidate.alternateSetting !== 0) {
      await callbackPromise((done) => claimedIface.setAltSetting(candidate.alternateSetting, done));
    }
    const inEndpoint = iface.endpoint(candidate.inAddress) as UsbInEndpoint | undefined;
    const outEndpoint = iface.endpoint(candidate.outAddress) as UsbOutEndpoint | undefined;
    if (!inEndpoint || !outEndpoint) throw new Error('the bulk endpoints are missing');
    return wrapEndpoints(device, claimedIface, inEndpoint, outEndpoint, candidate.maxPacketSize, timeoutMs);
  } catch (cause) {
    if (claimed && iface) {
      const toRelease = iface;
      await callbackPromise((done) => toRelease.release(true, done)).catch(() => undefined);
    }
    try {
      device.close();
    } catch {
      // already failing; the first error is the one to report
    }
    throw transportError('EPROBE', `cannot claim the CMSIS-DAP interface of ${what}: ${describeError(cause)}`, cause);
  }
}

function wrapEndpoints(
  device: UsbDevice,
  iface: UsbInterface,
  inEndpoint: UsbInEndpoint,
  outEndpoint: UsbOutEndpoint,
  maxPacketSize: number,
  timeoutMs: number,
): BulkDevice {
  const isTimeout = (error: Error) => {
    const errno = (error as Error & { errno?: number }).errno;
    return errno === LIBUSB_TRANSFER_TIMED_OUT || errno === LIBUSB_ERROR_TIMEOUT;
  };
  // node-usb refuses to close a device with transfers pending, so close waits for them.
  const pending = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  };
  return {
    maxPacketSize,
    transferOut: (data) =>
      track(
        new Promise<void>((resolve, reject) => {
          outEndpoint.timeout = timeoutMs;
          outEndpoint.transfer(Buffer.from(data), (error) => (error ? reject(error) : resolve()));
        }),
      ),
    transferIn: (length, timeout) =>
      track(
        new Promise<Uint8Array | undefined>((resolve, reject) => {
          inEndpoint.timeout = Math.max(1, Math.ceil(timeout));
          inEndpoint.transfer(length, (error, data) => {
            if (error) {
              if (isTimeout(error)) resolve(undefined);
              else reject(error);
            } else {
              resolve(Uint8Array.from(data ?? []));
            }
          });
        }),
      ),
    close: async () => {
      await Promise.allSettled([...pending]);
      await callbackPromise((done) => iface.release(true, done)).catch(() => undefined);
      device.close();
    },
  };
}

/** node-usb, loaded when a bulk probe is first looked for. */
export const nodeUsb = optionalPackage('usb', 'CMSIS-DAP v2 (bulk) probes', 'npm install usb@2', (loaded) => {
  const mod = loaded as Partial<UsbModule> & { default?: Partial<UsbModule>; usb?: Partial<UsbModule> };
  const api = [mod, mod.default, mod.usb].find((m) => typeof m?.getDeviceList === 'function');
  if (!api) {
    throw transportError(
      'EPROBE',
      'the installed usb package has no getDeviceList (usb 3 dropped that API); CMSIS-DAP v2 probes need usb 2.x: npm install usb@2',
    );
  }
  return api as UsbModule;
});

// CMSIS-DAP v1: command and response packets carried in HID reports, through node-hid.
//
// Every request goes out as an output report: byte 0 is the report ID (0, the probe has no
// numbered reports), then the packet padded with zeros to the report size. Every response is one
// input report. node-hid is an optional dependency, imported only when a HID probe is used.
import { PipelinedTransport } from './pipeline.js';
import { describeError, openError, optionalPackage, transportError, type ProbeInfo, type TransportOptions } from './types.js';

/** The part of an open HID device the transport uses (node-hid's HIDAsync has this shape). */
export interface HidDevice {
  /** Writes one output report; byte 0 is the report ID. */
  write(report: Uint8Array): Promise<unknown>;
  /** Reads one input report; resolves undefined or empty when none came within `timeoutMs`. */
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export interface HidTransportOptions extends TransportOptions {
  /** The report size in bytes (default 64). When given, `HidTransport.open` does not ask the probe. */
  packetSize?: number;
}

export const DEFAULT_HID_REPORT_SIZE = 64;

export class HidTransport extends PipelinedTransport<HidDevice> {
  constructor(device: HidDevice, options: HidTransportOptions = {}) {
    super(device, options.packetSize ?? DEFAULT_HID_REPORT_SIZE, options, 'CMSIS-DAP HID probe');
  }

  protected override async sendPacket(request: Uint8Array): Promise<void> {
    const report = new Uint8Array(1 + this.packetSize);
    report.set(request, 1); // report[0] = 0: the report ID
    await this.device.write(report);
  }

  protected override async receivePacket(timeoutMs: number): Promise<Uint8Array | undefined> {
    const report = await this.device.read(timeoutMs);
    return report && report.length > 0 ? Uint8Array.from(report) : undefined;
  }

  /**
   * Wraps an open device and, unless `options.packetSize` is given, asks the probe for its packet
   * size (DAP_Info) and uses it as the report size. Closes the device when that fails.
   */
  static async connect(device: HidDevice, options: HidTransportOptions = {}): Promise<HidTransport> {
    return new HidTransport(device, options).settlePacketSize(options.packetSize);
  }

  /** Opens the HID device at `path` (from `listHidProbes`) with node-hid. */
  static async open(path: string, options: HidTransportOptions = {}): Promise<HidTransport> {
    const hid = await nodeHid.load();
    let device: NodeHidAsync;
    try {
      device = await hid.HIDAsync.open(path);
    } catch (cause) {
      throw openError(`the CMSIS-DAP HID probe at ${path}`, cause);
    }
    return HidTransport.connect(
      {
        write: (report) => device.write(Buffer.from(report.buffer, report.byteOffset, report.byteLength)),
        read: (timeoutMs) => device.read(timeoutMs),
        close: () => device.close(),
      },
      options,
    );
  }
}

/** HID devices whose product string names them CMSIS-DAP, as node-hid lists them. */
export async function listHidProbes(): Promise<ProbeInfo[]> {
  const hid = await nodeHid.load();
  let devices: NodeHidDeviceInfo[];
  try {
    devices = await hid.devicesAsync();
  } catch (cause) {
    throw transportError('EPROBE', `listing HID devices failed: ${describeError(cause)}`, cause);
  }
  const probes: ProbeInfo[] = [];
  const seen = new Set<string>();
  for (const device of devices) {
    if (!device.product?.includes('CMSIS-DAP') || !device.path || seen.has(device.path)) continue;
    seen.add(device.path);
    probes.push({
      kind: 'hid',
      serial: device.serialNumber ?? '',
      product: device.product,
      manufacturer: device.manufacturer ?? '',
      vendorId: device.vendorId,
      productId: device.productId,
      path: device.path,
    });
  }
  return probes;
}

// The slice of node-hid (v3) used here, declared locally so that this file type-checks without
// the package installed.
interface NodeHidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
}

interface NodeHidAsync {
  write(values: Buffer): Promise<number>;
  read(timeoutMs?: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

interface NodeHidModule {
  HIDAsync: { open(path: string): Promise<NodeHidAsync> };
  devicesAsync(): Promise<NodeHidDeviceInfo[]>;
}

/** node-hid, loaded when a HID probe is first looked for or opened. */
export const nodeHid = optionalPackage('node-hid', 'CMSIS-DAP HID probes', 'npm install node-hid', (loaded) => {
  const mod = loaded as Partial<NodeHidModule> & { default?: Partial<NodeHidModule> };
  const api = mod.HIDAsync ? mod : mod.default;
  if (!api?.HIDAsync || typeof api.devicesAsync !== 'function') {
    throw transportError('EPROBE', 'the installed node-hid has no HIDAsync API; CMSIS-DAP HID probes need node-hid 3 or later');
  }
  return api as NodeHidModule;
});

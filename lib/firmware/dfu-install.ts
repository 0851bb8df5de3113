/**
 * Installing a probe's firmware over USB DFU: the DfuSe protocol (DFU 1.1 with ST's extensions,
 * AN3156) spoken through node-usb's WebUSB-shaped devices, against our own bootloader
 * (firmware/bootloader) or ST's ROM bootloader.
 *
 *   1. The image: a .dfu, .bin or .hex, checked before any device is touched: it carries the
 *      trailer of this project's builds with the board's tag, a .dfu names the board's DFU
 *      device in its suffix, it starts at the board's application base, fits the application
 *      region and does not overlap the bootloader.
 *   2. The device: a DfuSe device of the board (the bootloader's VID:PID from the board's JSON,
 *      or ST's ROM 0483:df11 where the board reaches it); if only the probe itself is there
 *      (running this project's firmware), the vendor request USB_PROBE_VENDOR_DFU
 *      (firmware/usb/usb_probe.h) reboots it into its bootloader, and the installer waits for
 *      the DFU device. Its layout comes from the alternate setting's string, the transfer size
 *      and manifestation tolerance from the DFU functional descriptor. The layout must hold the
 *      image in erasable, writable sectors that all lie inside the application region: else
 *      nothing is erased.
 *   3. Erase exactly the sectors the image covers (DfuSe Erase, 0x41), set the address pointer
 *      (0x21), download in wTransferSize blocks, polling DFU_GETSTATUS and honouring
 *      bwPollTimeout; read everything back with DFU_UPLOAD and compare its sha256; then leave
 *      DFU mode (a zero-length download, after which the bootloader resets into the
 *      application).
 *
 * Anything that goes wrong throws a DfuInstallError that says what was done before it (sectors
 * erased, bytes written) and whether the flash is still as it was. An interrupted install leaves
 * an image whose trailer CRC does not match, so the bootloader stays in DFU mode; running the
 * installer again completes it (a device found in dfuERROR is cleared first).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { BmpError, type BmpErrorCode } from '../errors.js';
import { loadDfuBoard, type DfuBoard, type Region, type UsbId } from './dfu-board.js';
import { loadFirmwareImage, readTrailer, type FirmwareFormat, type FirmwareImage } from './dfuse-file.js';

// ---- the USB device, as node-usb's WebUSBDevice presents it ----

export interface ControlSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}

/** The part of WebUSB's USBDevice (node-usb's WebUSBDevice) the installer uses. */
export interface DfuUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null;
  readonly productName?: string | null;
  readonly opened: boolean;
  readonly configuration?: { configurationValue: number } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(number: number): Promise<void>;
  releaseInterface(number: number): Promise<void>;
  selectAlternateInterface(number: number, alternate: number): Promise<void>;
  controlTransferIn(setup: ControlSetup, length: number): Promise<{ data?: DataView; status: 'ok' | 'stall' | 'babble' }>;
  controlTransferOut(setup: ControlSetup, data?: ArrayBuffer): Promise<{ bytesWritten: number; status: 'ok' | 'stall' }>;
  reset(): Promise<void>;
}

/** Where devices come from: node-usb by default; tests give virtual ones. */
export interface DfuDeviceSource {
  /** The devices attached now with one of these VID:PIDs. */
  list(ids: UsbId[]): Promise<DfuUsbDevice[]>;
}

// ---- DFU numbers (DFU 1.1, AN3156) ----

const REQ = { DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, CLRSTATUS: 4, GETSTATE: 5, ABORT: 6 } as const;
const STATE = {
  IDLE: 2,
  DNLOAD_SYNC: 3,
  DNBUSY: 4,
  DNLOAD_IDLE: 5,
  MANIFEST_SYNC: 6,
  MANIFEST: 7,
  MANIFEST_WAIT_RESET: 8,
  UPLOAD_IDLE: 9,
  ERROR: 10,
} as const;
const STATE_NAMES = [
  'appIDLE', 'appDETACH', 'dfuIDLE', 'dfuDNLOAD-SYNC', 'dfuDNBUSY', 'dfuDNLOAD-IDLE', 'dfuMANIFEST-SYNC', 'dfuMANIFEST',
  'dfuMANIFEST-WAIT-RESET', 'dfuUPLOAD-IDLE', 'dfuERROR',
];
const STATUS_NAMES = [
  'OK', 'errTARGET', 'errFILE', 'errWRITE', 'errERASE', 'errCHECK_ERASED', 'errPROG', 'errVERIFY', 'errADDRESS', 'errNOTDONE',
  'errFIRMWARE', 'errVENDOR', 'errUSBR', 'errPOR', 'errUNKNOWN', 'errSTALLEDPKT',
];
const STATUS_MEANING: Record<number, string> = {
  1: 'the device refused the address or command (outside what it may write)',
  3: 'the device cannot write there (the flash is not erased)',
  4: 'the erase failed',
  5: 'the erased sector does not read back erased',
  6: 'programming failed',
  7: 'the programmed data reads back different',
  8: 'the address is out of range',
  15: 'the device stalled a request',
};
export const dfuStateName = (s: number) => STATE_NAMES[s] ?? `state ${s}`;
export const dfuStatusName = (s: number) => STATUS_NAMES[s] ?? `status ${s}`;

const DFUSE_SET_ADDRESS = 0x21;
const DFUSE_ERASE = 0x41;
/** firmware/usb/usb_probe.h: USB_PROBE_VENDOR_DFU, host-to-device, recipient device, no data. */
export const USB_PROBE_VENDOR_DFU = 0x02;
export const ST_ROM_DFU: UsbId = { vid: 0x0483, pid: 0xdf11 };

// ---- errors ----

export type DfuPhase = 'image' | 'find' | 'reboot' | 'open' | 'check' | 'erase' | 'download' | 'verify' | 'leave';

/** What an install had done when it stopped. */
export interface DfuInstallProgressState {
  phase: DfuPhase;
  /** The flash is still as it was: nothing was erased or written. */
  flashUnchanged: boolean;
  sectorsErased: number;
  bytesWritten: number;
  /** The address being worked on, if any. */
  address?: number;
  /** The device's state and status at the end, when it answered. */
  deviceState?: string;
  deviceStatus?: string;
}

export class DfuInstallError extends BmpError {
  readonly phase: DfuPhase;
  readonly flashUnchanged: boolean;
  readonly sectorsErased: number;
  readonly bytesWritten: number;
  readonly address?: number;
  readonly deviceState?: string;
  readonly deviceStatus?: string;

  constructor(code: BmpErrorCode, message: string, state: DfuInstallProgressState) {
    super(code, message);
    this.name = 'DfuInstallError';
    this.phase = state.phase;
    this.flashUnchanged = state.flashUnchanged;
    this.sectorsErased = state.sectorsErased;
    this.bytesWritten = state.bytesWritten;
    this.address = state.address;
    this.deviceState = state.deviceState;
    this.deviceStatus = state.deviceStatus;
  }
}

/** A DFU request the device refused, or answered with an error status. */
class DfuDeviceError extends Error {
  constructor(
    message: string,
    readonly code: BmpErrorCode,
    readonly deviceState?: number,
    readonly deviceStatus?: number,
  ) {
    super(message);
  }
}

// ---- the layout ----

/** One group of equal sectors from the alternate setting's string. */
export interface DfuseSegment {
  base: number;
  count: number;
  size: number;
  readable: boolean;
  erasable: boolean;
  writable: boolean;
}

export interface DfuseLayout {
  name: string;
  segments: DfuseSegment[];
}

/**
 * Parses DfuSe's memory layout string (UM0391): "@name/0xADDR/NN*SSSUt,NN*SSSUt[/0xADDR/...]"
 * with U one of ' ', 'K', 'M' (bytes, KiB, MiB) and t a letter 'a'..'g' whose bits (t - 'a' + 1)
 * are readable (1), erasable (2) and writable (4).
 */
export function parseDfuseLayout(text: string): DfuseLayout {
  const bad = (why: string) => new BmpError('EPROBE', `the DFU device's layout "${text}" ${why}`);
  if (!text.startsWith('@')) throw bad('does not start with "@"');
  const parts = text.slice(1).split('/');
  const name = parts[0].trim();
  if (parts.length < 3 || parts.length % 2 !== 1) throw bad('has no address and sectors');
  const segments: DfuseSegment[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const address = /^\s*0x([0-9a-f]+)\s*$/i.exec(parts[i]);
    if (!address) throw bad(`has "${parts[i]}" for an address`);
    let base = Number.parseInt(address[1], 16);
    for (const group of parts[i + 1].split(',')) {
      const m = /^\s*(\d+)\*(\d+)\s*([KMB ]?)([a-g])\s*$/.exec(group);
      if (!m) throw bad(`has "${group}" for sectors`);
      const unit = m[3] === 'K' ? 1024 : m[3] === 'M' ? 1024 * 1024 : 1;
      const bits = m[4].charCodeAt(0) - 0x60;
      const segment = {
        base,
        count: Number(m[1]),
        size: Number(m[2]) * unit,
        readable: (bits & 1) !== 0,
        erasable: (bits & 2) !== 0,
        writable: (bits & 4) !== 0,
      };
      if (!segment.count || !segment.size) throw bad(`has an empty group "${group}"`);
      segments.push(segment);
      base += segment.count * segment.size;
    }
  }
  return { name, segments };
}

/** The sectors of `layout` that overlap [start, end), in address order. */
function sectorsCovering(layout: DfuseLayout, start: number, end: number): (Region & { segment: DfuseSegment })[] {
  const out: (Region & { segment: DfuseSegment })[] = [];
  for (const segment of layout.segments) {
    for (let i = 0; i < segment.count; i++) {
      const base = segment.base + i * segment.size;
      if (base < end && base + segment.size > start) out.push({ base, size: segment.size, segment });
    }
  }
  return out;
}

// ---- the functional descriptor ----

export interface DfuFunctional {
  attributes: number;
  canDownload: boolean;
  canUpload: boolean;
  manifestationTolerant: boolean;
  willDetach: boolean;
  detachTimeoutMs: number;
  transferSize: number;
  dfuVersion: number;
}

export interface DfuInterface {
  interfaceNumber: number;
  alternate: number;
  stringIndex: number;
  functional: DfuFunctional;
}

/** Finds the DFU-mode interfaces (class 0xFE, subclass 1, protocol 2) and their functional
 * descriptor in a configuration descriptor's bytes. */
export function parseDfuConfiguration(bytes: Uint8Array): DfuInterface[] {
  const out: DfuInterface[] = [];
  let current: Omit<DfuInterface, 'functional'> | undefined;
  for (let at = 0; at + 2 <= bytes.length; ) {
    const length = bytes[at];
    const type = bytes[at + 1];
    if (length < 2 || at + length > bytes.length) break;
    if (type === 4 && length >= 9) {
      current =
        bytes[at + 5] === 0xfe && bytes[at + 6] === 0x01 && bytes[at + 7] === 0x02
          ? { interfaceNumber: bytes[at + 2], alternate: bytes[at + 3], stringIndex: bytes[at + 8] }
          : undefined;
    } else if (type === 0x21 && length >= 9 && current) {
      const attributes = bytes[at + 2];
      const word = (o: number) => bytes[at + o] | (bytes[at + o + 1] << 8);
      out.push({
        ...current,
        functional: {
          attributes,
          canDownload: (attributes & 1) !== 0,
          canUpload: (attributes & 2) !== 0,
          manifestationTolerant: (attributes & 4) !== 0,
          willDetach: (attributes & 8) !== 0,
          detachTimeoutMs: word(3),
          transferSize: word(5),
          dfuVersion: word(7),
        },
      });
      current = undefined;
    }
    at += length;
  }
  return out;
}

// ---- the protocol over one device ----

interface DfuStatusReply {
  status: number;
  pollMs: number;
  state: number;
}

const isGone = (error: unknown) =>
  /NO_DEVICE|NOT_FOUND|disconnect|No such device|gone|LIBUSB_ERROR_IO/i.test(String((error as Error)?.message ?? error));

/** DfuSe requests to the DFU interface of an open device. */
class DfuseLink {
  constructor(
    private readonly device: DfuUsbDevice,
    private readonly interfaceNumber: number,
    readonly transferSize: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  private setup(request: number, value: number): ControlSetup {
    return { requestType: 'class', recipient: 'interface', request, value, index: this.interfaceNumber };
  }

  private async out(request: number, value: number, data: Uint8Array | undefined, what: string): Promise<void> {
    const r = await this.device.controlTransferOut(this.setup(request, value), data?.slice().buffer);
    if (r.status !== 'ok') throw await this.stalled(what);
  }

  /** A stalled request, with the state and status the device gives for it when it still answers. */
  private async stalled(what: string): Promise<DfuDeviceError> {
    const s = await this.getStatus().catch(() => undefined);
    const said = s ? ` (it reports ${dfuStatusName(s.status)} in ${dfuStateName(s.state)})` : '';
    return new DfuDeviceError(`the device stalled ${what}${said}`, 'EPROBE', s?.state, s?.status);
  }

  async getStatus(): Promise<DfuStatusReply> {
    const r = await this.device.controlTransferIn(this.setup(REQ.GETSTATUS, 0), 6);
    if (r.status !== 'ok' || !r.data || r.data.byteLength < 6) throw new DfuDeviceError('the device stalled DFU_GETSTATUS', 'EPROBE');
    const d = r.data;
    return { status: d.getUint8(0), pollMs: d.getUint8(1) | (d.getUint8(2) << 8) | (d.getUint8(3) << 16), state: d.getUint8(4) };
  }

  /** Polls DFU_GETSTATUS, waiting bwPollTimeout after each answer, until the device is no longer
   * busy; an error status throws. Returns the final answer. */
  async settle(what: string): Promise<DfuStatusReply> {
    for (let polls = 0; ; polls++) {
      const s = await this.getStatus();
      if (s.pollMs) await this.sleep(s.pollMs);
      if (s.state === STATE.ERROR || s.status !== 0) {
        const meaning = STATUS_MEANING[s.status] ? `: ${STATUS_MEANING[s.status]}` : '';
        const code: BmpErrorCode = s.status === 7 ? 'EVERIFY' : s.status === 15 ? 'EPROBE' : 'EFLASH';
        throw new DfuDeviceError(`${what} failed with ${dfuStatusName(s.status)} (${dfuStateName(s.state)})${meaning}`, code, s.state, s.status);
      }
      if (s.state !== STATE.DNBUSY && s.state !== STATE.DNLOAD_SYNC) return s;
      if (polls > 10000) throw new DfuDeviceError(`${what}: the device stays busy`, 'ETIMEDOUT', s.state, s.status);
    }
  }

  /** Brings the device to dfuIDLE from wherever an earlier session left it. */
  async toIdle(): Promise<void> {
    let s = await this.getStatus();
    if (s.state === STATE.ERROR) {
      await this.out(REQ.CLRSTATUS, 0, undefined, 'DFU_CLRSTATUS');
      s = await this.getStatus();
    }
    if (s.state === STATE.DNLOAD_IDLE || s.state === STATE.UPLOAD_IDLE || s.state === STATE.DNLOAD_SYNC || s.state === STATE.MANIFEST_SYNC) {
      await this.out(REQ.ABORT, 0, undefined, 'DFU_ABORT');
      s = await this.getStatus();
    }
    if (s.state !== STATE.IDLE) {
      throw new DfuDeviceError(`the device is in ${dfuStateName(s.state)} (${dfuStatusName(s.status)}) and does not return to dfuIDLE`, 'EPROBE', s.state, s.status);
    }
  }

  async abort(): Promise<void> {
    await this.out(REQ.ABORT, 0, undefined, 'DFU_ABORT');
  }

  /** A DfuSe command on block 0, then its status until done. */
  async command(code: number, address: number, what: string): Promise<void> {
    const data = new Uint8Array([code, address & 0xff, (address >>> 8) & 0xff, (address >>> 16) & 0xff, address >>> 24]);
    await this.out(REQ.DNLOAD, 0, data, what);
    await this.settle(what);
  }

  async download(block: number, data: Uint8Array, what: string): Promise<void> {
    await this.out(REQ.DNLOAD, block, data, what);
    await this.settle(what);
  }

  async upload(block: number, length: number): Promise<Uint8Array> {
    const r = await this.device.controlTransferIn(this.setup(REQ.UPLOAD, block), length);
    if (r.status !== 'ok' || !r.data) throw await this.stalled(`DFU_UPLOAD (block ${block})`);
    return new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength).slice();
  }

  /** The zero-length download that ends it, and the status that starts manifestation. */
  async leave(): Promise<DfuStatusReply> {
    await this.out(REQ.DNLOAD, 0, undefined, 'the zero-length DFU_DNLOAD (leave)');
    return this.getStatus();
  }
}

// ---- finding devices ----

/** node-usb as the default device source (the optional package `usb`). */
export const nodeUsbSource: DfuDeviceSource = {
  async list(ids) {
    let usb: typeof import('usb');
    try {
      usb = await import('usb');
    } catch (error) {
      throw new BmpError('ENOPROBE', `installing over USB needs the optional package "usb" (${(error as Error).message}); install it with "npm install usb"`);
    }
    const found: DfuUsbDevice[] = [];
    const unopened: string[] = [];
    for (const device of usb.getDeviceList()) {
      const d = device.deviceDescriptor;
      if (!ids.some((id) => id.vid === d.idVendor && id.pid === d.idProduct)) continue;
      try {
        found.push(await usb.WebUSBDevice.createInstance(device));
      } catch (error) {
        unopened.push((error as Error).message);
      }
    }
    if (!found.length && unopened.length) {
      throw new BmpError('ENOPROBE', `${unopened.length} matching USB device(s) could not be opened (${unopened[0]}); on Linux, give your user access to them (a udev rule)`);
    }
    return found;
  },
};

const idText = (id: UsbId) => `${id.vid.toString(16).padStart(4, '0')}:${id.pid.toString(16).padStart(4, '0')}`;
const deviceText = (d: DfuUsbDevice) => idText({ vid: d.vendorId, pid: d.productId });

// ---- the installer ----

export interface DfuProgress {
  phase: DfuPhase | 'done';
  /** Bytes (download, verify), sectors (erase) or 0/1 for the other phases. */
  done: number;
  total: number;
  address?: number;
  message: string;
}

export interface DfuInstallOptions {
  /** The board: its name (boards/<name>.json) or its description. */
  board: string | DfuBoard;
  /** The image: a file name, or the file's bytes (with `name` or `format` to say what it is). */
  image: string | Uint8Array;
  name?: string;
  format?: FirmwareFormat;
  /** A device to install into (else one is looked for with `source`). */
  device?: DfuUsbDevice;
  /** Where devices are looked for (default: node-usb). */
  source?: DfuDeviceSource;
  /** Accept ST's ROM bootloader (0483:df11) where the board reaches it (default true). */
  allowStRom?: boolean;
  /** Only a device with this serial number. */
  serial?: string;
  /** How long to wait for the DFU device after asking the probe to reboot (default 10 s). */
  rebootTimeoutMs?: number;
  /** Read back and compare (default true). */
  verify?: boolean;
  /** Leave DFU mode at the end (default true). */
  leave?: boolean;
  onProgress?: (progress: DfuProgress) => void;
  /** Waits `ms` milliseconds (the device's bwPollTimeout; tests pass a virtual clock's). */
  sleep?: (ms: number) => Promise<void>;
}

export interface DfuInstallResult {
  board: string;
  device: UsbId & { serial?: string; layout: string; transferSize: number; receiver: 'own' | 'st-rom' | 'other' };
  address: number;
  bytes: number;
  sha256: string;
  sectorsErased: number;
  verified: boolean;
  left: boolean;
}

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
const overlaps = (a: Region, b: Region) => a.base < b.base + b.size && b.base < a.base + a.size;
const inside = (a: Region, outer: Region) => a.base >= outer.base && a.base + a.size <= outer.base + outer.size;

/** Reads and checks the image against the board, before any device is touched. */
export function checkImageForBoard(
  board: DfuBoard,
  file: Uint8Array,
  options: { name?: string; format?: FirmwareFormat } = {},
): FirmwareImage {
  const refuse = (why: string) =>
    new DfuInstallError('EIMAGE', `${options.name ?? 'the image'} is not for ${board.name}: ${why}. Nothing was erased.`, {
      phase: 'image',
      flashUnchanged: true,
      sectorsErased: 0,
      bytesWritten: 0,
    });
  let image: FirmwareImage;
  try {
    image = loadFirmwareImage(file, { name: options.name, format: options.format, base: board.app.base, alternate: board.dfu.alternate });
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const range = { base: image.address, size: image.data.length };
  if (image.usb && (image.usb.vid !== board.dfu.vid || image.usb.pid !== board.dfu.pid)) {
    throw refuse(`its DFU suffix names ${idText(image.usb)}, the board's DFU device is ${idText(board.dfu)}`);
  }
  if (board.bootloader && overlaps(range, board.bootloader)) {
    throw refuse(`it covers ${hex32(range.base)}-${hex32(range.base + range.size - 1)}, which overlaps the bootloader at ${hex32(board.bootloader.base)}-${hex32(board.bootloader.base + board.bootloader.size - 1)}`);
  }
  if (image.address !== board.app.base) {
    throw refuse(`it starts at ${hex32(image.address)}, the application's base is ${hex32(board.app.base)}`);
  }
  if (image.data.length > board.app.size) {
    throw refuse(`it is ${image.data.length} bytes, the application region holds ${board.app.size}`);
  }
  const trailer = readTrailer(image.data);
  if (!trailer) throw refuse('it has no image trailer (not built by this project, or cut short)');
  if (trailer.boardTag !== board.tag) throw refuse(`its trailer names another board (tag ${hex32(trailer.boardTag)}, ${board.name}'s is ${hex32(board.tag)})`);
  if (!trailer.crcMatches) throw refuse('its trailer CRC does not match (the file is damaged)');
  if (trailer.offset + 16 !== image.data.length) throw refuse('the trailer is not its last 16 bytes');
  return image;
}

/** Installs `options.image` into the board's DFU device (see the module's description). */
export async function installDfu(options: DfuInstallOptions): Promise<DfuInstallResult> {
  const board = typeof options.board === 'string' ? loadDfuBoard(options.board) : options.board;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const progress = (p: DfuProgress) => options.onProgress?.(p);
  const state: DfuInstallProgressState = { phase: 'image', flashUnchanged: true, sectorsErased: 0, bytesWritten: 0 };
  const fail = (code: BmpErrorCode, message: string, extra: Partial<DfuInstallProgressState> = {}) =>
    new DfuInstallError(code, message, { ...state, ...extra });

  // 1. The image.
  const name = options.name ?? (typeof options.image === 'string' ? basename(options.image) : undefined);
  const file = typeof options.image === 'string' ? readFileSync(options.image) : options.image;
  const image = checkImageForBoard(board, new Uint8Array(file), { name, format: options.format });
  const sha256 = createHash('sha256').update(image.data).digest('hex');
  const range = { base: image.address, size: image.data.length };
  progress({ phase: 'image', done: 1, total: 1, message: `${image.data.length} bytes for ${board.name} at ${hex32(image.address)}` });

  // 2. The device.
  state.phase = 'find';
  const receivers: UsbId[] = [board.dfu];
  if (board.stRom && options.allowStRom !== false && !receivers.some((r) => r.vid === board.stRom!.vid && r.pid === board.stRom!.pid)) {
    receivers.push(board.stRom);
  }
  const device = options.device ?? (await findDevice(board, receivers, options, sleep, progress, (phase) => (state.phase = phase), fail));
  state.phase = 'open';
  const receiver: 'own' | 'st-rom' | 'other' =
    device.vendorId === board.dfu.vid && device.productId === board.dfu.pid ? board.dfu.receiver
      : board.stRom && device.vendorId === board.stRom.vid && device.productId === board.stRom.pid ? 'st-rom'
        : 'other';
  let link: DfuseLink;
  let layout: DfuseLayout;
  let layoutText: string;
  let functional: DfuFunctional;
  try {
    if (!device.opened) await device.open();
    if (!device.configuration) await device.selectConfiguration(1);
    const config = await readConfiguration(device);
    const dfu = parseDfuConfiguration(config).filter((i) => i.alternate === board.dfu.alternate);
    if (!dfu.length) throw fail('EPROBE', `${deviceText(device)} has no DFU-mode interface with alternate setting ${board.dfu.alternate}`);
    const intf = dfu[0];
    functional = intf.functional;
    await device.claimInterface(intf.interfaceNumber);
    await device.selectAlternateInterface(intf.interfaceNumber, intf.alternate);
    layoutText = await readString(device, intf.stringIndex);
    layout = parseDfuseLayout(layoutText);
    if (functional.dfuVersion !== 0x011a) throw fail('EPROBE', `${deviceText(device)} speaks DFU ${functional.dfuVersion.toString(16)}, not DfuSe (11a)`);
    if (!functional.canDownload || !functional.canUpload) throw fail('EPROBE', `${deviceText(device)} cannot both download and upload`);
    if (functional.transferSize < 64) throw fail('EPROBE', `${deviceText(device)} gives a transfer size of ${functional.transferSize}`);
    link = new DfuseLink(device, intf.interfaceNumber, functional.transferSize, sleep);
  } catch (error) {
    await closeQuietly(device);
    if (error instanceof DfuInstallError) throw error;
    throw fail(isGone(error) ? 'ENOPROBE' : 'EPROBE', `cannot open the DFU device ${deviceText(device)}: ${(error as Error).message}. Nothing was erased.`);
  }

  // The layout against the board, before anything is erased.
  state.phase = 'check';
  const sectors = sectorsCovering(layout, range.base, range.base + range.size);
  const covered = sectors.reduce((end, s) => (s.base <= end ? Math.max(end, s.base + s.size) : end), range.base);
  const refuseLayout = (why: string) => {
    void closeQuietly(device);
    return fail('EIMAGE', `the DFU device ${deviceText(device)} (layout "${layoutText}") ${why}. Nothing was erased.`);
  };
  if (covered < range.base + range.size) throw refuseLayout(`has no flash for all of ${hex32(range.base)}-${hex32(range.base + range.size - 1)}`);
  const bad = sectors.find((s) => !s.segment.erasable || !s.segment.writable || !s.segment.readable);
  if (bad) throw refuseLayout(`does not let ${hex32(bad.base)} be erased, written and read`);
  const outside = sectors.find((s) => !inside(s, board.app) || (board.bootloader && overlaps(s, board.bootloader)));
  if (outside) throw refuseLayout(`would erase the sector ${hex32(outside.base)}-${hex32(outside.base + outside.size - 1)}, outside ${board.name}'s application region`);

  const described = (error: unknown): DfuInstallError => {
    if (error instanceof DfuInstallError) return error;
    const d = error instanceof DfuDeviceError ? error : undefined;
    const gone = !d && isGone(error);
    const what = gone ? `the device went away (${(error as Error).message})` : (error as Error).message;
    const done = state.flashUnchanged
      ? 'Nothing was erased: the flash is as it was.'
      : `${state.sectorsErased} sector(s) erased, ${state.bytesWritten} of ${range.size} bytes written: the application is incomplete, and the bootloader stays in DFU mode (the image's CRC does not match) until an install completes. Run the install again.`;
    return new DfuInstallError(d?.code ?? (gone ? 'ENOPROBE' : 'EPROBE'), `DFU install ${state.phase === 'verify' ? 'verification' : state.phase} stopped${state.address !== undefined ? ` at ${hex32(state.address)}` : ''}: ${what}. ${done}`, {
      ...state,
      deviceState: d?.deviceState !== undefined ? dfuStateName(d.deviceState) : undefined,
      deviceStatus: d?.deviceStatus !== undefined ? dfuStatusName(d.deviceStatus) : undefined,
    });
  };

  let verified = false;
  let left = false;
  try {
    await link.toIdle();

    // 3. Erase exactly the sectors the image covers.
    state.phase = 'erase';
    for (const [i, s] of sectors.entries()) {
      state.address = s.base;
      progress({ phase: 'erase', done: i, total: sectors.length, address: s.base, message: `erasing ${s.size / 1024} KiB at ${hex32(s.base)}` });
      state.flashUnchanged = false;
      await link.command(DFUSE_ERASE, s.base, `erasing the sector at ${hex32(s.base)}`);
      state.sectorsErased++;
    }
    progress({ phase: 'erase', done: sectors.length, total: sectors.length, message: `${sectors.length} sector(s) erased` });

    // Download in wTransferSize blocks from the address pointer.
    state.phase = 'download';
    const size = link.transferSize;
    let pointer = range.base;
    state.address = pointer;
    await link.command(DFUSE_SET_ADDRESS, pointer, `setting the address pointer to ${hex32(pointer)}`);
    for (let offset = 0; offset < range.size; offset += size) {
      let block = 2 + (range.base + offset - pointer) / size;
      if (block > 0xffff) {
        pointer = range.base + offset;
        await link.command(DFUSE_SET_ADDRESS, pointer, `setting the address pointer to ${hex32(pointer)}`);
        block = 2;
      }
      state.address = range.base + offset;
      const chunk = image.data.subarray(offset, Math.min(offset + size, range.size));
      await link.download(block, chunk, `writing ${chunk.length} bytes at ${hex32(state.address)}`);
      state.bytesWritten += chunk.length;
      progress({ phase: 'download', done: state.bytesWritten, total: range.size, address: state.address, message: `written ${state.bytesWritten} of ${range.size} bytes` });
    }
    await link.abort();

    // Read back and compare.
    if (options.verify !== false) {
      state.phase = 'verify';
      state.address = range.base;
      await link.command(DFUSE_SET_ADDRESS, range.base, `setting the address pointer to ${hex32(range.base)}`);
      await link.abort();
      const back = new Uint8Array(range.size);
      for (let offset = 0, block = 2; offset < range.size; offset += size, block++) {
        state.address = range.base + offset;
        const length = Math.min(size, range.size - offset);
        const data = await link.upload(block, length);
        if (data.length !== length) throw new DfuDeviceError(`DFU_UPLOAD at ${hex32(state.address)} gave ${data.length} bytes, not ${length}`, 'EVERIFY');
        back.set(data, offset);
        progress({ phase: 'verify', done: offset + length, total: range.size, address: state.address, message: `read back ${offset + length} of ${range.size} bytes` });
      }
      await link.abort();
      const got = createHash('sha256').update(back).digest('hex');
      if (got !== sha256) {
        const at = back.findIndex((b, i) => b !== image.data[i]);
        state.address = range.base + at;
        throw new DfuDeviceError(`the flash reads back different from the image (sha256 ${got}, the image's ${sha256}), first at ${hex32(range.base + at)}`, 'EVERIFY');
      }
      verified = true;
    }

    // Leave DFU mode: the bootloader resets into the application it now checks.
    if (options.leave !== false) {
      state.phase = 'leave';
      state.address = range.base;
      progress({ phase: 'leave', done: 0, total: 1, message: 'leaving DFU mode' });
      await link.command(DFUSE_SET_ADDRESS, range.base, `setting the address pointer to ${hex32(range.base)}`);
      try {
        const s = await link.leave();
        if (s.pollMs) await sleep(s.pollMs);
        if (s.state === STATE.ERROR) throw new DfuDeviceError(`leaving DFU mode failed with ${dfuStatusName(s.status)}`, 'EPROBE', s.state, s.status);
        if (functional.manifestationTolerant) {
          // It stays in DFU mode after manifestation: a USB reset starts the application.
          await link.settle('manifestation');
          await device.reset().catch(() => undefined);
        }
      } catch (error) {
        // A device that leaves at once may vanish before answering: the image is verified.
        if (!isGone(error)) throw error;
      }
      left = true;
    }
  } catch (error) {
    await closeQuietly(device);
    throw described(error);
  }
  await closeQuietly(device);
  progress({ phase: 'done', done: 1, total: 1, message: `${range.size} bytes installed at ${hex32(range.base)}${verified ? ', verified' : ''}` });
  return {
    board: board.name,
    device: { vid: device.vendorId, pid: device.productId, serial: device.serialNumber ?? undefined, layout: layoutText, transferSize: link.transferSize, receiver },
    address: range.base,
    bytes: range.size,
    sha256,
    sectorsErased: state.sectorsErased,
    verified,
    left,
  };
}

async function closeQuietly(device: DfuUsbDevice): Promise<void> {
  try {
    if (device.opened) await device.close();
  } catch {
    /* gone already */
  }
}

async function readDescriptor(device: DfuUsbDevice, type: number, index: number, length: number): Promise<Uint8Array> {
  const r = await device.controlTransferIn(
    { requestType: 'standard', recipient: 'device', request: 6, value: (type << 8) | index, index: type === 3 && index ? 0x0409 : 0 },
    length,
  );
  if (r.status !== 'ok' || !r.data) throw new Error(`GET_DESCRIPTOR(${type}, ${index}) stalled`);
  return new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
}

async function readConfiguration(device: DfuUsbDevice): Promise<Uint8Array> {
  const head = await readDescriptor(device, 2, 0, 9);
  const total = head[2] | (head[3] << 8);
  return readDescriptor(device, 2, 0, total);
}

async function readString(device: DfuUsbDevice, index: number): Promise<string> {
  if (!index) throw new Error('the DFU interface has no string: no layout');
  const d = await readDescriptor(device, 3, index, 255);
  let s = '';
  for (let i = 2; i + 1 < Math.min(d.length, d[0]); i += 2) s += String.fromCharCode(d[i] | (d[i + 1] << 8));
  return s;
}

/** The board's DFU device: there already, or after asking the probe to reboot into it. */
async function findDevice(
  board: DfuBoard,
  receivers: UsbId[],
  options: DfuInstallOptions,
  sleep: (ms: number) => Promise<void>,
  progress: (p: DfuProgress) => void,
  setPhase: (phase: DfuPhase) => void,
  fail: (code: BmpErrorCode, message: string) => DfuInstallError,
): Promise<DfuUsbDevice> {
  const source = options.source ?? nodeUsbSource;
  const pick = (devices: DfuUsbDevice[]) => devices.filter((d) => options.serial === undefined || d.serialNumber === options.serial);
  progress({ phase: 'find', done: 0, total: 1, message: `looking for ${receivers.map(idText).join(' or ')}` });
  let found = pick(await source.list(receivers));
  if (found.length > 1) throw fail('EAMBIGUOUS', `${found.length} DFU devices for ${board.name} are attached: choose one by its serial number. Nothing was erased.`);
  if (found.length === 1) return found[0];

  // The probe itself, running this project's firmware: ask it to reboot into its bootloader.
  const probes = pick(await source.list([board.probe])).filter((d) => !d.productName || d.productName === board.probe.product);
  if (probes.length > 1) throw fail('EAMBIGUOUS', `${probes.length} ${board.title} probes are attached: choose one by its serial number. Nothing was erased.`);
  if (probes.length === 0 || board.dfu.receiver !== 'own') {
    const how = board.dfu.receiver === 'own' ? `, nor a ${board.title} running this firmware to reboot into it` : '';
    throw fail('ENOPROBE', `no DFU device for ${board.name} (${receivers.map(idText).join(' or ')}) is attached${how}. To enter DFU mode: ${board.dfuEntry}. Nothing was erased.`);
  }
  setPhase('reboot');
  const probe = probes[0];
  progress({ phase: 'reboot', done: 0, total: 1, message: `asking the ${board.title} (${deviceText(probe)}) to reboot into its bootloader` });
  try {
    if (!probe.opened) await probe.open();
    await probe.controlTransferOut({ requestType: 'vendor', recipient: 'device', request: USB_PROBE_VENDOR_DFU, value: 0, index: 0 });
  } catch (error) {
    if (!isGone(error)) throw fail('EPROBE', `the probe did not take the request to enter DFU mode: ${(error as Error).message}. Nothing was erased.`);
  }
  await closeQuietly(probe);
  const timeout = options.rebootTimeoutMs ?? 10_000;
  const serial = probe.serialNumber ?? undefined;
  for (let waited = 0; waited <= timeout; waited += 250) {
    found = pick(await source.list(receivers)).filter((d) => serial === undefined || !d.serialNumber || d.serialNumber === serial);
    if (found.length) {
      progress({ phase: 'reboot', done: 1, total: 1, message: `${deviceText(found[0])} is there` });
      return found[0];
    }
    await sleep(250);
  }
  throw fail('ETIMEDOUT', `the ${board.title} was asked to reboot into its bootloader, but no DFU device (${receivers.map(idText).join(' or ')}) appeared within ${timeout} ms. Nothing was erased.`);
}

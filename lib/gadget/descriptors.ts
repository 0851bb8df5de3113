/**
 * What `bmp-gdbserver gadget` writes to the kernel: the FunctionFS descriptor and string blocks
 * (the layouts of include/uapi/linux/usb/functionfs.h) of the CMSIS-DAP v1 HID interface, with
 * the firmware's report descriptor (firmware/usb/usb_probe_desc.c), and of the CMSIS-DAP v2
 * vendor interface; and the HID class requests the v1 interface answers on ep0.
 */

/** CMSIS-DAP v1: a 64-byte input report and a 64-byte output report, no report IDs, vendor page. */
export const HID_REPORT_SIZE = 64;

export function hidReportDescriptor(size = HID_REPORT_SIZE): Buffer {
  return Buffer.from([
    0x06, 0x00, 0xff, // Usage Page (vendor 0xFF00)
    0x09, 0x01, // Usage 1
    0xa1, 0x01, // Collection (Application)
    0x15, 0x00, //   Logical Minimum 0
    0x26, 0xff, 0x00, //   Logical Maximum 255
    0x75, 0x08, //   Report Size 8 bits
    0x95, size, //   Report Count
    0x09, 0x01, //   Usage 1
    0x81, 0x02, //   Input (Data, Variable, Absolute)
    0x95, size, //   Report Count
    0x09, 0x01, //   Usage 1
    0x91, 0x02, //   Output (Data, Variable, Absolute)
    0xc0, // End Collection
  ]);
}

const FUNCTIONFS_DESCRIPTORS_MAGIC_V2 = 3;
const FUNCTIONFS_STRINGS_MAGIC = 2;
const FUNCTIONFS_HAS_FS_DESC = 1;
const FUNCTIONFS_HAS_HS_DESC = 2;
const FUNCTIONFS_HAS_MS_OS_DESC = 8;

const USB_DT_INTERFACE = 4;
const USB_DT_ENDPOINT = 5;
const USB_DT_HID = 0x21;
const USB_DT_HID_REPORT = 0x22;
const USB_CLASS_HID = 3;
const USB_CLASS_VENDOR_SPEC = 0xff;
const USB_ENDPOINT_XFER_BULK = 2;
const USB_ENDPOINT_XFER_INT = 3;

/** bInterfaceNumber 0 is the function's own numbering; the composite driver renumbers it. */
function interfaceDescriptor(interfaceClass: number): Buffer {
  return Buffer.from([9, USB_DT_INTERFACE, 0, 0, 2, interfaceClass, 0, 0, 1 /* iInterface: string 1 */]);
}

function endpoint(address: number, type: number, maxPacket: number, interval: number): Buffer {
  const d = Buffer.from([7, USB_DT_ENDPOINT, address, type, 0, 0, interval]);
  d.writeUInt16LE(maxPacket, 4);
  return d;
}

/** The HID class descriptor (HID 1.11, 6.2.1): one report descriptor of the given length. */
export function hidClassDescriptor(reportLength = hidReportDescriptor().length): Buffer {
  const d = Buffer.from([9, USB_DT_HID, 0x11, 0x01, 0 /* country */, 1, USB_DT_HID_REPORT, 0, 0]);
  d.writeUInt16LE(reportLength, 7);
  return d;
}

/**
 * MS OS 1.0 extended compat ID descriptor for the interface (WINUSB), as FunctionFS takes it:
 * struct usb_os_desc_header (interface, dwLength, bcdVersion, wIndex 4, bCount) then one
 * struct usb_ext_compat_desc. FunctionFS has no way to serve MS OS 2.0 (a BOS platform
 * capability): the kernel's composite driver answers the 0xEE string and the 1.0 requests.
 */
function msOsCompatId(): Buffer {
  const compat = Buffer.alloc(24);
  compat[0] = 0; // bFirstInterfaceNumber (function-relative)
  compat[1] = 1; // Reserved1: must be 1
  compat.write('WINUSB', 2, 'latin1');
  const header = Buffer.alloc(1 + 4 + 2 + 2 + 2);
  header[0] = 0; // interface
  header.writeUInt32LE(header.length + compat.length, 1);
  // bcdVersion: FunctionFS (up to Linux 6.8) takes only 1 here; later kernels take 0x0100 too
  // and 1 still, with a warning.
  header.writeUInt16LE(1, 5);
  header.writeUInt16LE(4, 7); // wIndex: extended compat ID
  header[9] = 1; // bCount
  return Buffer.concat([header, compat]);
}

/** A FunctionFS descriptor block (v2 magic): full-speed and high-speed lists, MS OS descriptors. */
function descriptorBlock(fs: Buffer[], hs: Buffer[], os: Buffer[]): Buffer {
  const counts = Buffer.alloc(os.length ? 12 : 8);
  counts.writeUInt32LE(fs.length, 0);
  counts.writeUInt32LE(hs.length, 4);
  if (os.length) counts.writeUInt32LE(os.length, 8);
  const body = Buffer.concat([counts, ...fs, ...hs, ...os]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(FUNCTIONFS_DESCRIPTORS_MAGIC_V2, 0);
  head.writeUInt32LE(head.length + body.length, 4);
  head.writeUInt32LE(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | (os.length ? FUNCTIONFS_HAS_MS_OS_DESC : 0), 8);
  return Buffer.concat([head, body]);
}

/**
 * The CMSIS-DAP v2 interface's block: one vendor-specific interface with bulk OUT (ep1 file) then
 * bulk IN (ep2 file), 64 bytes at full speed and 512 at high speed, and the MS OS 1.0 compat ID.
 */
export function functionFsDescriptors(): Buffer {
  const speed = (maxPacket: number) => [
    interfaceDescriptor(USB_CLASS_VENDOR_SPEC),
    endpoint(0x01, USB_ENDPOINT_XFER_BULK, maxPacket, 0),
    endpoint(0x82, USB_ENDPOINT_XFER_BULK, maxPacket, 0),
  ];
  return descriptorBlock(speed(64), speed(512), [msOsCompatId()]);
}

/**
 * The CMSIS-DAP v1 interface's block, as the firmware's: a HID interface (no subclass, no boot
 * protocol), its HID class descriptor, interrupt IN (ep1 file) then interrupt OUT (ep2 file) of
 * 64 bytes, polled every frame (bInterval 1: 1 ms at full speed, 125 us at high speed). Served
 * through FunctionFS rather than the kernel's hid function: the report descriptor is answered
 * from user space, and every report is exactly one packet.
 */
export function functionFsHidDescriptors(): Buffer {
  const list = () => [
    interfaceDescriptor(USB_CLASS_HID),
    hidClassDescriptor(),
    endpoint(0x81, USB_ENDPOINT_XFER_INT, HID_REPORT_SIZE, 1),
    endpoint(0x02, USB_ENDPOINT_XFER_INT, HID_REPORT_SIZE, 1),
  ];
  return descriptorBlock(list(), list(), []);
}

/** The string block written second to ep0: string 1 (en-US) is the interface's name. */
export function functionFsStrings(interfaceName: string): Buffer {
  const text = Buffer.from(interfaceName + '\0', 'utf8');
  const block = Buffer.alloc(16 + 2 + text.length);
  block.writeUInt32LE(FUNCTIONFS_STRINGS_MAGIC, 0);
  block.writeUInt32LE(block.length, 4);
  block.writeUInt32LE(1, 8); // str_count
  block.writeUInt32LE(1, 12); // lang_count
  block.writeUInt16LE(0x0409, 16);
  text.copy(block, 18);
  return block;
}

/** FunctionFS ep0 events (struct usb_functionfs_event: 8 bytes of setup, then the type). */
export const FFS_EVENT_SIZE = 12;
export const FfsEvent = { BIND: 0, UNBIND: 1, ENABLE: 2, DISABLE: 3, SETUP: 4, SUSPEND: 5, RESUME: 6 } as const;

/** USB setup packet fields as FunctionFS passes them (wIndex made function-relative). */
export interface SetupPacket {
  requestType: number;
  request: number;
  value: number;
  index: number;
  length: number;
}

export function parseSetup(event: Buffer, at = 0): SetupPacket {
  return {
    requestType: event[at],
    request: event[at + 1],
    value: event.readUInt16LE(at + 2),
    index: event.readUInt16LE(at + 4),
    length: event.readUInt16LE(at + 6),
  };
}

/** What a control request gets: IN data (cut to wLength), an acknowledged OUT status, or a stall. */
export type SetupAnswer = { data: Buffer } | 'ack' | 'stall';

const HID_REQ_GET_REPORT = 0x01;
const HID_REQ_GET_IDLE = 0x02;
const HID_REQ_SET_IDLE = 0x0a;
const HID_REPORT_INPUT = 1;
const USB_REQ_GET_DESCRIPTOR = 6;

/** What the v1 interface keeps between requests: the idle rate SET_IDLE gave (GET_IDLE returns it). */
export interface HidState {
  idle: number;
}

/**
 * The control requests of the CMSIS-DAP v1 HID interface, as the firmware answers them
 * (firmware/usb/usb_probe.c): GET_DESCRIPTOR for its report and HID descriptors (standard, to the
 * interface); GET_REPORT of the input report (64 zero bytes: responses travel on the interrupt
 * IN endpoint); GET_IDLE and SET_IDLE (the rate is kept; a report is sent only when there is a
 * response anyway). SET_REPORT and the protocol requests stall: requests come on the interrupt
 * OUT endpoint, and there is no boot protocol.
 */
export function hidSetup(setup: SetupPacket, state: HidState): SetupAnswer {
  const dirIn = (setup.requestType & 0x80) !== 0;
  if (setup.requestType === 0x81 && setup.request === USB_REQ_GET_DESCRIPTOR) {
    const type = setup.value >> 8;
    const data = type === USB_DT_HID_REPORT ? hidReportDescriptor() : type === USB_DT_HID ? hidClassDescriptor() : undefined;
    return data ? { data: data.subarray(0, setup.length) } : 'stall';
  }
  if ((setup.requestType & 0x7f) !== 0x21) return 'stall'; // class requests to the interface only
  switch (setup.request) {
    case HID_REQ_GET_REPORT:
      return dirIn && setup.value >> 8 === HID_REPORT_INPUT ? { data: Buffer.alloc(Math.min(HID_REPORT_SIZE, setup.length)) } : 'stall';
    case HID_REQ_GET_IDLE:
      return dirIn ? { data: Buffer.from([state.idle]).subarray(0, setup.length) } : 'stall';
    case HID_REQ_SET_IDLE:
      if (dirIn || setup.length !== 0) return 'stall';
      state.idle = setup.value >> 8;
      return 'ack';
    default:
      return 'stall';
  }
}

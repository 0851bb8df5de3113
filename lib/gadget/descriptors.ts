/**
 * What `bmp-gdbserver gadget` writes to the kernel: the CMSIS-DAP v1 HID report descriptor (as
 * the probe firmware's, firmware/usb/usb_probe_desc.c) and the FunctionFS descriptor and string
 * blocks of the CMSIS-DAP v2 interface (the layouts of include/uapi/linux/usb/functionfs.h).
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
const USB_CLASS_VENDOR_SPEC = 0xff;
const USB_ENDPOINT_XFER_BULK = 2;

function interfaceDescriptor(): Buffer {
  // bInterfaceNumber 0 is the function's own numbering; the composite driver renumbers it.
  return Buffer.from([9, USB_DT_INTERFACE, 0, 0, 2, USB_CLASS_VENDOR_SPEC, 0, 0, 1 /* iInterface: string 1 */]);
}

function bulkEndpoint(address: number, maxPacket: number): Buffer {
  const d = Buffer.from([7, USB_DT_ENDPOINT, address, USB_ENDPOINT_XFER_BULK, 0, 0, 0]);
  d.writeUInt16LE(maxPacket, 4);
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

/**
 * The descriptor block written first to ep0 of a FunctionFS mount: one vendor-specific interface
 * with bulk OUT (ep1 file) then bulk IN (ep2 file), 64 bytes at full speed and 512 at high speed,
 * and the MS OS 1.0 compat ID.
 */
export function functionFsDescriptors(): Buffer {
  const speed = (maxPacket: number) => Buffer.concat([interfaceDescriptor(), bulkEndpoint(0x01, maxPacket), bulkEndpoint(0x82, maxPacket)]);
  const os = msOsCompatId();
  const counts = Buffer.alloc(12);
  counts.writeUInt32LE(3, 0); // fs_count
  counts.writeUInt32LE(3, 4); // hs_count
  counts.writeUInt32LE(1, 8); // os_count
  const body = Buffer.concat([counts, speed(64), speed(512), os]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(FUNCTIONFS_DESCRIPTORS_MAGIC_V2, 0);
  head.writeUInt32LE(head.length + body.length, 4);
  head.writeUInt32LE(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_MS_OS_DESC, 8);
  return Buffer.concat([head, body]);
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

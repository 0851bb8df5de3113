/**
 * A USB gadget through the kernel's configfs (/sys/kernel/config/usb_gadget, Documentation/usb/
 * gadget_configfs.rst): the probe firmware's composite shape — CDC-ACM for GDB, and two FunctionFS
 * functions: the HID interface of CMSIS-DAP v1 and the vendor interface of CMSIS-DAP v2 — with its
 * teardown. (The kernel's own hid function is not used: it follows each full report with a
 * zero-length packet, which clients reading the endpoint raw, as pyOCD does, take for a report.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BmpError } from '../errors.js';

export const CONFIGFS_GADGETS = '/sys/kernel/config/usb_gadget';
export const UDC_CLASS = '/sys/class/udc';
export const GADGET_NAME = 'bmp-gdbserver';

export interface GadgetIdentity {
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  serial: string;
}

/** The USB device controllers this machine has (names for --udc). */
export function listUdcs(dir = UDC_CLASS): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Why a gadget cannot be made here (a BmpError with a hint), or undefined. */
export function gadgetUnavailable(udc: string | undefined, root = CONFIGFS_GADGETS): BmpError | undefined {
  if (process.platform !== 'linux') return new BmpError('ENOTSUP', 'bmp-gdbserver gadget needs Linux (configfs USB gadgets)');
  if (!existsSync(root)) {
    return new BmpError(
      'ENOTSUP',
      `no ${root}: load libcomposite and mount configfs (modprobe libcomposite; mount -t configfs none /sys/kernel/config); the kernel needs CONFIG_USB_CONFIGFS`,
    );
  }
  const udcs = listUdcs();
  if (!udcs.length) {
    return new BmpError('ENOTSUP', 'no USB device controller in /sys/class/udc: enable the board\'s device port (e.g. dtoverlay=dwc2 on a Raspberry Pi), or modprobe dummy_hcd to try it');
  }
  if (udc !== undefined && !udcs.includes(udc)) return new BmpError('ENOPROBE', `no USB device controller '${udc}' (there is: ${udcs.join(', ')})`);
  return undefined;
}

function permission(error: unknown, what: string): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    throw new BmpError('EACCES', `${what}: permission denied: configfs gadgets need root (run with sudo)`);
  }
  if (code === 'ENOENT' && /functions/.test(what)) {
    throw new BmpError('ENOTSUP', `${what}: the kernel lacks this gadget function (CONFIG_USB_CONFIGFS_ACM, _F_FS; modprobe usb_f_acm usb_f_fs)`);
  }
  throw new BmpError('EINTERNAL', `${what}: ${(error as Error).message}`);
}

/** A gadget made in configfs; `destroy` undoes every step that was done, in reverse. */
export class ConfigfsGadget {
  readonly dir: string;
  /** The FunctionFS mounts of the CMSIS-DAP v1 (HID) and v2 (bulk) interfaces. */
  readonly ffsMounts: { hid: string; bulk: string };
  private readonly undo: (() => void)[] = [];
  private udcName?: string;

  private constructor(root: string) {
    this.dir = join(root, GADGET_NAME);
    this.ffsMounts = { hid: mkdtempSync(join(tmpdir(), 'bmp-ffs-hid-')), bulk: mkdtempSync(join(tmpdir(), 'bmp-ffs-bulk-')) };
    this.undo.push(() => rmdirSync(this.ffsMounts.hid), () => rmdirSync(this.ffsMounts.bulk));
  }

  /**
   * Makes the gadget's directories, functions and configuration and mounts FunctionFS; the UDC is
   * bound later (`bind`), once both FunctionFS functions have their descriptors.
   */
  static create(identity: GadgetIdentity, root = CONFIGFS_GADGETS): ConfigfsGadget {
    const g = new ConfigfsGadget(root);
    try {
      g.build(identity);
    } catch (error) {
      g.destroy();
      throw error;
    }
    return g;
  }

  private mkdir(path: string): void {
    try {
      mkdirSync(path);
    } catch (error) {
      permission(error, path);
    }
    this.undo.push(() => rmdirSync(path));
  }

  private write(path: string, value: string | Buffer): void {
    try {
      writeFileSync(path, value);
    } catch (error) {
      permission(error, path);
    }
  }

  private link(target: string, path: string): void {
    try {
      symlinkSync(target, path);
    } catch (error) {
      permission(error, path);
    }
    this.undo.push(() => unlinkSync(path));
  }

  private build(id: GadgetIdentity): void {
    const d = this.dir;
    if (existsSync(d)) {
      const bound = readFileSync(join(d, 'UDC'), 'utf8').trim();
      throw new BmpError('EBUSY', `a gadget ${d} exists already${bound ? ` (bound to ${bound})` : ''}: another bmp-gdbserver gadget runs, or one was killed (remove it, or reboot)`);
    }
    this.mkdir(d);
    const hex = (n: number) => '0x' + n.toString(16).padStart(4, '0');
    this.write(join(d, 'idVendor'), hex(id.vendorId));
    this.write(join(d, 'idProduct'), hex(id.productId));
    this.write(join(d, 'bcdDevice'), '0x0100');
    this.write(join(d, 'bcdUSB'), '0x0200');
    // Interface association descriptors group the CDC interfaces, as in the firmware.
    this.write(join(d, 'bDeviceClass'), '0xef');
    this.write(join(d, 'bDeviceSubClass'), '0x02');
    this.write(join(d, 'bDeviceProtocol'), '0x01');
    this.mkdir(join(d, 'strings', '0x409'));
    this.write(join(d, 'strings', '0x409', 'manufacturer'), id.manufacturer);
    this.write(join(d, 'strings', '0x409', 'product'), id.product);
    this.write(join(d, 'strings', '0x409', 'serialnumber'), id.serial);

    const config = join(d, 'configs', 'c.1');
    this.mkdir(config);
    this.write(join(config, 'MaxPower'), '500');
    this.write(join(config, 'bmAttributes'), '0x80');
    this.mkdir(join(config, 'strings', '0x409'));
    this.write(join(config, 'strings', '0x409', 'configuration'), 'CMSIS-DAP, GDB');

    // Functions, in the firmware's interface order: GDB (CDC-ACM), CMSIS-DAP v1, CMSIS-DAP v2.
    const acm = join(d, 'functions', 'acm.gdb');
    this.mkdir(acm);
    const hid = join(d, 'functions', 'ffs.bmphid');
    this.mkdir(hid);
    const ffs = join(d, 'functions', 'ffs.bmpdap');
    this.mkdir(ffs);

    // MS OS descriptors (1.0: what the kernel's composite driver offers) for WinUSB.
    this.write(join(d, 'os_desc', 'use'), '1');
    this.write(join(d, 'os_desc', 'b_vendor_code'), '0xcd');
    this.write(join(d, 'os_desc', 'qw_sign'), 'MSFT100');
    this.link(config, join(d, 'os_desc', 'c.1'));

    for (const f of [acm, hid, ffs]) this.link(f, join(config, f.split('/').pop()!));

    for (const [instance, mount] of [['bmphid', this.ffsMounts.hid], ['bmpdap', this.ffsMounts.bulk]]) {
      try {
        execFileSync('mount', ['-t', 'functionfs', instance, mount], { stdio: 'pipe' });
      } catch (error) {
        throw new BmpError('EACCES', `cannot mount FunctionFS on ${mount}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
      }
      this.undo.push(() => {
        try {
          execFileSync('umount', [mount], { stdio: 'pipe' });
        } catch {
          // A file of it still open (a read the kernel never woke): detach the mount now; the
          // instance goes when the file closes, at the latest as the process exits.
          execFileSync('umount', ['-l', mount], { stdio: 'pipe' });
        }
      });
    }
  }

  /** The tty of the GDB CDC-ACM function (/dev/ttyGS<n>). */
  get gdbTty(): string {
    return `/dev/ttyGS${readFileSync(join(this.dir, 'functions', 'acm.gdb', 'port_num'), 'utf8').trim()}`;
  }

  bind(udc: string): void {
    this.write(join(this.dir, 'UDC'), udc);
    this.udcName = udc;
  }

  unbind(): void {
    if (this.udcName === undefined) return;
    try {
      writeFileSync(join(this.dir, 'UDC'), '\n');
    } catch {
      // already unbound (by someone else)
    }
    this.udcName = undefined;
  }

  /** The UDC the gadget is bound to now ('' when unbound). */
  boundTo(): string {
    try {
      return readFileSync(join(this.dir, 'UDC'), 'utf8').trim();
    } catch {
      return '';
    }
  }

  /** Unbinds and removes everything made, in reverse; never throws (reports what stays). */
  destroy(): string[] {
    this.unbind();
    const left: string[] = [];
    while (this.undo.length) {
      const step = this.undo.pop()!;
      try {
        step();
      } catch (error) {
        left.push((error as Error).message);
      }
    }
    return left;
  }
}


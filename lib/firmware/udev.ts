/**
 * The udev rules that let a user without root reach the probes and DFU devices this package
 * talks to (`bmp-firmware --udev-rules`; shipped as udev/60-bmp-gdbserver.rules).
 *
 * udev matches devices by what the kernel reports when they appear: vendor and product IDs, the
 * subsystem. It cannot match "a HID or bulk interface whose string says CMSIS-DAP" (that string
 * is read by the host tools, not by udev), so every probe is named by its VID:PID: this
 * firmware's (from the boards' JSON) and a few well-known CMSIS-DAP probes. Another probe needs a
 * line of its own, in the same form.
 *
 * Each device gets TAG+="uaccess" (systemd-logind gives the user at the seat access; the file's
 * number sorts it before 73-seat-late.rules, which applies the tag) and MODE="0660",
 * GROUP="plugdev" for users who log in otherwise (add yourself to plugdev). Probes get the rule
 * on their USB device (libusb, the bulk interface), their hidraw nodes (node-hid) and their
 * CDC-ACM ports (the GDB server and the target's UART), which ModemManager is told to leave
 * alone; DFU devices only need the USB device.
 */
import { hex16, type Board } from './boards.js';

/** Well-known CMSIS-DAP probes besides this firmware (VID:PID as the probes report them). */
export const KNOWN_CMSIS_DAP_PROBES: { vid: number; pid: number; what: string }[] = [
  { vid: 0x0d28, pid: 0x0204, what: 'Arm DAPLink (mbed) CMSIS-DAP' },
  { vid: 0x2e8a, pid: 0x000c, what: 'Raspberry Pi Debug Probe (CMSIS-DAP)' },
];

/** ST's ROM bootloader in DFU mode, on every STM32 with USB DFU. */
export const ST_ROM_DFU = { vid: 0x0483, pid: 0xdf11 };

const ACCESS = 'MODE="0660", GROUP="plugdev", TAG+="uaccess"';

function usbMatch(vid: number, pid: number, parent: boolean): string {
  const attr = parent ? 'ATTRS' : 'ATTR';
  return `${attr}{idVendor}=="${hex16(vid)}", ${attr}{idProduct}=="${hex16(pid)}"`;
}

function probeRules(vid: number, pid: number, what: string): string[] {
  return [
    `# ${what}`,
    `SUBSYSTEM=="usb", ${usbMatch(vid, pid, false)}, ${ACCESS}`,
    `KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ${usbMatch(vid, pid, true)}, ${ACCESS}`,
    `SUBSYSTEM=="tty", ${usbMatch(vid, pid, true)}, ${ACCESS}, ENV{ID_MM_DEVICE_IGNORE}="1"`,
  ];
}

function dfuRules(vid: number, pid: number, what: string): string[] {
  return [`# ${what}`, `SUBSYSTEM=="usb", ${usbMatch(vid, pid, false)}, ${ACCESS}`];
}

/** The rules file for these boards. */
export function udevRules(boards: Board[]): string {
  const lines = [
    '# udev rules for bmp-gdbserver: CMSIS-DAP probes and DFU bootloaders without root.',
    '# Made by `bmp-firmware --udev-rules` from the boards it knows. Install with:',
    '#   bmp-firmware --udev-rules | sudo tee /etc/udev/rules.d/60-bmp-gdbserver.rules',
    '#   sudo udevadm control --reload-rules && sudo udevadm trigger',
    '# then unplug and plug the device in again. udev cannot match a CMSIS-DAP interface by its',
    '# name, so each probe is listed by VID:PID; add a line in the same form for another one.',
    '',
  ];
  const seen = new Set<string>();
  const once = (vid: number, pid: number, rules: () => string[]) => {
    const key = `${hex16(vid)}:${hex16(pid)}`;
    if (seen.has(key)) return;
    seen.add(key);
    lines.push(...rules(), '');
  };
  for (const board of boards) {
    const names = boards.filter((b) => b.usb.vid === board.usb.vid && b.usb.pid === board.usb.pid).map((b) => b.title);
    once(board.usb.vid, board.usb.pid, () => probeRules(board.usb.vid, board.usb.pid, `this firmware as a probe (${names.join(', ')}): CMSIS-DAP, GDB and UART`));
  }
  for (const board of boards) {
    if (board.bootloaderUsb) {
      const { vid, pid } = board.bootloaderUsb;
      const names = boards.filter((b) => b.bootloaderUsb?.vid === vid && b.bootloaderUsb?.pid === pid).map((b) => b.title);
      once(vid, pid, () => dfuRules(vid, pid, `this firmware's DfuSe bootloader (${names.join(', ')})`));
    }
    if (board.dfu.receiver !== 'own') {
      once(board.dfu.vid, board.dfu.pid, () => dfuRules(board.dfu.vid, board.dfu.pid, "ST's ROM bootloader in DFU mode"));
    }
  }
  once(ST_ROM_DFU.vid, ST_ROM_DFU.pid, () => dfuRules(ST_ROM_DFU.vid, ST_ROM_DFU.pid, "ST's ROM bootloader in DFU mode"));
  for (const p of KNOWN_CMSIS_DAP_PROBES) once(p.vid, p.pid, () => probeRules(p.vid, p.pid, p.what));
  return lines.join('\n');
}

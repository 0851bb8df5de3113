#!/usr/bin/env node
// Generates, from one board description (boards/<name>.json), the files through which its facts
// reach the firmware: board_config.h (macros the C includes), board.ld (the application's memory
// regions, then the shared sections.ld) and, for a board with a bootloader of our own,
// bootloader.ld (the bootloader's flash region, the same RAM). The build runs it; its output is
// never committed.
//
//   node firmware/board/gen-board.mjs boards/<name>.json <output directory>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadBoard, num, packageVersion, repoRoot } from './board-json.mjs';

const [file, outDir] = process.argv.slice(2);
if (!file || !outDir) {
  process.stderr.write('usage: gen-board.mjs boards/<name>.json <output directory>\n');
  process.exit(2);
}
const board = loadBoard(file);
const { json } = board;
const version = packageVersion();
const source = relative(repoRoot, board.file);

const hex = (n) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}u`;
const cString = (s) => JSON.stringify(String(s)); // ASCII strings: JSON's escapes are C's
const macroName = (key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

const lines = [];
const define = (name, value, comment) => lines.push(`#define ${name} ${value}${comment ? ` /* ${comment} */` : ''}`);
const blank = () => lines.push('');

define('BOARD_NAME', cString(board.name));
define('BOARD_TITLE', cString(json.title));
define('BOARD_VENDOR', cString(json.vendor));
define('BOARD_FIRMWARE_VERSION', cString(version));
define('BOARD_MCU', cString(json.mcu.part));
const family = json.mcu.family;
if (family === 'stm32f72x') define('BOARD_MCU_STM32F72X', 1);
else if (family === 'stm32h7') define('BOARD_MCU_STM32H7', 1);
else throw new Error(`${source}: no chip support for the family "${family}"`);
define('BOARD_UID_ADDRESS', hex(num(json.mcu.uniqueIdAddress, 'mcu.uniqueIdAddress')));
blank();

const c = json.clocks;
define('BOARD_HSE_HZ', `${num(c.hseHz, 'clocks.hseHz')}u`);
define('BOARD_HSE_BYPASS', c.hseMode === 'bypass' ? 1 : 0);
define('BOARD_SYSCLK_HZ', `${num(c.sysclkHz, 'clocks.sysclkHz')}u`);
define('BOARD_FLASH_WAIT_STATES', num(c.flashWaitStates, 'clocks.flashWaitStates'));
define('BOARD_AHB_DIV', num(c.ahbDivider, 'clocks.ahbDivider'));
const pll = (prefix, p) => {
  for (const k of ['m', 'n', 'p', 'q', 'r']) if (p[k] !== undefined) define(`${prefix}_${k.toUpperCase()}`, num(p[k], `${prefix}.${k}`));
};
if (family === 'stm32f72x') {
  define('BOARD_APB1_DIV', num(c.apb1Divider, 'clocks.apb1Divider'));
  define('BOARD_APB2_DIV', num(c.apb2Divider, 'clocks.apb2Divider'));
  define('BOARD_OVER_DRIVE', c.overDrive ? 1 : 0);
  pll('BOARD_PLL', c.pll);
} else {
  if (c.supply !== 'ldo') throw new Error(`${source}: only the LDO supply is supported`);
  define('BOARD_VOLTAGE_SCALE', num(c.voltageScale, 'clocks.voltageScale'));
  define('BOARD_APB_DIV', num(c.apbDivider, 'clocks.apbDivider'));
  define('BOARD_FLASH_PROGRAMMING_DELAY', num(c.flashProgrammingDelay, 'clocks.flashProgrammingDelay'));
  pll('BOARD_PLL1', c.pll1);
  pll('BOARD_PLL3', c.pll3);
  if (c.usbClock !== 'pll3q') throw new Error(`${source}: the USB clock must be pll3q`);
}
blank();

define('BOARD_FLASH_BASE', hex(board.flash.base));
define('BOARD_APP_BASE', hex(board.app.base));
define('BOARD_APP_SIZE', hex(board.app.size));
define('BOARD_RAM_BASE', hex(board.ramApp.base));
define('BOARD_RAM_SIZE', hex(board.ramApp.size));
define('BOARD_BOOT_REQUEST_ADDRESS', hex(board.bootRequest.address));
define('BOARD_BOOTLOADER_OWN', json.bootloader.kind === 'own' ? 1 : 0, 'a DfuSe bootloader of our own (else ST\'s ROM)');
define('BOARD_TAG', hex(board.tag), 'the image trailer\'s board tag: crc32_gdb of the name');
// The application region's sectors, as the bootloader's DFU region table (count, size, and the
// erase time its bwPollTimeout gives).
define('BOARD_APP_SECTOR_GROUPS', board.appSectors.length);
const eraseMs = (size) => Math.ceil((size / 1024) * board.timing.eraseMsPerKiB);
define('BOARD_APP_SECTORS', `{${board.appSectors.map((g) => `{${g.count}u, ${g.size}u, ${eraseMs(g.size)}u}`).join(', ')}}`);
define('BOARD_FLASH_ERASE_MS_PER_KIB', `${board.timing.eraseMsPerKiB}u`, 'bwPollTimeout for an erase');
define('BOARD_FLASH_PROGRAM_MS_PER_KIB', `${board.timing.programMsPerKiB}u`, 'bwPollTimeout for programming');
define('BOARD_FLASH_PROGRAM_UNIT', `${board.timing.programUnit}u`, 'bytes programmed at once');
if (board.bootloader) {
  define('BOARD_BOOTLOADER_BASE', hex(board.bootloader.base));
  define('BOARD_BOOTLOADER_SIZE', hex(board.bootloader.size));
}
if (board.bootloaderUsb) {
  define('BOARD_BOOTLOADER_USB_VID', `0x${board.bootloaderUsb.vid.toString(16).padStart(4, '0')}u`);
  define('BOARD_BOOTLOADER_USB_PID', `0x${board.bootloaderUsb.pid.toString(16).padStart(4, '0')}u`);
  define('BOARD_BOOTLOADER_PRODUCT', cString(`bmp-gdbserver DFU (${json.title})`));
  const button = json.bootloader.button;
  const pin = board.pins[button];
  if (!pin || pin.activeLevel === undefined) throw new Error(`${source}: bootloader.button must name a pin with an activeLevel`);
  define('BOARD_BOOTLOADER_BUTTON_PORT', pin.port, pin.name);
  define('BOARD_BOOTLOADER_BUTTON_PIN', pin.pin);
  define('BOARD_BOOTLOADER_BUTTON_LEVEL', num(pin.activeLevel, `pins.${button}.activeLevel`), 'the level that asks for DFU mode');
}
blank();

// Pins: BOARD_<KEY>_PORT (A = 0), BOARD_<KEY>_PIN, BOARD_HAS_<KEY>, and the levels the JSON gives.
for (const [key, pin] of Object.entries(board.pins)) {
  const m = macroName(key);
  define(`BOARD_HAS_${m}`, 1, pin.name);
  define(`BOARD_${m}_PORT`, pin.port);
  define(`BOARD_${m}_PIN`, pin.pin);
  for (const attr of ['af', 'activeLevel', 'assertLevel', 'idleLevel', 'activityLevel']) {
    if (pin[attr] !== undefined) define(`BOARD_${m}_${macroName(attr)}`, num(pin[attr], `pins.${key}.${attr}`));
  }
  if (pin.openDrain !== undefined) define(`BOARD_${m}_OPEN_DRAIN`, pin.openDrain ? 1 : 0);
  if (pin.kind !== undefined) define(`BOARD_${m}_BICOLOUR`, pin.kind === 'bicolour' ? 1 : 0);
}
blank();

const uart = json.uart;
if (!/^U(S)?ART[0-9]$/.test(uart.instance)) throw new Error(`${source}: uart.instance ${uart.instance}`);
define('BOARD_UART_INDEX', Number(uart.instance.slice(-1)), uart.instance);
for (const [role, key] of [['TX', uart.tx], ['RX', uart.rx]]) {
  const pin = board.pins[key];
  define(`BOARD_UART_${role}_PORT`, pin.port);
  define(`BOARD_UART_${role}_PIN`, pin.pin);
  define(`BOARD_UART_${role}_AF`, num(pin.af, `pins.${key}.af`));
}
blank();

const usb = json.usb;
define('BOARD_USB_BASE', hex(num(usb.base, 'usb.base')));
define('BOARD_USB_IRQ', num(usb.irq, 'usb.irq'));
define('BOARD_USB_HIGH_SPEED', usb.speed === 'high' ? 1 : 0);
define('BOARD_USB_PHY_INTERNAL_HS', usb.phy === 'internal-hs' ? 1 : 0);
if (usb.phyControllerBase) define('BOARD_USB_PHYC_BASE', hex(num(usb.phyControllerBase, 'usb.phyControllerBase')));
define('BOARD_USB_ENDPOINTS', num(usb.endpoints, 'usb.endpoints'), 'per direction, endpoint 0 included');
define('BOARD_USB_FIFO_BYTES', num(usb.fifoBytes, 'usb.fifoBytes'));
define('BOARD_USB_VBUS_SENSING', usb.vbusSensing ? 1 : 0);
const id = json.usbIdentity;
define('BOARD_USB_VID', `0x${num(id.vid, 'usbIdentity.vid').toString(16).padStart(4, '0')}u`);
define('BOARD_USB_PID', `0x${num(id.pid, 'usbIdentity.pid').toString(16).padStart(4, '0')}u`);
// bcdDevice from the package version: major.minor.patch -> 0xMMmp (minor and patch one digit each).
const [major, minor, patch] = version.split(/[.-]/).map(Number);
define('BOARD_USB_BCD_DEVICE', `0x${((major << 8) | (Math.min(minor, 9) << 4) | Math.min(patch, 9)).toString(16).padStart(4, '0')}u`);
define('BOARD_USB_MANUFACTURER', cString(id.manufacturer));
define('BOARD_USB_PRODUCT', cString(id.product));
if (!id.product.includes('CMSIS-DAP')) throw new Error(`${source}: the USB product string must contain "CMSIS-DAP"`);

const header = `/* Generated from ${source} by firmware/board/gen-board.mjs: do not edit. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

${lines.join('\n')}

#endif
`;

const k = (n) => (n % 1024 === 0 ? `${n / 1024}K` : String(n));
const linkerScript = (what, flash) => `/* Generated from ${source} by firmware/board/gen-board.mjs: do not edit.
 * The ${what}'s flash and the application's RAM as the board description gives them; the
 * sections are in firmware/board/sections.ld (found through -L). */
MEMORY
{
  FLASH (rx) : ORIGIN = ${hex(flash.base).slice(0, -1)}, LENGTH = ${k(flash.size)}
  RAM (rwx)  : ORIGIN = ${hex(board.ramApp.base).slice(0, -1)}, LENGTH = ${k(board.ramApp.size)}
}

__stack_reserve = ${board.stackSize};
__boot_request = ${hex(board.bootRequest.address).slice(0, -1)};
__board_tag = ${hex(board.tag).slice(0, -1)};

INCLUDE sections.ld
`;

mkdirSync(outDir, { recursive: true });
const write = (name, text) => {
  const path = join(outDir, name);
  let old = null;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* first time */
  }
  if (old !== text) writeFileSync(path, text); // unchanged files keep their time: no needless rebuild
};
write('board_config.h', header);
write('board.ld', linkerScript('application', board.app));
if (board.bootloaderUsb) write('bootloader.ld', linkerScript('bootloader', board.bootloader));

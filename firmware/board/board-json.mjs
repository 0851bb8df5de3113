// Reads a board description (boards/<name>.json) and checks the facts that the build, the image
// packaging and the installer rely on: addresses inside their memories, regions that do not
// overlap, pins that name a port and a pin. Used by gen-board.mjs (the C header and the linker
// script) and scripts/firmware-images.mjs (the images, the manifest and the size report).
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const boardsDir = join(repoRoot, 'boards');

/** A number written as a JSON number or as a "0x..." string. */
export function num(value, what) {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value)) return Number.parseInt(value.slice(2), 16);
  throw new Error(`${what}: expected a non-negative integer or a 0x... string, got ${JSON.stringify(value)}`);
}

/** CRC-32 as the image trailer uses it (native/core/flash/crc32.h: polynomial 0x04C11DB7, most
 * significant bit first, preset to ones, no final inversion). */
export function crc32Gdb(bytes, crc = 0xffffffff) {
  for (const byte of bytes) {
    crc = (crc ^ (byte << 24)) >>> 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc;
}

/** The board's tag in the image trailer: the CRC of its name (native/core/dfu/dfu_boot.h). */
export function boardTag(name) {
  return crc32Gdb(Buffer.from(name, 'latin1'));
}

/** "PH6" -> { port: 7, pin: 6 } (port A is 0). */
export function parsePin(text, what) {
  const m = /^P([A-K])([0-9]|1[0-5])$/.exec(text ?? '');
  if (!m) throw new Error(`${what}: expected a pin such as PA0..PK15, got ${JSON.stringify(text)}`);
  return { port: m[1].charCodeAt(0) - 65, pin: Number(m[2]), name: text };
}

export function packageVersion() {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
}

export function boardFiles() {
  return readdirSync(boardsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(boardsDir, f));
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** The board's JSON with the derived figures every consumer needs, checked. */
export function loadBoard(file) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const where = basename(file);
  check(json.name === basename(file, '.json'), `${where}: "name" must be the file's name`);
  const flash = { base: num(json.flash.base, `${where} flash.base`), size: num(json.flash.size, `${where} flash.size`) };
  const app = { base: num(json.flash.app.base, `${where} flash.app.base`), size: num(json.flash.app.size, `${where} flash.app.size`) };
  const ramApp = { base: num(json.ram.app.base, `${where} ram.app.base`), size: num(json.ram.app.size, `${where} ram.app.size`) };
  const bootloader = json.flash.bootloader
    ? { base: num(json.flash.bootloader.base, `${where} flash.bootloader.base`), size: num(json.flash.bootloader.size, `${where} flash.bootloader.size`) }
    : null;
  const bootRequest = { address: num(json.ram.bootRequest.address, `${where} ram.bootRequest.address`), size: num(json.ram.bootRequest.size, `${where} ram.bootRequest.size`) };
  const stackSize = num(json.ram.stackSize, `${where} ram.stackSize`);

  const inside = (r, outer) => r.base >= outer.base && r.base + r.size <= outer.base + outer.size;
  check(inside(app, flash), `${where}: the application's flash region is outside the flash`);
  if (bootloader) {
    check(inside(bootloader, flash), `${where}: the bootloader's region is outside the flash`);
    check(bootloader.base + bootloader.size <= app.base || app.base + app.size <= bootloader.base, `${where}: bootloader and application overlap`);
  }
  // The vector table's alignment (VTOR): 1 KiB covers the largest table of these parts.
  check(app.base % 1024 === 0, `${where}: the application's base must be 1 KiB aligned for VTOR`);
  // The erase unit: the application must start on a sector boundary so that it can be erased alone.
  const sectors = [];
  let at = flash.base;
  for (const group of json.flash.sectors) {
    for (let i = 0; i < group.count; i++) {
      const size = num(group.size, `${where} flash.sectors`);
      sectors.push({ base: at, size });
      at += size;
    }
  }
  check(at === flash.base + flash.size, `${where}: the sectors do not add up to the flash size`);
  const startsSector = (address) => sectors.some((s) => s.base === address) || address === at;
  check(startsSector(app.base), `${where}: the application does not start on a sector boundary`);
  check(startsSector(app.base + app.size), `${where}: the application does not end on a sector boundary`);
  if (bootloader) {
    check(startsSector(bootloader.base) && startsSector(bootloader.base + bootloader.size), `${where}: the bootloader's region is not whole sectors`);
  }
  // The application's sectors as groups of equal sizes (the DFU layout: count * size, in order).
  const appSectors = [];
  for (const s of sectors.filter((x) => x.base >= app.base && x.base < app.base + app.size)) {
    const last = appSectors[appSectors.length - 1];
    if (last && last.size === s.size) last.count++;
    else appSectors.push({ count: 1, size: s.size });
  }
  const regions = json.ram.regions.map((r) => ({ name: r.name, base: num(r.base, `${where} ram.regions`), size: num(r.size, `${where} ram.regions`) }));
  // The application's RAM may span regions that follow one another.
  let covered = ramApp.base;
  while (covered < ramApp.base + ramApp.size) {
    const r = regions.find((x) => covered >= x.base && covered < x.base + x.size);
    check(r, `${where}: the application's RAM at 0x${covered.toString(16)} is in no RAM region`);
    covered = r.base + r.size;
  }
  check(bootRequest.address >= ramApp.base + ramApp.size || bootRequest.address + bootRequest.size <= ramApp.base, `${where}: the boot request lies inside the application's RAM`);
  check(stackSize < ramApp.size && stackSize % 8 === 0, `${where}: ram.stackSize must be a multiple of 8 below the RAM size`);

  const pins = {};
  for (const [key, pin] of Object.entries(json.pins)) pins[key] = { ...pin, ...parsePin(pin.pin, `${where} pins.${key}`) };
  for (const key of ['swclk', 'swdio', 'nrst', 'led']) check(pins[key], `${where}: pins.${key} is required`);
  check(pins[json.uart.tx] && pins[json.uart.rx], `${where}: uart.tx and uart.rx must name pins`);

  const dfu = {
    receiver: json.dfu.receiver,
    vid: num(json.dfu.vid, `${where} dfu.vid`),
    pid: num(json.dfu.pid, `${where} dfu.pid`),
    alternate: num(json.dfu.alternate, `${where} dfu.alternate`),
    targetName: json.dfu.targetName,
  };
  check(dfu.targetName.length < 255, `${where}: dfu.targetName is too long`);
  check(['own', 'st-rom'].includes(dfu.receiver), `${where}: dfu.receiver must be "own" or "st-rom"`);
  if (dfu.receiver === 'own') check(bootloader && json.bootloader.kind === 'own', `${where}: an image for our bootloader needs flash.bootloader`);

  const t = json.flash.timing ?? {};
  const timing = {
    eraseMsPerKiB: num(t.eraseMsPerKiB, `${where} flash.timing.eraseMsPerKiB`),
    programMsPerKiB: num(t.programMsPerKiB, `${where} flash.timing.programMsPerKiB`),
    programUnit: num(t.programUnit, `${where} flash.timing.programUnit`),
  };
  check(timing.programUnit > 0 && (timing.programUnit & (timing.programUnit - 1)) === 0, `${where}: flash.timing.programUnit must be a power of two`);
  const bootloaderUsb = json.bootloader.kind === 'own'
    ? { vid: num(json.bootloader.usb.vid, `${where} bootloader.usb.vid`), pid: num(json.bootloader.usb.pid, `${where} bootloader.usb.pid`) }
    : null;

  return { json, name: json.name, file, flash, timing, app, appSectors, bootloader, bootloaderUsb, ramApp, bootRequest, stackSize, pins, dfu, tag: boardTag(json.name) };
}

/**
 * The probe boards (boards/<name>.json, the one place their facts are written) and the firmware
 * images this package carries (firmware/images/manifest.json, made by
 * scripts/firmware-images.mjs), as the installer needs them: the MCU a board must have, where
 * its images go, its USB identities; which image files there are, with their sizes and digests.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BmpError } from '../errors.js';

/** The package's root directory (compiled, this file is dist/lib/firmware/boards.js). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const boardsDir = join(packageRoot, 'boards');
export const imagesDir = join(packageRoot, 'firmware', 'images');

export interface Region {
  base: number;
  size: number;
}

export interface UsbId {
  vid: number;
  pid: number;
}

export interface Board {
  name: string;
  title: string;
  mcu: { part: string; family: string; devId: number };
  flash: Region;
  /** Where the application goes. */
  app: Region;
  /** The region of a bootloader of our own, or null (the H750: ST's ROM bootloader only). */
  bootloader: Region | null;
  /** The probe firmware's own USB identity (CMSIS-DAP, GDB and UART). */
  usb: UsbId;
  /** The DfuSe device that receives the board's .dfu: our bootloader, or ST's ROM (0483:df11). */
  dfu: UsbId & { receiver: string };
  /** Our bootloader's USB identity, when the board has one of ours. */
  bootloaderUsb?: UsbId;
  /** The option byte that starts the application while no bootloader of ours is installed. */
  bootAddress?: { optionByte: string; value: string };
  /** The board's warning for users (the STLINK-V3's RDP level 2), if any. */
  warning?: string;
}

/** A number written as a JSON number or as a "0x..." string (the boards' convention). */
export function num(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value)) return Number.parseInt(value.slice(2), 16);
  throw new BmpError('EINVAL', `${what}: expected a non-negative integer or a 0x... string, got ${JSON.stringify(value)}`);
}

export function region(value: { base: unknown; size: unknown }, what: string): Region {
  return { base: num(value.base, `${what}.base`), size: num(value.size, `${what}.size`) };
}

export function usbId(value: { vid: unknown; pid: unknown } | undefined, what: string): UsbId {
  if (!value) throw new BmpError('EINVAL', `${what}: missing`);
  return { vid: num(value.vid, `${what}.vid`), pid: num(value.pid, `${what}.pid`) };
}

/** Reads one board description (its name is the file's). */
export function readBoard(file: string): Board {
  const json = JSON.parse(readFileSync(file, 'utf8')) as any;
  const name = String(json.name);
  const bootloaderUsb = json.bootloader?.kind === 'own' && json.bootloader.usb ? usbId(json.bootloader.usb, `${name} bootloader.usb`) : undefined;
  return {
    name,
    title: String(json.title ?? name),
    mcu: { part: String(json.mcu.part), family: String(json.mcu.family), devId: num(json.mcu.devId, `${name} mcu.devId`) },
    flash: region(json.flash, `${name} flash`),
    app: region(json.flash.app, `${name} flash.app`),
    bootloader: json.flash.bootloader ? region(json.flash.bootloader, `${name} flash.bootloader`) : null,
    usb: usbId(json.usbIdentity, `${name} usbIdentity`),
    dfu: { ...usbId(json.dfu, `${name} dfu`), receiver: String(json.dfu.receiver) },
    ...(bootloaderUsb ? { bootloaderUsb } : {}),
    ...(json.bootloader?.bootAddress
      ? { bootAddress: { optionByte: String(json.bootloader.bootAddress.optionByte), value: String(json.bootloader.bootAddress.value) } }
      : {}),
    ...(typeof json.warning === 'string' ? { warning: json.warning } : {}),
  };
}

/** Every board, by name. */
export function listBoards(dir = boardsDir): Board[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readBoard(join(dir, f)));
}

/** One board by name; EINVAL naming the boards there are. */
export function findBoard(name: string, dir = boardsDir): Board {
  const boards = listBoards(dir);
  const board = boards.find((b) => b.name === name);
  if (!board) throw new BmpError('EINVAL', `no board named '${name}' (one of ${boards.map((b) => b.name).join(', ')})`);
  return board;
}

/** One image file the manifest lists. */
export interface ImageFile {
  kind: 'application' | 'bootloader';
  /** The file's name in the images directory, and its path. */
  name: string;
  path: string;
  /** Where its first byte goes in flash. */
  address: number;
  bytes: number;
  sha256: string;
}

export interface BundledImages {
  dir: string;
  /** The package version the images were built for. */
  version: string;
  boards: Map<string, ImageFile[]>;
}

interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
}

/**
 * The images in `dir` as its manifest.json lists them, or undefined when there is no manifest
 * (a clone where `npm run firmware` has not run). Per board: the application's .bin at the
 * application's base (`files.bin`, `app.base`) and, when the manifest has one, the bootloader's
 * .bin at the bootloader's base (`bootloaderImage.files.bin`, `bootloaderImage.base`).
 */
export function readImages(dir = imagesDir): BundledImages | undefined {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as any;
  const boards = new Map<string, ImageFile[]>();
  for (const entry of manifest.boards ?? []) {
    const images: ImageFile[] = [];
    const add = (kind: ImageFile['kind'], f: ManifestFile | undefined, base: unknown) => {
      if (!f) return;
      images.push({ kind, name: f.name, path: join(dir, f.name), address: num(base, `${entry.board} ${kind} base`), bytes: f.bytes, sha256: f.sha256 });
    };
    add('bootloader', entry.bootloaderImage?.files?.bin, entry.bootloaderImage?.base);
    add('application', entry.files?.bin, entry.app?.base);
    boards.set(String(entry.board), images);
  }
  return { dir, version: String(manifest.version ?? ''), boards };
}

/** An image file's bytes, checked against the manifest's size and sha256 (EIMAGE if they differ). */
export function readImageFile(image: ImageFile): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(image.path);
  } catch (error) {
    throw new BmpError('EIMAGE', `cannot read ${image.path}: ${(error as Error).message}`);
  }
  const digest = createHash('sha256').update(data).digest('hex');
  if (data.length !== image.bytes || digest !== image.sha256) {
    throw new BmpError('EIMAGE', `${image.path} is not the file its manifest describes (${data.length} bytes, sha256 ${digest})`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function hex16(n: number): string {
  return (n >>> 0).toString(16).padStart(4, '0');
}

/**
 * What the DFU installer needs to know about a probe board, read from its description
 * (boards/<name>.json, shipped with the package): the flash and its sectors, the application's
 * and the bootloader's regions, the RAM, the USB identities (the probe's application, the DFU
 * device that receives its images, ST's ROM bootloader when the board can reach it), and the
 * board's tag in the image trailer.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { BmpError } from '../errors.js';
import { boardsDir, imagesDir, num, region, usbId, type Region, type UsbId } from './boards.js';
import { boardTag } from './dfuse-file.js';

export type { Region, UsbId };

/** What the board's bootloader reports as bwPollTimeout, and the bytes it programs at once. */
export interface FlashTiming {
  eraseMsPerKiB: number;
  programMsPerKiB: number;
  programUnit: number;
}

export interface DfuBoard {
  name: string;
  title: string;
  family: string;
  flash: Region & { sectors: Region[]; timing: FlashTiming };
  app: Region;
  /** Our bootloader's region (null: the board has none and uses ST's ROM). */
  bootloader: Region | null;
  /** The application's RAM. */
  ram: Region;
  bootRequest: number;
  /** The probe's own USB identity while it runs this project's firmware. */
  probe: UsbId & { product: string };
  /** The DFU device that receives the board's .dfu: "own" (our bootloader) or "st-rom". */
  dfu: UsbId & { receiver: 'own' | 'st-rom'; alternate: number; targetName: string };
  /** ST's ROM bootloader, when it can be reached on the board's USB connector. */
  stRom: UsbId | null;
  /** How the board enters its DFU bootloader, in words (for messages). */
  dfuEntry: string;
  /** The image trailer's board tag. */
  tag: number;
}

/** A board by name (boards/<name>.json in the package) or by the path of its JSON file. */
export function loadDfuBoard(board: string): DfuBoard {
  const file = board.endsWith('.json') ? board : join(boardsDir, `${board}.json`);
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BmpError('EINVAL', `no board description for "${board}" (${(error as Error).message})`);
  }
  const where = basename(file);
  const flashBase = num(json.flash.base, `${where} flash.base`);
  const sectors: Region[] = [];
  let at = flashBase;
  for (const group of json.flash.sectors) {
    for (let i = 0; i < group.count; i++) {
      const size = num(group.size, `${where} flash.sectors`);
      sectors.push({ base: at, size });
      at += size;
    }
  }
  const entry = (json.bootloader.entry ?? []) as { how: string; detail: string }[];
  const stRom = json.bootloader.stRomDfu?.reachable ? usbId(json.bootloader.stRomDfu.usb, `${where} bootloader.stRomDfu.usb`) : null;
  return {
    name: json.name,
    title: json.title,
    family: json.mcu.family,
    flash: {
      base: flashBase,
      size: num(json.flash.size, `${where} flash.size`),
      sectors,
      timing: {
        eraseMsPerKiB: num(json.flash.timing?.eraseMsPerKiB, `${where} flash.timing.eraseMsPerKiB`),
        programMsPerKiB: num(json.flash.timing?.programMsPerKiB, `${where} flash.timing.programMsPerKiB`),
        programUnit: num(json.flash.timing?.programUnit, `${where} flash.timing.programUnit`),
      },
    },
    app: region(json.flash.app, `${where} flash.app`),
    bootloader: json.flash.bootloader ? region(json.flash.bootloader, `${where} flash.bootloader`) : null,
    ram: region(json.ram.app, `${where} ram.app`),
    bootRequest: num(json.ram.bootRequest.address, `${where} ram.bootRequest.address`),
    probe: { ...usbId(json.usbIdentity, `${where} usbIdentity`), product: json.usbIdentity.product },
    dfu: {
      ...usbId(json.dfu, `${where} dfu`),
      receiver: json.dfu.receiver,
      alternate: num(json.dfu.alternate, `${where} dfu.alternate`),
      targetName: json.dfu.targetName,
    },
    stRom,
    dfuEntry: entry.map((e) => e.detail).join('; '),
    tag: boardTag(json.name),
  };
}

/** The board's image shipped in the package (firmware/images/<board>.<kind>). */
export function boardImagePath(board: string, kind: 'dfu' | 'bin' = 'dfu'): string {
  return join(imagesDir, `${board}.${kind}`);
}

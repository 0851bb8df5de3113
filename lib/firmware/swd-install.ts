/**
 * Installing a board's firmware over SWD with this package's own target layer: any CMSIS-DAP
 * probe, or the simulator. The order is the safe one:
 *
 *   1. find the core and identify the part (DBGMCU IDCODE, the flash-size register); a part that
 *      is not the board's MCU is refused before anything is written;
 *   2. read the read-out protection: level 2 is refused (it is permanent); level 1 is removed
 *      only when `confirm` says yes, since the part then mass-erases its flash (the F4/F7 take
 *      the new level at a reset, which follows);
 *   3. write the bootloader image (when there is one) and the application at their addresses,
 *      each verified as it is programmed (the on-target CRC), then read back and compared;
 *   4. reset the part and let it run.
 */
import { BmpError } from '../errors.js';
import type { ImageSegment } from '../image.js';
import type { Probe, ScanResult, Target } from '../target.js';
import { hex32, sha256, type Board } from './boards.js';

export interface InstallImage {
  kind: 'bootloader' | 'application';
  /** Where it came from (a file name), for messages. */
  source: string;
  segments: ImageSegment[];
}

export type InstallEvent =
  | { type: 'step'; message: string }
  | { type: 'progress'; image: InstallImage['kind']; done: number; total: number };

export interface SwdInstallOptions {
  probe: Probe;
  board: Board;
  images: InstallImage[];
  /** Asked at read-out protection level 1: may it be removed, erasing the whole chip? */
  confirm: (question: string) => Promise<boolean>;
  onEvent?: (event: InstallEvent) => void;
}

export interface InstallReport {
  board: string;
  target: { part: string; devId: string; flashKiB: number; dpidr: string; core: string };
  readProtection: { level: 0 | 1 | 2; rdp?: number; removed: boolean };
  images: { kind: InstallImage['kind']; source: string; address: string; bytes: number; sha256: string; verified: boolean }[];
  seconds: number;
}

/** What read-out protection level 2 means, for a refusal at level 2 and after a silent scan. */
export const LEVEL2_REASON =
  'level 2 is permanent: the part has disabled its debug port for good, and no tool can ever erase or ' +
  'reprogram it (ST\'s own ST-LINK firmware from V36 on sets it on STLINK-V3 boards)';

function refused(message: string): BmpError {
  return new BmpError('EREFUSED', message);
}

function kib(bytes: number): number {
  return Math.round(bytes / 1024);
}

/** The part's flash size from its memory map (the flash-size register), in bytes. */
async function flashBytes(target: Target): Promise<number> {
  return (await target.memoryMap()).filter((r) => r.type === 'flash').reduce((n, r) => n + r.length, 0);
}

/** Checks that every image lies in its region of the board (the application's, the bootloader's). */
export function checkImagesFit(board: Board, images: InstallImage[]): void {
  for (const image of images) {
    const region = image.kind === 'application' ? board.app : board.bootloader;
    if (!region) throw new BmpError('EIMAGE', `${board.name} has no region for a bootloader of ours`);
    for (const s of image.segments) {
      if (s.address < region.base || s.address + s.data.length > region.base + region.size) {
        throw new BmpError(
          'EIMAGE',
          `${image.source}: data at ${hex32(s.address)}-${hex32(s.address + s.data.length - 1)} lies outside ${board.name}'s ` +
            `${image.kind} region (${hex32(region.base)}, ${kib(region.size)} KiB)`,
        );
      }
    }
  }
}

export async function installOverSwd(options: SwdInstallOptions): Promise<InstallReport> {
  const { probe, board, images } = options;
  const started = Date.now();
  const step = (message: string) => options.onEvent?.({ type: 'step', message });
  checkImagesFit(board, images);

  // 1. The part.
  step('Looking for the target on SWD');
  let scan: ScanResult[];
  try {
    scan = await probe.swdScan();
  } catch (error) {
    if ((error as BmpError).code !== 'ENOTARGET') throw error;
    scan = [];
  }
  if (!scan.length) {
    throw new BmpError(
      'ENOTARGET',
      'no Cortex-M core answered on SWD. Check the wiring (SWDIO, SWCLK, GND), the target\'s power and that nothing ' +
        `holds it in reset. A part at read-out protection level 2 does not answer either: ${LEVEL2_REASON}.`,
    );
  }
  const found = scan[0];
  const target = await probe.attach(found.index);
  const part = await target.partName();
  const devId = found.idcode & 0xfff;
  const flash = await flashBytes(target);
  const want = `${board.mcu.part} (DEV_ID 0x${board.mcu.devId.toString(16)}, ${kib(board.flash.size)} KiB of flash)`;
  step(`Found ${part} (DEV_ID 0x${devId.toString(16)}, ${kib(flash)} KiB of flash, ${found.core}); ${board.title} has ${want}`);
  if (devId !== board.mcu.devId) {
    const what = devId ? `${part} (DEV_ID 0x${devId.toString(16)})` : 'a part that gives no DEV_ID';
    throw refused(`the target is ${what}, not ${board.title}'s ${want}: nothing was written`);
  }
  if (flash !== board.flash.size) {
    throw refused(`the target's flash is ${kib(flash)} KiB, but ${board.title}'s ${want}: this is another member of the family; nothing was written`);
  }

  // 2. Read-out protection.
  const before = await target.readProtection();
  const rdpText = before.rdp === undefined ? '' : ` (RDP byte 0x${before.rdp.toString(16).toUpperCase()})`;
  step(`Read-out protection: level ${before.level}${rdpText}`);
  let removed = false;
  if (before.level === 2) throw refused(`the target's read-out protection is at level 2${rdpText}: ${LEVEL2_REASON}. Nothing was written.`);
  if (before.level === 1) {
    const question =
      `The target's read-out protection is at level 1${rdpText}: its flash is closed to debuggers. Removing it makes ` +
      'the part MASS-ERASE ITS WHOLE FLASH (whatever it holds now is lost, by design of the protection). Remove it?';
    if (!(await options.confirm(question))) {
      throw refused(
        `the target's read-out protection is at level 1${rdpText}; removing it erases the whole chip, and that was not ` +
          'confirmed (run again with --yes, or answer yes). Nothing was changed.',
      );
    }
    step('Removing read-out protection: the part mass-erases its flash (this takes seconds)');
    await target.removeReadProtection();
    await target.reset({ halt: true }); // an F4/F7 loads the new level at reset
    const after = await target.readProtection();
    if (after.level !== 0) {
      throw new BmpError(
        'EPROTECTED',
        `read-out protection is still at level ${after.level} after its removal and a reset: power the board off and on, then run again (the flash has been erased)`,
      );
    }
    removed = true;
    step('Read-out protection: level 0 (the flash was erased)');
  }

  // 3. The images.
  const report: InstallReport['images'] = [];
  for (const image of images) {
    const bytes = image.segments.reduce((n, s) => n + s.data.length, 0);
    const first = image.segments[0].address;
    step(`Writing the ${image.kind} (${image.source}, ${bytes} bytes) at ${hex32(first)}`);
    await target.flash(image.segments, {
      verify: true,
      progress: (done, total) => options.onEvent?.({ type: 'progress', image: image.kind, done, total }),
    });
    for (const s of image.segments) {
      const back = await target.readMemory(s.address, s.data.length);
      if (Buffer.compare(Buffer.from(back), Buffer.from(s.data)) !== 0) {
        throw new BmpError('EVERIFY', `the ${image.kind} read back from ${hex32(s.address)} differs from ${image.source}`);
      }
    }
    const whole = image.segments.length === 1 ? image.segments[0].data : Buffer.concat(image.segments.map((s) => s.data));
    report.push({ kind: image.kind, source: image.source, address: hex32(first), bytes, sha256: sha256(whole), verified: true });
    step(`Verified the ${image.kind}: read back and equal`);
  }

  // 4. Run it.
  await target.reset();
  await target.detach();
  step('Target reset and running');
  return {
    board: board.name,
    target: { part, devId: `0x${devId.toString(16)}`, flashKiB: kib(flash), dpidr: hex32(found.dpidr), core: found.core },
    readProtection: { level: before.level, ...(before.rdp !== undefined ? { rdp: before.rdp } : {}), removed },
    images: report,
    seconds: (Date.now() - started) / 1000,
  };
}

#!/usr/bin/env node
/**
 * bmp-firmware: the probe boards and their firmware images, and installing them.
 *
 *   bmp-firmware list [--json]                       boards and the images in the package
 *   bmp-firmware install --board <name> --swd [...]  over SWD, through a CMSIS-DAP probe
 *   bmp-firmware install --board <name>              over USB DFU (lib/firmware/dfu-install.ts)
 *   bmp-firmware --udev-rules                        udev rules for the probes and DFU devices
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';

import { BmpError } from '../errors.js';
import { findBoard, hex16, hex32, imagesDir, listBoards, readImageFile, readImages, type Board } from '../firmware/boards.js';
import { installOverSwd, type InstallEvent, type InstallImage, type InstallReport } from '../firmware/swd-install.js';
import { udevRules } from '../firmware/udev.js';
import { loadImage } from '../image.js';
import { Sim, type SimProfileName } from '../sim.js';
import { loadSimStateFile, saveSimStateFile } from '../sim-state.js';
import { openProbe, type Probe } from '../target.js';
import { openTransport } from '../transports/enumerate.js';
import { DfuInstallError, installDfu } from '../firmware/dfu-install.js';
import { runCli, usageErrors, UsageError } from './common.js';

const PROFILES = Sim.profiles().map((p) => p.name);

const USAGE = `Usage: bmp-firmware list [--json]
       bmp-firmware install --board <name> --swd [--probe <serial> | --sim <profile> [--sim-state <file>]]
                    [--image <file.bin|.hex|.elf>] [--images <dir>] [--yes] [--json]
       bmp-firmware install --board <name> [--image <file.dfu|.bin|.hex>] [--json]   (over USB DFU)
       bmp-firmware --udev-rules

The probe boards this package has firmware for, and installing it.

Commands:
  list                  the boards (boards/*.json) and the firmware images in the package
                        (firmware/images/manifest.json: version, size, sha256)
  install               write a board's firmware: the bootloader image (when there is one) and the
                        application, at the board's addresses, then verify them. --swd goes through
                        a CMSIS-DAP probe wired to the board's SWD pins (or the simulator): the
                        target must be the board's MCU, and its read-out protection is read first
                        (level 1 is removed only with --yes, erasing the whole chip; level 2 is
                        permanent and refused)

Options:
  --board <name>        the board: ${listBoardNames()}
  --swd                 install over SWD (without it: over USB DFU, into our bootloader or ST's
                        ROM bootloader; a probe running this firmware is asked to reboot into it)
  --probe <serial>      the CMSIS-DAP probe on USB, by serial number (default: the only one)
  --sim <profile>       a simulated target instead: ${PROFILES.join(', ')}
  --sim-state <file>    with --sim: the simulated part's flash and option bytes are read from this
                        file (when it exists) and written back at the end, as a real part keeps them
  --image <file>        the application from this file instead of the package's image (a .bin goes
                        at the board's application base; .hex and .elf at their own addresses)
  --images <dir>        a directory of images with its manifest.json (default: the package's)
  --yes                 remove read-out protection level 1 without asking (THE CHIP IS ERASED)
  --json                machine-readable output
  --udev-rules          print udev rules giving users access to the probes and DFU devices
  -h, --help            this text

Exit status: 0 done; 1 failed (a target that does not answer on SWD among them: so does a part
at read-out protection level 2); 2 bad arguments; 3 refused before anything was written (a part
that is not the board's MCU, one that shows level 2, level 1 without a yes).
`;

function listBoardNames(): string {
  try {
    return listBoards().map((b) => b.name).join(', ');
  } catch {
    return '(none found)';
  }
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}

async function main(): Promise<void> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        board: { type: 'string' },
        swd: { type: 'boolean' },
        probe: { type: 'string' },
        sim: { type: 'string' },
        'sim-state': { type: 'string' },
        image: { type: 'string' },
        images: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
        'udev-rules': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (values['udev-rules']) {
    if (command) throw new UsageError('--udev-rules is a command of its own');
    process.stdout.write(udevRules(listBoards()));
    return;
  }
  const installOnly = ['board', 'swd', 'probe', 'sim', 'sim-state', 'image', 'yes'] as const;
  if (command === 'list') {
    const stray = installOnly.find((o) => values[o] !== undefined);
    if (stray) throw new UsageError(`--${stray} applies to install`);
    listCommand(values.images ?? imagesDir, values.json ?? false);
    return;
  }
  if (command !== 'install') {
    throw new UsageError(command ? `unknown command '${command}' (list or install)` : 'a command is needed: list or install');
  }
  if (!values.board) throw new UsageError('install needs --board <name>');
  const board = usageErrors(() => findBoard(values.board!));
  if (!values.swd) {
    if (values.probe || values.sim || values['sim-state']) throw new UsageError('--probe, --sim and --sim-state go with --swd');
    await dfuCommand(board, values.image, values.images ?? imagesDir, values.json ?? false);
    return;
  }
  if (values.sim !== undefined && values.probe !== undefined) throw new UsageError('--sim and --probe exclude each other');
  if (values.sim !== undefined && !PROFILES.includes(values.sim)) {
    throw new UsageError(`unknown profile '${values.sim}' (one of ${PROFILES.join(', ')})`);
  }
  if (values['sim-state'] !== undefined && values.sim === undefined) throw new UsageError('--sim-state goes with --sim');
  const images = chooseImages(board, values.image, values.images ?? imagesDir);
  await installCommand(board, images, {
    sim: values.sim as SimProfileName | undefined,
    simState: values['sim-state'],
    probe: values.probe,
    yes: values.yes ?? false,
    json: values.json ?? false,
  });
}

/**
 * `install` over USB DFU (lib/firmware/dfu-install.ts): the package's application image for the
 * board, or --image. Refusals before anything is erased exit 3, as on the SWD path.
 */
async function dfuCommand(board: Board, imageFile: string | undefined, dir: string, json: boolean): Promise<void> {
  let image = imageFile;
  if (image === undefined) {
    const app = readImages(dir)?.boards.get(board.name)?.find((i) => i.kind === 'application');
    if (!app) throw new BmpError('EIMAGE', `no application image for ${board.name} in ${dir} (build the images with \`npm run firmware\`, or give --image)`);
    readImageFile(app); /* checked against the manifest's sha256 */
    image = app.path;
  }
  const tty = process.stderr.isTTY && !json;
  let lastPhase = '';
  try {
    const result = await installDfu({
      board: board.name,
      image,
      onProgress: (p) => {
        if (json) return;
        if (p.phase !== lastPhase) {
          if (tty && lastPhase) process.stderr.write('\n');
          lastPhase = p.phase;
          if (!tty || !p.total) process.stderr.write(`${p.message}\n`);
        }
        if (tty && p.total) process.stderr.write(`\r${p.message} ${p.done}/${p.total}`);
      },
    });
    if (tty && lastPhase) process.stderr.write('\n');
    if (json) {
      process.stdout.write(JSON.stringify({ ok: true, ...result }, null, 2) + '\n');
    } else {
      process.stdout.write(
        `Installed ${result.bytes} bytes at ${hex32(result.address)} into ${board.title} over USB DFU ` +
          `(${hex16(result.device.vid)}:${hex16(result.device.pid)}), sha256 ${result.sha256}` +
          `${result.verified ? ', read back and verified' : ''}${result.left ? '; the board starts the new firmware' : ''}.\n`,
      );
    }
  } catch (error) {
    if (error instanceof DfuInstallError && error.code === 'EIMAGE') { /* refused before anything was erased */
      if (json) process.stdout.write(JSON.stringify({ ok: false, code: error.code, message: error.message }, null, 2) + '\n');
      process.stderr.write(`bmp-firmware: ${error.message} [${error.code}]\n`);
      process.exit(3);
    }
    throw error;
  }
}

/** `list`: the boards and, for each, the images the package has. */
function listCommand(dir: string, json: boolean): void {
  const boards = listBoards();
  const bundled = readImages(dir);
  const entries = boards.map((b) => ({
    name: b.name,
    title: b.title,
    mcu: b.mcu.part,
    devId: `0x${b.mcu.devId.toString(16)}`,
    flash: { base: hex32(b.flash.base), size: b.flash.size },
    app: { base: hex32(b.app.base), size: b.app.size },
    bootloader: b.bootloader ? { base: hex32(b.bootloader.base), size: b.bootloader.size } : null,
    usb: `${hex16(b.usb.vid)}:${hex16(b.usb.pid)}`,
    dfu: { receiver: b.dfu.receiver, usb: `${hex16(b.dfu.vid)}:${hex16(b.dfu.pid)}` },
    images: (bundled?.boards.get(b.name) ?? []).map((i) => ({ kind: i.kind, file: i.name, address: hex32(i.address), bytes: i.bytes, sha256: i.sha256 })),
  }));
  if (json) {
    process.stdout.write(JSON.stringify({ imagesDir: dir, version: bundled?.version ?? null, boards: entries }, null, 2) + '\n');
    return;
  }
  process.stdout.write('Boards (bmp-firmware install --board <name>):\n');
  for (const e of entries) {
    const boot = e.bootloader ? `, bootloader ${e.bootloader.base} (${kib(e.bootloader.size)})` : '';
    process.stdout.write(`  ${e.name.padEnd(20)} ${e.title.padEnd(20)} ${e.mcu} (DEV_ID ${e.devId}): application ${e.app.base} (${kib(e.app.size)})${boot}\n`);
  }
  if (!bundled) {
    process.stdout.write(`\nNo firmware images in ${dir} (no manifest.json): build them with \`npm run firmware\`.\n`);
    return;
  }
  process.stdout.write(`\nFirmware images, version ${bundled.version} (${dir}):\n`);
  for (const e of entries) {
    if (!e.images.length) process.stdout.write(`  ${e.name.padEnd(20)} none\n`);
    for (const i of e.images) {
      process.stdout.write(`  ${e.name.padEnd(20)} ${i.kind.padEnd(11)} ${i.file.padEnd(26)} ${String(i.bytes).padStart(8)} bytes at ${i.address}  sha256 ${i.sha256}\n`);
    }
    if (e.bootloader && !e.images.some((i) => i.kind === 'bootloader')) {
      process.stdout.write(`  ${e.name.padEnd(20)} bootloader  none built yet\n`);
    }
  }
}

/** The images to write: the package's bootloader (if any) and application, or --image for the latter. */
function chooseImages(board: Board, imageFile: string | undefined, dir: string): InstallImage[] {
  const listed = readImages(dir)?.boards.get(board.name) ?? [];
  const images: InstallImage[] = [];
  const bootloader = listed.find((i) => i.kind === 'bootloader');
  if (bootloader) {
    images.push({ kind: 'bootloader', source: bootloader.name, segments: [{ address: bootloader.address, data: readImageFile(bootloader) }] });
  }
  if (imageFile !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(imageFile));
    } catch (error) {
      throw new UsageError(`--image: cannot read ${imageFile}: ${(error as Error).message}`);
    }
    const segments = usageErrors(() => loadImage(bytes, { base: board.app.base, name: imageFile }));
    images.push({ kind: 'application', source: imageFile, segments });
  } else {
    const app = listed.find((i) => i.kind === 'application');
    if (!app) {
      throw new BmpError('EIMAGE', `no application image for ${board.name} in ${dir} (build the images with \`npm run firmware\`, or give --image)`);
    }
    images.push({ kind: 'application', source: app.name, segments: [{ address: app.address, data: readImageFile(app) }] });
  }
  return images;
}

/** Progress on a terminal, plain lines otherwise, nothing but the result with --json. */
function reporter(json: boolean): { onEvent: (e: InstallEvent) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let bar = false;
  let lastTenth = -1;
  const endBar = () => {
    if (bar) process.stderr.write('\n');
    bar = false;
  };
  return {
    onEvent: (e) => {
      if (json) return;
      if (e.type === 'step') {
        endBar();
        lastTenth = -1;
        process.stderr.write(`${e.message}\n`);
        return;
      }
      const pct = e.total ? Math.floor((100 * e.done) / e.total) : 100;
      if (tty) {
        const width = 30, filled = Math.round((width * pct) / 100);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${e.image} ${e.done}/${e.total} bytes`);
        bar = true;
      } else if (Math.floor(pct / 25) > lastTenth) {
        lastTenth = Math.floor(pct / 25);
        process.stderr.write(`  ${e.image}: ${e.done}/${e.total} bytes (${pct}%)\n`);
      }
    },
    done: endBar,
  };
}

/** A yes at the terminal; anywhere else, no (so --yes is needed). */
async function askYes(question: string, interactive: boolean): Promise<boolean> {
  if (!interactive) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function installCommand(
  board: Board,
  images: InstallImage[],
  options: { sim?: SimProfileName; simState?: string; probe?: string; yes: boolean; json: boolean },
): Promise<void> {
  const interactive = !options.json && Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const { onEvent, done } = reporter(options.json);
  let probe: Probe | undefined;
  let report: InstallReport | undefined;
  let failure: unknown;
  try {
    if (options.sim !== undefined) {
      probe = await openProbe({ sim: options.sim });
      if (options.simState) loadSimStateFile(probe.sim!, options.simState);
    } else {
      probe = await openProbe({ transport: await openTransport(options.probe) });
    }
    if (!options.json) process.stderr.write(`Installing ${board.title} firmware over SWD (${options.sim ? `simulated ${options.sim}` : `CMSIS-DAP probe ${options.probe ?? ''}`.trim()})\n`);
    report = await installOverSwd({
      probe,
      board,
      images,
      confirm: async (question) => options.yes || askYes(question, interactive),
      onEvent,
    });
  } catch (error) {
    failure = error;
  } finally {
    done();
    if (probe?.sim && options.simState) saveSimStateFile(probe.sim, options.simState);
    await probe?.close().catch(() => {});
  }
  if (failure !== undefined) {
    const code = failure instanceof BmpError ? failure.code : 'EINTERNAL';
    const message = (failure as Error).message;
    const status = code === 'EREFUSED' ? 3 : 1;
    if (options.json) process.stdout.write(JSON.stringify({ ok: false, board: board.name, error: { code, message } }, null, 2) + '\n');
    else process.stderr.write(`bmp-firmware: ${status === 3 ? 'refused: ' : ''}${message} [${code}]\n`);
    process.exit(status);
  }
  const written = new Set(report!.images.map((i) => i.kind));
  const note =
    board.bootloader && !written.has('bootloader') && board.bootAddress
      ? `No bootloader of ours was written (none is built yet), so the part starts where its boot address option byte ` +
        `points: set ${board.bootAddress.optionByte} to ${board.bootAddress.value} to start the application at ` +
        `${hex32(board.app.base)} (this tool does not change option bytes).`
      : undefined;
  if (options.json) {
    process.stdout.write(JSON.stringify({ ok: true, ...report, ...(note ? { note } : {}) }, null, 2) + '\n');
    return;
  }
  for (const i of report!.images) {
    process.stdout.write(`${i.kind} ${i.source}: ${i.bytes} bytes at ${i.address}, sha256 ${i.sha256}, verified\n`);
  }
  process.stdout.write(`Installed ${board.title} firmware on ${report!.target.part} in ${report!.seconds.toFixed(1)} s\n`);
  if (note) process.stdout.write(`Note: ${note}\n`);
}

await runCli('bmp-firmware', USAGE, main);

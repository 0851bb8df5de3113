/**
 * bmp-gdbserver's command line (the entry, bmp-gdbserver.ts, loads it once the MicroPython
 * worker is on its way for `run` and `repl`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { isLoopback } from '../dap-server.js';
import { parseElf } from '../elf.js';
import { BmpError } from '../errors.js';
import { GDB_DEFAULT_PORT, GdbServer } from '../gdb-server.js';
import { loadImage } from '../image.js';
import { Sim, type SimProfileName } from '../sim.js';
import { openProbe, type Probe, type ScanResult } from '../target.js';
import { listProbeDetails, openTransport } from '../transports/enumerate.js';
import { ReconnectingTransport } from '../transports/reconnect.js';
import { earlyWorker } from './early.js';
import { onShutdown, parseFrequency, parsePort, runCli, usageErrors, UsageError } from './common.js';

const PROFILES = Sim.profiles().map((p) => p.name);
const DEFAULT_PROFILE: SimProfileName = 'stm32f407';

const USAGE = `Usage: bmp-gdbserver [options]
       bmp-gdbserver flash <file.elf|.hex|.bin> [--sim <profile> | --probe <serial>] [--base <addr>]
                     [--no-verify] [--reset]
       bmp-gdbserver run <script.py> [--sim <profile> | --probe <serial>] [-- args...]
       bmp-gdbserver repl [--sim <profile> | --probe <serial>]
       bmp-gdbserver gadget [--sim <profile>] [--udc <name>] [--serial <text>] [--image <file.elf>]
       bmp-gdbserver --udev-rules

A GDB server for Arm Cortex-M (Black Magic Probe compatible: extended-remote, monitor swdp_scan,
attach N). Connect with: gdb-multiarch -ex "target extended-remote 127.0.0.1:${GDB_DEFAULT_PORT}"

run and repl: MicroPython with the original probe's modules target, bmp and dap (see README.md,
"MicroPython scripts"). The script's exit status is the command's; Ctrl-C raises
KeyboardInterrupt in it.

gadget (Linux, root): this machine's USB device port becomes a probe shaped like this project's
firmware (configfs: CDC-ACM with the GDB server, CMSIS-DAP v1 over HID, v2 over FunctionFS bulk),
debugging the simulated target. See README.md, "A Linux board as a probe".

Options:
  --sim [profile]          the built-in simulated target: ${PROFILES.join(', ')} (default ${DEFAULT_PROFILE})
  --link <swd|cmsis-dap>   simulated target: drive its wire directly (swd) or through the
                           virtual CMSIS-DAP probe (default)
  --usb <hid|bulk>         virtual probe: model full-speed HID or high-speed bulk USB timing;
                           with a USB probe: use its HID (v1) or bulk (v2) interface
  --image <file.elf>       simulated target: preload flash and RAM with an ELF file
  --probe <serial>         a CMSIS-DAP probe on USB, by serial number (default: the only one)
  --list                   list simulated targets and the CMSIS-DAP probes found, then exit
  --json                   with --list, or at start: machine-readable output
  --port <n>               TCP port (default ${GDB_DEFAULT_PORT}; 0 picks a free one)
  --host <address>         address to listen on (default 127.0.0.1; RSP has no
                           authentication: anything else exposes the target to the network)
  --speed <hz>             SWD clock (e.g. 4M)
  --connect-under-reset    hold nRST while attaching
  --udc <name>             gadget: the USB device controller (default: the first in /sys/class/udc)
  --serial <text>          gadget: the USB serial number (default: from /etc/machine-id)
  --udev-rules             print the udev rules that give users access to probes (udev/60-bmp-gdbserver.rules)
  --base <addr>            flash: where a raw binary goes (e.g. 0x08000000)
  --no-verify              flash: skip reading back what was programmed
  --reset                  flash: reset and run the target afterwards
  -v, --verbose            log connections and errors
  -h, --help               this text
`;

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

async function main(): Promise<void> {
  // Everything after `--` belongs to the script (`run`).
  let argv = process.argv.slice(2);
  const dashes = argv.indexOf('--');
  const scriptArgs = dashes >= 0 ? argv.slice(dashes + 1) : [];
  if (dashes >= 0) argv = argv.slice(0, dashes);
  // `--sim` may stand alone or take a profile: let a following non-option word (not a script) be its value.
  const simAt = argv.indexOf('--sim');
  const next = argv[simAt + 1];
  if (simAt >= 0 && (next === undefined || next.startsWith('-') || next.endsWith('.py'))) {
    argv.splice(simAt + 1, 0, DEFAULT_PROFILE);
  }
  // The MicroPython worker starts at once, while the probe opens (bmp-gdbserver run's start-up time).
  const scripting = argv[0] === 'run' || argv[0] === 'repl';
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        sim: { type: 'string' },
        link: { type: 'string' },
        usb: { type: 'string' },
        image: { type: 'string' },
        probe: { type: 'string' },
        list: { type: 'boolean' },
        json: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        speed: { type: 'string' },
        'connect-under-reset': { type: 'boolean' },
        base: { type: 'string' },
        'no-verify': { type: 'boolean' },
        reset: { type: 'boolean' },
        udc: { type: 'string' },
        serial: { type: 'string' },
        'udev-rules': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const command = ['flash', 'run', 'repl', 'gadget'].includes(positionals[0]) ? positionals[0] : undefined;
  const flashFile = command === 'flash' ? positionals[1] : undefined;
  if (command === 'flash' && (!flashFile || positionals.length > 2)) throw new UsageError('flash needs one file');
  if (command === 'run' && (positionals.length !== 2 || !positionals[1])) throw new UsageError('run needs one script (arguments for it go after --)');
  if (command === 'repl' && positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  if (positionals.length && !command) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (scriptArgs.length && command !== 'run') throw new UsageError('arguments after -- go to a script: bmp-gdbserver run <script.py> -- args');
  if (!flashFile && (values.base || values['no-verify'] || values.reset)) {
    throw new UsageError('--base, --no-verify and --reset apply to the flash command');
  }
  if (scripting && (values.port || values.host || values.json || values['connect-under-reset'])) {
    throw new UsageError('--port, --host, --json and --connect-under-reset apply to the GDB server (a script starts its own with bmp.init)');
  }

  if ((values.udc !== undefined || values.serial !== undefined) && command !== 'gadget') throw new UsageError('--udc and --serial apply to the gadget command');
  if (command === 'gadget') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    if (values.probe !== undefined) throw new UsageError('gadget debugs the simulated target (--sim); --probe does not apply');
    const profile = values.sim ?? DEFAULT_PROFILE;
    if (!PROFILES.includes(profile)) throw new UsageError(`unknown profile '${profile}' (one of ${PROFILES.join(', ')})`);
    const { gadgetCommand } = await import('./gadget.js');
    await gadgetCommand({ profile: profile as SimProfileName, udc: values.udc, serial: values.serial, image: values.image, json: values.json, verbose: values.verbose });
    return;
  }
  if (values['udev-rules']) {
    const { udevRules } = await import('../firmware/udev.js');
    const { listBoards } = await import('../firmware/boards.js');
    process.stdout.write(udevRules(listBoards()));
    return;
  }

  if (values.list) {
    // In a container without the host's USB, there is nothing to look at: say so, once.
    const noUsb = process.platform === 'linux' && !existsSync('/sys/bus/usb');
    let problem = '';
    const probes = noUsb
      ? []
      : await listProbeDetails().catch((error: Error) => {
          problem = error.message;
          return [];
        });
    const sims = Sim.profiles().map((p) => ({ profile: p.name, part: p.part }));
    if (values.json) {
      process.stdout.write(JSON.stringify({ simulated: sims, probes, ...(noUsb ? { usb: 'none: no /sys/bus/usb' } : {}) }, null, 2) + '\n');
    } else {
      process.stdout.write('Simulated targets (--sim <profile>):\n');
      for (const s of sims) process.stdout.write(`  ${s.profile.padEnd(12)} ${s.part}\n`);
      if (noUsb) {
        process.stdout.write('No USB here (no /sys/bus/usb: a container?): pass the probe in (e.g. docker run --device /dev/bus/usb) or debug --sim.\n');
      } else {
        process.stdout.write(probes.length ? 'CMSIS-DAP probes (--probe <serial> [--usb bulk|hid]):\n' : `No CMSIS-DAP probe found on USB${problem ? ` (${problem})` : ''}.\n`);
      }
      for (const p of probes) {
        const id = `${p.vendorId.toString(16).padStart(4, '0')}:${p.productId.toString(16).padStart(4, '0')}`;
        process.stdout.write(`  ${p.serial.padEnd(24)} ${p.protocol} ${p.kind.padEnd(4)} ${id} ${p.manufacturer} ${p.product}\n`);
        if (p.error) process.stdout.write(`      ${p.error}\n`);
        else {
          const version = `CMSIS-DAP ${p.dapVersion ?? '?'}${p.firmwareVersion ? `, firmware ${p.firmwareVersion}` : ''}`;
          process.stdout.write(`      ${version}, ${p.packetSize}-byte packets; ${(p.capabilities ?? []).join(', ') || 'no capabilities given'}\n`);
        }
      }
    }
    return;
  }

  if (values.sim !== undefined && !PROFILES.includes(values.sim)) {
    throw new UsageError(`unknown profile '${values.sim}' (one of ${PROFILES.join(', ')})`);
  }
  if (values.sim !== undefined && values.probe !== undefined) throw new UsageError('--sim and --probe exclude each other');
  const link = values.link ?? 'cmsis-dap';
  if (link !== 'swd' && link !== 'cmsis-dap') throw new UsageError(`--link must be swd or cmsis-dap, not '${link}'`);
  const usb = values.usb;
  if (usb !== undefined && usb !== 'hid' && usb !== 'bulk') throw new UsageError(`--usb must be hid or bulk, not '${usb}'`);
  if (usb && link === 'swd') throw new UsageError('--usb applies to the virtual CMSIS-DAP probe, not --link swd');
  if (values.sim === undefined && (values.image || values.link)) {
    throw new UsageError('--image and --link apply to the simulated target (--sim)');
  }
  const port = parsePort(values.port, GDB_DEFAULT_PORT);
  const host = values.host ?? '127.0.0.1';
  const speed = parseFrequency(values.speed);
  const log = values.verbose ? (line: string) => process.stderr.write(`bmp-gdbserver: ${line}\n`) : undefined;

  const opening = (async (): Promise<{ probe: Probe; what: string }> => {
    if (values.sim !== undefined) {
      const image = values.image ? parseElf(await readFile(values.image)) : undefined;
      const probe = await openProbe({ sim: values.sim as SimProfileName, link, usb: usb as 'hid' | 'bulk' | undefined });
      const sim = probe.sim!;
      if (speed) sim.setClocks({ swdHz: speed });
      if (image) {
        for (const segment of image.segments) if (segment.data.length) sim.load(segment.paddr, segment.data);
        sim.reset('system');
      }
      const how = link === 'swd' ? 'on the SWD wire' : `behind the virtual CMSIS-DAP probe${usb ? ` (${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'} timing)` : ''}`;
      return { probe, what: `simulated ${values.sim} ${how}` };
    }
    // Unplugged and plugged in again, the probe is opened again (ReconnectingTransport).
    const kind = usb === 'hid' ? 'hid' : usb === 'bulk' ? 'bulk' : undefined;
    const first = await openTransport(values.probe, { kind });
    const say = (line: string) => process.stderr.write(`bmp-gdbserver: ${line}\n`);
    const transport = new ReconnectingTransport(first, () => openTransport(values.probe, { kind }), say);
    return { probe: await openProbe({ transport }), what: `CMSIS-DAP probe ${values.probe ?? ''}${kind ? ` (${kind})` : ''}`.trim() };
  })();

  if (command === 'run' || command === 'repl') {
    const { runScript } = await import('./script.js');
    process.exit(await runScript({ opening, script: command === 'run' ? positionals[1] : undefined, args: scriptArgs, log, spawned: earlyWorker }));
  }
  const { probe, what } = await opening;

  if (flashFile) {
    await flashCommand(probe, flashFile, values.base, !values['no-verify'], values.reset ?? false);
    return;
  }

  let targets: ScanResult[] = [];
  let part = '';
  try {
    targets = await probe.swdScan();
    if (targets.length) {
      const t = await probe.attach(targets[0].index);
      part = await t.partName();
      await t.detach(); // GDB attaches; the scan stays, so `attach 1` works at once
    }
  } catch (error) {
    process.stderr.write(`bmp-gdbserver: the SWD scan failed: ${(error as Error).message}\n`);
  }

  const server = new GdbServer({ probe, port, host, connectUnderReset: values['connect-under-reset'], log });
  if (!isLoopback(host)) {
    process.stderr.write(
      `warning: listening on ${host}: the GDB protocol has no authentication; ` +
        'anyone who can reach this port controls the target\n',
    );
  }
  const bound = await server.listen();
  // Before the banner: whoever reads it may signal at once.
  onShutdown(async () => {
    await server.close();
    await probe.close();
  });
  const address = host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`;
  if (values.json) {
    process.stdout.write(
      JSON.stringify({ listening: { host, port: bound }, probe: what, targets: targets.map((t) => ({ ...t, part })) }) + '\n',
    );
  } else {
    process.stdout.write(`bmp-gdbserver: ${what}\n`);
    for (const t of targets) {
      process.stdout.write(`  target ${t.index}: ${part || 'Cortex-M part'} (${t.core}), DPIDR ${hex(t.dpidr)}, CPUID ${hex(t.cpuid)}\n`);
    }
    if (!targets.length) process.stdout.write('  no target answered the SWD scan yet; `monitor swdp_scan` retries\n');
    process.stdout.write(
      `Listening on ${address}. Connect with:\n` +
        `  gdb-multiarch -ex "target extended-remote ${address}" -ex "monitor swdp_scan" -ex "attach 1" your-program.elf\n`,
    );
  }
}

/** `bmp-gdbserver flash`: program, verify, optionally reset, with a progress bar on a terminal. */
async function flashCommand(probe: Probe, file: string, baseText: string | undefined, verify: boolean, reset: boolean) {
  let base: number | undefined;
  if (baseText !== undefined) {
    base = Number(baseText);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(baseText) || base > 0xffffffff) throw new UsageError(`--base: cannot read '${baseText}' as an address`);
  }
  const bytes = new Uint8Array(await readFile(file));
  const segments = loadImage(bytes, { base, name: file });
  const [found] = await probe.swdScan();
  if (!found) throw new BmpError('ENOTARGET', 'the SWD scan found no Cortex-M core');
  const target = await probe.attach(found.index);
  const part = await target.partName();
  const tty = process.stderr.isTTY;
  let lastLine = -1;
  const started = Date.now();
  process.stderr.write(`Programming ${file} into ${part}\n`);
  try {
    await target.flash(segments, {
      verify,
      progress: (done, total) => {
        const pct = total ? Math.floor((100 * done) / total) : 100;
        if (tty) {
          const width = 30, filled = Math.round((width * pct) / 100);
          process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${done}/${total} bytes`);
        } else if (pct >= lastLine + 10 || done === total) {
          lastLine = pct;
          process.stderr.write(`programmed ${done}/${total} bytes (${pct}%)\n`);
        }
      },
    });
  } finally {
    if (tty) process.stderr.write('\n');
  }
  const seconds = (Date.now() - started) / 1000;
  const total = segments.reduce((n, s) => n + s.data.length, 0);
  process.stdout.write(`Programmed ${total} bytes${verify ? ' and verified them' : ''} in ${seconds.toFixed(2)} s\n`);
  if (reset) {
    await target.reset();
    await target.detach();
    process.stdout.write('Target reset and running\n');
  } else {
    await target.detach();
  }
  await probe.close();
}

await runCli('bmp-gdbserver', USAGE, main);

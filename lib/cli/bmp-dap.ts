#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * bmp-dap: the CMSIS-DAP engine as a probe others can use.
 *
 *   bmp-dap serve --sim <profile> [--port 4441] [--host 127.0.0.1] [--packet-size 1024]
 *
 * serves CMSIS-DAP over TCP (OpenOCD's cmsis_dap_tcp framing) with a simulated target behind it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { DapEngine, WallClockEngine } from '../dap-engine.js';
import { DAP_TCP_DEFAULT_PORT, DapServer, isLoopback } from '../dap-server.js';
import { parseElf } from '../elf.js';
import { Sim } from '../sim.js';
import { onShutdown, parseFrequency, parsePort, runCli, usageErrors, UsageError } from './common.js';

const USAGE = `Usage: bmp-dap serve --sim <profile> [options]

Serve CMSIS-DAP over TCP (the framing of OpenOCD's cmsis_dap_tcp backend), with a simulated
target behind the DAP engine.

Options:
  --sim <profile>       simulated target: ${Sim.profiles()
    .map((p) => p.name)
    .join(', ')}
  --port <n>            TCP port (default ${DAP_TCP_DEFAULT_PORT}; 0 picks a free one)
  --host <address>      address to listen on (default 127.0.0.1; the protocol has no
                        authentication: anything else exposes the target to the network)
  --packet-size <n>     CMSIS-DAP packet size, 64 to 1024 (default 1024)
  --swd-speed <hz>      initial SWD clock of the simulated wire (e.g. 4M; the host may change it)
  --image <file.elf>    preload the simulated flash and RAM with an ELF file's loadable segments
  -v, --verbose         log connections and protocol errors
  -h, --help            this text
`;

async function main(): Promise<void> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      allowPositionals: true,
      options: {
        sim: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'packet-size': { type: 'string' },
        'swd-speed': { type: 'string' },
        image: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals[0] !== 'serve' || positionals.length !== 1) throw new UsageError('expected the command "serve"');
  if (!values.sim) throw new UsageError('--sim <profile> is required (real probes come in a later release)');
  if (!Sim.profiles().some((p) => p.name === values.sim)) {
    throw new UsageError(`unknown profile '${values.sim}'`);
  }
  const packetSize = values['packet-size'] === undefined ? 1024 : Number(values['packet-size']);
  if (!Number.isInteger(packetSize) || packetSize < 64 || packetSize > 1024) {
    throw new UsageError(`--packet-size must be 64 to 1024, not '${values['packet-size']}'`);
  }
  const port = parsePort(values.port, DAP_TCP_DEFAULT_PORT);
  const host = values.host ?? '127.0.0.1';
  const swdHz = parseFrequency(values['swd-speed']);

  const image = values.image ? parseElf(await readFile(values.image)) : undefined;

  const sim = new Sim(values.sim);
  if (swdHz) sim.setClocks({ swdHz });
  if (image) {
    // The back door: the image is in place as if programmed earlier; then a power-on start.
    for (const segment of image.segments) if (segment.data.length) sim.load(segment.paddr, segment.data);
    sim.reset('system');
  }
  // The target's time runs on between packets, as a real chip's does while the host waits.
  const engine = new WallClockEngine(new DapEngine(sim, { packetSize, packetCount: 8 }), sim);
  const log = values.verbose ? (line: string) => process.stderr.write(line + '\n') : () => {};
  const server = new DapServer({ engine, host, port, log });
  if (!isLoopback(host)) {
    process.stderr.write(
      `warning: listening on ${host}: CMSIS-DAP over TCP has no authentication; ` +
        'anyone who can reach this port controls the target\n',
    );
  }
  const bound = await server.listen();
  process.stdout.write(
    `bmp-dap: CMSIS-DAP on ${host}:${bound} (packet size ${packetSize}), simulated ${values.sim}\n` +
      `  OpenOCD with the cmsis_dap_tcp backend: -c "adapter driver cmsis-dap; cmsis_dap_backend tcp; ` +
      `cmsis_dap_tcp_port ${bound}"\n`,
  );
  onShutdown(async () => {
    await server.close();
    sim.close();
  });
}

await runCli('bmp-dap', USAGE, main);

// Runs inside the VM (bench/usb-vm.mjs, which boots the VM): packets per second and KB/s through the real kernel USB
// stack (bmp-gdbserver gadget on dummy_hcd, this package's node-usb and node-hid transports),
// and the same measurements on the in-process virtual probe, in the same VM.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openProbe } from '../../dist/lib/target.js';
import { openTransport } from '../../dist/lib/transports/enumerate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rows = [];
const emit = (row) => {
  rows.push(row);
  process.stdout.write(JSON.stringify(row) + '\n');
};

const gadget = spawn(process.execPath, [join(root, 'dist/lib/cli/bmp-gdbserver.js'), 'gadget', '--sim', 'stm32f407', '--serial', 'BENCH0001'], { stdio: 'inherit' });
for (let i = 0; i < 600 && !(existsSync('/dev/ttyACM0') && existsSync('/dev/hidraw0')); i++) await sleep(100);
await sleep(1000);

/** 16 KiB block reads for 4 s: KB/s, and the CMSIS-DAP packets per second they took. */
async function measure(probe) {
  const [found] = await probe.swdScan();
  const target = await probe.attach(found.index);
  let bytes = 0;
  const packets = await probe.packets();
  const started = Date.now();
  while (Date.now() < started + 4000) {
    await target.readMemory(0x20000000, 16384);
    bytes += 16384;
  }
  const seconds = (Date.now() - started) / 1000;
  const figures = { KB_per_s: +(bytes / 1024 / seconds).toFixed(1), packets_per_s: Math.round(((await probe.packets()) - packets) / seconds) };
  await target.detach();
  return figures;
}

/** DAP_Info round trips, one at a time, for 3 s. */
async function pingRate(transport) {
  let packets = 0;
  const started = Date.now();
  while (Date.now() < started + 3000) {
    await transport.transfer(Uint8Array.from([0x00, 0x04]));
    packets++;
  }
  return Math.round(packets / 3);
}

const note = 'software emulation: QEMU TCG on this machine, not a USB bus';
for (const kind of ['bulk', 'hid']) {
  const transport = await openTransport('BENCH0001', { kind });
  const single = await pingRate(transport);
  const probe = await openProbe({ transport });
  const figures = await measure(probe);
  await probe.close();
  emit({ bench: `real kernel USB stack (dummy_hcd, gadget), CMSIS-DAP ${kind === 'bulk' ? 'v2 bulk, node-usb' : 'v1 HID, node-hid'}, 16 KiB reads`, ...figures, single_packet_round_trips_per_s: single, packet_bytes: transport.packetSize, note });
}
for (const usb of ['bulk', 'hid']) {
  const probe = await openProbe({ sim: 'stm32f407', usb });
  const figures = await measure(probe);
  await probe.close();
  emit({ bench: `virtual probe in the same VM (--sim, ${usb} model), 16 KiB reads, wall clock`, ...figures, note });
}
gadget.kill('SIGTERM');
await new Promise((r) => gadget.once('exit', r));
writeFileSync(join(process.env.OUT ?? '/tmp', 'bench.json'), JSON.stringify(rows));

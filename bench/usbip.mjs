// The probe firmware's PC build through USB/IP and a Linux kernel in a VM (test/usbip-vm.test.ts):
// software emulation end to end (the OTG controller is a model, the kernel runs under QEMU's
// TCG, the USB "bus" is a TCP socket), so these figures say what this path carries, not what a
// board does on a real bus. For each configuration, one boot: OpenOCD reads 64 KiB of SRAM over
// usb_bulk and over hid (packets and bytes counted by the probe program, time from OpenOCD's own
// report), and GDB single-steps 100 times through bmp-gdbserver --probe (node-usb), counting the
// CMSIS-DAP requests the firmware served (test/vm/usbip-guest.mjs --bench).
//
// Prints JSON lines as the other benchmarks do. Needs QEMU (scripts/install-test-deps.sh), the
// programs in build-native (cmake --build build-native) and dist/ (npx tsc -p tsconfig.json).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runVm, vmUnavailable } from '../test/vm/vm.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const boards = [
  { board: 'stlink3mini', title: 'STLINK-V3MINI, high speed' },
  { board: 'devebox-stm32h743', title: 'DevEBox H743, full speed' },
];

function fail(message) {
  process.stderr.write(`bench/usbip.mjs: ${message}\n`);
  process.exit(1);
}

const why = vmUnavailable();
if (why) fail(why);
for (const { board } of boards) {
  if (!existsSync(join(root, 'build-native', `bmp-usbip-probe-${board}`))) fail(`build-native/bmp-usbip-probe-${board} is missing: cmake --build build-native`);
}

const r = await runVm({
  modules: ['usbip-core', 'vhci-hcd', 'cdc_acm', 'usbhid', 'hid-generic'],
  script: `ip link set lo up\nnode test/vm/usbip-guest.mjs --bench ${boards.map((b) => b.board).join(' ')}`,
  timeoutMs: 480_000,
});
if (r.timedOut) fail(`the VM timed out:\n${r.console.slice(-3000)}`);
const round = (x) => +x.toPrecision(4);
for (const { board, title } of boards) {
  const file = r.files[`${board}-bench.json`];
  if (!file) fail(`no figures for ${board}:\n${r.console.slice(-3000)}`);
  const f = JSON.parse(file.toString());
  if (f.error) fail(`${board}: ${f.error}`);
  for (const backend of ['usb_bulk', 'hid']) {
    const b = f[backend];
    process.stdout.write(JSON.stringify({
      bench: `USB/IP software emulation (${title}): OpenOCD ${backend} reads 64 KiB of SRAM through the firmware's USB stack`,
      packets_per_s: round(b.packets_per_s), KB_per_s: round(b.KB_per_s), usb_packets: b.packets, dap_requests: b.dap,
    }) + '\n');
  }
  process.stdout.write(JSON.stringify({
    bench: `USB/IP software emulation (${title}): CMSIS-DAP packets per GDB single step, bmp-gdbserver --probe over node-usb`,
    dap_packets_per_step: round(f.gdb_step.per_step),
  }) + '\n');
}

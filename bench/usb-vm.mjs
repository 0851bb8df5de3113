#!/usr/bin/env node
// Packets per second and KB/s through a real Linux kernel's USB stack (bench/vm/usb-guest.mjs,
// in the VM of test/vm/vm.mjs), beside the virtual probe's in the same VM. All of it is software
// emulation under QEMU TCG: the figures compare paths, they are not a USB bus's speed.
import { runVm, vmUnavailable } from '../test/vm/vm.mjs';
import { START_UDEVD, USB_MODULES } from '../test/vm/usb-modules.mjs';

const why = vmUnavailable();
if (why) {
  process.stderr.write(`usb-vm bench skipped: ${why}\n`);
  process.exit(0);
}
const r = await runVm({ modules: USB_MODULES, script: `${START_UDEVD}\nnode bench/vm/usb-guest.mjs`, cpus: 2, timeoutMs: 600_000 });
if (r.status !== 0 || !r.files['bench.json']) {
  process.stderr.write(r.console.split('\n').slice(-40).join('\n'));
  process.exit(1);
}
for (const row of JSON.parse(r.files['bench.json'].toString())) process.stdout.write(JSON.stringify(row) + '\n');

#!/usr/bin/env node
// USB for real: Debian's kernel in a VM (vm.mjs), `bmp-gdbserver gadget` on dummy_hcd's device
// side, and on its host side node-usb, node-hid, gdb-multiarch (over the CDC-ACM port too),
// OpenOCD and pyOCD (usb-guest.mjs). Prints "ok - <name>" / "not ok - <name>" per check (the
// form scripts/test.mjs counts), or "skipped: <reason>" when QEMU cannot run here. Needs
// `npx tsc` first (it runs dist/).
//
//   node test/vm/usb-vm.mjs            USB_VM_ONLY=<regexp> runs only the checks it matches
import { START_UDEVD, USB_MODULES } from './usb-modules.mjs';
import { runVm, vmUnavailable } from './vm.mjs';


const why = vmUnavailable();
if (why) {
  process.stdout.write(`skipped: ${why}\n`);
  process.exit(0);
}
const started = Date.now();
let printed = 0;
const r = await runVm({
  modules: USB_MODULES,
  // udevd, as on any desktop: libusb (node-usb) learns of a device plugged in again from it.
  script: `${START_UDEVD}\nnode test/vm/usb-guest.mjs`,
  env: Object.fromEntries(['USB_VM_ONLY'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
  timeoutMs: Number(process.env.USB_VM_TIMEOUT ?? 900) * 1000,
  cpus: 2,
  onConsole: (text) => {
    if (process.env.USB_VM_CONSOLE) process.stderr.write(text);
  },
});
// The guest's lines come through the serial console (CR LF).
for (const line of r.console.replace(/\r/g, '').split('\n')) {
  if (/^(ok|not ok) - /.test(line) || line.startsWith('    ')) {
    process.stdout.write(line + '\n');
    if (!line.startsWith('    ')) printed++;
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (r.status !== 0 || printed === 0) {
  process.stdout.write(`not ok - the USB VM test ran to the end (status ${r.status}${r.timedOut ? ', timed out' : ''}, ${seconds} s)\n`);
  if (!printed || r.timedOut) process.stdout.write(r.console.replace(/\r/g, '').split('\n').slice(-60).map((l) => '    ' + l).join('\n') + '\n');
  process.exit(1);
}
process.stdout.write(`ok - the USB VM test ran to the end in ${seconds} s (QEMU TCG, ${r.seconds.toFixed(1)} s in the VM)\n`);
if (r.files['timings.json']) process.stdout.write(`    ${r.files['timings.json'].toString()}\n`);

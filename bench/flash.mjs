// Flash programming of a 256 KiB image into the simulated STM32F407 through the virtual probe,
// in virtual time, on the full-speed HID and high-speed bulk USB models: the on-target loader
// (double-buffered) and direct MEM-AP writes, against the flash's own limit from its erase and
// program times (sim_flash_f4.c, after RM0090/DS8626 typical figures). Prints JSON lines.
import { randomBytes } from 'node:crypto';

const { openProbe } = await import(new URL('../dist/lib/index.js', import.meta.url));

const SIZE = 256 << 10;
// Erase: sectors 0-3 (16 KiB, 250 ms each), 4 (64 KiB, 550 ms), 5 (128 KiB, 1 s); program: one
// 32-bit word per 16 µs at PSIZE x32.
const LIMIT_S = 4 * 0.25 + 0.55 + 1.0 + (SIZE / 4) * 16e-6;
const data = new Uint8Array(randomBytes(SIZE));

for (const usb of ['hid', 'bulk']) {
  for (const [fast, verify] of [[true, false], [false, false], [true, true]]) {
    const probe = await openProbe({ sim: 'stm32f407', usb });
    const target = await probe.attach();
    const before = await probe.stats();
    const wall = Date.now();
    await target.flash([{ address: 0x08000000, data }], { fast, verify });
    const after = await probe.stats();
    const seconds = (after.hostNs - before.hostNs) / 1e9;
    const rate = SIZE / 1024 / seconds;
    const flashLimit = SIZE / 1024 / LIMIT_S;
    const goal = usb === 'bulk' ? 0.8 : 0.6;
    console.log(JSON.stringify({
      bench: `flash 256 KiB into stm32f407 on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}, ${fast ? 'on-target loader' : 'direct MEM-AP writes'}${verify ? ', then verified (CRC-32 computed on the target)' : ''}`,
      kib_per_s_virtual: rate,
      flash_limit_kib_per_s: flashLimit,
      fraction_of_flash_limit: rate / flashLimit,
      dap_packets: after.packets - before.packets,
      wall_s: (Date.now() - wall) / 1000,
      ...(verify ? {} : { goal: `>= ${goal * 100}% of the flash's limit`, met: rate / flashLimit >= goal }),
    }));
    await probe.close();
  }
}

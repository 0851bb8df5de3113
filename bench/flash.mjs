// Flash programming of a 256 KiB image into the simulated STM32F407 through the virtual probe
// (and of 64 KiB into each other family's profile, below), in virtual time, on the full-speed
// HID and high-speed bulk USB models: the on-target loader (double-buffered) and direct MEM-AP
// writes, against the flash's own limit from its erase and program times (sim_flash_f4.c, after
// RM0090/DS8626 typical figures). Prints JSON lines.
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

// The other families: 64 KiB on high-speed bulk, through the path the part takes (the loader
// on the G0 and L4, the NVMC directly on the nRF52840), against the flash's own limit from the
// times its model takes (sim_flash_g0.c after the G071/L476 datasheets: a 2 KiB page erase and a
// 64-bit double word; sim_nrf52.c after the nRF52840 Product Specification: a 4 KiB page erase
// and a 32-bit word, maxima as the only figures given).
const FAMILY_SIZE = 64 << 10;
const families = [
  { profile: 'stm32g071', base: 0x08000000, page: 2048, pageS: 22e-3, unit: 8, unitS: 85e-6 },
  { profile: 'stm32l476', base: 0x08000000, page: 2048, pageS: 22.02e-3, unit: 8, unitS: 81.69e-6 },
  { profile: 'nrf52840', base: 0x00000000, page: 4096, pageS: 85e-3, unit: 4, unitS: 41e-6 },
];
const familyData = data.subarray(0, FAMILY_SIZE);
for (const f of families) {
  const limitS = (FAMILY_SIZE / f.page) * f.pageS + (FAMILY_SIZE / f.unit) * f.unitS;
  const probe = await openProbe({ sim: f.profile, usb: 'bulk' });
  const target = await probe.attach();
  const before = await probe.stats();
  const wall = Date.now();
  await target.flash([{ address: f.base, data: familyData }], { verify: true });
  const after = await probe.stats();
  const rate = FAMILY_SIZE / 1024 / ((after.hostNs - before.hostNs) / 1e9);
  const flashLimit = FAMILY_SIZE / 1024 / limitS;
  console.log(JSON.stringify({
    bench: `flash 64 KiB into ${f.profile} on high-speed bulk, verified`,
    kib_per_s_virtual: rate,
    flash_limit_kib_per_s: flashLimit,
    fraction_of_flash_limit: rate / flashLimit,
    dap_packets: after.packets - before.packets,
    wall_s: (Date.now() - wall) / 1000,
    goal: '>= 80% of the flash\'s limit',
    met: rate / flashLimit >= 0.8,
  }));
  await probe.close();
}

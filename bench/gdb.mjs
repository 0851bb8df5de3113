// GDB through the GDB server and the virtual probe, in virtual time: gdb-multiarch reads 64 KiB
// of SRAM (`dump`), writes it back (`restore`) and single-steps, on the full-speed HID and the
// high-speed bulk USB models. Prints JSON lines as the native benchmarks do. Needs `npm run
// build` (dist/) and gdb-multiarch.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { GdbServer, openProbe } = await import(new URL('lib/index.js', dist));
const { GdbDriver } = await import(new URL('test/helpers/gdb.js', dist));
const { installFixture, loadFixture, fixturePath } = await import(new URL('test/helpers/fixture.js', dist));

const SIZE = 64 << 10;
const STEPS = 200;
const file = join(tmpdir(), `bmp-gdb-bench-${process.pid}.bin`);
// The raw USB limit each way: full-speed HID one 64-byte report per 1 ms frame; high-speed bulk
// 13 packets of 512 bytes per 125 µs microframe.
const RAW = { hid: 64_000, bulk: 13 * 512 * 8000 };
// A 256 KiB image for `load`: random bytes in a loadable .text at 0x08000000.
const FLASH = 256 << 10;
const raw = join(tmpdir(), `bmp-gdb-bench-${process.pid}.raw`);
const image = join(tmpdir(), `bmp-gdb-bench-${process.pid}.o`);
writeFileSync(raw, randomBytes(FLASH));
for (const args of [
  ['-I', 'binary', '-O', 'elf32-littlearm', '-B', 'arm', '--rename-section', '.data=.text,alloc,load,readonly,code,contents', raw, `${image}.tmp`],
  ['--change-section-address', '.text=0x08000000', `${image}.tmp`, image],
]) {
  const r = spawnSync('arm-none-eabi-objcopy', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-objcopy failed: ${r.stderr}`);
}
// The F407's flash limit for 256 KiB (sim_flash_f4.c): erase 4 x 250 ms + 550 ms + 1 s, then
// one word per 16 µs.
const FLASH_LIMIT_S = 4 * 0.25 + 0.55 + 1.0 + (FLASH / 4) * 16e-6;
// The SWD clock of every GDB row, the same as the link benchmarks' (bench/native/bench_link.c),
// so that the GDB figures and the block-transfer figures compare.
const SWD_HZ = 10_000_000;
// The SWD wire's limit for block reads and writes (bench_link.c): 46 clocks a word, one TAR
// write per 256 words.
const SWD_LIMIT = ((4 * SWD_HZ) / 46) * (256 / 258);
// The link's payload limit for writes (bench_link.c): full-speed HID carries 59 bytes of a
// DAP_TransferBlock per 1 ms report; high-speed bulk 13 x 512 - 5 per 125 us microframe.
const USB_WRITE = { hid: 59_000, bulk: (13 * 512 - 5) * 8000 };

for (const usb of ['hid', 'bulk']) {
  const probe = await openProbe({ sim: 'stm32f407', usb });
  installFixture(probe.sim, loadFixture('stm32f407'));
  probe.sim.reset('system');
  probe.sim.setClocks({ swdHz: SWD_HZ });
  const server = new GdbServer({ probe, port: 0 });
  const port = await server.listen();
  const gdb = new GdbDriver(fixturePath('stm32f407'));
  await gdb.run('set confirm off');
  await gdb.run(`target extended-remote 127.0.0.1:${port}`);
  await gdb.run('attach 1');
  const phase = async (command) => {
    const before = await probe.stats();
    const wall = process.hrtime.bigint();
    const out = await gdb.run(command, 120_000);
    const after = await probe.stats();
    return {
      out,
      ns: after.hostNs - before.hostNs,
      packets: after.packets - before.packets,
      usbPackets: after.usbPackets - before.usbPackets,
      wallMs: Number(process.hrtime.bigint() - wall) / 1e6,
    };
  };
  // The Target API's block read of the same 64 KiB on the same probe, for the GDB row to compare with.
  const api = await (async () => {
    const before = await probe.stats();
    const target = await probe.attach(1);
    const t0 = (await probe.stats()).hostNs;
    await target.readMemory(0x20000000, SIZE);
    const after = await probe.stats();
    return { ns: after.hostNs - t0, packets: after.packets - before.packets };
  })();
  await gdb.run('monitor swdp_scan');
  await gdb.run('attach 1');
  const read = await phase(`dump binary memory ${file} 0x20000000 0x${(0x20000000 + SIZE).toString(16)}`);
  const write = await phase(`restore ${file} binary 0x20000000`);
  const step = await phase(`stepi ${STEPS}`);
  const load = await phase(`load ${image}`);
  if (!/Transfer rate/.test(load.out)) throw new Error(`load failed:\n${load.out}`);
  const loadRate = FLASH / 1024 / (load.ns / 1e9);
  const flashLimit = FLASH / 1024 / FLASH_LIMIT_S;
  const linkLimit = Math.min(USB_WRITE[usb], SWD_LIMIT) / 1024;
  const binding = Math.min(flashLimit, linkLimit);
  console.log(JSON.stringify({
    bench: `GDB load of 256 KiB into the stm32f407's flash through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}, verify included`,
    kib_per_s_virtual: loadRate,
    flash_limit_kib_per_s: flashLimit,
    link_limit_kib_per_s: linkLimit,
    bound_by: flashLimit < linkLimit ? 'flash' : 'link',
    fraction_of_binding_limit: loadRate / binding,
    dap_packets_per_kib: load.packets / (FLASH / 1024),
    wall_ms: load.wallMs,
    ...(usb === 'hid' ? { goal: '>= 90% of the binding limit', met: loadRate / binding >= 0.9 } : {}),
  }));
  const apiRate = SIZE / (api.ns / 1e9);
  for (const [name, r] of [['read (dump)', read], ['write (restore)', write]]) {
    const rate = SIZE / (r.ns / 1e9);
    const limit = Math.min(usb === 'hid' ? (name.startsWith('read') ? 60_000 : 59_000) : RAW[usb], SWD_LIMIT);
    console.log(JSON.stringify({
      bench: `GDB ${name} of 64 KiB SRAM through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}`,
      kib_per_s_virtual: rate / 1024,
      limit_kib_per_s: limit / 1024,
      fraction_of_limit: rate / limit,
      ...(name.startsWith('read') ? { target_api_block_read_kib_per_s: apiRate / 1024, fraction_of_target_api: rate / apiRate } : {}),
      dap_packets_per_kib: r.packets / (SIZE / 1024),
      wall_ms: r.wallMs,
      ...(name.startsWith('read') && usb === 'bulk'
        ? { goal: '>= 90% of the Target API block read', met: rate / apiRate >= 0.9 }
        : {}),
    }));
  }
  const perStep = step.packets / STEPS;
  const stepsPerS = STEPS / (step.ns / 1e9);
  console.log(JSON.stringify({
    bench: `GDB stepi through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}`,
    dap_packets_per_step: perStep,
    steps_per_s_virtual: stepsPerS,
    ...(usb === 'hid' ? { goal: '<= 8 DAP packets and >= 80 steps/s', met: perStep <= 8 && stepsPerS >= 80 } : {}),
  }));
  await gdb.quit();
  await server.close();
  await probe.close();
}

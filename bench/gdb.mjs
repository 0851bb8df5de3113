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

for (const usb of ['hid', 'bulk']) {
  const probe = await openProbe({ sim: 'stm32f407', usb });
  installFixture(probe.sim, loadFixture('stm32f407'));
  probe.sim.reset('system');
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
  const read = await phase(`dump binary memory ${file} 0x20000000 0x${(0x20000000 + SIZE).toString(16)}`);
  const write = await phase(`restore ${file} binary 0x20000000`);
  const step = await phase(`stepi ${STEPS}`);
  const load = await phase(`load ${image}`);
  if (!/Transfer rate/.test(load.out)) throw new Error(`load failed:\n${load.out}`);
  const loadRate = FLASH / 1024 / (load.ns / 1e9);
  console.log(JSON.stringify({
    bench: `GDB load of 256 KiB into the stm32f407's flash through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}`,
    kib_per_s_virtual: loadRate,
    fraction_of_flash_limit: loadRate / (FLASH / 1024 / FLASH_LIMIT_S),
    dap_packets_per_kib: load.packets / (FLASH / 1024),
    wall_ms: load.wallMs,
  }));
  for (const [name, r] of [['read (dump)', read], ['write (restore)', write]]) {
    const rate = SIZE / (r.ns / 1e9);
    console.log(JSON.stringify({
      bench: `GDB ${name} of 64 KiB SRAM through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}`,
      kib_per_s_virtual: rate / 1024,
      fraction_of_raw_usb: rate / RAW[usb],
      dap_packets_per_kib: r.packets / (SIZE / 1024),
      wall_ms: r.wallMs,
    }));
  }
  console.log(JSON.stringify({
    bench: `GDB stepi through the virtual probe on ${usb === 'hid' ? 'full-speed HID' : 'high-speed bulk'}`,
    dap_packets_per_step: step.packets / STEPS,
    steps_per_s_virtual: STEPS / (step.ns / 1e9),
  }));
  await gdb.quit();
  await server.close();
  await probe.close();
}

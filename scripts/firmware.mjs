#!/usr/bin/env node
// Builds the probe firmware (firmware/CMakeLists.txt) into build-firmware/ with Debian's
// arm-none-eabi toolchain, then reports each image's code and RAM against the budget its
// bmp_firmware_outputs() call gave (build-firmware/images/<target>.json):
//   code  what goes into flash: text, read-only data and the initial values of data;
//   RAM   data and bss, with the stack and heap sections a linker script reserves.
// Fails if the build fails or an image is over a budget.
//
//   npm run firmware [-- --jobs N]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const build = join(root, 'build-firmware');
const jobsAt = process.argv.indexOf('--jobs');
const jobs = jobsAt > 0 ? process.argv[jobsAt + 1] : '2';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('cmake', ['-S', join(root, 'firmware'), '-B', build]);
run('cmake', ['--build', build, '-j', jobs]);

/** Section name -> size, from `size -A` (sysv format). */
function sections(elf) {
  const r = spawnSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-size ${elf}: ${r.stderr}`);
  const out = new Map();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** text, data and bss as `size` (Berkeley format) counts them. */
function berkeley(elf) {
  const r = spawnSync('arm-none-eabi-size', ['-B', elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-size ${elf}: ${r.stderr}`);
  const [text, data, bss] = r.stdout.trim().split('\n').at(-1).trim().split(/\s+/).map(Number);
  return { text, data, bss };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const manifests = join(build, 'images');
const images = existsSync(manifests)
  ? readdirSync(manifests).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(manifests, f), 'utf8')))
  : [];
if (!images.length) {
  console.error('firmware: no image was built (nothing called bmp_firmware_outputs)');
  process.exit(1);
}

let over = 0;
console.log('\nfirmware images (Cortex-M7, -Os):');
for (const image of images) {
  const { text, data, bss } = berkeley(image.elf);
  const byName = sections(image.elf);
  const code = text + data;
  const ram = data + bss;
  const reserved = ['.heap', '.stack'].filter((s) => byName.has(s)).map((s) => `${s.slice(1)} ${kib(byName.get(s))}`);
  const verdict = (value, budget) => {
    if (!budget) return 'no budget';
    if (value > budget) {
      over++;
      return `OVER the budget of ${kib(budget)} by ${value - budget} bytes`;
    }
    return `budget ${kib(budget)} (${Math.round((100 * value) / budget)}%)`;
  };
  console.log(`  ${image.name} (${relative(root, image.elf)})`);
  console.log(`    code ${code} bytes (${kib(code)}): ${verdict(code, image.codeBudget)}`);
  console.log(`    RAM  ${ram} bytes (${kib(ram)})${reserved.length ? `, of which ${reserved.join(', ')}` : ''}: ${verdict(ram, image.ramBudget)}`);
}
if (over) {
  console.error(`firmware: ${over} figure(s) over budget`);
  process.exit(1);
}

#!/usr/bin/env node
// The whole test suite, as `npm test` runs it: TypeScript build, native unit tests (plain and
// under ASan/UBSan), the probe firmware build (which the QEMU tests run), mocha tests, and the
// build checks (cross-compile of the portable core, byte-identical fixture rebuild, CMake build
// of the addon, and the release: npm pack in a clean clone of HEAD, the tarball installed and
// put to work with no compiler). Every part adds to one count; the last line is
// "N passed, M failed".
//
//   node scripts/test.mjs [--quick]   --quick skips the sanitizer build and the packaging checks,
//                                     and shortens the differential tests (BMP_DIFF_QUICK=1)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const quick = process.argv.includes('--quick');
let passed = 0;
let failed = 0;
const failures = [];

function log(line) {
  process.stdout.write(line + '\n');
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  return { status: r.status ?? 1, out: (r.stdout ?? '') + (r.stderr ?? ''), error: r.error };
}

/** A check that counts as one test. */
function check(name, fn) {
  const started = Date.now();
  let ok = false;
  let detail = '';
  try {
    const r = fn();
    ok = r.ok;
    detail = r.detail ?? '';
  } catch (error) {
    detail = String(error?.stack ?? error);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (ok) {
    passed++;
    log(`  ok    ${name} (${secs} s)`);
  } else {
    failed++;
    failures.push(name);
    log(`  FAIL  ${name} (${secs} s)\n${indent(detail)}`);
  }
  return ok;
}

function indent(text) {
  return text
    .trim()
    .split('\n')
    .slice(-60)
    .map((l) => '        ' + l)
    .join('\n');
}

/**
 * Runs a script that reports several checks, one line each: "ok - <name>" or "not ok - <name>",
 * followed by lines indented by four spaces (details, shown as they come). Each counts as a test;
 * a non-zero exit with no "not ok" line counts as one more failure.
 */
function namedChecks(label, cmd, args, options) {
  const started = Date.now();
  const r = run(cmd, args, options);
  let reported = 0;
  let notOk = 0;
  for (const line of r.out.split('\n')) {
    const m = /^(ok|not ok) - (.*)$/.exec(line);
    if (m) {
      reported++;
      if (m[1] === 'ok') {
        passed++;
        log(`  ok    ${label}: ${m[2]}`);
      } else {
        notOk++;
        failed++;
        failures.push(`${label}: ${m[2]}`);
        log(`  FAIL  ${label}: ${m[2]}`);
      }
    } else if (line.startsWith('    ')) {
      log('    ' + line);
    } else if (line.startsWith('skipped: ')) {
      log(`  skip  ${label}: ${line.slice(9)}`);
    }
  }
  if (r.status !== 0 && notOk === 0) {
    failed++;
    failures.push(label);
    log(`  FAIL  ${label}: exited with ${r.status} after ${reported} checks\n${indent(r.out || String(r.error ?? ''))}`);
  }
  log(`        ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function step(cmd, args, options) {
  const r = run(cmd, args, options);
  return { ok: r.status === 0, detail: r.out || String(r.error ?? '') };
}

/** Builds the native unit tests in `dir` and runs every test_* binary, adding up their counts.
 * `shortRuns`: the differential tests run their short form (BMP_DIFF_QUICK=1). */
function nativeTests(label, dir, extra, shortRuns) {
  const built = check(`${label}: build`, () => {
    const c = run('cmake', ['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', ...extra]);
    if (c.status !== 0) return { ok: false, detail: c.out };
    return step('cmake', ['--build', dir, '-j2']);
  });
  if (!built) return;
  const binaries = readdirSync(join(root, dir))
    .filter((f) => f.startsWith('test_') && statSync(join(root, dir, f)).mode & 0o111)
    .sort();
  for (const bin of binaries) {
    const env = shortRuns ? { ...process.env, BMP_DIFF_QUICK: '1' } : process.env;
    const r = run(join(root, dir, bin), [], { timeout: 600_000, env });
    // The summary is the last such line (stderr's notes may follow stdout's in the capture).
    const m = [...r.out.matchAll(/^(\d+) passed, (\d+) failed\s*$/gm)].at(-1);
    if (m && r.status === 0 === (Number(m[2]) === 0)) {
      passed += Number(m[1]);
      failed += Number(m[2]);
      log(`  ${Number(m[2]) ? 'FAIL' : 'ok  '}  ${label}: ${bin}: ${m[1]} passed, ${m[2]} failed`);
      if (Number(m[2])) {
        failures.push(`${label}: ${bin}`);
        log(indent(r.out));
      }
    } else {
      failed++;
      failures.push(`${label}: ${bin}`);
      log(`  FAIL  ${label}: ${bin} exited with ${r.status} without a summary\n${indent(r.out)}`);
    }
  }
}

async function mochaTests() {
  const { default: Mocha } = await import('mocha');
  const dir = join(root, 'dist', 'test');
  // A failing test prints the seed of its random data (test/helpers/random.ts).
  const { mochaHooks } = await import(join(dir, 'helpers', 'random.js'));
  const mocha = new Mocha({ timeout: 60_000, reporter: 'spec', rootHooks: mochaHooks });
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.test.js') ? [join(d, e.name)] : [],
    );
  for (const f of walk(dir).sort()) mocha.addFile(f);
  await mocha.loadFilesAsync();
  await new Promise((done) => {
    const runner = mocha.run(() => done());
    runner.on('pass', () => passed++);
    runner.on('fail', (t) => {
      failed++;
      failures.push(`mocha: ${t.fullTitle()}`);
    });
  });
}

log('TypeScript');
rmSync(join(root, 'dist'), { recursive: true, force: true }); // no stale compiled tests
if (!check('tsc', () => step('npx', ['tsc', '-p', 'tsconfig.json']))) {
  log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}

log('Native addon');
// Always rebuilt, so that the tests never load a stale addon.
check('node-gyp build of the addon', () => step('npm', ['run', 'build:addon']));

log('Native unit tests');
// --quick also shortens the differential tests against Unicorn; the sanitizer build always runs
// them short (it looks for memory errors, the plain build does the million instructions).
nativeTests('native', 'build-native', [], quick);
if (!quick) nativeTests('native+asan+ubsan', 'build-native-asan', ['-DBMP_SANITIZE=ON'], true);

/** DFU 1.1's CRC-32 (appendix B): reflected polynomial 0xEDB88320, preset to ones, no final XOR. */
function dfuCrc(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc >>> 0;
}

/**
 * One board's .dfu through dfu-util's own tools: dfu-suffix -c reads the suffix (it prints the
 * stored CRC without checking it, so the CRC is compared here), and dfuse-pack -d parses the
 * DfuSe prefix, target and element and dumps the element, which must be the board's .bin.
 */
function dfuCheck(board, image = board) {
  const json = JSON.parse(readFileSync(join(root, 'boards', `${board}.json`), 'utf8'));
  const bootloader = image !== board;
  // A bootloader's .dfu is for ST's ROM DFU, at the flash base.
  const usb = bootloader ? json.bootloader.stRomDfu.usb : json.dfu;
  const base = bootloader ? json.flash.bootloader.base : json.flash.app.base;
  const file = join(root, 'firmware', 'images', `${image}.dfu`);
  const bytes = readFileSync(file);
  const problems = [];
  const want = (what, got, expected) => {
    if (got !== expected) problems.push(`${what}: ${got} instead of ${expected}`);
  };
  const suffix = run('dfu-suffix', ['-c', file]);
  if (suffix.status !== 0) return { ok: false, detail: suffix.out || String(suffix.error ?? '') };
  const field = (name) => Number.parseInt(new RegExp(`^${name}:\\s*0x([0-9a-f]+)`, 'im').exec(suffix.out)?.[1] ?? 'NaN', 16);
  want('dfu-suffix: Vendor ID', field('Vendor ID'), Number.parseInt(usb.vid, 16));
  want('dfu-suffix: Product ID', field('Product ID'), Number.parseInt(usb.pid, 16));
  want('dfu-suffix: BCD DFU', field('BCD DFU'), 0x011a);
  want('dfu-suffix: CRC', field('CRC'), dfuCrc(bytes.subarray(0, bytes.length - 4)));
  const dir = mkdtempSync(join(tmpdir(), 'bmp-dfuse-'));
  try {
    copyFileSync(file, join(dir, 'image.dfu')); // dfuse-pack dumps beside the file it reads
    const dump = run('dfuse-pack', ['-d', join(dir, 'image.dfu')]);
    if (dump.status !== 0) problems.push(`dfuse-pack -d: ${dump.out}`);
    const element = /address: 0x([0-9a-f]+), size: (\d+)/i.exec(dump.out);
    want('dfuse-pack: element address', Number.parseInt(element?.[1] ?? 'NaN', 16), Number.parseInt(base, 16));
    want('dfuse-pack: targets', /targets: (\d+)/.exec(dump.out)?.[1], '1');
    want('dfuse-pack: VID:PID', /usb: ([0-9a-f]{4}:[0-9a-f]{4})/i.exec(dump.out)?.[1]?.toLowerCase(),
      `${usb.vid.slice(2)}:${usb.pid.slice(2)}`.toLowerCase());
    const dumped = readFileSync(join(dir, 'image.dfu.target0.image0.bin'));
    if (!dumped.equals(readFileSync(join(root, 'firmware', 'images', `${image}.bin`)))) problems.push('the element dfuse-pack dumped is not the .bin');
  } catch (error) {
    problems.push(String(error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ok: problems.length === 0, detail: `${problems.join('\n')}\n${suffix.out}` };
}

log('Probe firmware');
check('firmware: the GPIO swd_phy\'s clock arithmetic (half periods, never above the request), on the PC', () => {
  const exe = join(tmpdir(), `bmp-swd-clock-${process.pid}`);
  const c = run('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-Ifirmware', '-Inative/core',
    'test/firmware/swd_clock_test.c', 'firmware/chip/swd_clock.c', '-o', exe]);
  if (c.status !== 0) return { ok: false, detail: c.out };
  const r = run(exe, []);
  rmSync(exe, { force: true });
  return { ok: r.status === 0 && / 0 failed\s*$/.test(r.out), detail: r.out };
});
// Before mocha: test/firmware-qemu.test.ts runs the QEMU image built here, and
// test/firmware-images.test.ts reads the board images.
if (check('probe firmware builds for Cortex-M7 with no warnings (npm run firmware): the QEMU image and every board image, each within its budget', () =>
  step('npm', ['run', 'firmware'], { timeout: 900_000 }),
)) {
  for (const board of readdirSync(join(root, 'boards')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort()) {
    check(`firmware: ${board}.dfu passes dfu-suffix -c and dfuse-pack -d (VID:PID, element address, CRC, contents)`, () => dfuCheck(board));
    if (existsSync(join(root, 'firmware', 'images', `${board}-bootloader.dfu`))) {
      check(`firmware: ${board}-bootloader.dfu (for ST's ROM DFU) passes dfu-suffix -c and dfuse-pack -d`, () => dfuCheck(board, `${board}-bootloader`));
    }
  }
}

log('Mocha');
await mochaTests();

log('USB through a real Linux kernel');
// Debian's kernel under QEMU: bmp-gdbserver gadget on dummy_hcd, and node-usb, node-hid,
// gdb-multiarch (also over /dev/ttyACM0), OpenOCD and pyOCD as its USB host (test/vm/).
namedChecks('USB VM', 'node', ['test/vm/usb-vm.mjs'], { timeout: 1_000_000 });

log('Build checks');
check('portable core cross-compiles for Cortex-M7 with no warnings and fits the firmware budget (code <= 56 KiB, static RAM <= 40 KiB)', () =>
  step('bash', ['scripts/cross-compile-core.sh']),
);
check('fixture firmware rebuilds byte-identical', () =>
  step('bash', ['test/fixtures/firmware/build.sh', '--check']),
);
check('flash loader blob rebuilds byte-identical from its source', () =>
  step('bash', ['native/core/flash/loader/build.sh', '--check']),
);
check('simulated RP2040 boot ROM rebuilds byte-identical from its source', () =>
  step('bash', ['scripts/gen-rp2040-bootrom.sh', '--check']),
);
if (!quick) {
  check('CMake (cmake-js) build of the addon loads and works', () => {
    const b = run('npx', ['cmake-js', 'compile', '--out', 'build-cmake']);
    if (b.status !== 0) return { ok: false, detail: b.out };
    return step('node', ['scripts/smoke.mjs'], {
      env: { ...process.env, BMP_NATIVE_PATH: join(root, 'build-cmake', 'Release', 'bmp_native.node') },
    });
  });
  // Every libFuzzer target (RSP packets, GDB server, DAP engine, USB stack, DfuSe bootloader)
  // under ASan/UBSan/LSan: each kept corpus and regression input replayed, then a few seconds
  // of fuzzing each (docs/FUZZING.md).
  namedChecks('libFuzzer', 'node', ['scripts/fuzz.mjs'], { timeout: 900_000 });
  // Clones HEAD: what is not committed is not tested here.
  namedChecks('release tarball', 'bash', ['scripts/check-tarball.sh'], { timeout: 900_000 });
}

if (failures.length) log(`\nFailed:\n${failures.map((f) => '  ' + f).join('\n')}`);
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/**
 * bmp-firmware, run as a user runs it (a child process), against simulated parts that keep their
 * flash and option bytes in a state file between runs (--sim-state): installing each board's
 * images into the matching part and reading them back, the bootloader when the manifest has one,
 * refusing a part of another family before anything is written, read-out protection (level 2
 * refused and left alone; level 1 refused without --yes, removed with it: the chip mass-erased,
 * then installed), `list`, the udev rules and the argument errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findBoard } from '../lib/firmware/boards.js';
import { installOverSwd } from '../lib/firmware/swd-install.js';
import { makeSimState, readSimState, simStateFlash, type SimState } from '../lib/sim-state.js';
import { openProbe } from '../lib/target.js';
import { Random } from './helpers/random.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../lib/cli/bmp-firmware.js', import.meta.url));
const images = join(root, 'firmware', 'images');

/** Which simulated part each board's MCU is. */
const boards = [
  { board: 'stlink3mini', profile: 'stm32f723', app: 0x08008000, bootloader: { base: 0x08000000, size: 0x8000 } },
  { board: 'devebox-stm32h743', profile: 'stm32h743', app: 0x08020000, bootloader: { base: 0x08000000, size: 0x20000 } },
  { board: 'devebox-stm32h750', profile: 'stm32h750', app: 0x08000000, bootloader: null },
] as const;

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('bmp-firmware (CLI)', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    if (!existsSync(join(images, 'manifest.json'))) {
      throw new Error('firmware/images/manifest.json is missing: build the images first (npm run firmware)');
    }
    dir = mkdtempSync(join(tmpdir(), 'bmp-firmware-test-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A state file for a part of this profile with random flash (a used part) and this RDP byte. */
  function usedPart(name: string, profile: string, rdp = 0xaa): { file: string; flash: Uint8Array } {
    const state = makeSimState(profile, { rdp });
    const flash = new Random(`${name}:${profile}`).bytes(state.flash.size);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(makeSimState(profile, { flash, rdp })));
    return { file, flash };
  }

  function stateOf(file: string, profile: string): { state: SimState; flash: Uint8Array } {
    const state = readSimState(file, profile);
    return { state, flash: simStateFlash(state) };
  }

  function bin(board: string): Uint8Array {
    return new Uint8Array(readFileSync(join(images, `${board}.bin`)));
  }

  it('list --json shows every board and the images in the package: version, size, sha256', () => {
    const r = run(['list', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const manifest = JSON.parse(readFileSync(join(images, 'manifest.json'), 'utf8'));
    assert.equal(out.version, manifest.version);
    assert.deepEqual(out.boards.map((b: { name: string }) => b.name), boards.map((b) => b.board).sort());
    for (const b of boards) {
      const entry = out.boards.find((x: { name: string }) => x.name === b.board);
      const data = bin(b.board);
      const loader = b.bootloader ? bin(`${b.board}-bootloader`) : undefined;
      assert.deepEqual(entry.images, [
        ...(loader
          ? [{ kind: 'bootloader', file: `${b.board}-bootloader.bin`, address: '0x08000000', bytes: loader.length, sha256: sha256(loader) }]
          : []),
        { kind: 'application', file: `${b.board}.bin`, address: `0x${b.app.toString(16).toUpperCase().padStart(8, '0')}`, bytes: data.length, sha256: sha256(data) },
      ]);
      assert.equal(entry.app.base, `0x${b.app.toString(16).toUpperCase().padStart(8, '0')}`);
      assert.equal(entry.bootloader === null, b.bootloader === null);
    }
    const text = run(['list']);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /stlink3mini +STLINK-V3MINI +STM32F723IEK6 \(DEV_ID 0x452\)/);
    assert.match(text.stdout, new RegExp(`Firmware images, version ${manifest.version}`));
  });

  for (const b of boards) {
    it(`installs ${b.board}'s application into a simulated ${b.profile}; what is read back equals the image`, () => {
      const part = usedPart(`install-${b.board}`, b.profile);
      const r = run(['install', '--board', b.board, '--swd', '--sim', b.profile, '--sim-state', part.file, '--json']);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const report = JSON.parse(r.stdout);
      const image = bin(b.board);
      assert.equal(report.ok, true);
      assert.equal(report.target.devId, b.profile === 'stm32f723' ? '0x452' : '0x450');
      assert.deepEqual(report.readProtection, { level: 0, rdp: 0xaa, removed: false });
      // the package's bootloader first, where the board has one of ours, then the application
      const loader = b.bootloader ? bin(`${b.board}-bootloader`) : undefined;
      assert.deepEqual(
        report.images.map((i: { kind: string; bytes: number; sha256: string; verified: boolean }) => [i.kind, i.bytes, i.sha256, i.verified]),
        [
          ...(loader ? [['bootloader', loader.length, sha256(loader), true]] : []),
          ['application', image.length, sha256(image), true],
        ],
      );
      const { flash } = stateOf(part.file, b.profile);
      const at = b.app - 0x08000000;
      assert.ok(Buffer.from(flash.subarray(at, at + image.length)).equals(image), 'the application reads back as the image');
      if (loader) assert.ok(Buffer.from(flash.subarray(0, loader.length)).equals(loader), 'the bootloader reads back as its image');
    });
  }

  it('writes the bootloader too when the manifest has one, at the bootloader region, and verifies both', () => {
    const custom = join(dir, 'images-with-bootloader');
    rmSync(custom, { recursive: true, force: true });
    const manifest = JSON.parse(readFileSync(join(images, 'manifest.json'), 'utf8'));
    mkdirSync(custom);
    const loaders = new Map<string, Uint8Array>();
    for (const entry of manifest.boards) {
      copyFileSync(join(images, `${entry.board}.bin`), join(custom, `${entry.board}.bin`));
      const b = boards.find((x) => x.board === entry.board)!;
      if (!b.bootloader) continue;
      const loader = new Random(`bootloader:${b.board}`).bytes(b.bootloader.size - 1000);
      loaders.set(b.board, loader);
      writeFileSync(join(custom, `${b.board}-bootloader.bin`), loader);
      entry.bootloaderImage = {
        base: entry.bootloader.base,
        files: { bin: { name: `${b.board}-bootloader.bin`, bytes: loader.length, sha256: sha256(loader) } },
      };
    }
    writeFileSync(join(custom, 'manifest.json'), JSON.stringify(manifest, null, 2));
    for (const b of boards.filter((x) => x.bootloader)) {
      const part = usedPart(`bootloader-${b.board}`, b.profile);
      const r = run(['install', '--board', b.board, '--swd', '--sim', b.profile, '--sim-state', part.file, '--images', custom]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^bootloader .*-bootloader\.bin: \d+ bytes at 0x08000000, sha256 [0-9a-f]{64}, verified$/m);
      assert.match(r.stdout, /^application .*\.bin: \d+ bytes at 0x080[0-9A-F]{5}, sha256 [0-9a-f]{64}, verified$/m);
      assert.doesNotMatch(r.stdout, /Note:/);
      const { flash } = stateOf(part.file, b.profile);
      const loader = loaders.get(b.board)!;
      assert.ok(Buffer.from(flash.subarray(0, loader.length)).equals(loader), 'the bootloader reads back');
      const app = bin(b.board), at = b.app - 0x08000000;
      assert.ok(Buffer.from(flash.subarray(at, at + app.length)).equals(app), 'the application reads back');
    }
    // a manifest whose file does not match its digest is refused before the target is touched
    const entry = manifest.boards.find((e: { board: string }) => e.board === 'stlink3mini');
    entry.bootloaderImage.files.bin.sha256 = '0'.repeat(64);
    writeFileSync(join(custom, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const part = usedPart('bad-digest', 'stm32f723');
    const r = run(['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--sim-state', part.file, '--images', custom]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not the file its manifest describes.*\[EIMAGE\]/);
    assert.ok(Buffer.from(stateOf(part.file, 'stm32f723').flash).equals(part.flash));
  });

  it('--image: an application from a file (.bin at the application base, .hex at its addresses); one that does not fit is a usage error', () => {
    const image = bin('stlink3mini');
    const hex = join(images, 'stlink3mini.hex');
    for (const file of [join(images, 'stlink3mini.bin'), hex]) {
      if (!existsSync(file)) continue;
      const part = usedPart(`image-${file.slice(-3)}`, 'stm32f723');
      const r = run(['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--sim-state', part.file, '--image', file]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const { flash } = stateOf(part.file, 'stm32f723');
      assert.ok(Buffer.from(flash.subarray(0x8000, 0x8000 + image.length)).equals(image));
    }
    const big = join(dir, 'too-big.bin');
    writeFileSync(big, new Uint8Array(480 * 1024 + 4));
    const part = usedPart('image-big', 'stm32f723');
    const r = run(['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--sim-state', part.file, '--image', big]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lies outside stlink3mini's application region \(0x08008000, 480 KiB\).*\[EIMAGE\]/);
    assert.ok(Buffer.from(stateOf(part.file, 'stm32f723').flash).equals(part.flash), 'nothing written');
  });

  it('refuses a part that is not the board\'s MCU before anything is written', () => {
    const cases = [
      { board: 'stlink3mini', profile: 'stm32f407', why: /the target is STM32F40x\/41x \(DEV_ID 0x413\), not STLINK-V3MINI's STM32F723IEK6 \(DEV_ID 0x452/ },
      { board: 'stlink3mini', profile: 'stm32h743', why: /DEV_ID 0x450\), not STLINK-V3MINI's STM32F723IEK6/ },
      { board: 'devebox-stm32h750', profile: 'stm32f723', why: /DEV_ID 0x452\), not DevEBox STM32H750's STM32H750VBT6/ },
      // the same die and DEV_ID: the flash-size register tells them apart
      { board: 'devebox-stm32h743', profile: 'stm32h750', why: /the target's flash is 128 KiB, but DevEBox STM32H743's STM32H743VIT6 .*2048 KiB/ },
      { board: 'devebox-stm32h750', profile: 'stm32h743', why: /the target's flash is 2048 KiB, but DevEBox STM32H750's STM32H750VBT6/ },
    ];
    for (const c of cases) {
      const part = usedPart(`wrong-${c.board}-${c.profile}`, c.profile);
      const r = run(['install', '--board', c.board, '--swd', '--sim', c.profile, '--sim-state', part.file]);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /refused: /);
      assert.match(r.stderr, c.why);
      assert.match(r.stderr, /nothing was written \[EREFUSED\]/);
      assert.ok(Buffer.from(stateOf(part.file, c.profile).flash).equals(part.flash), `${c.profile}: flash untouched`);
    }
  });

  it('read-out protection level 2: refused with the reason, the part left as it was', () => {
    const part = usedPart('rdp2', 'stm32f723', 0xcc);
    const r = run(['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--sim-state', part.file]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /A part at read-out protection level 2 does not answer either: level 2 is permanent/);
    assert.match(r.stderr, /no tool can ever erase or reprogram it/);
    const { state, flash } = stateOf(part.file, 'stm32f723');
    assert.equal(state.optionBytes?.rdp, 0xcc);
    assert.ok(Buffer.from(flash).equals(part.flash));
    const json = run(['install', '--board', 'devebox-stm32h750', '--swd', '--sim', 'stm32h750', '--sim-state', usedPart('rdp2-h7', 'stm32h750', 0xcc).file, '--json']);
    const out = JSON.parse(json.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.error.code, 'ENOTARGET');
    assert.match(out.error.message, /read-out protection level 2 .*level 2 is permanent/);
  });

  for (const b of [boards[0], boards[2]]) {
    it(`read-out protection level 1 on the ${b.profile}: refused without --yes, untouched; with --yes removed (the chip mass-erased), then installed`, () => {
      const part = usedPart(`rdp1-${b.board}`, b.profile, 0xbb);
      const no = run(['install', '--board', b.board, '--swd', '--sim', b.profile, '--sim-state', part.file]);
      assert.equal(no.status, 3, no.stderr);
      assert.match(no.stderr, /refused: the target's read-out protection is at level 1 \(RDP byte 0xBB\); removing it erases the whole chip/);
      assert.match(no.stderr, /--yes/);
      let now = stateOf(part.file, b.profile);
      assert.equal(now.state.optionBytes?.rdp, 0xbb);
      assert.ok(Buffer.from(now.flash).equals(part.flash), 'untouched');

      const yes = run(['install', '--board', b.board, '--swd', '--sim', b.profile, '--sim-state', part.file, '--yes']);
      assert.equal(yes.status, 0, yes.stdout + yes.stderr);
      assert.match(yes.stderr, /Read-out protection: level 1 \(RDP byte 0xBB\)/);
      assert.match(yes.stderr, /mass-erases its flash/);
      assert.match(yes.stderr, /Read-out protection: level 0 \(the flash was erased\)/);
      now = stateOf(part.file, b.profile);
      assert.equal(now.state.optionBytes?.rdp, 0xaa);
      const image = bin(b.board), at = b.app - 0x08000000;
      assert.ok(Buffer.from(now.flash.subarray(at, at + image.length)).equals(image), 'installed');
      const loader = b.bootloader ? bin(`${b.board}-bootloader`) : new Uint8Array(0);
      assert.ok(Buffer.from(now.flash.subarray(0, loader.length)).equals(loader), 'the bootloader installed');
      const rest = Buffer.concat([now.flash.subarray(loader.length, at), now.flash.subarray(at + image.length)]);
      assert.ok(rest.every((byte) => byte === 0xff), 'everything else was erased');
    });
  }

  it('a part that still answers but shows level 2 (an F7 with level 2 programmed, before the reset that loads it) is refused, and asked nothing', async () => {
    const probe = await openProbe({ sim: 'stm32f723' });
    const sim = probe.sim!;
    const before = new Random('shows-level-2').bytes(64);
    sim.load(0x08008000, before);
    sim.busWrite(0x40023c08, 0x08192a3b); // OPTKEYR
    sim.busWrite(0x40023c08, 0x4c5d6e7f);
    sim.busWrite(0x40023c14, 0xc0ffccfc | 2); // RDP 0xCC, OPTSTRT
    sim.advance(10_000_000);
    let asked = false;
    await assert.rejects(
      installOverSwd({
        probe,
        board: findBoard('stlink3mini'),
        images: [{ kind: 'application', source: 'random', segments: [{ address: 0x08008000, data: new Random('never-written').bytes(256) }] }],
        confirm: async () => (asked = true),
      }),
      (e: Error & { code?: string }) => e.code === 'EREFUSED' && /read-out protection is at level 2 \(RDP byte 0xCC\): level 2 is permanent/.test(e.message),
    );
    assert.equal(asked, false);
    assert.deepEqual([...sim.peek(0x08008000, 64)], [...before]);
    await probe.close();
  });

  it('--udev-rules prints the shipped udev/60-bmp-gdbserver.rules: the boards\' USB IDs and the DFU devices, with uaccess', () => {
    const r = run(['--udev-rules']);
    assert.equal(r.status, 0, r.stderr);
    const shipped = readFileSync(join(root, 'udev', '60-bmp-gdbserver.rules'), 'utf8');
    assert.equal(r.stdout, shipped, 'udev/60-bmp-gdbserver.rules is stale: regenerate it with bmp-firmware --udev-rules');
    for (const [vid, pid] of [['1d50', '6018'], ['1d50', '6017'], ['0483', 'df11']]) {
      assert.match(r.stdout, new RegExp(`^SUBSYSTEM=="usb", ATTR\\{idVendor\\}=="${vid}", ATTR\\{idProduct\\}=="${pid}", MODE="0660", GROUP="plugdev", TAG\\+="uaccess"$`, 'm'));
    }
    assert.match(r.stdout, /^KERNEL=="hidraw\*", SUBSYSTEM=="hidraw", ATTRS\{idVendor\}=="1d50", ATTRS\{idProduct\}=="6018", .*TAG\+="uaccess"$/m);
    assert.match(r.stdout, /^SUBSYSTEM=="tty", ATTRS\{idVendor\}=="1d50", ATTRS\{idProduct\}=="6018", .*ENV\{ID_MM_DEVICE_IGNORE\}="1"$/m);
  });

  it('bad arguments exit 2 with a clear message; over USB DFU with no device attached, it says how to get one and erases nothing', () => {
    const cases: [string[], RegExp][] = [
      [[], /a command is needed: list or install/],
      [['flash'], /unknown command 'flash'/],
      [['install', '--swd'], /install needs --board <name>/],
      [['install', '--board', 'nucleo', '--swd'], /no board named 'nucleo' \(one of devebox-stm32h743, devebox-stm32h750, stlink3mini\)/],
      [['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f999'], /unknown profile 'stm32f999'/],
      [['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--probe', 'X'], /--sim and --probe exclude each other/],
      [['install', '--board', 'stlink3mini', '--swd', '--sim-state', 'x.json'], /--sim-state goes with --sim/],
      [['install', '--board', 'stlink3mini', '--swd', '--sim', 'stm32f723', '--image', join(dir, 'missing.bin')], /--image: cannot read/],
      [['list', '--board', 'stlink3mini'], /--board applies to install/],
      [['list', 'extra'], /unexpected argument 'extra'/],
      [['--udev-rules', 'list'], /--udev-rules is a command of its own/],
      [['install', '--bord', 'stlink3mini'], /Unknown option '--bord'/],
      [['install', '--board', 'stlink3mini', '--probe', 'X'], /--probe, --sim and --sim-state go with --swd/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    // No DFU device on this machine (the installer itself is tested against the virtual device
    // in dfu-install.test.ts): a clear error naming the device and how to enter DFU mode.
    const r = run(['install', '--board', 'stlink3mini']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no DFU device for stlink3mini \(1d50:6017\).*Nothing was erased\. \[ENOPROBE\]/);
    // An image for another board is refused before any device is looked for (exit 3).
    const wrong = run(['install', '--board', 'stlink3mini', '--image', join(images, 'devebox-stm32h743.dfu')]);
    assert.equal(wrong.status, 3, wrong.stderr);
    assert.match(wrong.stderr, /is not for stlink3mini: .*Nothing was erased\. \[EIMAGE\]/);
  });
});

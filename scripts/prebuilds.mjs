#!/usr/bin/env node
/**
 * Builds the prebuilt addons the published tarball carries: prebuilds/linux-x64,
 * prebuilds/linux-arm64 (with prebuildify and node-gyp) and prebuilds/win32-x64 (with MinGW-w64:
 * scripts/prebuild-win32.mjs). Node-API, so one binary per platform serves every Node version. `npm pack` and `npm publish` run it (the prepack script, after tsc);
 * so does `npm run build:prebuilds`.
 *
 * - No download: node-gyp gets its headers from a directory made here out of the node-api-headers
 *   package (the addon uses only Node-API, through node-addon-api), with scripts/prebuild.gypi
 *   as its common.gypi. The Node installation running this lends nothing to the result.
 * - The build runs in a scratch copy of the sources, so a developer's build/ is left alone.
 * - The architecture that is not the host's is cross-compiled with Debian's cross toolchain
 *   (on x64: gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu, binutils-aarch64-linux-gnu) and
 *   stripped with that toolchain's strip.
 * - The results are checked by scripts/check-prebuilds.sh (ELF machine; glibc and libstdc++
 *   versions no newer than Debian 12's), so a release cannot carry a binary that fails there.
 *
 * - win32-x64 is cross-compiled with Debian's MinGW-w64 (g++-mingw-w64-x86-64-posix), its C++
 *   runtime and winpthreads linked in; scripts/check-prebuilds.sh checks what DLLs it imports.
 *
 *   node scripts/prebuilds.mjs [--arch x64,arm64] [--no-win32]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { buildWin32, WIN32_DEBIAN, WIN32_TOOLS } from './prebuild-win32.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(join(root, 'package.json'));

/** GNU triplet and Debian cross packages of each architecture we make prebuilds for. */
const ARCHES = {
  x64: { triplet: 'x86_64-linux-gnu', debian: 'gcc-x86-64-linux-gnu g++-x86-64-linux-gnu binutils-x86-64-linux-gnu' },
  arm64: { triplet: 'aarch64-linux-gnu', debian: 'gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu' },
};

function fail(message) {
  process.stderr.write(`prebuilds: ${message}\n`);
  process.exit(1);
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

const { values } = parseArgs({
  options: { arch: { type: 'string', default: Object.keys(ARCHES).join(',') }, 'no-win32': { type: 'boolean', default: false } },
});
const win32 = !values['no-win32'];
const arches = values.arch.split(',').filter(Boolean);
for (const arch of arches) if (!ARCHES[arch]) fail(`no prebuild is made for '${arch}' (known: ${Object.keys(ARCHES).join(', ')})`);
if (process.platform !== 'linux') fail('the prebuilt addons are built on Linux (x64 or arm64)');

/** The compilers and binutils for `arch`: the host's own, or the cross toolchain. */
function toolchain(arch) {
  const prefix = arch === os.arch() ? '' : `${ARCHES[arch].triplet}-`;
  const tools = { CC: `${prefix}gcc`, CXX: `${prefix}g++`, AR: `${prefix}ar`, STRIP: `${prefix}strip` };
  const missing = Object.values(tools).filter((tool) => !onPath(tool));
  if (missing.length) {
    fail(`${missing.join(', ')} not found for the linux-${arch} prebuild; on Debian: apt-get install ${prefix ? ARCHES[arch].debian : 'gcc g++ binutils'}`);
  }
  return tools;
}

const toolchains = Object.fromEntries(arches.map((arch) => [arch, toolchain(arch)]));
if (win32) {
  const missing = Object.values(WIN32_TOOLS).filter((tool) => !onPath(tool));
  if (missing.length) fail(`${missing.join(', ')} not found for the win32-x64 prebuild; on Debian: apt-get install ${WIN32_DEBIAN}`);
}
for (const tool of ['make', 'python3', 'readelf']) {
  if (!onPath(tool)) fail(`${tool} not found (node-gyp needs make and python3; the check needs readelf from binutils)`);
}
// npm runs scripts with its own node-gyp at hand; outside npm, one on the PATH will do.
const nodeGyp = process.env.npm_config_node_gyp || (onPath('node-gyp') ? 'node-gyp' : '');
if (!nodeGyp) fail('node-gyp not found: run this through npm (npm run build:prebuilds), which brings its own');

const work = mkdtempSync(join(os.tmpdir(), 'bmp-prebuilds-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// Node's headers as node-gyp expects them under --nodedir, Node-API only.
const nodedir = join(work, 'node-headers');
const headers = join(nodedir, 'include', 'node');
mkdirSync(headers, { recursive: true });
cpSync(require('node-api-headers').include_dir, headers, { recursive: true });
cpSync(join(root, 'scripts', 'prebuild.gypi'), join(headers, 'common.gypi'));
writeFileSync(join(headers, 'config.gypi'), "{ 'target_defaults': {}, 'variables': {} }\n");
// The linker's version script: what Node looks up in an addon, and nothing else.
writeFileSync(join(headers, 'exports.map'), '{ global: napi_register_module_v1; node_api_module_get_api_version_v1; local: *; };\n');

// The sources in a scratch directory: node-gyp rebuild starts by deleting build/.
const pkg = join(work, 'package');
for (const entry of ['package.json', 'binding.gyp', 'native']) cpSync(join(root, entry), join(pkg, entry), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));

const out = join(root, 'prebuilds');
rmSync(out, { recursive: true, force: true });
const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');
for (const arch of arches) {
  const tools = toolchains[arch];
  const env = { ...process.env };
  // Nothing from the caller's environment changes the code generated (-march=native, say).
  for (const name of ['CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'LDFLAGS']) delete env[name];
  Object.assign(env, {
    CC: tools.CC,
    CXX: tools.CXX,
    LINK: tools.CXX,
    AR: tools.AR,
    npm_config_nodedir: nodedir,
    PREBUILD_STRIP_BIN: tools.STRIP,
    PREBUILD_NODE_GYP: nodeGyp,
    JOBS: String(os.availableParallelism()),
  });
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [prebuildify, '--napi', '--strip', '--tag-libc', '--platform=linux', `--arch=${arch}`, `--out=${root}`, pkg],
    { cwd: pkg, env, encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) {
    process.stderr.write((r.stdout ?? '') + (r.stderr ?? ''));
    fail(`the linux-${arch} build failed (${tools.CXX})`);
  }
  const dir = join(out, `linux-${arch}`);
  for (const file of readdirSync(dir)) {
    const kib = Math.ceil(statSync(join(dir, file)).size / 1024);
    process.stdout.write(`prebuilds: linux-${arch}/${file}, ${kib} KiB (${tools.CXX}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

if (win32) {
  const started = Date.now();
  try {
    const { kib } = await buildWin32(root, work, join(out, 'win32-x64'));
    process.stdout.write(`prebuilds: win32-x64/bmp-gdbserver.node, ${kib} KiB (${WIN32_TOOLS.CXX}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    fail(`the win32-x64 build failed (${WIN32_TOOLS.CXX})`);
  }
}

const check = spawnSync('bash', [join(root, 'scripts', 'check-prebuilds.sh'), out], { stdio: 'inherit' });
if (check.status !== 0) fail('the prebuilt addons failed their check (scripts/check-prebuilds.sh)');

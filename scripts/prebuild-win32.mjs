/**
 * The win32-x64 prebuilt addon, cross-compiled on Linux with Debian's MinGW-w64 (the posix
 * thread model, whose libstdc++ has std::thread and std::mutex over winpthreads). node-gyp
 * cannot generate a Windows build on Linux, so this compiles the sources of
 * native/sources.json itself, with the flags binding.gyp gives the other builds:
 *   - the C core and simulator as C11 with -Wall -Wextra -Werror (portable C: any warning
 *     MinGW raises there is a bug to fix, not to silence);
 *   - the addon as C++17 against node-addon-api, C++ exceptions off as on Linux;
 *   - linked into a DLL named .node that imports Node-API from node.exe, through an import
 *     library made by dlltool from the node-api-headers package's node_api.def;
 *   - libstdc++, libgcc and winpthread linked statically, so the DLL needs nothing beyond
 *     node.exe and the DLLs every Windows has (KERNEL32, msvcrt); scripts/check-prebuilds.sh
 *     checks that list.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';

const TRIPLET = 'x86_64-w64-mingw32';
export const WIN32_TOOLS = { CC: `${TRIPLET}-gcc-posix`, CXX: `${TRIPLET}-g++-posix`, DLLTOOL: `${TRIPLET}-dlltool`, STRIP: `${TRIPLET}-strip` };
export const WIN32_DEBIAN = 'g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64';

function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `${r.stdout ?? ''}${r.stderr ?? ''}`;
    throw new Error(`${command} ${args.join(' ')}\n${why}`);
  }
}

/** Runs `jobs` at a time of the thunks in `tasks` (each returns a promise). */
async function parallel(tasks, jobs) {
  const queue = [...tasks];
  const workers = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length) await queue.shift()();
  });
  await Promise.all(workers);
}

function compile(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}\n${output}`))));
  });
}

/**
 * Builds prebuilds/win32-x64/bmp-gdbserver.node from the sources under `root` in the scratch
 * directory `work`; returns its path and size in KiB. Throws with the compiler's output on failure.
 */
export async function buildWin32(root, work, outDir) {
  const require = createRequire(join(root, 'package.json'));
  const sources = JSON.parse(readFileSync(join(root, 'native', 'sources.json'), 'utf8'));
  const napiHeaders = require('node-api-headers');
  const objects = join(work, 'win32-x64');
  mkdirSync(objects, { recursive: true });

  // The import library: Node-API's functions, found in node.exe at load time.
  const def = napiHeaders.def_paths.node_api_def;
  run(WIN32_TOOLS.DLLTOOL, ['-d', def, '-l', join(objects, 'libnode_api.a'), '-D', 'node.exe'], objects);

  const common = ['-O2', '-Wall', '-Wextra', '-DNAPI_VERSION=8', `-I${join(root, 'native', 'core')}`, `-I${join(root, 'native', 'sim')}`];
  const cFlags = ['-std=c11', '-Werror', ...common];
  const cxxFlags = [
    '-std=c++17', '-Wno-unused-parameter', '-fno-rtti', '-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS', '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS', '-DBUILDING_NODE_EXTENSION',
    `-I${resolve(require('node-addon-api').include_dir)}`, `-I${napiHeaders.include_dir}`, ...common,
  ];
  const tasks = [];
  const outputs = [];
  const seen = new Set();
  for (const [list, tool, flags] of [
    [[...sources.core, ...sources.sim], WIN32_TOOLS.CC, cFlags],
    [sources.addon, WIN32_TOOLS.CXX, cxxFlags],
  ]) {
    for (const source of list) {
      let name = basename(source).replace(/\.(c|cc)$/, '');
      while (seen.has(name)) name += '_';
      seen.add(name);
      const object = join(objects, `${name}.o`);
      outputs.push(object);
      tasks.push(() => compile(tool, [...flags, '-c', join(root, source), '-o', object], objects));
    }
  }
  await parallel(tasks, os.availableParallelism());

  mkdirSync(outDir, { recursive: true });
  const dll = join(outDir, 'bmp-gdbserver.node');
  run(WIN32_TOOLS.CXX, [
    '-shared', '-o', dll, ...outputs, `-L${objects}`, '-lnode_api',
    '-static', '-static-libgcc', '-static-libstdc++', '-Wl,--gc-sections', '-s',
  ], objects);
  return { path: dll, kib: Math.ceil(statSync(dll).size / 1024) };
}

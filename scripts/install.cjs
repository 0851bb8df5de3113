'use strict';
/**
 * The package's install script, in place of plain node-gyp-build:
 *   1. a prebuilt addon for this platform (prebuilds/linux-x64, linux-arm64, win32-x64) or an
 *      earlier build that loads here: nothing to do;
 *   2. otherwise (another platform, another libc, a glibc too old for the prebuild, or
 *      npm_config_build_from_source=true) build it from source with node-gyp (binding.gyp);
 *   3. if that fails, say which platforms have prebuilds and what building from source needs,
 *      and fail the installation.
 * The runtime loader (lib/native.ts) gives the same advice when the addon cannot be loaded, by
 * calling nativeHelp() from this file.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const PREBUILT = 'linux-x64 and linux-arm64 (glibc 2.36 or later: Debian 12 or newer) and win32-x64';

/** This platform as prebuilds/ names it, with the libc on Linux. */
function platformName() {
  let name = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
    name += glibc ? ` (glibc ${glibc})` : ' (not glibc)';
  }
  return name;
}

/** What to do when there is no usable addon: shared with the runtime loader's ENATIVE error. */
function nativeHelp() {
  return (
    `Prebuilt addons ship for ${PREBUILT}; this is ${platformName()}. ` +
    'Elsewhere the addon is built from source when the package is installed, which needs a C/C++ ' +
    'compiler (gcc and g++, or clang), Python 3 and make: on Debian or Ubuntu ' +
    '"apt-get install g++ make python3", on macOS "xcode-select --install", on Windows Visual ' +
    'Studio with its C++ workload and Python. Then build it with "npm rebuild bmp-gdbserver" ' +
    '(where npm runs only the install scripts it was told to allow, after ' +
    '"npm install-scripts approve bmp-gdbserver"; in a clone of the repository, "npm run build:addon").'
  );
}

function onPath(command) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (process.env.PATHEXT || '.EXE').split(';') : [''];
  return dirs.some((dir) => exts.some((ext) => existsSync(path.join(dir, command + ext))));
}

/** Loads the addon node-gyp-build would pick; undefined if it loads, else why not. */
function loadProblem() {
  let file;
  try {
    file = require('node-gyp-build').path(root);
    require(file);
    return undefined;
  } catch (error) {
    const reason = String(error && error.message).split('\n')[0];
    return file ? `${path.relative(root, file)} does not load here: ${reason}` : 'no prebuilt addon for this platform';
  }
}

/** node-gyp rebuild, with the node-gyp npm brings along when there is one. */
function buildFromSource() {
  let command = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
  let args = ['rebuild'];
  let script = process.env.npm_config_node_gyp;
  if (!script) {
    try {
      script = require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      // none installed alongside: the PATH's
    }
  }
  if (script) [command, args] = [process.execPath, [script, ...args]];
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: command.endsWith('.cmd') });
  return r.status === 0;
}

function main() {
  const forced = process.env.npm_config_build_from_source === 'true';
  if (!forced) {
    const problem = loadProblem();
    if (!problem) return;
    process.stderr.write(`bmp-gdbserver: ${problem}; building the native addon from source\n`);
  }
  if (buildFromSource()) return;
  const missing =
    process.platform === 'win32'
      ? []
      : [['c++', 'g++', 'clang++'], ['cc', 'gcc', 'clang'], ['make'], ['python3', 'python']]
          .filter((names) => !names.some(onPath))
          .map((names) => names[0]);
  process.stderr.write(
    '\nbmp-gdbserver: the native addon could not be built from source' +
      (missing.length ? ` (not on the PATH: ${missing.join(', ')})` : '') +
      '.\n' +
      nativeHelp() +
      '\n',
  );
  process.exit(1);
}

module.exports = { nativeHelp };
if (require.main === module) main();

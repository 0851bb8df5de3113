#!/usr/bin/env node
/**
 * What the tarball needs, built fresh: npm runs this before `npm pack` and `npm publish`.
 *   1. dist/ from nothing (tsc), so that no compiled file of a deleted source is shipped;
 *   2. the prebuilt addons for linux-x64, linux-arm64 and win32-x64, checked (scripts/prebuilds.mjs);
 *   3. the probe boards' firmware images (scripts/firmware.mjs, `npm run firmware`: the images,
 *      their .dfu files and manifest.json in firmware/images/, which the installer reads).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

function run(what, args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`prepack: ${what} failed\n`);
    process.exit(1);
  }
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
run('tsc', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')]);
run('the prebuilt addons', [join(root, 'scripts', 'prebuilds.mjs')]);
run('the firmware images', [join(root, 'scripts', 'firmware.mjs')]);

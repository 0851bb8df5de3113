#!/usr/bin/env bash
# The published tarball must work with no compiler: npm 11 skips dependencies' install scripts,
# so the addon has to come from prebuilds/. This builds the prebuild and the tarball in a scratch
# copy of the package (node-gyp would otherwise wipe build/), installs the tarball into an empty
# project with only node and npm on the PATH (no cc, c++, cmake), and loads the addon there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
rm_bin=$(command -v rm)
trap '"$rm_bin" -rf "$work"' EXIT

mkdir "$work/pkg"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | grep -zv '^test/fixtures/' |
  xargs -0 cp --parents -t "$work/pkg")
ln -s "$root/node_modules" "$work/pkg/node_modules"
cd "$work/pkg"
npx tsc -p tsconfig.json
npx prebuildify --napi --strip >/dev/null
ls prebuilds/*/ >/dev/null
tarball=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -n 1)
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"

mkdir "$work/bin" "$work/app"
cp "$root/scripts/smoke.mjs" "$work/app/"
echo '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }' > "$work/app/package.json"
for tool in node npm npx sh bash env; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
export PATH="$work/bin"
for tool in cc c++ gcc g++ cmake make; do
  if command -v "$tool" >/dev/null 2>&1; then echo "$tool is still on the PATH" >&2; exit 1; fi
done
cd "$work/app"
npm install --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null
node smoke.mjs

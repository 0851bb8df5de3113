#!/usr/bin/env bash
# The release, end to end, as it is made and as a user meets it:
#   - git clone of HEAD (committed work only, as CI sees it) into a scratch directory, npm ci;
#   - plain `npm pack` there: the prepack script alone must build dist/ and the three prebuilds (linux-x64, linux-arm64, win32-x64);
#   - the tarball's contents (prebuilds for linux-x64 and linux-arm64, nothing of the tests),
#     and its prebuilt addons' ELF machine and glibc/libstdc++ needs (scripts/check-prebuilds.sh);
#   - `npm install <tarball>` in an empty project with only node, npm, npx, sh, bash and env on
#     the PATH (no compiler, make, cmake or Python), then real work there: scripts/smoke.mjs
#     (scan, attach, flash, run), the install script finding the prebuild, and the message given
#     when a platform has none; and the installed `npx bmp-gdbserver --sim --port 0` serving
#     gdb-multiarch (which comes from the normal PATH: it is the client);
#   - each prebuild loaded and put to work by its own platform's official Node
#     (scripts/check-platforms.mjs: natively, under qemu-aarch64, under wine64).
# Prints one line per check, "ok - <name>" or "not ok - <name>" (scripts/test.mjs counts them),
# and exits non-zero if any failed. Temporary directories and the server go away on exit.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server=""
cleanup() {
  [ -z "$server" ] || kill -- "-$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -m # the server runs in a process group of its own, so that all of it can be stopped

failed=0
started=$SECONDS
ok() { echo "ok - $1"; }
not_ok() {
  echo "not ok - $1"
  shift
  [ $# -eq 0 ] || printf '%s\n' "$@" | tail -n 40 | sed 's/^/    /'
  failed=$((failed + 1))
}
# A clean environment: nothing of the caller's npm run (npm_config_*, CC, ...) leaks in.
clean() { env -i HOME="$HOME" LANG="${LANG:-C.UTF-8}" TMPDIR="${TMPDIR:-/tmp}" "$@"; }
elapsed() { echo "$((SECONDS - started)) s"; }

# --- The release: clone, npm ci, npm pack ---------------------------------------------------
head=$(git -C "$root" rev-parse HEAD)
src="$work/src"
if ! out=$(git clone --quiet --no-hardlinks "$root" "$src" 2>&1 && git -C "$src" checkout --quiet "$head" 2>&1 &&
  cd "$src" && clean PATH="$PATH" npm ci --no-audit --no-fund 2>&1); then
  not_ok "clean clone of HEAD ${head:0:10}: npm ci" "$out"
  exit 1
fi
ok "clean clone of HEAD ${head:0:10}: npm ci ($(elapsed))"

mkdir "$work/pack"
if ! out=$(cd "$src" && clean PATH="$PATH" npm pack --pack-destination "$work/pack" 2>&1); then
  not_ok "npm pack in the clone (prepack builds dist, the prebuilds and the firmware images)" "$out"
  exit 1
fi
tarball=$(ls "$work"/pack/*.tgz 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then
  not_ok "npm pack in the clone (prepack builds dist, the prebuilds and the firmware images)" "$out" "no tarball was written"
  exit 1
fi
files=$(tar -tzf "$tarball" | sort)
echo "    $(basename "$tarball"): $(stat -c %s "$tarball") bytes, $(grep -c . <<<"$files") files"
grep -E '^prebuilds: (linux|win32)-' <<<"$out" | sed 's/^/    /'
ok "npm pack in the clone (prepack builds dist, the prebuilds and the firmware images) ($(elapsed))"

# --- What the tarball holds ---------------------------------------------------------------------
problems=()
for required in 'prebuilds/linux-x64/[^/]*\.node' 'prebuilds/linux-arm64/[^/]*\.node' 'prebuilds/win32-x64/[^/]*\.node' 'dist/lib/index\.js' \
  'dist/lib/cli/bmp-gdbserver\.js' 'dist/lib/cli/bmp-dap\.js' 'dist/lib/cli/bmp-firmware\.js' 'udev/60-bmp-gdbserver\.rules' \
  'scripts/install\.cjs' 'binding\.gyp' 'native/sources\.json' \
  'firmware/images/manifest\.json' 'boards/stlink3mini\.json' 'firmware/images/stlink3mini\.dfu' 'firmware/images/stlink3mini\.bin' \
  'firmware/images/devebox-stm32h743\.dfu' 'firmware/images/devebox-stm32h750\.dfu' \
  'python/target\.py' 'python/bmp\.py' 'python/dap\.py' 'python/_bmp\.py' 'dist/lib/python/worker\.js'; do
  grep -qE "^package/$required\$" <<<"$files" || problems+=("missing: $required")
done
unwanted=$(grep -E '^package/(test|bench|build[^/]*|dist/(test|bench)|node_modules|examples)/|/fixtures/|\.(elf|hex|tgz|o|a|log)$' <<<"$files")
[ -z "$unwanted" ] || problems+=("should not be there:" "$unwanted")
stray=$(grep -E '^package/scripts/' <<<"$files" | grep -v '^package/scripts/install\.cjs$')
[ -z "$stray" ] || problems+=("scripts other than install.cjs:" "$stray")
if [ ${#problems[@]} -eq 0 ]; then
  ok "tarball holds dist/lib, the three prebuilds, the sources, the board descriptions and firmware images (.dfu, .bin, manifest), and nothing of the tests, bench or builds"
else
  not_ok "tarball holds dist/lib, the three prebuilds, the sources, the board descriptions and firmware images (.dfu, .bin, manifest), and nothing of the tests, bench or builds" "${problems[@]}"
fi

mkdir "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked"
if out=$(bash "$src/scripts/check-prebuilds.sh" "$work/unpacked/package/prebuilds" 2>&1); then
  sed 's/^/    /' <<<"$out"
  ok "prebuilt addons in the tarball: right ELF/PE machine; glibc and libstdc++ needs met by Debian 12; Windows DLL imports only node.exe and system DLLs"
else
  not_ok "prebuilt addons in the tarball: right ELF/PE machine; glibc and libstdc++ needs met by Debian 12; Windows DLL imports only node.exe and system DLLs" "$out"
fi

# --- A user's machine: node and npm, no compiler -----------------------------------------------
gdb=$(command -v gdb-multiarch || true)
mkdir "$work/bin" "$work/app"
for tool in node npm npx sh bash env; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
user_path="$work/bin"
present=""
for tool in cc c++ gcc g++ clang make cmake python3 python; do
  PATH="$user_path" command -v "$tool" >/dev/null 2>&1 && present+=" $tool"
done
cd "$work/app"
echo '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }' >package.json
cp "$src/scripts/smoke.mjs" .
if [ -n "$present" ]; then
  not_ok "npm install <tarball> in an empty project, no compiler or Python on the PATH" "still on the PATH:$present"
  exit 1
fi
if ! out=$(clean PATH="$user_path" npm install --no-audit --no-fund "$tarball" 2>&1); then
  not_ok "npm install <tarball> in an empty project, no compiler or Python on the PATH" "$out"
  exit 1
fi
ok "npm install <tarball> in an empty project, no compiler or Python on the PATH ($(elapsed))"

if out=$(clean PATH="$user_path" node smoke.mjs 2>&1); then
  sed 's/^/    /' <<<"$out"
  ok "installed package: the prebuilt addon loads; scan, attach, flash, run on a simulated probe"
else
  not_ok "installed package: the prebuilt addon loads; scan, attach, flash, run on a simulated probe" "$out"
fi

# The installed bmp-firmware finds the boards and the bundled images where the package put them.
name="installed npx bmp-firmware: list shows the bundled images; install --swd --sim writes and verifies one"
problems=()
out=$(clean PATH="$user_path" npx bmp-firmware list --json 2>&1) || problems+=("list: exit $?" "$out")
for board in stlink3mini devebox-stm32h743 devebox-stm32h750; do
  grep -q "\"file\": \"$board.bin\"" <<<"$out" || problems+=("list --json does not show $board.bin")
done
out=$(clean PATH="$user_path" npx bmp-firmware install --board devebox-stm32h750 --swd --sim stm32h750 --json 2>&1) ||
  problems+=("install: exit $?" "$out")
grep -q '"verified": true' <<<"$out" || problems+=("install did not verify the image:" "$out")
if [ ${#problems[@]} -eq 0 ]; then ok "$name"; else not_ok "$name" "${problems[@]}"; fi
name="installed npx bmp-gdbserver run: a MicroPython script with the target module on a simulated probe"
printf 'import target\nprint(target.swdp_scan())\n' >"$work/app/scan.py"
if out=$(timeout 60 env -i HOME="$HOME" LANG="${LANG:-C.UTF-8}" TMPDIR="${TMPDIR:-/tmp}" PATH="$user_path" \
  npx bmp-gdbserver run scan.py --sim 2>&1) &&
  grep -qF "['STM32F40x/41x Cortex-M4']" <<<"$out"; then
  ok "$name"
else
  not_ok "$name" "$out"
fi

# The install script (npm runs it where install scripts are allowed): the prebuild is enough.
# Without one (as on a platform that has none) it cannot build here, and says what is needed;
# the runtime loader's ENATIVE error says the same.
pkg="$work/app/node_modules/bmp-gdbserver"
help='Prebuilt addons ship for linux-x64 and linux-arm64 (glibc 2.36 or later: Debian 12 or newer) and win32-x64'
load='import("bmp-gdbserver").then((m) => new m.Sim("stm32f103")).catch((e) => { console.log(e.code, e.message); })'
problems=()
out=$(cd "$pkg" && clean PATH="$user_path" node scripts/install.cjs 2>&1) || problems+=("with the prebuild: exit $?" "$out")
[ -z "$out" ] || problems+=("with the prebuild, it should be silent:" "$out")
mv "$pkg/prebuilds" "$work/prebuilds-aside"
out=$(cd "$pkg" && clean PATH="$user_path" node scripts/install.cjs 2>&1) && problems+=("without a prebuild it succeeded:" "$out")
grep -q "could not be built from source (not on the PATH: c++, cc, make, python3)" <<<"$out" ||
  problems+=("without a prebuild: no word of the missing tools" "$out")
grep -q "$help" <<<"$out" || problems+=("without a prebuild: no word of the platforms that have one" "$out")
out=$(clean PATH="$user_path" node -e "$load" 2>&1)
grep -q "^ENATIVE .*$help.*a C/C++ compiler" <<<"$out" || problems+=("the loader's error without a prebuild:" "$out")
mv "$work/prebuilds-aside" "$pkg/prebuilds"
if [ ${#problems[@]} -eq 0 ]; then
  ok "install script: uses the prebuild; without one, install and loader say which platforms have one and what to install"
else
  not_ok "install script: uses the prebuild; without one, install and loader say which platforms have one and what to install" "${problems[@]}"
fi

# --- The installed CLI serving gdb-multiarch ----------------------------------------------------
name="installed npx bmp-gdbserver --sim serves gdb-multiarch: scan, attach, load, x/4xw, break, run, detach"
elf="$src/test/fixtures/firmware/build/stm32f407.elf"
if [ -z "$gdb" ]; then
  not_ok "$name" "gdb-multiarch is missing: run scripts/install-test-deps.sh"
else
  clean PATH="$user_path" npx bmp-gdbserver --sim --port 0 >"$work/server.log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9]*\)\..*/\1/p' "$work/server.log")
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    not_ok "$name" "the server did not start:" "$(cat "$work/server.log")"
  else
    # The words of the vector table as the ELF file has them, read by GDB without a target.
    expected=$("$gdb" -batch -nx -ex 'x/4xw 0x08000000' "$elf" 2>&1 | sed -n 's/^0x8000000 <vectors>:\s*//p')
    out=$(timeout 120 "$gdb" -batch -nx -ex 'set confirm off' -ex "target extended-remote 127.0.0.1:$port" \
      -ex 'monitor swdp_scan' -ex 'attach 1' -ex 'load' -ex 'compare-sections' -ex 'x/4xw 0x08000000' \
      -ex 'break fixture_tick' -ex 'run' -ex 'print n' -ex 'detach' "$elf" 2>&1)
    problems=()
    for want in ' 1 +STM32F40x/41x Cortex-M4' 'Loading section \.text, size 0x[0-9a-f]+ lma 0x8' \
      'Section \.text, range .*: matched\.' 'fixture: hello' 'Breakpoint 1, fixture_tick \(n=1\)' \
      '^\$1 = 1$' '\[Inferior 1 \(Remote target\) detached\]'; do
      grep -qE -- "$want" <<<"$out" || problems+=("no match for /$want/")
    done
    [[ "$expected" =~ ^0x20[0-9a-f]{6}[[:space:]]+0x080[0-9a-f]{5} ]] || problems+=("unexpected ELF words: '$expected'")
    grep -qE "^0x8000000 <vectors>:\s*${expected//[[:space:]]/\\s+}\s*$" <<<"$out" ||
      problems+=("x/4xw 0x08000000 does not show the loaded vector table: $expected")
    grep -qE 'MIS-MATCHED|Remote connection closed|internal-error' <<<"$out" && problems+=("GDB reported trouble")
    sed -n 's/^  target 1: /    server: target 1: /p' "$work/server.log"
    if [ ${#problems[@]} -eq 0 ]; then
      grep -E '^0x8000000 <vectors>:|^Breakpoint 1, ' <<<"$out" | sed 's/^/    gdb: /'
      ok "$name"
    else
      not_ok "$name" "${problems[@]}" "--- gdb:" "$out" "--- server:" "$(cat "$work/server.log")"
    fi
  fi
  kill -- "-$server" 2>/dev/null
  wait "$server" 2>/dev/null
  server=""
fi

# --- Each prebuild in its own platform's official Node ----------------------------------------
# (natively; linux-arm64 under qemu-aarch64; win32-x64 under wine64), and the CLI under wine64
# serving gdb-multiarch here. Its ok/not ok lines are counted like the ones above.
node "$src/scripts/check-platforms.mjs" "$work/app" "$elf" || failed=$((failed + 1))

echo "    tarball check: $(elapsed)"
[ "$failed" -eq 0 ]

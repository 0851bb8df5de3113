#!/usr/bin/env bash
# Compiles every portable core source (native/sources.json "core") for the probe firmware's CPU
# with the firmware's flags, and reports the code size per file and in total. Any warning fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mapfile -t sources < <(node -e "for (const f of require('$root/native/sources.json').core) console.log(f)")
flags=(-Os -mcpu=cortex-m7 -mthumb -ffreestanding -std=c11 -Wall -Wextra -Werror -ffunction-sections -fdata-sections)
objects=()
for src in "${sources[@]}"; do
  obj="$out/$(basename "${src%.c}").o"
  arm-none-eabi-gcc "${flags[@]}" -I"$root/native/core" -c "$root/$src" -o "$obj"
  objects+=("$obj")
done
arm-none-eabi-size -t "${objects[@]}" | sed "s|$out/||"

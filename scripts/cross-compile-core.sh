#!/usr/bin/env bash
# Compiles every portable core source (native/sources.json "core") for the probe firmware's CPU
# with the firmware's flags and sizes, and reports the code size per file. Then links the core
# as the firmware will use it (scripts/firmware-config.c: one DAP engine, one probe session on
# an swd_link, one GDB server, all static; unused code dropped) and checks the code (text and
# read-only data) and the static RAM (data and bss) against the firmware's budget below.
# Any compiler warning, or a figure past its budget, fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The firmware's configuration and budget (Cortex-M7, e.g. STM32F7: the rest of the flash and
# RAM is the USB stack's, the board's and the stack's). The code's bound is the DevEBox H750's
# one 128 KiB flash sector, which holds the whole image (README, Build).
sizes=(-DGDB_PACKET_SIZE=4096u -DDAP_MAX_PACKET_SIZE=1024u)
code_budget=$((56 * 1024))
ram_budget=$((40 * 1024))

mapfile -t sources < <(node -e "for (const f of require('$root/native/sources.json').core) console.log(f)")
flags=(-Os -mcpu=cortex-m7 -mthumb -ffreestanding -std=c11 -Wall -Wextra -Werror -ffunction-sections -fdata-sections
       -fstack-usage "${sizes[@]}")
objects=()
for src in "${sources[@]}" scripts/firmware-config.c; do
  obj="$out/$(basename "${src%.c}").o"
  arm-none-eabi-gcc "${flags[@]}" -I"$root/native/core" -c "$root/$src" -o "$obj"
  objects+=("$obj")
done
arm-none-eabi-size -t "${objects[@]}" | sed "s|$out/||"

# The firmware's link: from its main loop, with the C library's memcpy/memset (newlib nano).
elf="$out/firmware.elf"
arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb -Os -nostartfiles -specs=nano.specs -Wl,--gc-sections \
  -Wl,--entry=firmware_main -Wl,--no-warn-rwx-segments "${objects[@]}" -o "$elf"
read -r text data bss _ < <(arm-none-eabi-size -B "$elf" | tail -n 1)
code=$text
ram=$((data + bss))
state() { # the size of one static object of the firmware configuration
  local hex
  hex=$(arm-none-eabi-nm -S "$elf" | awk -v name="$1" '$4 == name { print $2 }')
  echo $((16#${hex:-0}))
}
# -fstack-usage lines: "file:line:column:function<TAB>bytes<TAB>static"
largest_frame=$(sort -t$'\t' -k2 -n "$out"/*.su | tail -n 1 | awk -F'\t' '{ n = split($1, at, ":"); print $2 " bytes in " at[n] "()" }')

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo
echo "firmware configuration (Cortex-M7 -Os, ${sizes[*]}):"
echo "  code (text + rodata): $code bytes ($(kib "$code")), budget $(kib "$code_budget")"
echo "  static RAM (data + bss): $ram bytes ($(kib "$ram")), budget $(kib "$ram_budget")"
echo "    of which gdb_server $(state gdb), dap_engine $(state dap), probe_session $(state probe), swd_link $(state wire)"
echo "  largest stack frame (not in the figures): $largest_frame"
status=0
if [ "$code" -gt "$code_budget" ]; then
  echo "FAIL: the code is $((code - code_budget)) bytes over its budget" >&2
  status=1
fi
if [ "$ram" -gt "$ram_budget" ]; then
  echo "FAIL: the static RAM is $((ram - ram_budget)) bytes over its budget" >&2
  status=1
fi
exit "$status"

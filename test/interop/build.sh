#!/usr/bin/env bash
# Builds the USB library stand-ins into build-interop/lib (put it on LD_LIBRARY_PATH), and the
# DfuSe one, which has libusb's name too, into build-interop/dfu.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build-interop/lib"
dfu="$root/build-interop/dfu"
mkdir -p "$out" "$dfu"
flags=(-shared -fPIC -O2 -Wall -Wextra -Werror -std=gnu11)
src="$here/standins"
gcc "${flags[@]}" -Wl,-soname,libhidapi-hidraw.so.0 -o "$out/libhidapi-hidraw.so.0" "$src/hidapi.c" "$src/dap_tcp_client.c"
gcc "${flags[@]}" -Wl,-soname,libhidapi-libusb.so.0 -o "$out/libhidapi-libusb.so.0" "$src/hidapi.c" "$src/dap_tcp_client.c"
if [ -f "$src/libusb.c" ]; then
  gcc "${flags[@]}" -Wl,-soname,libusb-1.0.so.0 -o "$out/libusb-1.0.so.0" "$src/libusb.c" "$src/libusb_common.c" "$src/dap_tcp_client.c"
fi
# The DfuSe device core and the virtual device's flash model, linked into the stand-in.
gcc "${flags[@]}" -I"$root/native/core" -I"$root/native/sim" -Wl,-soname,libusb-1.0.so.0 -o "$dfu/libusb-1.0.so.0" \
  "$src/libusb_dfu.c" "$src/libusb_common.c" "$root/native/sim/sim_dfu.c" "$root/native/core/dfu/dfu_device.c" \
  "$root/native/core/dfu/dfu_desc.c" "$root/native/core/dfu/dfu_boot.c" "$root/native/core/flash/crc32.c"
echo "$out"

#!/usr/bin/env bash
# Builds the USB library stand-ins into build-interop/lib (put it on LD_LIBRARY_PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build-interop/lib"
mkdir -p "$out"
flags=(-shared -fPIC -O2 -Wall -Wextra -Werror -std=gnu11)
src="$here/standins"
gcc "${flags[@]}" -Wl,-soname,libhidapi-hidraw.so.0 -o "$out/libhidapi-hidraw.so.0" "$src/hidapi.c" "$src/dap_tcp_client.c"
gcc "${flags[@]}" -Wl,-soname,libhidapi-libusb.so.0 -o "$out/libhidapi-libusb.so.0" "$src/hidapi.c" "$src/dap_tcp_client.c"
if [ -f "$src/libusb.c" ]; then
  gcc "${flags[@]}" -Wl,-soname,libusb-1.0.so.0 -o "$out/libusb-1.0.so.0" "$src/libusb.c" "$src/dap_tcp_client.c"
fi
echo "$out"

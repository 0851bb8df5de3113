#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing.
set -euo pipefail
packages=(
  cmake make g++ python3            # native build and native unit tests
  libunicorn-dev                    # differential tests of the executor (ARMv6-M, ARMv7-M, DSP, FPU)
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi  # fixture firmware, core cross-compile
  gcc openocd python3-pyocd python3-usb  # interop: OpenOCD and pyOCD through the USB stand-ins
  gdb-multiarch                     # the GDB server, end to end with a real GDB
  qemu-system-arm                   # the probe firmware's QEMU build (mps2-an500), end to end; whole programs against the simulator (test/sim-vs-qemu)
  qemu-user                         # qemu-arm -cpu max: the FPv5 double-precision reference; qemu-aarch64: the arm64 prebuild load test
  qemu-system-x86 cpio xz-utils kmod usbutils udev usbip  # test/vm: Debian's kernel in a VM (apt-get download, modinfo); lsusb, udevd and usbip attach in it
  dfu-util                          # dfu-suffix and dfuse-pack check the firmware images' .dfu files
  clang libclang-rt-14-dev          # libFuzzer and its sanitizer runtimes
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu  # the linux-arm64 prebuild (npm pack)
  g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64  # the win32-x64 prebuild (npm pack)
  wine64                            # the win32-x64 prebuild loaded by the official Windows Node (qemu-user runs the arm64 one)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi
echo "test dependencies: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Checks the prebuilt addons in a prebuilds/ directory (the argument; ./prebuilds by default):
# every linux-<arch>/*.node is an ELF shared object for <arch>, and what it asks of the system
# it runs on is no newer than Debian 12 has: symbol versions up to GLIBC_2.36 and, if it uses
# the shared libstdc++ at all, GLIBCXX_3.4.30 and CXXABI_1.3.13. Any other versioned dependency
# (libgcc_s's GCC_*, GLIBC_PRIVATE) fails too. Prints each binary's highest versions.
# Every win32-x64/*.node is a PE32+ x86-64 DLL that imports only node.exe and DLLs every Windows
# has (so libstdc++, libgcc and winpthread were linked in, not left as DLLs the user lacks).
# Called by scripts/prebuilds.mjs after it builds them and by scripts/check-tarball.sh on the
# packed tarball's copies.
set -euo pipefail
dir=${1:-prebuilds}
declare -A limit=([GLIBC]=2.36 [GLIBCXX]=3.4.30 [CXXABI]=1.3.13)
declare -A machine=([x64]='Advanced Micro Devices X86-64' [arm64]='AArch64')

# newer A B: is version A above version B?
newer() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]; }

errors=0
count=0
shopt -s nullglob
for file in "$dir"/linux-*/*.node; do
  count=$((count + 1))
  name=${file#"$dir"/}
  arch=${name%%/*}
  arch=${arch#linux-}
  bad() { echo "$name: $*" >&2; errors=$((errors + 1)); }

  header=$(readelf -h "$file")
  want=${machine[$arch]:-}
  got=$(sed -n 's/^ *Machine: *//p' <<<"$header")
  type=$(sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p' <<<"$header")
  [ -n "$want" ] || { bad "no known ELF machine for '$arch'"; continue; }
  [ "$got" = "$want" ] || bad "machine is '$got', not '$want'"
  [ "$type" = DYN ] || bad "ELF type is $type, not DYN (a shared object)"

  needed=$(readelf -d -W "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')
  # Version needs: the versioned symbols the dynamic linker must find, e.g. "Name: GLIBC_2.17".
  versions=$(readelf -V -W "$file" | sed -n 's/.*Name: \([A-Z_]*_[0-9][0-9.]*\|GLIBC_PRIVATE\) .*/\1/p' | sort -u)
  summary=""
  for ns in GLIBC GLIBCXX CXXABI; do
    max=$(grep "^${ns}_[0-9]" <<<"$versions" | sed "s/^${ns}_//" | sort -V | tail -n 1 || true)
    if [ -z "$max" ]; then
      summary+=" ${ns}: none;"
      continue
    fi
    summary+=" ${ns}_$max;"
    if newer "$max" "${limit[$ns]}"; then
      bad "needs ${ns}_$max, newer than Debian 12's ${ns}_${limit[$ns]}:" \
        "$(grep "^${ns}_[0-9]" <<<"$versions" | sed "s/^${ns}_//" | while read -r v; do
          newer "$v" "${limit[$ns]}" && printf '%s ' "${ns}_$v"; done)"
    fi
  done
  others=$(grep -v -E '^(GLIBC|GLIBCXX|CXXABI)_[0-9]' <<<"$versions" | tr '\n' ' ' || true)
  [ -z "${others// /}" ] || bad "needs symbol versions outside glibc and libstdc++: $others"
  echo "$name: $got shared object, $(stat -c %s "$file") bytes; needs ${needed:-nothing};${summary%;}"
done

# DLLs a Windows addon may import: Node itself and the system's own.
system_dlls='^(node\.exe|KERNEL32\.dll|msvcrt\.dll|ADVAPI32\.dll|WS2_32\.dll|USER32\.dll|ntdll\.dll|bcrypt\.dll|api-ms-win-[a-z0-9-]+\.dll)$'
for file in "$dir"/win32-*/*.node; do
  count=$((count + 1))
  name=${file#"$dir"/}
  bad() { echo "$name: $*" >&2; errors=$((errors + 1)); }
  [[ "$name" == win32-x64/* ]] || { bad "no Windows prebuild is made for this architecture"; continue; }
  if ! dump=$(x86_64-w64-mingw32-objdump -p "$file" 2>&1); then
    bad "not readable as a PE file (x86_64-w64-mingw32-objdump, from binutils-mingw-w64-x86-64): $dump"
    continue
  fi
  grep -q 'file format pei-x86-64' <<<"$dump" || bad "not a PE32+ x86-64 file"
  sed -n '/^Characteristics/,/^$/p' <<<"$dump" | grep -qE '^\s+DLL$' || bad "not a DLL"
  imports=$(sed -n 's/^\s*DLL Name: //p' <<<"$dump" | paste -sd ' ')
  for dll in $imports; do
    grep -qiE "$system_dlls" <<<"$dll" || bad "imports $dll, which a Windows machine without MinGW lacks"
  done
  grep -qw 'node.exe' <<<"$imports" || bad "does not import Node-API from node.exe"
  echo "$name: PE32+ x86-64 DLL, $(stat -c %s "$file") bytes; imports $imports"
done

if [ "$count" -eq 0 ]; then
  echo "no prebuilds/*/*.node in $dir" >&2
  exit 1
fi
if [ "$errors" -gt 0 ]; then
  echo "$errors problem(s) with the prebuilt addons" >&2
  exit 1
fi
echo "prebuilds: $count checked, the Linux ones within Debian 12 (GLIBC_${limit[GLIBC]}, GLIBCXX_${limit[GLIBCXX]}, CXXABI_${limit[CXXABI]}), the Windows ones needing only node.exe and system DLLs"

#!/usr/bin/env bash
# Builds every libFuzzer target test/fuzz/fuzz_*.c into build-fuzz/ and runs each for a bounded
# time, for CI. A target names the core sources it needs on a line of its own near the top:
#   // fuzz-sources: native/core/gdb/rsp_packet.c [more paths, relative to the repository root]
# (several such lines add up); the word @core stands for every portable-core source listed in
# native/sources.json, so that a target over the whole core keeps linking as the core grows. Seeds come from test/fuzz/corpus/<name>/ (read only: new inputs go
# to build-fuzz/corpus/<name>/). Crash inputs land in build-fuzz/artifacts/<name>/.
#
# Environment: FUZZ_SECONDS (per target, default 20), CC (default clang), FUZZ_ONLY (run only the
# target of that name).
# Prints one line per target, "<name>: ok (N runs in S s)", and exits non-zero if any target
# fails to build, crashes, or reports a sanitizer or leak error.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${FUZZ_SECONDS:-20}
cc=${CC:-clang}
out=build-fuzz
cflags=(-g -O1 -std=c11 -Wall -Wextra -Werror
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I native/core)

shopt -s nullglob
targets=(test/fuzz/fuzz_*.c)
shopt -u nullglob
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no test/fuzz/fuzz_*.c targets found" >&2
  exit 1
fi

mkdir -p "$out"
failed=0
ran=0
for src in "${targets[@]}"; do
  name=$(basename "$src" .c)
  if [ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ]; then continue; fi
  ran=$((ran + 1))

  # The extra sources named by the target's "// fuzz-sources:" lines.
  extra=()
  while read -r -a words; do
    for word in "${words[@]}"; do
      if [ "$word" = "@core" ]; then
        while read -r core; do extra+=("$core"); done < <(node -e 'for (const f of require("./native/sources.json").core) console.log(f)')
      else
        extra+=("$word")
      fi
    done
  done < <(sed -n 's|^[[:space:]]*//[[:space:]]*fuzz-sources:[[:space:]]*||p' "$src")
  for f in ${extra[@]+"${extra[@]}"}; do
    if [ ! -f "$f" ]; then
      echo "$name: FAILED (fuzz-sources names a missing file: $f)"
      failed=1
      continue 2
    fi
  done

  bin="$out/$name"
  log="$out/$name.log"
  if ! "$cc" "${cflags[@]}" "$src" ${extra[@]+"${extra[@]}"} -o "$bin" 2>"$out/$name.build.log"; then
    echo "$name: FAILED (build)"
    cat "$out/$name.build.log" >&2
    failed=1
    continue
  fi

  work="$out/corpus/$name"
  artifacts="$out/artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  corpora=("$work")
  if [ -d "test/fuzz/corpus/$name" ]; then corpora+=("test/fuzz/corpus/$name"); fi

  status=0
  "./$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -detect_leaks=1 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "${corpora[@]}" >"$log" 2>&1 || status=$?

  runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in \([0-9][0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  secs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in \([0-9][0-9]*\) second.*/\2/p' "$log" | tail -n 1)
  if [ "$status" -eq 0 ] && [ -n "$runs" ] && ! grep -qE '^(==[0-9]+==ERROR|SUMMARY: )' "$log"; then
    echo "$name: ok ($runs runs in ${secs} s)"
  else
    echo "$name: FAILED (exit status $status; log in $log)"
    # The report: the sanitizer or libFuzzer error with its stack, and the crash input.
    pattern='^(==[0-9]+==(ERROR|WARNING)|.*runtime error:|.*property violated|.*deadly signal|SUMMARY: )'
    if grep -qE "$pattern" "$log"; then
      grep -E -A 40 "$pattern" "$log" | head -n 80 >&2 || true
    else
      tail -n 40 "$log" >&2
    fi
    sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | while read -r unit; do
      [ -f "$unit" ] || continue
      echo "$name: crash input $unit (hex): $(od -An -v -tx1 "$unit" | tr -d ' \n' | cut -c1-400)" >&2
    done
    failed=1
  fi
done

if [ "$ran" -eq 0 ]; then
  echo "fuzz.sh: no target named ${FUZZ_ONLY:-}" >&2
  exit 1
fi
exit "$failed"

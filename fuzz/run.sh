#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after the other, each for SECONDS (default 600).
#
#   fuzz/run.sh [SECONDS] [TARGET...]      no TARGET: every target in fuzz/fuzz_targets/
#
# Toolchain: nightly when rustup has it, else stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes
# -Z flags). Sanitizer: address, or none when the ASan runtime is missing (override with
# FUZZ_SANITIZER=address|none). Installs cargo-fuzz when it is missing.
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: new inputs go to
# fuzz/.work/corpus/<target>/ (ignored by git), logs to fuzz/.work/logs/<target>.log, and
# crashes, timeouts and out-of-memory inputs to fuzz/artifacts/<target>/. Nothing is minimised.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS="-max_len=8192"; to keep
# going past a known crash and collect every distinct one: FUZZ_FLAGS="-fork=1 -ignore_crashes=1").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/fuzz_targets/*.rs; do
    targets+=("$(basename "$f" .rs)")
  done
fi
for t in "${targets[@]}"; do
  if [[ ! -f fuzz/fuzz_targets/$t.rs ]]; then
    echo "run.sh: no target named $t (see fuzz/fuzz_targets/)" >&2
    exit 2
  fi
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "run.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
  echo "run.sh: toolchain nightly ($(rustup run nightly rustc --version))"
else
  export RUSTC_BOOTSTRAP=1
  echo "run.sh: toolchain stable with RUSTC_BOOTSTRAP=1 ($(rustc --version))"
fi

# Debug assertions on: an arithmetic overflow on wire data is a bug the fuzzer should report.
build_flags=(--release --debug-assertions)
sanitizer=${FUZZ_SANITIZER:-}
if [[ -z $sanitizer ]]; then
  mkdir -p fuzz/.work
  probe=fuzz/.work/asan-probe.log
  if cargo "${toolchain[@]}" fuzz build "${build_flags[@]}" --sanitizer address "${targets[0]}" \
    >"$probe" 2>&1; then
    sanitizer=address
  elif grep -qiE 'asan|sanitizer' "$probe"; then
    echo "run.sh: no AddressSanitizer runtime (see $probe); using --sanitizer none" >&2
    sanitizer=none
  else
    tail -n 30 "$probe" >&2
    echo "run.sh: the build failed (see $probe)" >&2
    exit 1
  fi
fi
echo "run.sh: sanitizer $sanitizer, $seconds s per target: ${targets[*]}"
for t in "${targets[@]}"; do
  cargo "${toolchain[@]}" fuzz build "${build_flags[@]}" --sanitizer "$sanitizer" "$t"
done

mkdir -p fuzz/.work/logs
summary=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/.work/corpus/$t" "fuzz/artifacts/$t"
  log=fuzz/.work/logs/$t.log
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  echo "run.sh: $t for $seconds s (log: $log)"
  start=$(date +%s)
  set +e
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" --sanitizer "$sanitizer" "$t" \
    "fuzz/.work/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 \
    ${FUZZ_FLAGS:-} >"$log" 2>&1
  status=$?
  set -e
  elapsed=$(($(date +%s) - start))
  # Fuzzing time as libFuzzer reports it (the wall time above also counts the build).
  fuzzed=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || true)
  if [[ -z $fuzzed ]]; then # fork mode: its status lines carry the time
    fuzzed=$(grep -oE ' time: [0-9]+s' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
  fi
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  rate=$(grep -oE '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  if [[ -z $runs ]]; then # a crash ends the run before the final stats: use the last status line
    runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
    rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
  fi
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  if [[ $status -eq 0 && $after -eq $before ]]; then
    verdict="no crash"
  else
    failed=1
    found=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
    verdict="FOUND (exit $status) ${found:-see $log}"
  fi
  line=$(printf '%-32s %6ss fuzzing (%ss wall) %12s runs %8s exec/s  %s' "$t" "${fuzzed:-?}" \
    "$elapsed" "${runs:-?}" "${rate:-?}" "$verdict")
  echo "$line"
  summary+=("$line")
done

echo
echo "run.sh: summary ($sanitizer sanitizer, ${toolchain[*]:-stable}, $seconds s per target)"
printf '%s\n' "${summary[@]}"
exit $failed

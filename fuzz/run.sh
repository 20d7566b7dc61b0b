#!/usr/bin/env bash
# Coverage-guided fuzzing of one of assay's parsers with libFuzzer, on
# stable Rust (SanitizerCoverage through stable rustc flags; libFuzzer
# itself comes with the libfuzzer-sys crate and is built with the system's
# C++ compiler).
#
#   fuzz/run.sh TARGET SECONDS [LIBFUZZER_OPTION...]   fuzz one target
#   fuzz/run.sh all SECONDS                            each target in turn
#   fuzz/run.sh list                                   the targets
#
# The committed seeds (fuzz/corpus/TARGET/) are read, never written; what the
# fuzzer learns goes to fuzz/target/corpus/TARGET/ and what fails to
# fuzz/target/artifacts/TARGET/ (crash-*, timeout-*, oom-*). Each run adds a
# line to fuzz/target/results.tsv: target, seconds, executions, new inputs,
# peak RSS, failures. A failure found: minimise it (add -minimize_crash=1
# -runs=10000 and the artifact), fix the parser, and commit the input as
# fuzz/crashes/TARGET/NAME so `cargo test --test fuzz_replay` replays it.
set -euo pipefail
cd "$(dirname "$0")"

targets=$(sed -n 's/^    ("\([a-z0-9_]*\)", .*/\1/p' src/targets.rs)
if [ "${1:-}" = list ]; then
  echo "$targets"
  exit 0
fi
if [ $# -lt 2 ]; then
  echo "usage: fuzz/run.sh TARGET|all SECONDS [LIBFUZZER_OPTION...]; targets: $(echo $targets)" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2
if [ "$target" != all ] && ! grep -qx "$target" <<<"$targets"; then
  echo "fuzz/run.sh: no target '$target'; one of: $(echo $targets)" >&2
  exit 2
fi

# What the build needs: cargo and a C++ compiler for libFuzzer.
if ! command -v cargo >/dev/null 2>&1; then
  echo "fuzz/run.sh: cargo is missing: install Rust (https://rustup.rs or your system's rustc/cargo packages)" >&2
  exit 1
fi
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1 && ! command -v clang++ >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1 && [ -z "${ASSAY_TESTS_NO_INSTALL:-}" ]; then
    echo "fuzz/run.sh: installing g++ (libFuzzer is C++)" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ >&2
  else
    echo "fuzz/run.sh: a C++ compiler is missing (libFuzzer is built from source): install g++ or clang++" >&2
    exit 1
  fi
fi

host=$(rustc -vV | sed -n 's/^host: //p')
jobs=${CARGO_BUILD_JOBS:-2}
RUSTC_WRAPPER="$PWD/rustc-wrapper.sh" nice -n 10 cargo build --locked -j"$jobs" --profile fuzz \
  --features libfuzzer --bin fuzz --target "$host" >&2
binary="target/$host/fuzz/fuzz"

run_one() {
  local name=$1 work="target/corpus/$1" artifacts="target/artifacts/$1" log
  shift
  mkdir -p "$work" "$artifacts"
  log="target/logs/$name.log"
  mkdir -p target/logs
  local before
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzz/run.sh: $name for ${seconds}s (log $log)" >&2
  set +e
  FUZZ_TARGET=$name nice -n 10 "$binary" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$work" "corpus/$name" >"$log" 2>&1
  local status=$?
  set -e
  local execs units rss after
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  after=$(find "$artifacts" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$seconds" "${execs:-?}" "${units:-?}" "${rss:-?}" \
    "$((after - before))" >>target/results.tsv
  echo "fuzz/run.sh: $name: ${execs:-?} executions, ${units:-?} new inputs, peak ${rss:-?} MB, $((after - before)) failures (exit $status)" >&2
  if [ "$status" != 0 ]; then
    grep -m1 -A12 -E '^==[0-9]+== ERROR|panicked at|^thread ' "$log" >&2 || tail -20 "$log" >&2
  fi
  return "$status"
}

if [ "$target" = all ]; then
  failed=0
  for name in $targets; do run_one "$name" "$@" || failed=1; done
  exit "$failed"
fi
run_one "$target" "$@"

#!/usr/bin/env bash
# RUSTC_WRAPPER for fuzz builds (see run.sh): adds libFuzzer's coverage
# instrumentation (SanitizerCoverage, stable rustc flags) to the crates whose
# code parses input, and to none of the host's build scripts or proc macros
# (cargo passes --target only for target units). Regex engines, the SVM's
# linear algebra and the S3 client stack stay uninstrumented: their branches
# are not the parsers' and would only bloat the corpus.
rustc="$1"
shift
crate="" target=""
prev=""
for arg in "$@"; do
  [ "$prev" = "--crate-name" ] && crate="$arg"
  [ "$prev" = "--target" ] && target="$arg"
  prev="$arg"
done
case "$crate" in
  regex* | aho_corasick | memchr | aws_* | tokio* | hyper* | h2 | rustls* | ring | ndarray | linfa* | matrixmultiply | num_* | libfuzzer_sys | tracing* | http* | rayon* | crossbeam* | serde_derive* | "")
    exec "$rustc" "$@" ;;
esac
if [ -n "$target" ]; then
  exec "$rustc" "$@" \
    -Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing
fi
exec "$rustc" "$@"

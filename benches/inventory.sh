#!/usr/bin/env bash
# Inventory reader benchmark: peak memory and time to stream a generated
# S3 Inventory report (all versions, the documented 18 columns) of ROWS
# rows, as CSV gzip and as Parquet (examples/inventory.rs).
#
#   benches/inventory.sh            ROWS rows (default 2,000,000)
#   PROFILE=dev benches/inventory.sh   without a release build
#
# The reader keeps nothing per row, so its peak RSS should not grow with
# ROWS: compare ROWS=200000 with the default.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
PROFILE=${PROFILE:-release}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -j2 -q --example inventory
  BIN=$PWD/target/release/examples/inventory
else
  cargo build --locked -j2 -q --example inventory
  BIN=$PWD/target/debug/examples/inventory
fi
root=$(mktemp -d /tmp/assay-bench-inventory.XXXXXX)
trap 'rm -rf "$root"' EXIT
for format in csv parquet; do
  "$BIN" generate "$root/$format" "$ROWS" "$format" >/dev/null
  size=$(du -sm "$root/$format" | cut -f1)
  out=$("$TIME" -v "$BIN" read "$root/$format/bench-source/assay-inventory/" 2>"$root/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$root/time.txt")
  echo "$format ($PROFILE, ${size} MB on disk): $out; peak RSS $((rss / 1024)) MiB"
done

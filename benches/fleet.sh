#!/usr/bin/env bash
# Fleet benchmarks (see README "Fleet scans" and docs/fleet.md).
#
#   benches/fleet.sh [TREE]      TREE defaults to /usr/include
#
# 1. Sharding overhead: CPU (user+system) of `assay plan` + 4 shards
#    (--jobs 1 each) + `assay merge --format json` over TREE, against one
#    `assay scan TREE --jobs 1 --format json` in the same invocation; the
#    two reports are checked equal (timing fields aside).
# 2. Merge at scale: a run location with MERGE_RECORDS records (default
#    10,000,000) in UNITS committed units (default 256), written by a
#    generator below from a real record of the demo scan; `assay merge
#    --format jsonl` is timed, with its peak RSS, and its output counted.
# 3. Planning at scale: a generated S3 Inventory (CSV gzip, all versions,
#    the delivered layout; examples/inventory.rs) read from a local copy.
#    No store is reachable (the endpoint refuses at once), so the plan's
#    posture checks are recorded as unknown and cost no waiting.
cargo build --release --locked -j2 -q --example inventory
"$PWD/target/release/examples/inventory" generate "$WORK/inventory" "$PLAN_ROWS" csv > /dev/null
"$TIME" -f '%e %U %S %M' -o "$WORK/plan-time" env AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true "$ASSAY" plan s3://bench-source --inventory "$WORK/inventory/bench-source/assay-inventory/" \
  --shards 64 --run "$WORK/plan-run" --endpoint-url http://127.0.0.1:9 2> "$WORK/plan-said" || cat "$WORK/plan-said"
read -r wall user sys rss < "$WORK/plan-time"
printf "plan of %d inventory rows (all versions) into 64 shards: %.1f s wall, %.1f s CPU, peak RSS %.0f MiB; %s\n" \
  "$PLAN_ROWS" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$(awk -v r="$rss" 'BEGIN{print r/1024}')" "$(tail -1 "$WORK/plan-said")"

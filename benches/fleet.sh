#!/usr/bin/env bash
# Fleet benchmarks (see README "Fleet scans" and docs/fleet.md).
#
#   benches/fleet.sh [TREE]      TREE defaults to /usr/include
#
# The README's small-file figures use 8 copies of /usr/include:
#   mkdir /tmp/inc8; for i in $(seq 8); do cp -al /usr/include /tmp/inc8/c$i; done
#   RUNS=3 benches/fleet.sh /tmp/inc8
#
# 1. Sharding overhead: CPU (user+system) of 4 shards (--jobs 1 each), and
#    of `assay plan` + the shards + `assay merge --format json`, over TREE,
#    against one `assay scan TREE --jobs 1 --format json` in the same
#    invocation; the two reports are checked equal (timing fields aside).
# 2. Merge at scale: a run location with MERGE_RECORDS records (default
#    10,000,000) in UNITS committed units (default 256), written by a
#    generator below from a real record of the demo scan; `assay merge
#    --format jsonl` is timed, with its peak RSS, and its output counted.
# 3. Planning at scale: PLAN_ROWS inventory rows (default 10,000,000) in a
#    generated S3 Inventory (CSV gzip, the delivered layout) planned into
#    64 shards; time and peak RSS.
# Each figure is the best of RUNS runs (default 1 for 2 and 3, 3 for 1).
# ONLY_OVERHEAD=1 stops after 1.
# Needs GNU time and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr/include}
RUNS=${RUNS:-3}
MERGE_RECORDS=${MERGE_RECORDS:-10000000}
UNITS=${UNITS:-256}
PLAN_ROWS=${PLAN_ROWS:-10000000}
cargo build --release --locked -j2 -q
ASSAY=$PWD/target/release/assay
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

best() { sort -g | head -1; }
cpu_of() { # runs "$@" and prints user+sys seconds
  "$TIME" -f '%U %S' -o "$WORK/time" "$@" > /dev/null 2>&1 || true
  awk '{print $1 + $2}' "$WORK/time"
}

# 1. Sharding overhead.
# Every file's size, hard links (the copies above) included.
bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache
# Each step of the sharded run timed by itself: the issue's figure is the
# shards against the one process; plan and merge are reported beside it.
sharded_steps() { # prints: plan shards merge (CPU seconds)
  rm -rf "$WORK/run"
  local plan shards=0 merge one
  plan=$(cpu_of "$ASSAY" plan "$TREE" --shards 4 --run "$WORK/run")
  for i in 0 1 2 3; do
    one=$(cpu_of "$ASSAY" scan --plan "$WORK/run" --shard "$i/4" --jobs 1 --quiet)
    shards=$(awk -v a="$shards" -v b="$one" 'BEGIN {print a + b}')
  done
  merge=$(cpu_of sh -c '"$ASSAY" merge "$WORK/run" --format json --quiet > "$WORK/merged.json"')
  echo "$plan $shards $merge"
}
export ASSAY TREE WORK
single_cpu=$(for _ in $(seq "$RUNS"); do cpu_of sh -c '"$ASSAY" scan "$TREE" --jobs 1 --format json --quiet > "$WORK/single.json"'; done | best)
# The run whose shards took least, with its plan and merge.
read -r plan_cpu shards_cpu merge_cpu < <(for _ in $(seq "$RUNS"); do sharded_steps; done | sort -g -k2 | head -1)
python3 - "$WORK/single.json" "$WORK/merged.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r["scan"].pop("started"); r["scan"].pop("finished")
print("reports equal:", a == b)
EOF
awk -v b="$bytes" -v s="$single_cpu" -v p="$plan_cpu" -v h="$shards_cpu" -v m="$merge_cpu" -v t="$TREE" 'BEGIN {
  mb = b / 1e6; f = p + h + m
  printf "tree %s: %.1f MB\n", t, mb
  printf "one process (--jobs 1):          %6.2f s CPU  %6.1f MB/s per core\n", s, mb / s
  printf "4 shards (--jobs 1 each):        %6.2f s CPU  %6.1f MB/s per core  (overhead %+.1f%%)\n", h, mb / h, (h / s - 1) * 100
  printf "plan + 4 shards + merge:         %6.2f s CPU  %6.1f MB/s per core  (overhead %+.1f%%; plan %.2f s, merge %.2f s)\n", f, mb / f, (f / s - 1) * 100, p, m
}'

[ -n "${ONLY_OVERHEAD:-}" ] && exit 0

# 2. Merge at scale.
"$ASSAY" scan demo/bucket --format jsonl --quiet > "$WORK/demo.jsonl"
python3 - "$WORK/merge-run" "$MERGE_RECORDS" "$UNITS" "$("$ASSAY" --version | cut -d' ' -f2)" "$WORK/demo.jsonl" <<'EOF'
# Writes a committed fleet run: plan.json, and per unit a part of sorted
# records and a COMMIT naming it with its SHA-256.
import gzip, hashlib, json, os, sys
root, total, units, version, sample = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
records = [json.loads(l) for l in open(sample)]
template = next(r for r in records if r["regexes"])
template.pop("access", None)
template["uri"] = "@URI@"
# The record's text around its URI, so each line is one string format.
head, tail = json.dumps(template, separators=(",", ":")).split('"@URI@"')
catalog = "bench"; model = "bench"
run = "bench-run"
plan_units = []
per_unit = total // units
os.makedirs(root, exist_ok=True)
for u in range(units):
    n = per_unit + (1 if u < total % units else 0)
    unit = {"bucket": "bench", "partition": u, "of": units}
    base = f"runs/{run}/units/bench/{u:x}-of-{units}"
    os.makedirs(f"{root}/{base}/attempt-1", exist_ok=True)
    part = f"{base}/attempt-1/records.jsonl.gz"
    with gzip.open(f"{root}/{part}", "wt", compresslevel=1) as out:
        out.writelines(
            f'{{"record":{{"bucket_key":["bench","{u:04x}/{i:08d}.env"],"record":{head}"s3://bench/{u:04x}/{i:08d}.env"{tail}}}}}\n'
            for i in range(n)
        )
    digest = hashlib.sha256(open(f"{root}/{part}", "rb").read()).hexdigest()
    commit = {"unit": f"bench/{u:x}-of-{units}", "attempt": "attempt-1", "part": part, "sha256": digest,
              "records": n, "objects": n, "issues": 0, "assay_version": version,
              "catalog_version": catalog, "model_version": model}
    json.dump(commit, open(f"{root}/{base}/COMMIT", "w"))
    plan_units.append({"id": unit, "objects": n, "bytes": n * 1000, "shard": u % 64})
plan = {"format": 1, "assay_version": version, "run_id": run, "created": "2026-12-06T00:00:00Z",
        "targets": ["s3://bench"], "all_versions": False, "incremental": False,
        "scope_is_everything": True, "scheme": "assay/unit/v1", "shards": 64,
        "units": plan_units, "issues": [], "postures": {}}
json.dump(plan, open(f"{root}/plan.json", "w"))
EOF
"$TIME" -f '%e %U %S %M' -o "$WORK/merge-time" "$ASSAY" merge "$WORK/merge-run" --format jsonl --quiet | wc -l > "$WORK/merge-count"
read -r wall user sys rss < "$WORK/merge-time"
printf "merge of %d records in %d units (jsonl): %d records out, %.1f s wall, %.1f s CPU, peak RSS %.0f MiB\n" \
  "$MERGE_RECORDS" "$UNITS" "$(cat "$WORK/merge-count")" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$(awk -v r="$rss" 'BEGIN{print r/1024}')"
rm -rf "$WORK/merge-run"

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

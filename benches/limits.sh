#!/usr/bin/env bash
# Resource limits at full size (issue 22, point 2; docs/reliability.md).
# tests/integration/limits.rs checks each at a size CI can afford; this
# script runs the sizes the issue names and prints wall time, CPU time and
# peak RSS of each scan, plus what the record says:
#
#   benches/limits.sh            (a release build; about 10 minutes here)
#   PROFILE=debug benches/limits.sh   (debug builds, no release build)
#
#   1. a single-line file of 1 GiB (a made-up token at its end)
#   2. a sparse file of 10 GiB
#   3. a zip of 100,000 members under the default limits (all visited)
#   4. a CloudTrail file of 10 million records (JSON Lines, gzip) given to
#      --cloudtrail beside a one-file tree
#
# Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -j2 -q --bin assay
else
  cargo build --locked -j2 -q --bin assay
fi
ASSAY=$PWD/${CARGO_TARGET_DIR:-target}/$PROFILE/assay
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d /tmp/assay-bench-limits.XXXXXX)
trap 'rm -rf "$work"' EXIT

measure() { # NAME ARGS...: runs assay, prints the figures and the first record's errors
  local name=$1
  shift
  "$TIME" -f '%e %U %S %M' -o "$work/time" "$ASSAY" scan --format jsonl --jobs 1 "$@" >"$work/out.jsonl" 2>"$work/err" || {
    echo "$name: scan failed: $(tail -3 "$work/err")"
    return
  }
  read -r wall user sys rss <"$work/time"
  local records errors
  records=$(wc -l <"$work/out.jsonl")
  errors=$(python3 -c 'import json,sys
kinds={}
for l in open(sys.argv[1]):
    for e in json.loads(l).get("errors") or []: kinds[e["kind"]]=kinds.get(e["kind"],0)+1
print(",".join("%s=%d"%kv for kv in sorted(kinds.items())) or "none")' "$work/out.jsonl")
  printf '%-28s wall %7.1f s  cpu %7.1f s  peak RSS %5d MB  records %7d  errors %s\n' \
    "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))" "$records" "$errors"
}

mkdir -p "$work/line" "$work/sparse" "$work/zip" "$work/trail-tree"
python3 - "$work" <<'PY'
import gzip, json, sys, zipfile
work = sys.argv[1]
chunk = b"abcdefghij0123456789" * 52429
with open(work + "/line/line.txt", "wb") as f:
    for _ in range(1024):
        f.write(chunk)
    f.write(b" token ghp_R8x2Lq9Vt4Zm7Kc1Wn5Hy3Jd6Pf0Gs2Ab4Cd")
with zipfile.ZipFile(work + "/zip/many.zip", "w", zipfile.ZIP_STORED) as z:
    for i in range(100000):
        z.writestr("m/%06d.txt" % i, b"x")
with gzip.open(work + "/trail.json.gz", "wt", compresslevel=1) as f:
    for i in range(10_000_000):
        f.write(json.dumps({"eventVersion": "1.10", "eventTime": "2026-01-02T%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": "%032x" % i,
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u%d" % (i % 50), "accountId": "111122223333"},
            "sourceIPAddress": "203.0.113.%d" % (i % 250), "requestParameters": {"bucketName": "trail-tree", "key": "k%d" % (i % 1000)}}) + "\n")
open(work + "/trail-tree/k1", "w").write("hello\n")
PY
truncate -s 10G "$work/sparse/sparse.bin"

measure "1 GiB single line" "$work/line"
measure "10 GiB sparse file" "$work/sparse"
measure "zip, 100,000 members" "$work/zip"
measure "CloudTrail, 10M records" "$work/trail-tree" --cloudtrail "$work/trail.json.gz"

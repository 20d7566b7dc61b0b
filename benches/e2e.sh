#!/usr/bin/env bash
# End-to-end benchmark of `assay scan` (see README "Performance").
#
#   benches/e2e.sh [TREE]        TREE defaults to /usr/include
#
# 1. Throughput: scans TREE with --jobs 1 and reports MB/s per core from
#    user+system CPU time (not wall time: the machine is shared), next to a
#    baseline run in the same invocation: `cat` of every file in TREE.
# 2. Peak memory: scans a tree holding one 4 GiB text file (with secrets
#    planted near its start, middle and end) and reports the peak RSS.
# 3. CloudTrail: parses CT_MB megabytes (default 512) of generated S3 data
#    events with `scan --cloudtrail` and reports MB/s per core and peak RSS.
# Each figure is the best of RUNS runs (default 3). Needs GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr/include}
RUNS=${RUNS:-3}
BIG_GIB=${BIG_GIB:-4}
cargo build --release --locked -j2 -q
ASSAY=$PWD/target/release/assay
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

bytes=$(find "$TREE" -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
files=$(find "$TREE" -type f | wc -l)
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache

best() { sort -g | head -1; }
cpu_of() { # runs "$@" and prints user+sys seconds
  "$TIME" -f '%U %S' -o /tmp/assay-bench-time "$@" > /dev/null 2>&1 || true
  awk '{print $1 + $2}' /tmp/assay-bench-time
}
cat_cpu=$(for _ in $(seq "$RUNS"); do cpu_of sh -c "find '$TREE' -type f -print0 | xargs -0 cat"; done | best)
assay_cpu=$(for _ in $(seq "$RUNS"); do cpu_of "$ASSAY" scan "$TREE" --jobs 1 --format jsonl --quiet; done | best)
awk -v b="$bytes" -v f="$files" -v c="$cat_cpu" -v a="$assay_cpu" -v t="$TREE" 'BEGIN {
  mb = b / 1e6
  printf "tree %s: %.1f MB in %d files\n", t, mb, f
  printf "cat baseline:       %6.2f s CPU  %7.1f MB/s per core\n", c, mb / c
  printf "assay --jobs 1:     %6.2f s CPU  %7.1f MB/s per core  (%.2fx the CPU of cat)\n", a, mb / a, a / c
}'

big=$(mktemp -d /tmp/assay-bench-big.XXXXXX)
python3 - "$big/huge.log" "$BIG_GIB" <<'PY'
import sys
path, gib = sys.argv[1], int(sys.argv[2])
line = b"2026-11-02T08:00:00.112Z INFO request served in 12ms path=/catalog/teas user=guest\n"
block = line * (1 << 20 // len(line) * 16)
target = gib << 30
secret = b"token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"
with open(path, "wb") as f:
    written = 0
    marks = [1 << 20, target // 2, target - (4 << 20)]
    while written < target:
        if marks and written >= marks[0]:
            f.write(secret); written += len(secret); marks.pop(0)
        f.write(block); written += len(block)
PY
cp -r demo/bucket "$big/bucket"
"$TIME" -f '%M %U %S %e' -o /tmp/assay-bench-big "$ASSAY" scan "$big" --jobs 2 --format jsonl --quiet > "$big.out"
read -r rss user sys wall < /tmp/assay-bench-big
found=$(grep -o '"id":"github_key","category":"credentials","risk":8,"count":[0-9]*' "$big.out" | sed 's/.*://' | sort -n | tail -1)
rm -f "$big.out"
awk -v r="$rss" -v u="$user" -v s="$sys" -v w="$wall" -v g="$BIG_GIB" -v n="$found" 'BEGIN {
  printf "tree with a %d GiB file: peak RSS %.1f MiB, %.1f s wall, %.1f MB/s per core; tokens found in it: %s of 3\n", g, r / 1024, w, g * 1073.741824 / (u + s), n
}'

ct=$(mktemp -d /tmp/assay-bench-ct.XXXXXX)
trap 'rm -rf "$big" "$ct"' EXIT
python3 - "$ct" "${CT_MB:-512}" <<'PY'
import json, os, sys
out, mb = sys.argv[1], int(sys.argv[2])
event = {"eventVersion": "1.10", "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/s", "accountId": "111122223333",
         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/app"}}},
         "eventTime": "2026-11-02T08:14:02Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
         "sourceIPAddress": "203.0.113.10", "userAgent": "aws-sdk-java/2.20.0", "requestParameters": {"bucketName": "lake", "key": ""},
         "responseElements": None, "additionalEventData": {"AuthenticationMethod": "AuthHeader", "bytesTransferredOut": 1048576},
         "requestID": "3E57427F33A59F07", "eventID": "", "readOnly": True, "resources": [{"type": "AWS::S3::Object", "ARN": ""}],
         "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": "111122223333", "eventCategory": "Data"}
written, n, f = 0, 0, 0
while written < mb << 20:
    with open(os.path.join(out, f"trail-{f}.json"), "w") as file:
        file.write('{"Records":[')
        for i in range(50000):
            n += 1
            event["eventID"] = f"id-{n}"
            event["requestParameters"]["key"] = f"raw/part-{n % 5000:05d}.parquet"
            event["resources"][0]["ARN"] = "arn:aws:s3:::lake/" + event["requestParameters"]["key"]
            text = json.dumps(event)
            file.write(("," if i else "") + text)
            written += len(text) + 1
        file.write("]}")
    f += 1
PY
ct_bytes=$(du -cb "$ct"/*.json | tail -1 | cut -f1)
mkdir -p "$ct/empty"
"$TIME" -f '%M %U %S' -o /tmp/assay-bench-ct "$ASSAY" scan "$ct/empty" --cloudtrail "$ct" --format json --quiet > /dev/null
read -r rss user sys < /tmp/assay-bench-ct
awk -v b="$ct_bytes" -v r="$rss" -v u="$user" -v s="$sys" 'BEGIN {
  printf "CloudTrail: %.0f MB of JSON parsed at %.1f MB/s per core, peak RSS %.1f MiB\n", b / 1e6, b / 1e6 / (u + s), r / 1024
}'


#!/usr/bin/env bash
# Fault soak (issue 22, point 3; docs/reliability.md "Fault soak"). Not a
# timed test: it checks that faults lose nothing and duplicate nothing.
#
#   benches/soak.sh                 OBJECTS=10000 RATE=0.05 KILLS=20 SEED=22
#   PROFILE=debug benches/soak.sh   use debug builds (no release build)
#
# 1. Fills a bucket of OBJECTS small objects (text with made-up secrets,
#    gzip, zip, CSV) on a loopback S3 server (examples/s3-soak-serve).
# 2. Scans it with no faults: the reference report.
# 3. Scans it again while the server injects faults at random into RATE of
#    GETs (503 SlowDown, 500, connection reset, body cut half-way, answers
#    stalled 1-4 s), a few keys turn AccessDenied part-way (a permission
#    change), and a few objects are deleted or overwritten during the scan.
# 4. Runs a `--state` scan KILLS times, each killed with SIGKILL after a
#    random time, resuming each time, then lets it finish.
# Each report is compared with the reference, object by object (uri, risk,
# findings and counts): no object lost, none duplicated, and every object
# that differs says why in its `errors` (or was changed on purpose). It
# prints the figures and exits 1 on any loss or duplicate.
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS=${OBJECTS:-10000}
RATE=${RATE:-0.05}
KILLS=${KILLS:-20}
SEED=${SEED:-22}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -j2 -q --bin assay --example s3-soak-serve
else
  cargo build --locked -j2 -q --bin assay --example s3-soak-serve
fi
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE
work=$(mktemp -d /tmp/assay-soak.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/root/soak" "$OBJECTS" "$SEED" <<'PY'
import gzip, io, os, random, sys, zipfile
out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
def token(n):
    return "".join(rng.choice(alphabet) for _ in range(n))
for i in range(count):
    d = os.path.join(out, "d%03d" % (i % 500))
    os.makedirs(d, exist_ok=True)
    kind = i % 10
    if kind == 0:
        body = ("GITHUB_TOKEN=ghp_%s\n" % token(36)).encode()
        name = "app%05d.env" % i
    elif kind == 1:
        body = gzip.compress(("user,ssn\nDana,536-22-%04d\n" % (1000 + i % 8999)).encode())
        name = "people%05d.csv.gz" % i
    elif kind == 2:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("conf/db.ini", "[db]\npassword = %s\n" % token(16))
            z.writestr("notes.txt", "nothing\n")
        body, name = buf.getvalue(), "bundle%05d.zip" % i
    elif kind == 3:
        body = ("name,card_number\nDana,4539148803436467\n").encode()
        name = "cards%05d.csv" % i
    else:
        body = ("log line %d %s\n" % (i, token(40))).encode() * (1 + i % 7)
        name = "log%05d.txt" % i
    open(os.path.join(d, name), "wb").write(body)
PY

start_server() { # RATE: starts the server, sets $server and $endpoint
  "$BIN/examples/s3-soak-serve" "$work/root" "$1" "$SEED" "$work/faults.log" >"$work/endpoint" &
  server=$!
  for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
  endpoint=$(head -1 "$work/endpoint")
}
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}
export AWS_ACCESS_KEY_ID=assay-local AWS_SECRET_ACCESS_KEY=assay-local-secret AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
scan() { # OUTPUT ARGS...
  local output=$1
  shift
  "$BIN/assay" scan s3://soak --endpoint-url "$endpoint" --format jsonl --quiet "$@" >"$output"
}

compare() { # NAME REPORT [CHANGED_KEYS_FILE]: compares with the reference, prints figures
  python3 - "$work/reference.jsonl" "$2" "$1" "${3:-/dev/null}" <<'PY'
import collections, json, sys
reference_path, report_path, name, changed_path = sys.argv[1:5]
changed = set(open(changed_path).read().split())
def load(path):
    records = collections.defaultdict(list)
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            records[r["uri"]].append(r)
    return records
def findings(r):
    return (r["risk"], sorted((f["id"], f["count"]) for f in r.get("regexes") or []))
ref, got = load(reference_path), load(report_path)
same = explained = lost = duplicated = unexplained = 0
errors = collections.Counter()
problems = []
for uri, records in ref.items():
    top = uri.split("!/")[0]
    mine = got.get(uri, [])
    if len(mine) > 1:
        duplicated += 1; problems.append("duplicated: " + uri)
    if not mine:
        # A member of an archive the scan could not open is covered by the
        # archive's own record saying why.
        parent = got.get(top, [])
        if "!/" in uri and parent and parent[0].get("errors"):
            explained += 1
        elif top.rsplit("/", 1)[-1] in changed or any(top.endswith("/" + c) for c in changed):
            explained += 1
        else:
            lost += 1; problems.append("lost: " + uri)
        continue
    r = mine[0]
    if findings(r) == findings(ref[uri][0]) and not r.get("errors"):
        same += 1
    elif r.get("errors"):
        explained += 1
        for e in r["errors"]:
            errors[e["kind"]] += 1
    elif any(uri.endswith("/" + c) or top.endswith("/" + c) for c in changed):
        explained += 1
    else:
        unexplained += 1; problems.append("differs without an error: " + uri)
extra = [u for u in got if u not in ref and u.split("!/")[0] not in ref]
print("%-28s records %6d: same %6d, differ with a reason %4d (%s), lost %d, duplicated %d, unexplained %d, unexpected %d"
      % (name, sum(len(v) for v in got.values()), same, explained,
         ", ".join("%s %d" % kv for kv in sorted(errors.items())) or "-", lost, duplicated, unexplained, len(extra)))
for p in problems[:10]:
    print("   ", p)
sys.exit(1 if lost or duplicated or unexplained else 0)
PY
}

status=0
start_server 0
started=$(date +%s.%N)
scan "$work/reference.jsonl"
reference_seconds=$(echo "$(date +%s.%N) - $started" | bc)
echo "reference: $(wc -l <"$work/reference.jsonl") records from $OBJECTS objects in ${reference_seconds}s"
stop_server

# 3. Faults, deletions, overwrites, permission flips, during one scan.
: >"$work/faults.log"
start_server "$RATE"
(
  sleep 2
  for i in $(seq 4 10 200); do # a few .txt logs deleted, a few overwritten
    f=$(printf '%s/root/soak/d%03d/log%05d.txt' "$work" $((i % 500)) "$i")
    [ -f "$f" ] && rm -f "$f" && echo "log$(printf %05d "$i").txt" >>"$work/changed"
  done
  for i in $(seq 5 10 200); do
    f=$(printf '%s/root/soak/d%03d/log%05d.txt' "$work" $((i % 500)) "$i")
    [ -f "$f" ] && echo "overwritten during the scan" >"$f" && echo "log$(printf %05d "$i").txt" >>"$work/changed"
  done
  for i in $(seq 3 100 3000); do
    key=$(printf 'soak/d%03d/cards%05d.csv' $((i % 500)) "$i")
    echo "/$key" >>"$work/root/denied.txt"
    echo "cards$(printf %05d "$i").csv" >>"$work/changed"
  done
) &
changer=$!
scan "$work/faulty.jsonl" || true
wait "$changer" || true
compare "faults (rate $RATE)" "$work/faulty.jsonl" "$work/changed" || status=1
echo "faults injected: $(awk '{print $1}' "$work/faults.log" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')total $(wc -l <"$work/faults.log")"
stop_server
rm -f "$work/root/denied.txt"

# 4. A --state scan killed KILLS times and resumed (faults still on),
# compared with a fault-free scan of the bucket as step 3 left it.
start_server 0
scan "$work/reference.jsonl"
stop_server
: >"$work/faults.log"
start_server "$RATE"
kills=0
for k in $(seq "$KILLS"); do
  # Random points within the fault-free scan's duration.
  delay=$(python3 -c "import random; random.seed($SEED * 100 + $k); print('%.2f' % random.uniform(0.3, max(0.6, $reference_seconds * 0.9)))")
  "$BIN/assay" scan s3://soak --endpoint-url "$endpoint" --format jsonl --quiet --state "$work/state.db" \
    >"$work/killed.jsonl" 2>/dev/null &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
done
"$BIN/assay" scan s3://soak --endpoint-url "$endpoint" --format jsonl --quiet --state "$work/state.db" \
  >"$work/resumed.jsonl" || true
echo "--state scan: $KILLS runs, $kills of them killed mid-scan (SIGKILL) and resumed by the next; faults injected meanwhile: $(wc -l <"$work/faults.log")"
compare "killed and resumed" "$work/resumed.jsonl" || status=1
stop_server
exit "$status"

#!/usr/bin/env bash
# S3 benchmark of `assay scan s3://` (see README "Performance").
#
#   benches/s3.sh          N objects of SIZE_MIB MiB (default 200 x 4 MiB)
#
# Serves a generated bucket from a loopback S3 server (examples/s3-serve,
# s3s-fs) and, in the same invocation, times:
#   1. the baseline: a plain concurrent download of every object
#      (examples/s3-fetch, JOBS concurrent GETs, bytes discarded);
#   2. `assay scan s3://bench --jobs JOBS`;
# and reports wall time, MB/s and the ratio scan/download (best of RUNS),
# with the CPU the server and assay used.
#
# On loopback the "network" is the server's own work, and it is not cheap
# (s3s-fs reads in 4 KiB pieces and recomputes each object's MD5 per GET).
# Both are timed in two layouts, each against its own download:
#   - separate cores: the server on core 0, the client (download or scan)
#     on the others. The store is on its own machine, as S3 is, and serves
#     at its own pace: the scan's target is 1.3x the download here, which
#     holds if classification keeps up and overlaps the transfer.
#   - shared cores: server and client on every core, so the server's CPU
#     is billed to the scan too; its floor is (server + assay CPU) / cores.
# 3. Peak memory: scans a bucket holding one BIG_MIB MiB object and 64 small
#    ones with --jobs JOBS and reports the peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
SIZE_MIB=${SIZE_MIB:-4}
BIG_MIB=${BIG_MIB:-1024}
JOBS=${JOBS:-32}
RUNS=${RUNS:-3}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --locked -j2 -q --bin assay --example s3-serve --example s3-fetch
BIN=$PWD/target/release
root=$(mktemp -d /tmp/assay-bench-s3.XXXXXX)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$root"; }
trap cleanup EXIT

python3 - "$root" "$N" "$SIZE_MIB" "$BIG_MIB" <<'PY'
import os, sys, random
root, n, size_mib, big_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(7)
words = "order customer invoice shipped pending refund warehouse tea green oolong".split()
def text(size):
    lines = []
    total = 0
    while total < size:
        line = "2026-11-02T08:%02d:%02dZ INFO %s %s id=%d amount=%d.%02d\n" % (
            rng.randrange(60), rng.randrange(60), rng.choice(words), rng.choice(words),
            rng.randrange(10**6), rng.randrange(1000), rng.randrange(100))
        lines.append(line)
        total += len(line)
    return "".join(lines)
block = text(1 << 20).encode()
secret = b"token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"
for bucket, count, mib in (("bench", n, size_mib), ("big", 64, 0)):
    for i in range(count):
        path = os.path.join(root, bucket, "p%d" % (i % 8), "obj-%05d.log" % i)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            for m in range(max(mib, 1) if mib else 1):
                f.write(block if mib else block[:4096])
            if i % 10 == 0:
                f.write(secret)
with open(os.path.join(root, "big", "huge.log"), "wb") as f:
    for m in range(big_mib):
        f.write(block)
        if m in (1, big_mib // 2):
            f.write(secret)
PY

"$BIN/examples/s3-serve" "$root" > "$root.endpoint" &
server=$!
for _ in $(seq 50); do [ -s "$root.endpoint" ] && break; sleep 0.1; done
endpoint=$(head -1 "$root.endpoint")
rm -f "$root.endpoint"
export AWS_ACCESS_KEY_ID=assay-local AWS_SECRET_ACCESS_KEY=assay-local-secret AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
bytes=$(du -sb "$root/bench" | cut -f1)

best() { sort -g | head -1; }
wall_of() { # runs "$@" and prints wall seconds
  "$TIME" -f '%e' -o /tmp/assay-bench-s3-time "$@" > /dev/null 2>&1 || true
  cat /tmp/assay-bench-s3-time
}
# The server's CPU (user + system, from /proc).
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$server/stat"; }
# The CPUs this script may use (a container's cpuset need not start at 0).
read -r -a cpus <<< "$(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)))')"
cores=${#cpus[@]}
# measure LABEL SERVER_CPUS CLIENT_CPUS: the download, the scan and their
# ratio with the server's threads pinned to SERVER_CPUS and the client to
# CLIENT_CPUS.
measure() {
  local label=$1 server_cpus=$2 client_cpus=$3
  local on=()
  if command -v taskset > /dev/null; then
    taskset -a -p -c "$server_cpus" "$server" > /dev/null
    on=(taskset -c "$client_cpus")
  fi
  local fetch scan before fetch_server scan_server cpu records
  fetch=$(for _ in $(seq "$RUNS"); do wall_of "${on[@]}" "$BIN/examples/s3-fetch" "$endpoint" bench "$JOBS"; done | best)
  scan=$(for _ in $(seq "$RUNS"); do wall_of "${on[@]}" "$BIN/assay" scan s3://bench --endpoint-url "$endpoint" --jobs "$JOBS" --format jsonl --quiet; done | best)
  before=$(server_cpu)
  "${on[@]}" "$BIN/examples/s3-fetch" "$endpoint" bench "$JOBS" > /dev/null
  fetch_server=$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN {print b - a}')
  before=$(server_cpu)
  "$TIME" -f '%U %S' -o /tmp/assay-bench-s3-cpu "${on[@]}" "$BIN/assay" scan s3://bench --endpoint-url "$endpoint" --jobs "$JOBS" --format jsonl --quiet > "$root/bench.out"
  scan_server=$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN {print b - a}')
  records=$(wc -l < "$root/bench.out")
  cpu=$(awk '{print $1 + $2}' /tmp/assay-bench-s3-cpu)
  awk -v b="$bytes" -v f="$fetch" -v s="$scan" -v r="$records" -v j="$JOBS" -v c="$cpu" \
    -v fs="$fetch_server" -v ss="$scan_server" -v l="$label" -v sc="$server_cpus" -v cc="$client_cpus" -v k="$cores" 'BEGIN {
    mb = b / 1e6
    printf "%s (server on CPUs %s, client on CPUs %s; records written: %d)\n", l, sc, cc, r
    printf "  download (s3-fetch, %d GETs in flight): %6.2f s  %7.1f MB/s\n", j, f, mb / f
    printf "  assay scan --jobs %d:                  %6.2f s  %7.1f MB/s  (%.2fx the download)\n", j, s, mb / s, s / f
    printf "  assay CPU (user+sys): %.2f s, %.1f MB/s per core\n", c, mb / c
    printf "  server CPU: %.2f s during a download, %.2f s during a scan\n", fs, ss
    if (sc == cc)
      printf "  CPU floor of the scan on %d cores ((server + assay CPU) / cores): %.2f s; the scan took %.2fx that\n", k, (ss + c) / k, s / ((ss + c) / k)
  }'
}
echo "bucket: $N objects, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB"
every=$(IFS=,; echo "${cpus[*]}")
if [ "$cores" -ge 2 ] && command -v taskset > /dev/null; then
  measure "separate cores" "${cpus[0]}" "$(IFS=,; echo "${cpus[*]:1}")"
else
  echo "separate cores: needs 2 cores and taskset (util-linux); skipped"
fi
measure "shared cores" "$every" "$every"

"$TIME" -f '%M %e' -o /tmp/assay-bench-s3-big "$BIN/assay" scan s3://big --endpoint-url "$endpoint" --jobs "$JOBS" --format jsonl --quiet > "$root/big.out"
read -r rss wall < /tmp/assay-bench-s3-big
found=$(grep -c github_key "$root/big.out" || true)
echo "memory: s3://big (one ${BIG_MIB} MiB object + 64 small) --jobs $JOBS: peak RSS $((rss / 1024)) MiB, ${wall} s, $found records with the planted token"

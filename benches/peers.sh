#!/usr/bin/env bash
# assay beside Kingfisher (the strongest open secret scanner; `pip install
# kingfisher-bin`, run with --no-validate --no-update-check --git-history
# none) and `cat` of the same bytes, on five shapes of data:
#   1. /usr/include (small C headers)
#   2. the Python standard library with its site-packages
#   3. a tree of JSON data files (botocore's service models)
#   4. one 200 MB log file
#   5. one 200 MB base64 file
# Runs alternate (cat, assay, kingfisher, cat, ...) so a shared machine's
# load falls on all three alike; each figure is the median of RUNS (default
# 3) of user+system CPU time, and the peak RSS of the same runs. Both
# scanners get one worker (`--jobs 1`): MB/s per core.
#
#   benches/peers.sh                 KINGFISHER=path/to/kingfisher to choose one
#   ONLY=JSON benches/peers.sh       only the shapes whose label holds ONLY
#
# Kingfisher is optional: without it the table has assay and cat only.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --locked -j2 -q
ASSAY=$(realpath "${CARGO_TARGET_DIR:-target}")/release/assay
KF=${KINGFISHER:-$(command -v kingfisher || true)}
[ -n "$KF" ] || echo "kingfisher not found (pip install kingfisher-bin): assay and cat only" >&2

work=$(mktemp -d /tmp/assay-peers.XXXXXX)
trap 'rm -rf "$work"' EXIT

py_stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
py_site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The Python tree: the standard library and, when it lies elsewhere, the
# site-packages.
python_paths=$py_stdlib
[ -d "$py_site" ] && [ "${py_site#"$py_stdlib"}" = "$py_site" ] && python_paths="$py_stdlib $py_site"
# botocore's service models: from tests/run's environment or the system's.
json_tree=$(ls -d target/test-python/lib/python3*/site-packages/botocore/data \
  /usr/lib/python3/dist-packages/botocore/data /usr/lib/google-cloud-sdk/lib/third_party/botocore/data 2>/dev/null | head -1 || true)
[ -n "$json_tree" ] || { echo "no botocore/data tree: run tests/run (it installs boto3) or pip install botocore" >&2; exit 2; }

mkdir -p "$work/log" "$work/base64"
python3 - "$work/log/app.log" <<'PY'
import sys, random
rnd = random.Random(20261207)
with open(sys.argv[1], "w") as f:
    size = 0
    while size < 200_000_000:
        line = (f"2026-11-02T08:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}.{rnd.randrange(1000):03d}Z INFO "
                f"request id={rnd.getrandbits(64):016x} served path=/orders/{rnd.randrange(10**6)} "
                f"amount={rnd.randrange(10**5)}.{rnd.randrange(100):02d} user=u{rnd.randrange(10**4)} in {rnd.randrange(900)}ms\n")
        f.write(line)
        size += len(line)
PY
head -c 150000000 /dev/urandom | base64 > "$work/base64/blob.b64"

# PATHS are space-separated (no path here has a space).
bytes_of() { find $1 -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1; }
measure() { # prints "cpu_seconds peak_kib" for "$@"
  "$TIME" -f '%U %S %M' -o "$work/time" "$@" > /dev/null 2>&1 || true
  # The last line: GNU time puts "Command exited with non-zero status N"
  # first when a scanner exits non-zero (as both do when they find something).
  tail -1 "$work/time" | awk '{printf "%.3f %d\n", $1 + $2, $3}'
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

printf '| data | MB | cat MB/s | assay MB/s per core | kingfisher MB/s per core | assay / kingfisher | assay peak RSS | kingfisher peak RSS |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for entry in "/usr/include|/usr/include" "python ($(basename "$py_stdlib") and site-packages)|$python_paths" \
             "JSON (botocore data)|$json_tree" "200 MB log|$work/log" "200 MB base64|$work/base64"; do
  label=${entry%%|*}
  paths=${entry#*|}
  [[ "$label" == *"${ONLY:-}"* ]] || continue
  bytes=$(bytes_of "$paths")
  find $paths -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache
  : > "$work/cat" ; : > "$work/assay" ; : > "$work/kf"
  for _ in $(seq "$RUNS"); do
    measure sh -c "find $paths -type f -print0 | xargs -0 cat" >> "$work/cat"
    # shellcheck disable=SC2086 # several paths
    measure "$ASSAY" scan $paths --jobs 1 --format jsonl --quiet >> "$work/assay"
    # shellcheck disable=SC2086
    [ -n "$KF" ] && measure "$KF" scan $paths --jobs 1 --no-validate --no-update-check \
      --git-history none --format json >> "$work/kf"
  done
  cat_s=$(cut -d' ' -f1 "$work/cat" | median)
  assay_s=$(cut -d' ' -f1 "$work/assay" | median)
  assay_kib=$(cut -d' ' -f2 "$work/assay" | median)
  if [ -n "$KF" ]; then
    kf_s=$(cut -d' ' -f1 "$work/kf" | median)
    kf_kib=$(cut -d' ' -f2 "$work/kf" | median)
  else
    kf_s=0 kf_kib=0
  fi
  awk -v l="$label" -v b="$bytes" -v c="$cat_s" -v a="$assay_s" -v k="$kf_s" -v ar="$assay_kib" -v kr="$kf_kib" 'BEGIN {
    mb = b / 1e6
    printf "| %s | %.0f | %.0f | %.1f | %s | %s | %.0f MiB | %s |\n", l, mb, mb / (c > 0 ? c : 1e-9), mb / a,
      (k > 0 ? sprintf("%.1f", mb / k) : "-"), (k > 0 ? sprintf("**%.2fx**", k / a) : "-"), ar / 1024,
      (k > 0 ? sprintf("%.0f MiB", kr / 1024) : "-")
  }'
done

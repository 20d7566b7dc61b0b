#!/usr/bin/env bash
# Extraction throughput per document format (see README "Performance").
#
#   benches/documents.sh            ROWS defaults to 100000
#
# Makes one document per format from the same made-up table of ROWS people
# (name, e-mail, phone, city, note) with the real tools (openpyxl,
# python-docx, LibreOffice, pyarrow, fastavro, SQLite, Python's e-mail
# package), then scans each alone with `assay scan --jobs 1` and reports
# MB/s per core of document bytes from user+system CPU time, next to the
# baseline run in the same invocation: the same rows as a plain text file
# (`people.txt`, five people to a line), whose cost is classification alone. Best of RUNS runs
# (default 3); peak RSS of the best run. Needs GNU time, and the tools
# tests/run installs (run it once; its Python libraries are in
# target/test-python, put first on PATH here).
#
# Options (environment):
#   ASSAY=path     scan with this binary (no build): compare two builds
#   DOCS=dir       make the documents there once and keep them (reused when
#                  present), so runs of two builds read the same bytes
#   JSON=dir       also write each document's `--format json` report there
#                  (an extra, untimed run), to compare findings across builds
#   FORMATS="csv parquet"  only these formats (extensions), baseline always
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(realpath "${CARGO_TARGET_DIR:-target}")/test-python/bin:$PATH"
ROWS=${ROWS:-100000}
RUNS=${RUNS:-3}
if [ -z "${ASSAY:-}" ]; then
  cargo build --release --locked -j2 -q
  ASSAY=$PWD/target/release/assay
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
scratch=$(mktemp -d /tmp/assay-bench-docs.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
work=${DOCS:-$scratch}
mkdir -p "$work"
[ -z "${JSON:-}" ] || mkdir -p "$JSON"

[ -f "$work/people.ipynb" ] || python3 - "$work" "$ROWS" <<'PY'
import base64, email.message, json, os, random, sqlite3, subprocess, sys
out, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261128)
given = "Dana Omar Mei Lars Ines Kofi Aiko Paulo Greta Ravi".split()
family = "Whitfield Castellanos Tanaka Berg Moreau Mensah Sato Costa Lind Iyer".split()
cities = "Lyon Osaka Porto Accra Malmo Pune Leeds Graz".split()
people = []
for i in range(rows):
    g, f = rng.choice(given), rng.choice(family)
    people.append([f"{g} {f}", f"{g.lower()}.{f.lower()}{i}@example.org",
                   f"+1 415 555 {rng.randrange(10000):04d}", rng.choice(cities),
                   "renewal due" if i % 7 else "call back before friday"])
header = ["name", "email", "phone", "city", "note"]
lines = ["\t".join(header)] + ["\t".join(p) for p in people]
# The baseline: the rows as plain prose lines (five people to a line, as the
# Word document holds them), which no extractor touches.
open(os.path.join(out, "people.txt"), "w").write(
    "\n".join("; ".join(" ".join(p) for p in people[s:s + 5]) for s in range(0, rows, 5)) + "\n")
open(os.path.join(out, "people.csv"), "w").write("\n".join(",".join(l.split("\t")) for l in lines) + "\n")

import openpyxl
book = openpyxl.Workbook(write_only=True)
sheet = book.create_sheet("People")
sheet.append(header)
for p in people:
    sheet.append(p)
book.save(os.path.join(out, "people.xlsx"))

import docx
document = docx.Document()
for start in range(0, rows, 5):
    document.add_paragraph("; ".join(" ".join(p) for p in people[start:start + 5]))
document.save(os.path.join(out, "people.docx"))

profile = os.path.join(out, ".lo")
for source, target in [("people.docx", "pdf"), ("people.docx", "odt"), ("people.docx", "rtf"),
                       ("people.xlsx", "ods")]:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", target, "--outdir", out, os.path.join(out, source)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)

import pyarrow as pa, pyarrow.parquet as pq
table = pa.table({h: [p[i] for p in people] for i, h in enumerate(header)})
pq.write_table(table, os.path.join(out, "people.parquet"))

import fastavro
schema = fastavro.parse_schema({"type": "record", "name": "Person",
                                "fields": [{"name": h, "type": "string"} for h in header]})
with open(os.path.join(out, "people.avro"), "wb") as f:
    fastavro.writer(f, schema, [dict(zip(header, p)) for p in people], codec="deflate")

db = sqlite3.connect(os.path.join(out, "people.db"))
db.execute("CREATE TABLE people (" + ", ".join(f"{h} TEXT" for h in header) + ")")
db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)", people)
db.commit(); db.close()

message = email.message.EmailMessage()
message["From"] = "hr@example.org"; message["To"] = "ops@example.org"
message["Subject"] = "people export"
message.set_content("\n".join(lines[: rows // 2]) + "\n")
message.add_attachment(("\n".join(lines[rows // 2:]) + "\n").encode(), maintype="text",
                       subtype="plain", filename="rest.txt")
open(os.path.join(out, "people.eml"), "wb").write(bytes(message))

cells = [{"cell_type": "code", "metadata": {}, "execution_count": i, "id": f"c{i}",
          "source": [f"rows[{i}]\n"],
          "outputs": [{"output_type": "stream", "name": "stdout", "text": lines[i * 20:(i + 1) * 20]}]}
         for i in range(rows // 20)]
json.dump({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells},
          open(os.path.join(out, "people.ipynb"), "w"))
PY
rm -rf "$work/.lo"

best() { sort -g | head -1; }
measure() { # file -> "cpu rss" of the best run
  for _ in $(seq "$RUNS"); do
    "$TIME" -f '%U %S %M' -o "$scratch/time" "$ASSAY" scan "$1" --jobs 1 --format jsonl --quiet > "$scratch/out" 2>&1 || true
    awk '{print $1 + $2, $3}' "$scratch/time"
  done | sort -g | head -1
}
read -r base_cpu base_rss < <(measure "$work/people.txt")
base_mb=$(stat -c %s "$work/people.txt" | awk '{print $1 / 1e6}')
printf "%d rows; baseline: the same rows as plain text, %.1f MB: %.2f s CPU, %.1f MB/s per core\n" \
  "$ROWS" "$base_mb" "$base_cpu" "$(awk -v m="$base_mb" -v c="$base_cpu" 'BEGIN {print m / c}')"
printf "%-9s %9s %9s %12s %14s %9s\n" format MB "CPU s" "MB/s/core" "vs baseline" "peak RSS"
for file in people.csv people.xlsx people.ods people.docx people.odt people.rtf people.pdf \
            people.parquet people.avro people.db people.eml people.ipynb; do
  [ -z "${FORMATS:-}" ] || [[ " $FORMATS " == *" ${file#people.} "* ]] || continue
  read -r cpu rss < <(measure "$work/$file")
  mb=$(stat -c %s "$work/$file" | awk '{print $1 / 1e6}')
  # Every format holds the same rows: the ratio is the CPU per row against plain text.
  awk -v f="${file#people.}" -v m="$mb" -v c="$cpu" -v b="$base_cpu" -v r="$rss" 'BEGIN {
    printf "%-9s %9.1f %9.2f %12.1f %13.2fx %6.0f MiB\n", f, m, c, m / c, c / b, r / 1024 }'
  # Every row's e-mail address must have been read.
  grep -q '"email_address"' "$scratch/out" || echo "  ($file: no e-mail addresses found!)"
  [ -z "${JSON:-}" ] || "$ASSAY" scan "$work/$file" --jobs 1 --format json --quiet > "$JSON/${file#people.}.json" 2>&1 || true
done

#!/usr/bin/env bash
# Builds the real-file evaluation set of the model card from files on this
# machine that no one on the project wrote: system sources and configs,
# package documentation, real logs, the e-mails of CPython's test suite,
# keys and certificates made by openssl and ssh-keygen, a database dump made
# by sqlite3. Writes OUT/<category>/ (at most N files each; default 60).
#
#   classifiers/models/realset.sh /tmp/realset [N]
#   cargo run --release -- eval --corpus /tmp/realset
set -u  # finds that come up short (or are cut by head) are fine
out=${1:?usage: realset.sh OUT [N]}
n=${2:-60}
rm -rf "$out"
mkdir -p "$out"
# take CATEGORY: copy up to N of the paths on stdin (stable order, a spread
# over the list rather than its head), keeping their extensions.
take() {
  local dir="$out/$1" i=0
  mkdir -p "$dir"
  mapfile -t files < <(sort -u | while read -r f; do [ -f "$f" ] && [ -s "$f" ] && echo "$f"; done)
  local total=${#files[@]} step
  [ "$total" -eq 0 ] && return 0
  step=$(( total > n ? total / n : 1 ))
  for ((k = 0; k < total && i < n; k += step)); do
    local f=${files[$k]} base
    base=$(basename "$f")
    cp "$f" "$dir/$(printf %03d $i)-$base"
    i=$((i + 1))
  done
  return 0
}
reg=$(ls -d "$HOME"/.cargo/registry/src/*/ 2>/dev/null | head -1)
py=$(ls -d "$HOME"/.pyenv/versions/*/lib/python3* /usr/lib/python3* 2>/dev/null | head -1)

{ find /usr/include -name '*.h'; find "$py" -maxdepth 1 -name '*.py'; find /usr/share/perl* -name '*.pm' 2>/dev/null;
  find "$reg" -maxdepth 3 -path '*/src/*.rs' 2>/dev/null | head -400; find /usr/bin -maxdepth 1 -type f -exec grep -lI '^#!/bin/sh' {} + 2>/dev/null; } | take source_code
{ find /usr/share/doc -name '*.html'; find "$reg" -name '*.css'; find /usr/share/mime /usr/share/xml -name '*.xml' 2>/dev/null; } | take web_languages
{ find /etc -maxdepth 2 -name '*.conf'; find /lib/systemd/system -name '*.service'; ls /etc/ssh/ssh_config /etc/ssh/sshd_config 2>/dev/null;
  find "$reg" -maxdepth 3 -name '*.yml' -path '*/.github/*' 2>/dev/null; find "$reg" -maxdepth 2 -name 'Cargo.toml.orig' 2>/dev/null | head -100; } | take configuration
{ ls /var/log/*.log /var/log/apt/*.log 2>/dev/null; find /var/log -name '*.log' 2>/dev/null; } | take application_logs
find "$py/test/test_email/data" -name 'msg_*.txt' 2>/dev/null | take email
{ find "$reg" -maxdepth 2 -name 'package.json' -o -maxdepth 2 -name '*.json' 2>/dev/null | grep -v cargo_vcs_info | head -300; find /usr/share -name '*.json' 2>/dev/null | head -300; } | take json
{ find /usr/share -name '*.sql' 2>/dev/null; } | take database

keys="$out/encryption_keys"
mkdir -p "$keys"
tmp=$(mktemp -d)
for i in 1 2 3 4 5; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/rsa-$i.pem" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$keys/ec-$i.pem" 2>/dev/null
  openssl genpkey -algorithm ED25519 -out "$keys/ed25519-$i.key" 2>/dev/null
  openssl req -x509 -key "$keys/ec-$i.pem" -subj "/CN=host$i.example" -days 30 -out "$keys/cert-$i.crt" 2>/dev/null
  ssh-keygen -q -t ed25519 -N '' -C "user$i@host" -f "$tmp/id_ed25519_$i" && cp "$tmp/id_ed25519_$i" "$keys/id_ed25519_$i"
  ssh-keygen -q -t rsa -b 2048 -N '' -f "$tmp/id_rsa_$i" && cp "$tmp/id_rsa_$i" "$keys/id_rsa_$i" && cp "$tmp/id_rsa_$i.pub" "$keys/id_rsa_$i.pub"
  openssl genrsa -traditional -out "$keys/legacy-$i.key" 2048 2>/dev/null || true
done
rm -rf "$tmp"

db="$out/database"
mkdir -p "$db"
for i in 1 2 3; do
  sqlite3 ":memory:" "CREATE TABLE t$i (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER); INSERT INTO t$i (name, qty) VALUES ('a', 1), ('b', 2), ('c', $i); CREATE INDEX i$i ON t$i(name);" ".dump" > "$db/sqlite-dump-$i.sql" 2>/dev/null || true
done
for d in "$out"/*/; do echo "$(basename "$d") $(ls "$d" | wc -l)"; done

#!/usr/bin/env python3
"""The SVM's real-file evaluation set: files nobody on the project wrote,
taken from pinned packages of the registries the project reaches (PyPI,
npm, Debian), listed with their origin and licence in `realset.tsv`.

    realset.py fetch OUT        # download the listed packages, copy the files:
                                # OUT/{tune,heldout}/<category>/<file>
    realset.py manifest         # re-resolve SOURCES below into realset.tsv
    assay eval --corpus OUT --split heldout

`fetch` checks every file against the SHA-256 in the manifest and fails
loudly when a package or file is gone or changed. Each file goes to the
tuning or the held-out part by a hash of its origin (package and path), so
the split is the same everywhere. The tuning part is what thresholds and
corpus changes may look at; the held-out part is only reported (and tested
by tests/integration/model.rs).

Packages are downloaded with their own clients (pip, npm, apt-get) into a
cache beside OUT (OUT.cache); nothing is installed.
"""

import argparse
import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "realset.tsv")
COLUMNS = ["category", "part", "registry", "package", "version", "licence", "path", "sha256"]

# (registry, package, version, licence, [(glob inside the unpacked package, category, at most)]).
# Globs match paths below the unpacked package; `**` is any depth. Labels:
# a file's category is what a reader would call it; tables of people are
# personal_records, of prices or statements financial; other JSON is json.
SOURCES = [
    ("pypi-sdist", "brotli", "1.2.1", "MIT", [
        ("brotli-1.2.1/tests/testdata/alice29.txt", "ebook", 1),
        ("brotli-1.2.1/tests/testdata/asyoulik.txt", "ebook", 1),
        ("brotli-1.2.1/tests/testdata/lcet10.txt", "ebook", 1),
        ("brotli-1.2.1/tests/testdata/plrabn12.txt", "ebook", 1),
        ("brotli-1.2.1/c/enc/*.c", "source_code", 8),
        ("brotli-1.2.1/c/dec/*.h", "source_code", 4),
        ("brotli-1.2.1/README*", "other", 2),
    ]),
    ("debian", "libpython3.11-testsuite", "3.11.2-6+deb12u9", "PSF-2.0", [
        ("usr/lib/python3.11/test/test_email/data/msg_*.txt", "email", 40),
        ("usr/lib/python3.11/test/*.pem", "encryption_keys", 12),
        ("usr/lib/python3.11/test/cfgparser.*", "configuration", 3),
        ("usr/lib/python3.11/test/xmltestdata/c14n-20/*.xml", "web_languages", 10),
        ("usr/lib/python3.11/test/xmltestdata/*.xml", "web_languages", 4),
        ("usr/lib/python3.11/test/test_[a-f]*.py", "source_code", 12),
        ("usr/lib/python3.11/test/*.html", "web_languages", 2),
    ]),
    ("debian", "python3.11-doc", "3.11.2-6+deb12u9", "PSF-2.0", [
        ("usr/share/doc/python3.11/html/library/*.html", "web_languages", 14),
        ("usr/share/doc/python3.11/html/_static/*.css", "web_languages", 6),
        ("usr/share/doc/python3.11/html/_sources/whatsnew/*.rst.txt", "other", 8),
        ("usr/share/doc/python3.11/html/_sources/faq/*.rst.txt", "other", 6),
        ("usr/share/doc/python3.11/html/_sources/howto/*.rst.txt", "other", 6),
    ]),
    ("debian", "postgresql-15", "15.20-0+deb12u1", "PostgreSQL", [
        ("usr/share/postgresql/15/extension/*--*.sql", "database", 20),
        ("usr/share/postgresql/15/*.sql", "database", 4),
    ]),
    ("debian", "fail2ban", "1.0.2-2", "GPL-2.0-or-later", [
        ("usr/lib/python3/dist-packages/fail2ban/tests/files/testcase*.log", "application_logs", 12),
        ("etc/fail2ban/filter.d/*.conf", "configuration", 14),
        ("etc/fail2ban/action.d/*.conf", "configuration", 8),
        ("etc/fail2ban/*.conf", "configuration", 4),
        ("usr/lib/python3/dist-packages/fail2ban/server/*.py", "source_code", 6),
    ]),
    ("debian", "ledger", "3.3.0-3", "BSD-3-Clause", [
        ("usr/share/doc/ledger/examples/sample.dat", "financial", 1),
    ]),
    ("pypi-sdist", "apachelogs", "0.6.1", "MIT", [
        ("apachelogs-0.6.1/test/data/*.log", "application_logs", 2),
    ]),
    ("pypi-sdist", "ofxparse", "0.21", "MIT", [
        ("ofxparse-0.21/tests/fixtures/*.ofx", "financial", 24),
        ("ofxparse-0.21/ofxparse/*.py", "source_code", 3),
    ]),
    ("pypi-sdist", "sqlparse", "0.6.1", "BSD-3-Clause", [
        ("sqlparse-0.6.1/tests/files/*.sql", "database", 17),
        ("sqlparse-0.6.1/sqlparse/*.py", "source_code", 4),
        ("sqlparse-0.6.1/CHANGELOG", "other", 1),
        ("sqlparse-0.6.1/docs/source/*.rst", "other", 4),
    ]),
    ("pypi-sdist", "mail-parser", "4.8.0", "Apache-2.0", [
        ("mail_parser-4.8.0/tests/mails/mail_test_*", "email", 16),
        ("mail_parser-4.8.0/tests/mails/mail_outlook_*", "email", 1),
        ("mail_parser-4.8.0/docker-compose.yml", "configuration", 1),
        ("mail_parser-4.8.0/.github/workflows/*.yml", "configuration", 2),
        ("mail_parser-4.8.0/pyproject.toml", "configuration", 1),
    ]),
    ("pypi-wheel", "cryptography-vectors", "50.0.2", "Apache-2.0 OR BSD-3-Clause", [
        ("cryptography_vectors/asymmetric/PKCS8/*.pem", "encryption_keys", 10),
        ("cryptography_vectors/asymmetric/PEM_Serialization/*.pem", "encryption_keys", 8),
        ("cryptography_vectors/asymmetric/Traditional_OpenSSL_Serialization/*.pem", "encryption_keys", 6),
        ("cryptography_vectors/asymmetric/OpenSSH/*.key", "encryption_keys", 8),
        ("cryptography_vectors/asymmetric/OpenSSH/*.pub", "encryption_keys", 3),
        ("cryptography_vectors/x509/*.pem", "encryption_keys", 10),
    ]),
    ("npm", "vega-datasets", "3.2.1", "BSD-3-Clause", [
        ("package/data/la-riots.csv", "personal_records", 1),
        # English monarchs with their reigns: a register of people.
        ("package/data/monarchs.json", "personal_records", 1),
        ("package/data/lookup_people.csv", "personal_records", 1),
        ("package/data/sp500.csv", "financial", 1),
        ("package/data/stocks.csv", "financial", 1),
        ("package/data/[a-l]*.json", "json", 14),
        ("package/data/[m-z]*.json", "json", 14),
        ("package/data/seattle-weather*.csv", "other", 2),
        ("package/data/weather.csv", "other", 1),
        ("package/data/co2-concentration.csv", "other", 1),
        ("package/data/global-temp.csv", "other", 1),
        ("package/package.json", "json", 1),
    ]),
    # Compression libraries' test data: whole Project Gutenberg books (public
    # domain) and Lincoln's Gettysburg address; one copy of each text.
    ("debian", "golang-github-pierrec-lz4-dev", "2.5.2-2", "BSD-3-Clause (texts: public domain)", [
        ("usr/share/gocode/src/github.com/pierrec/lz4/testdata/Mark.Twain-Tom.Sawyer.txt", "ebook", 1),
        ("usr/share/gocode/src/github.com/pierrec/lz4/testdata/pg1661.txt", "ebook", 1),
    ]),
    ("debian", "golang-github-klauspost-compress-dev", "1.15.12+ds1-3", "BSD-3-Clause (texts: public domain)", [
        ("usr/share/gocode/src/github.com/klauspost/compress/snappy/testdata/Isaac.Newton-Opticks.txt", "ebook", 1),
        ("usr/share/gocode/src/github.com/klauspost/compress/testdata/gettysburg.txt", "other", 1),
    ]),
    # ggplot2's table of US presidents (name, start, end, party), as plotnine ships it.
    ("pypi-wheel", "plotnine", "0.15.9", "MIT", [
        ("plotnine/data/presidential.csv", "personal_records", 1),
    ]),
    ("npm", "bootstrap", "5.3.3", "MIT", [
        ("package/js/src/*.js", "source_code", 8),
        ("package/dist/css/bootstrap-grid.css", "web_languages", 1),
        ("package/dist/css/bootstrap-utilities.css", "web_languages", 1),
        ("package/dist/css/bootstrap-reboot.css", "web_languages", 1),
        ("package/scss/_*.scss", "web_languages", 6),
        ("package/README.md", "other", 1),
        ("package/package.json", "json", 1),
    ]),
]
# Files the globs match that are not what their rule means.
EXCLUDE = {
    "package/data/ohlc.json", "package/data/budget.json", "package/data/budgets.json",
}
# Rules ignore files larger than this (a whole atlas is not a document).
MAX_BYTES = 4 << 20


def part_of(package, path):
    """The deterministic split: half of the files, by a hash of their origin."""
    digest = hashlib.sha256(f"{package}/{path}".encode()).digest()
    return "heldout" if digest[0] % 2 == 0 else "tune"


def download(registry, package, version, cache):
    """Downloads one package with its registry's client; returns the archive."""
    where = os.path.join(cache, "dl", f"{registry}-{package}-{version}")
    os.makedirs(where, exist_ok=True)
    found = [f for f in os.listdir(where) if not f.startswith(".")]
    if not found:
        if registry == "pypi-sdist":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "-q", "-d", where, f"{package}=={version}"]
        elif registry == "pypi-wheel":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                   "-q", "-d", where, f"{package}=={version}"]
        elif registry == "npm":
            cmd = ["npm", "pack", "-q", f"{package}@{version}"]
        elif registry == "debian":
            cmd = ["apt-get", "download", "-q", f"{package}={version}"]
        else:
            raise SystemExit(f"realset: unknown registry {registry}")
        result = subprocess.run(cmd, cwd=where, capture_output=True, text=True)
        found = [f for f in os.listdir(where) if not f.startswith(".")]
        if result.returncode != 0 or not found:
            raise SystemExit(
                f"realset: could not download {package} {version} from {registry}: "
                f"{' '.join(cmd)}\n{result.stderr.strip()}")
    return os.path.join(where, sorted(found)[0])


def unpack(registry, package, version, cache):
    """Unpacks a package once; returns the directory of its files."""
    root = os.path.join(cache, "unpacked", f"{registry}-{package}-{version}")
    done = os.path.join(root, ".unpacked")
    if os.path.exists(done):
        return root
    archive = download(registry, package, version, cache)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    if archive.endswith(".deb"):
        subprocess.run(["dpkg-deb", "-x", archive, root], check=True)
    elif archive.endswith(".whl") or archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(root)
    else:
        with tarfile.open(archive) as t:
            t.extractall(root, filter="data")
    open(done, "w").close()
    return root


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def resolve(cache):
    """SOURCES as manifest rows: each rule's matches, spread over the sorted list."""
    rows, seen = [], set()
    for registry, package, version, licence, rules in SOURCES:
        root = unpack(registry, package, version, cache)
        files = []
        for dirpath, _, names in os.walk(root):
            for name in names:
                full = os.path.join(dirpath, name)
                if os.path.isfile(full) and not os.path.islink(full):
                    files.append(os.path.relpath(full, root))
        files.sort()
        for pattern, category, most in rules:
            matched = [f for f in files if fnmatch.fnmatchcase(f, pattern) and f not in EXCLUDE
                       and 0 < os.path.getsize(os.path.join(root, f)) <= MAX_BYTES
                       and (package, f) not in seen]
            step = max(1, len(matched) // most)
            for f in matched[::step][:most]:
                seen.add((package, f))
                rows.append([category, part_of(package, f), registry, package, version, licence, f,
                             sha256(os.path.join(root, f))])
    return rows


def write_manifest(rows):
    with open(MANIFEST, "w") as out:
        out.write("# The SVM's real-file evaluation set (classifiers/models/realset.py; MODEL_CARD.md).\n")
        out.write("\t".join(COLUMNS) + "\n")
        for row in sorted(rows):
            out.write("\t".join(row) + "\n")


def read_manifest():
    rows = []
    with open(MANIFEST) as f:
        for line in f:
            if line.startswith("#") or line.startswith("category\t") or not line.strip():
                continue
            rows.append(dict(zip(COLUMNS, line.rstrip("\n").split("\t"))))
    return rows


def fetch(out):
    # Absolute: downloads run with the package's cache directory as their
    # working directory (npm pack and apt-get download write there).
    out = os.path.abspath(out)
    cache = out.rstrip("/") + ".cache"
    rows = read_manifest()
    shutil.rmtree(out, ignore_errors=True)
    for row in rows:
        root = unpack(row["registry"], row["package"], row["version"], cache)
        source = os.path.join(root, row["path"])
        if not os.path.isfile(source) or sha256(source) != row["sha256"]:
            raise SystemExit(f"realset: {row['package']} {row['version']}: {row['path']} "
                             "is missing or changed; regenerate the manifest (realset.py manifest)")
        flat = row["path"].replace("/", "_")
        target = os.path.join(out, row["part"], row["category"], f"{row['package']}--{flat}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    counts = {}
    for row in rows:
        key = (row["part"], row["category"])
        counts[key] = counts.get(key, 0) + 1
    for (part, category), n in sorted(counts.items()):
        print(f"{part:8} {category:18} {n}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="download the manifest's packages and copy its files to OUT")
    f.add_argument("out")
    m = sub.add_parser("manifest", help="re-resolve SOURCES into realset.tsv")
    m.add_argument("--cache", default="/tmp/realset.cache")
    args = parser.parse_args()
    if args.command == "fetch":
        fetch(args.out)
    else:
        write_manifest(resolve(os.path.abspath(args.cache)))
        print(f"wrote {MANIFEST}")


if __name__ == "__main__":
    main()

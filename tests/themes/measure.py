#!/usr/bin/env python3
"""Measures assay's keyword themes on real text (tests/themes/corpus.toml):
for each theme, the share of documents of its kind it fires on, and the
share of code, logs and other prose it fires on.

    tests/themes/measure.py [--assay target/release/assay] [--markdown]
                            [--manifest target/themes-corpus/manifest.tsv]

Debian packages are fetched with `apt-get download` (run `apt-get update`
first on a fresh machine) and unpacked under target/themes-corpus/deb/.
The manifest lists every file measured: path, source, group, the themes it
is a document of, and where it came from. Prints a per-theme table (Markdown
with --markdown, as in docs/themes.md).
"""

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "target" / "themes-corpus"
GROUPS = ["kind", "code", "logs", "prose"]


def fetch_debs(packages):
    """Unpacks each package under CORPUS/deb/<package>; fetched once."""
    debs = CORPUS / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not (CORPUS / "deb" / p / ".unpacked").exists()]
    if missing:
        before = set(debs.iterdir())
        result = subprocess.run(
            ["apt-get", "download", *missing], cwd=debs, capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"apt-get download {' '.join(missing)} failed (apt-get update first?):\n"
                     f"{result.stderr}")
        for deb in set(debs.iterdir()) - before:
            package = deb.name.split("_")[0]
            target = CORPUS / "deb" / package
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
            (target / ".unpacked").write_text(deb.name + "\n")
    return {p: (CORPUS / "deb" / p / ".unpacked").read_text().strip() for p in packages}


def matches(rel, globs):
    # fnmatch's * crosses /, so "**/x" also needs the top level's "x".
    return any(fnmatch.fnmatch(rel, g) or (g.startswith("**/") and fnmatch.fnmatch(rel, g[3:]))
               for g in globs)


def files_under(root, include, exclude):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if name == ".unpacked" or not path.is_file() or path.is_symlink():
                continue
            if include and not matches(rel, include):
                continue
            if exclude and matches(rel, exclude):
                continue
            yield path


def manifest(config):
    stdlib = sysconfig.get_paths()["stdlib"]
    npm = str(ROOT / "target" / "precision-npm" / "node_modules")
    rows = []
    for source in config["source"]:
        include, exclude = source.get("include", []), source.get("exclude", [])
        themes = source.get("themes", [])
        if "deb" in source:
            versions = fetch_debs(source["deb"])
            for package in source["deb"]:
                root = CORPUS / "deb" / package
                # A package's copyright file is a licence and its Debian
                # changelog packaging notes: not documents of its kind.
                skip = exclude + ["**/copyright", "**/changelog.Debian*"]
                for path in files_under(root, include, skip):
                    rows.append((path, source["name"], source["group"], themes,
                                 f"debian:{versions[package]}"))
        else:
            root = Path(source["path"].replace("{stdlib}", stdlib).replace("{npm}", npm))
            if not root.is_dir():
                sys.exit(f"{root} is missing ({source['name']})")
            for path in files_under(root, include, exclude):
                rows.append((path, source["name"], source["group"], themes, "local"))
    return rows


def scan(assay, paths):
    """Theme ids per scanned file (archive members fold into their file)."""
    fired = {}
    batch = 2000
    for start in range(0, len(paths), batch):
        chunk = [str(p) for p in paths[start:start + batch]]
        result = subprocess.run([assay, "scan", *chunk, "--format", "jsonl", "--quiet"],
                                capture_output=True, text=True)
        if result.returncode not in (0, 1):
            sys.exit(f"assay failed: {result.stderr[-2000:]}")
        for line in result.stdout.splitlines():
            record = json.loads(line)
            uri = record["uri"].split("!")[0]
            if uri.startswith("file://"):
                uri = uri[len("file://"):]
            ids = {t["id"] for t in record.get("themes") or []}
            fired.setdefault(uri, set()).update(ids)
    return fired


def read_text(path):
    import gzip

    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass
    return data.decode("utf-8", "replace").lower()


def keyword_report(catalog, rows, wanted):
    """Per keyword of the wanted themes: in how many files of each group it
    stands as a whole word (as the theme matcher counts it), to see which
    keywords make a theme noisy or deaf."""
    import re

    themes = [t for t in tomllib.loads(Path(catalog).read_text())["theme"] if t["id"] in wanted]
    keywords = sorted({k.lower() for t in themes for k in t["keywords"]}, key=len, reverse=True)

    def pattern(k):
        left = r"(?<![a-z0-9_])" if re.match(r"\w", k[0]) else ""
        right = r"(?![a-z0-9_])" if re.match(r"\w", k[-1]) else ""
        variants = [k] + ([k.replace(" ", "-"), k.replace(" ", "_")] if " " in k else [])
        return left + "(?:" + "|".join(re.escape(v) for v in variants) + ")" + right

    # Plain words by a set of the file's words; the rest by substring, then
    # their boundary pattern.
    plain = {k for k in keywords if re.fullmatch(r"[a-z0-9_]+", k)}
    others = {k: re.compile(pattern(k)) for k in keywords if k not in plain}
    counts = {(k, g): 0 for k in keywords for g in GROUPS}
    for path, _, group, kinds, _ in rows:
        if group == "kind" and not set(kinds) & set(wanted):
            continue
        text = read_text(path)
        words = set(re.findall(r"[a-z0-9_]+", text))
        for k in plain & words:
            counts[(k, group)] += 1
        for k, regex in others.items():
            probe = k.split(" ")[0]
            if probe in text and regex.search(text):
                counts[(k, group)] += 1
    for theme in themes:
        print(f"{theme['id']} (min {theme['min_count']}):")
        for k in theme["keywords"]:
            cells = " ".join(f"{g}={counts[(k.lower(), g)]}" for g in GROUPS)
            print(f"  {k!r:45} {cells}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assay", default=str(ROOT / "target" / "release" / "assay"))
    parser.add_argument("--catalog", default=str(ROOT / "classifiers" / "catalog" / "themes.toml"))
    parser.add_argument("--manifest", default=str(CORPUS / "manifest.tsv"))
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--keywords", nargs="+", metavar="THEME",
                        help="instead, count each keyword of these themes per group")
    args = parser.parse_args()
    config = tomllib.loads((Path(__file__).parent / "corpus.toml").read_text())
    themes = [t["id"] for t in tomllib.loads(Path(args.catalog).read_text())["theme"]]
    rows = manifest(config)
    Path(args.manifest).parent.mkdir(parents=True, exist_ok=True)
    with open(args.manifest, "w") as out:
        out.write("path\tsource\tgroup\tthemes\tfrom\n")
        for path, source, group, kinds, origin in rows:
            out.write(f"{path}\t{source}\t{group}\t{','.join(kinds)}\t{origin}\n")
    if args.keywords:
        keyword_report(args.catalog, rows, args.keywords)
        return
    fired = scan(args.assay, [r[0] for r in rows])
    totals = {g: sum(1 for r in rows if r[2] == g) for g in GROUPS}
    missing = [r for r in rows if str(r[0]) not in fired]
    print(f"{len(rows)} files ({', '.join(f'{totals[g]} {g}' for g in GROUPS)}); "
          f"{len(missing)} not reported", file=sys.stderr)
    table = []
    for theme in themes:
        own = [r for r in rows if theme in r[3]]
        hit = lambda rs: sum(1 for r in rs if theme in fired.get(str(r[0]), ()))
        cells = []
        cells.append(f"{hit(own)}/{len(own)}" if own else "-")
        for group in ["code", "logs", "prose"]:
            rs = [r for r in rows if r[2] == group]
            cells.append(f"{hit(rs)}/{len(rs)}")
        table.append((theme, cells))
    if args.markdown:
        print("| theme | its documents | code | logs | other prose |")
        print("|---|---|---|---|---|")
        for theme, cells in table:
            print(f"| {theme} | " + " | ".join(cells) + " |")
    else:
        for theme, cells in table:
            print(f"{theme:45} " + " ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes given_names.txt and surnames.txt, the name lists assay's full-name
finder embeds (classifiers/src/pii.rs), from their sources (README.md):

- the US Census 1990 lists kept beside this script (census_*.txt), less the
  words of not_names.txt;
- Faker's per-locale person providers (PyPI `faker`, MIT), for the locales in
  LOCALES, with gates on what they add, so that capitalised words of prose,
  headings and legal text in capitals do not become names: a name of fewer
  than three letters, a name that is also an English word (lower case in
  /usr/share/dict/words, Debian's `wamerican`), one of the 300 most frequent
  words of any of the locales' languages (PyPI `wordfreq`: `che`, `dalla`,
  `och`, `para`), or one listed in not_names.txt is left out.

Names are upper case (Python's str.upper, which agrees with Rust's
char::to_uppercase: ß becomes SS), one a line, sorted by their UTF-8 bytes
(stable diffs; the finder indexes the embedded text). A surname with particles
(`de Vries`, `da Silva`) is kept whole, `DE VRIES`; hyphenated names give
their parts (`Jean-Pierre` gives JEAN and PIERRE); entries of several words
that are not particles and a surname, or with letters outside the Latin
script, are left out (the finder only reads Latin-script words).

Re-run (from anywhere):
    python3 -m venv /tmp/names-venv
    /tmp/names-venv/bin/pip install faker==40.54.0 wordfreq==3.1.1
    apt-get install wamerican
    /tmp/names-venv/bin/python classifiers/catalog/names/generate.py
It prints per-locale counts, which README.md records.
"""

import importlib
import sys
import unicodedata
from pathlib import Path

FAKER_VERSION = "40.54.0"
WORDFREQ_VERSION = "3.1.1"
# wordfreq's languages for the locales (sh: Serbo-Croatian for hr_HR).
LANGUAGES = [
    "it", "nl", "fi", "de", "fr", "es", "ca", "pt", "pl", "sv", "da", "nb", "cs",
    "sk", "sl", "sh", "hu", "ro", "et", "lv", "lt", "ga", "is", "tr", "en",
]
FREQUENT = 300
DICTIONARY = Path("/usr/share/dict/words")
HERE = Path(__file__).resolve().parent

# Faker person locales written in the Latin script: the EU's languages and
# the other major ones assay meets (Latin America, Brazil, Switzerland,
# Norway, Iceland, Turkey, the English-speaking ones beyond the US).
LOCALES = [
    "it_IT", "nl_NL", "nl_BE", "fi_FI", "de_DE", "de_AT", "de_CH", "de_LI", "de_LU",
    "fr_FR", "fr_BE", "fr_CH", "fr_CA", "fr_QC", "es_ES", "es", "es_MX", "es_AR",
    "es_CL", "es_CO", "es_CA", "pt_PT", "pt_BR", "pl_PL", "sv_SE", "da_DK",
    "no_NO", "cs_CZ", "sk_SK", "sl_SI", "hr_HR", "hu_HU", "ro_RO", "et_EE",
    "lv_LV", "lt_LT", "ga_IE", "is_IS", "tr_TR", "en_GB", "en_IE", "en_NZ",
]

# Particles that stand before a surname (lower case; matched in any case).
# Keep in step with PARTICLES in classifiers/src/pii.rs.
PARTICLES = {
    "van", "von", "der", "den", "de", "des", "del", "della", "delle", "dei",
    "degli", "di", "da", "das", "do", "dos", "du", "la", "le", "ter", "ten",
    "te", "zu", "af", "av",
}

# The finder compares at most this many bytes of an upper-case surname with
# its particles (pii.rs, MAX_NAME_BYTES).
MAX_NAME_BYTES = 40


def latin_letter(ch):
    return ch.isalpha() and (ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF)


def word_ok(word):
    """A word the finder reads as one: Latin letters, an apostrophe inside
    (O'Brien, D'Angelo), a capital first, two letters or more."""
    if len(word) < 2 or not word[0].isupper() or not latin_letter(word[0]):
        return False
    return all(latin_letter(c) or (c == "'" and i > 0) for i, c in enumerate(word))


def entries(name):
    """The list entries (upper case) a source name gives: none, its parts,
    or itself with its particles."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name or "," in name or "." in name:
        return []
    words = name.split()
    if len(words) > 1:
        *particles, core = words
        if all(p.lower() in PARTICLES for p in particles) and word_ok(core):
            whole = " ".join(p.upper() for p in particles) + " " + core.upper()
            return [whole] if len(whole.encode()) <= MAX_NAME_BYTES else []
        return []
    parts = name.split("-")
    return [p.upper() for p in parts if word_ok(p) and len(p.upper().encode()) <= MAX_NAME_BYTES]


def strings_of(value):
    if isinstance(value, dict):
        value = list(value.keys())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return value
    return []


def locale_names(locale):
    """Given names and surnames of one Faker locale: every class attribute
    of its person provider named like first_names or *_last_names."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    given, surnames = set(), set()
    for attr in dir(provider):
        if attr.startswith("_"):
            continue
        names = strings_of(getattr(provider, attr, None))
        if "first_name" in attr:
            target = given
        elif "last_name" in attr:
            target = surnames
        else:
            continue
        for name in names:
            target.update(entries(name))
    return given, surnames


def read_list(path):
    return {
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def english_words():
    # Lower-case entries only: proper nouns in the dictionary (Paris, Maria)
    # are capitalised there and are no reason to drop a name.
    return {
        w.strip()
        for w in DICTIONARY.read_text(encoding="utf-8").splitlines()
        if w.strip() and w.strip() == w.strip().lower()
    }


def frequent_words():
    from wordfreq import available_languages, top_n_list

    known = available_languages()
    words = set()
    for language in LANGUAGES:
        if language in known:
            words.update(w.upper() for w in top_n_list(language, FREQUENT))
    return words


def write(path, header, names):
    body = sorted(names, key=lambda n: n.encode("utf-8"))
    text = "".join(f"# {line}\n" for line in header) + "".join(f"{n}\n" for n in body)
    path.write_text(text, encoding="utf-8")


def main():
    import faker
    from importlib.metadata import version

    if faker.VERSION != FAKER_VERSION:
        sys.exit(f"faker {faker.VERSION} is installed; this list is made from {FAKER_VERSION}")
    if version("wordfreq") != WORDFREQ_VERSION:
        sys.exit(f"wordfreq {version('wordfreq')} is installed; the lists use {WORDFREQ_VERSION}")
    if not DICTIONARY.is_file():
        sys.exit(f"{DICTIONARY} is missing: apt-get install wamerican")
    census_given = read_list(HERE / "census_given_names.txt")
    census_surnames = read_list(HERE / "census_surnames.txt")
    english = english_words()
    frequent = frequent_words()
    not_names = {n.upper() for n in read_list(HERE / "not_names.txt")}

    dropped = {"short": set(), "not_names": set(), "frequent": set(), "english": set()}

    def kept(name):
        if name in not_names:
            dropped["not_names"].add(name)
        # A surname with its particles (DE GROOT) is no common word.
        elif " " in name:
            return True
        elif len(name) < 3:
            dropped["short"].add(name)
        elif name in frequent:
            dropped["frequent"].add(name)
        elif name.lower() in english:
            dropped["english"].add(name)
        else:
            return True
        return False

    given, surnames = census_given - not_names, census_surnames - not_names
    print(f"{'locale':8} {'given':>6} {'added':>6} {'surnames':>8} {'added':>6}")
    for locale in LOCALES:
        g, s = locale_names(locale)
        g_new = {n for n in g - given if kept(n)}
        s_new = {n for n in s - surnames if kept(n)}
        given |= g_new
        surnames |= s_new
        print(f"{locale:8} {len(g):6} {len(g_new):6} {len(s):8} {len(s_new):6}")
    print("left out of what Faker adds: " + ", ".join(f"{len(v)} {k}" for k, v in dropped.items()))
    print(f"total: {len(given)} given names ({len(census_given)} census), "
          f"{len(surnames)} surnames ({len(census_surnames)} census)")
    sources = [
        "Generated by generate.py (re-run it; do not edit by hand). Sources and licences: README.md.",
        f"US Census 1990 (public domain) and Faker {FAKER_VERSION}'s person providers (MIT),",
        "less short names, common words and not_names.txt. Upper case, sorted by UTF-8 bytes.",
    ]
    write(HERE / "given_names.txt", ["Given names."] + sources, given)
    write(HERE / "surnames.txt", ["Surnames (with their particles: DE VRIES)."] + sources, surnames)


if __name__ == "__main__":
    main()

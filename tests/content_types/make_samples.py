"""Makes files of many formats with real tools, for tests/content_types.rs.

Usage: make_samples.py OUT_DIR

Every file is produced by a standard tool (Python's standard library,
openssl, ssh-keygen, gpg, gcc, javac/jar, diff, cpio, zstd, pydoc, sqlite3);
the project only supplies the tools' input. A tool missing from the machine
stops it with the command that installs it (tests/run installs them all),
so no format is left out quietly. Writes OUT_DIR/manifest.tsv: path, then the accepted media types
separated by '|'.
"""
import bz2, csv, email.message, gzip, io, json, lzma, mailbox, os, py_compile, shutil, sqlite3, subprocess, sys, tarfile, wave, zipfile
import configparser, plistlib, xml.etree.ElementTree as ET

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
manifest = []

def add(name, *mimes):
    manifest.append((os.path.join(out, name), "|".join(mimes)))

def path(name):
    return os.path.join(out, name)

# The programs used below and the Debian packages that have them.
TOOLS = {"openssl": "openssl", "ssh-keygen": "openssh-client", "gpg": "gnupg", "gcc": "gcc",
         "ar": "binutils", "javac": "default-jdk-headless", "jar": "default-jdk-headless",
         "zstd": "zstd", "cpio": "cpio", "diff": "diffutils"}
missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
if missing:
    sys.exit("make_samples.py: missing programs; run tests/run, which installs what the tests "
             "need, or: sudo apt-get install " + " ".join(missing))

def run(*cmd, **kw):
    """Runs a tool; its failure fails the test (naming the command, not its output)."""
    kw.setdefault("stdout", subprocess.DEVNULL)
    try:
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, timeout=120, **kw)
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit(f"make_samples.py: {cmd[0]} failed: {e}")
    return True

text = ("Quarterly notes\n" * 40).encode()
with zipfile.ZipFile(path("archive.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("notes.txt", text)
add("archive.zip", "application/zip")
with gzip.open(path("notes.txt.gz"), "wb") as f:
    f.write(text)
add("notes.txt.gz", "application/gzip", "application/x-gzip")
with bz2.open(path("notes.txt.bz2"), "wb") as f:
    f.write(text)
add("notes.txt.bz2", "application/x-bzip2")
with lzma.open(path("notes.txt.xz"), "wb") as f:
    f.write(text)
add("notes.txt.xz", "application/x-xz")
with tarfile.open(path("bundle.tar"), "w", format=tarfile.USTAR_FORMAT) as t:
    info = tarfile.TarInfo("notes.txt"); info.size = len(text); t.addfile(info, io.BytesIO(text))
add("bundle.tar", "application/x-tar", "application/tar", "application/x-gtar")
with tarfile.open(path("bundle.tar.gz"), "w:gz") as t:
    info = tarfile.TarInfo("notes.txt"); info.size = len(text); t.addfile(info, io.BytesIO(text))
add("bundle.tar.gz", "application/gzip", "application/x-gzip")

db = sqlite3.connect(path("people.sqlite"))
db.execute("create table people (id integer primary key, name text, email text)")
db.executemany("insert into people (name, email) values (?, ?)", [("Ana", "ana@example.com"), ("Bo", "bo@example.com")])
db.commit()
with open(path("people-dump.sql"), "w") as f:
    for line in db.iterdump():
        f.write(line + "\n")
db.close()
add("people.sqlite", "application/vnd.sqlite3", "application/x-sqlite3")
add("people-dump.sql", "text/x-sql", "application/sql")

with wave.open(path("tone.wav"), "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(b"\x00\x10" * 4000)
add("tone.wav", "audio/x-wav", "audio/wav")

rows = [{"id": i, "name": n, "city": c} for i, (n, c) in enumerate([("Ana", "Lyon"), ("Bo", "Oslo"), ("Cy", "Porto"), ("Di", "Riga")])]
with open(path("records.json"), "w") as f:
    json.dump({"records": rows, "count": len(rows)}, f, indent=2)
add("records.json", "application/json")
with open(path("records.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
add("records.jsonl", "application/x-ndjson", "application/jsonl", "application/json")
with open(path("records.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["id", "name", "city"]); w.writeheader(); w.writerows(rows)
add("records.csv", "text/csv")
with open(path("records.tsv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["id", "name", "city"], delimiter="\t"); w.writeheader(); w.writerows(rows)
add("records.tsv", "text/tab-separated-values")

root = ET.Element("inventory")
for r in rows:
    ET.SubElement(root, "item", id=str(r["id"])).text = r["name"]
ET.ElementTree(root).write(path("inventory.xml"), xml_declaration=True, encoding="utf-8")
add("inventory.xml", "text/xml", "application/xml")
with open(path("settings.plist"), "wb") as f:
    plistlib.dump({"Name": "demo", "Count": 3}, f)
add("settings.plist", "text/xml", "application/xml", "application/x-plist")

msg = email.message.EmailMessage()
msg["From"] = "Ana <ana@example.com>"; msg["To"] = "bo@example.com"; msg["Subject"] = "Plans"
msg["Date"] = "Tue, 14 Oct 2025 09:12:40 +0000"; msg["Message-ID"] = "<1@example.com>"
msg.set_content("See you on Friday.\n")
with open(path("message.eml"), "wb") as f:
    f.write(bytes(msg))
add("message.eml", "message/rfc822")
# A web archive (MHTML, RFC 2557) as Word and browsers save one: MIME
# headers only, then the page and its image as related parts.
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.image import MIMEImage
page = MIMEMultipart("related", type="text/html")
page.preamble = "This document is a Single File Web Page, also known as a Web Archive file."
html = MIMEText("<html><body><h1>Tide tables</h1><img src=\"cid:logo\"></body></html>", "html")
html["Content-Location"] = "file:///C:/tides.htm"
page.attach(html)
logo = MIMEImage(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "gif")
logo["Content-ID"] = "<logo>"
page.attach(logo)
with open(path("tides.mht"), "wb") as f:
    f.write(bytes(page))
add("tides.mht", "message/rfc822", "multipart/related")
box = mailbox.mbox(path("inbox.mbox"))
box.add(msg); box.add(msg); box.flush(); box.close()
add("inbox.mbox", "application/mbox")

cfg = configparser.ConfigParser()
cfg["server"] = {"host": "db.internal", "port": "5432"}; cfg["client"] = {"retries": "3", "timeout": "30s"}
with open(path("service.ini"), "w") as f:
    cfg.write(f)
add("service.ini", "text/x-ini", "text/plain")

with open(path("utf16-notes.txt"), "wb") as f:
    f.write("Meeting notes in UTF-16.\nSecond line.\n".encode("utf-16"))
add("utf16-notes.txt", "text/plain")

src = os.path.join(os.path.dirname(json.__file__), "decoder.py")
py_compile.compile(src, cfile=path("decoder.pyc"))
add("decoder.pyc", "application/x-python-code")

if run(sys.executable, "-m", "pydoc", "-w", "json", cwd=out):
    add("json.html", "text/html")

with open(path("before.txt"), "w") as f:
    f.write("alpha\nbeta\ngamma\n")
with open(path("after.txt"), "w") as f:
    f.write("alpha\nbeta two\ngamma\ndelta\n")
with open(path("change.diff"), "w") as f:
    subprocess.run(["diff", "-u", path("before.txt"), path("after.txt")], stdout=f)
add("change.diff", "text/x-diff", "text/x-patch")

if run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.crt"), "-subj", "/CN=demo", "-days", "30"):
    add("server.key", "application/x-pem-file")
    add("server.crt", "application/x-pem-file", "application/x-x509-ca-cert", "application/pkix-cert")
    if run("openssl", "x509", "-in", path("server.crt"), "-outform", "DER", "-out", path("server.der")):
        add("server.der", "application/x-x509-ca-cert", "application/pkix-cert")
    # A CA bundle as certifi and curl ship one: `#` lines naming each
    # certificate (openssl's own words), then the certificate.
    if run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("root2.key"), "-out", path("root2.crt"), "-subj", "/CN=Harbour Root R2/O=Harbour Trust", "-days", "30"):
        with open(path("cacert.pem"), "w") as bundle:
            for cert in ("server.crt", "root2.crt"):
                for field in ("-issuer", "-subject", "-serial", "-fingerprint"):
                    line = subprocess.run(["openssl", "x509", "-in", path(cert), "-noout", field], check=True, capture_output=True, text=True).stdout.strip()
                    bundle.write(f"# {line}\n")
                with open(path(cert)) as pem:
                    bundle.write(pem.read() + "\n")
        add("cacert.pem", "application/x-x509-ca-cert")
    if run("openssl", "pkcs12", "-export", "-in", path("server.crt"), "-inkey", path("server.key"), "-out", path("bundle.p12"), "-passout", "pass:demo"):
        add("bundle.p12", "application/x-pkcs12")
    if run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", path("server.key"), "-outform", "DER", "-out", path("server.pk8")):
        add("server.pk8", "application/pkcs8")
    if run("openssl", "req", "-new", "-key", path("server.key"), "-subj", "/CN=demo", "-out", path("request.csr")):
        add("request.csr", "application/x-pem-file", "application/pkcs10")
if run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "demo", "-f", path("id_ed25519")):
    add("id_ed25519", "application/x-pem-file", "application/x-openssh-private-key")
    add("id_ed25519.pub", "text/x-ssh-public-key")
gnupg = path("gnupg")
os.makedirs(gnupg, mode=0o700, exist_ok=True)
# A signing key with an encryption subkey: the encrypted sample needs one
# (an ed25519 "sign" key cannot be encrypted to; this went unnoticed while
# a failing tool was skipped).
if run("gpg", "--homedir", gnupg, "--batch", "--passphrase", "", "--quick-gen-key", "demo@example.com", "future-default", "default", "1d"):
    with open(path("public.asc"), "wb") as f:
        subprocess.run(["gpg", "--homedir", gnupg, "--armor", "--export", "demo@example.com"], stdout=f, stderr=subprocess.DEVNULL)
    add("public.asc", "application/pgp-keys")
    if run("gpg", "--homedir", gnupg, "--batch", "--yes", "--armor", "--trust-model", "always", "-r", "demo@example.com", "-o", path("secret.txt.asc"), "-e", path("before.txt")):
        add("secret.txt.asc", "application/pgp-encrypted")
shutil.rmtree(gnupg, ignore_errors=True)

with open(path("hello.c"), "w") as f:
    f.write("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
if run("gcc", "-c", path("hello.c"), "-o", path("hello.o")):
    add("hello.o", "application/x-object")
    if run("ar", "rcs", path("libhello.a"), path("hello.o")):
        add("libhello.a", "application/x-unix-archive", "application/x-archive")
with open(path("Hello.java"), "w") as f:
    f.write("public class Hello { public static void main(String[] a) { System.out.println(\"hi\"); } }\n")
if run("javac", "-d", out, path("Hello.java")):
    add("Hello.class", "application/java", "application/java-vm", "application/x-java-applet")
    if run("jar", "cf", path("hello.jar"), "-C", out, "Hello.class"):
        add("hello.jar", "application/java-archive", "application/zip")
if run("zstd", "-q", "-f", path("before.txt"), "-o", path("before.txt.zst")):
    add("before.txt.zst", "application/zstd")
with open(path("files.list"), "w") as f:
    f.write("before.txt\nafter.txt\n")
with open(path("files.list")) as names, open(path("files.cpio"), "wb") as cpio:
    if run("cpio", "--quiet", "-o", "-H", "newc", stdin=names, stdout=cpio, cwd=out):
        add("files.cpio", "application/x-cpio")

with open(os.path.join(out, "manifest.tsv"), "w") as f:
    for p, m in manifest:
        f.write(f"{p}\t{m}\n")

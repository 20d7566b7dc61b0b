#!/usr/bin/env python3
"""Writes documents with known secrets and PII in known places, each made
by the real tool for its format: python-docx, openpyxl, python-pptx,
LibreOffice (odt, ods, odp, pdf, rtf, doc, xls converted from those),
headless Chromium (a printed PDF), ReportLab (a drawn PDF),
pyarrow, fastavro, Python's sqlite3 and email packages, and a notebook
written as nbformat 4 JSON. The integration tests in
tests/integration/documents.rs scan them and check every finding's place.

Usage: make.py OUTDIR
"""
import datetime
import email.message
import json
import os
import shutil
import sqlite3
import subprocess
import sys

# Made-up values in the documented formats (checksums valid where the
# format has one). None is a real credential.
GITHUB = "ghp_R8x2Lq9Vt4Zm7Kc1Wn5Hy3Jd6Pf0Gs2Ab4Cd"
SLACK = "xoxb-2048197363-4093752214-Qm7Tz2Lp9Xv4Kd8Rw1Ny6Hc3"
SSN = "536-22-1234"
SSN_BARE = "536221234"
CARD = "4539148803436467"
AWS_ID = "AKIA2E4GHJ7KLMNPQR3S"
AWS_SECRET = "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"


def docx(out):
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Release checklist", level=1)
    document.add_paragraph("Ship the build after the smoke test passes.")
    paragraph = document.add_paragraph("CI token: ")
    # Split across runs, as Word does at every formatting change.
    paragraph.add_run(GITHUB[:10]).bold = True
    paragraph.add_run(GITHUB[10:])
    section = document.sections[0]
    section.footer.paragraphs[0].text = "slack bot " + SLACK
    document.save(os.path.join(out, "release.docx"))


def xlsx(out):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["quarter", "revenue"])
    sheet.append(["Q3", 1200000])
    staff = book.create_sheet("Staff")
    staff.append(["name", "ssn", "card_number", "notes", "dob"])
    staff.append(["Dana Whitfield", SSN_BARE, CARD, "badge 77", datetime.date(1984, 3, 12)])
    staff.append(["Omar Castellanos", "411-30-6572", "", "aws " + AWS_ID, None])
    book.save(os.path.join(out, "staff.xlsx"))

    # Dates counted from 1904 (old Excel for Mac); LibreOffice makes an
    # xls of it too.
    from openpyxl.utils.datetime import MAC_EPOCH

    mac = openpyxl.Workbook()
    mac.epoch = MAC_EPOCH
    dates = mac.active
    dates.title = "Dates"
    dates.append(["name", "dob"])
    dates.append(["Dana Whitfield", datetime.date(1984, 3, 12)])
    mac.save(os.path.join(out, "mac1904.xlsx"))


def layout(out):
    """A workbook of the shapes an OpenDocument spreadsheet stores specially
    (converted to ods by LibreOffice): cells starting away from A1, repeated
    rows and cells, paragraphs, runs of spaces, tabs, merged cells,
    comments, entities, numbers, dates and booleans."""
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    book.active.title = "Empty"
    sheet = book.create_sheet("Layout")
    sheet["C4"], sheet["D4"], sheet["E4"], sheet["F4"], sheet["G4"] = "name", "code", "note", "amount", "flag"
    for row in (5, 6, 7):
        sheet[f"C{row}"], sheet[f"D{row}"] = "repeated row", 7
    for column in "DEF":
        sheet[f"{column}8"] = "same"
    sheet["C9"] = "first line\nsecond line"
    sheet["D9"] = "wide    gap"
    sheet["E9"] = "tab\there"
    sheet["F9"] = "R&D <team> \"quoted\""
    sheet["C10"] = "merged over three"
    sheet.merge_cells("C10:E10")
    sheet["F10"] = 3.25
    sheet["G10"] = -7
    sheet["C12"] = 1e20
    sheet["D12"] = True
    sheet["E12"] = datetime.date(1990, 5, 17)
    sheet["F12"] = datetime.datetime(2024, 2, 29, 8, 30)
    sheet["G12"] = "commented"
    sheet["G12"].comment = Comment("a note that is not the value", "reviewer")
    sheet["Z13"] = "far right"
    book.create_sheet("Second")["B2"] = "second sheet"
    book.save(os.path.join(out, "layout.xlsx"))


def pptx(out):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for title, body in [("Roadmap", "Plan for Q4"), ("Access", "deploy key " + GITHUB)]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.slides[0].notes_slide.notes_text_frame.text = "remember " + SLACK
    deck.save(os.path.join(out, "roadmap.pptx"))
    del Inches


def libreoffice(out):
    """odt, rtf, doc and pdf from the docx; ods and xls from the xlsx; odp from the pptx."""
    jobs = [
        ("release.docx", "odt"),
        ("release.docx", "rtf"),
        ("release.docx", "doc"),
        ("release.docx", "pdf"),
        ("staff.xlsx", "ods"),
        ("staff.xlsx", "xls"),
        ("layout.xlsx", "ods"),
        ("mac1904.xlsx", "xls"),
        ("roadmap.pptx", "odp"),
    ]
    profile = os.path.join(out, ".lo-profile")
    for source, target in jobs:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", target, "--outdir", out, os.path.join(out, source)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
        )
    # LibreOffice's own xlsx (shared strings, styles with date and time
    # formats), from the ods it made: the xlsx reader is compared with
    # calamine on it.
    staging = os.path.join(out, ".lo-staging")
    os.makedirs(staging, exist_ok=True)
    shutil.copy(os.path.join(out, "layout.ods"), os.path.join(staging, "layout-libreoffice.ods"))
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "xlsx", "--outdir", out, os.path.join(staging, "layout-libreoffice.ods")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
    )
    shutil.rmtree(staging)


def pdf_pages(out):
    """A three-page PDF with the token on page 2 (LibreOffice from an odt with page breaks)."""
    import docx as python_docx
    from docx.enum.text import WD_BREAK

    document = python_docx.Document()
    document.add_paragraph("Page one: nothing to see.")
    document.paragraphs[0].add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("Page two: token " + GITHUB)
    document.paragraphs[1].add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("Page three: SSN " + SSN)
    path = os.path.join(out, "pages.docx")
    document.save(path)
    profile = os.path.join(out, ".lo-profile")
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", out, path],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
    )
    os.remove(path)


def protected(out):
    """An encrypted PDF (open password), a PDF with only an owner password
    (readable by anyone), a password-protected docx (msoffcrypto-tool), and
    documents cut short or faked."""
    profile = os.path.join(out, ".lo-profile")
    for name, options in [
        ("locked.pdf", '{"EncryptFile":{"type":"boolean","value":"true"},'
                       '"DocumentOpenPassword":{"type":"string","value":"hunter2"}}'),
        ("restricted.pdf", '{"RestrictPermissions":{"type":"boolean","value":"true"},'
                           '"PermissionPassword":{"type":"string","value":"owner1"}}'),
    ]:
        tmp = os.path.join(out, ".pdf-" + name)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "pdf:writer_pdf_Export:" + options, "--outdir", tmp,
             os.path.join(out, "release.docx")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
        )
        os.replace(os.path.join(tmp, "release.pdf"), os.path.join(out, name))
        os.rmdir(tmp)
    subprocess.run(["msoffcrypto-tool", "-e", "-p", "hunter2",
                    os.path.join(out, "release.docx"), os.path.join(out, "locked.docx")],
                   check=True)
    os.makedirs(os.path.join(out, "broken"), exist_ok=True)
    with open(os.path.join(out, "release.docx"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "broken", "cut.docx"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(out, "broken", "fake.parquet"), "wb") as f:
        f.write(b"PAR1" + b"\x00not really parquet\x00" * 20 + b"PAR1")
    with open(os.path.join(out, "pages.pdf"), "rb") as f:
        pdf = f.read()
    with open(os.path.join(out, "broken", "cut.pdf"), "wb") as f:
        f.write(pdf[: len(pdf) * 2 // 3])


def chrome_pdf(out):
    """A PDF printed by headless Chromium (Skia, Type 0 fonts, a table)."""
    page = os.path.join(out, ".access.html")
    with open(page, "w") as f:
        f.write(
            "<html><body><h1>Quarterly access review</h1>"
            "<table border=1><tr><th>system</th><th>credential</th></tr>"
            f"<tr><td>ci</td><td>{GITHUB}</td></tr>"
            f"<tr><td>payroll</td><td>SSN {SSN}</td></tr></table>"
            f"<p style='page-break-before: always'>Second page: slack {SLACK}</p>"
            "</body></html>"
        )
    browser = next(b for b in ("chromium", "chromium-browser", "google-chrome")
                   if shutil.which(b))
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={os.path.join(out, 'access-review.pdf')}", page],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
    )
    os.remove(page)


def reportlab_pdf(out):
    """A PDF drawn with ReportLab: standard Type 1 fonts without widths, and
    a token inside a form XObject (a reusable "stamp" drawn on the page)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(os.path.join(out, "invoice.pdf"))
    c.beginForm("stamp")
    c.setFont("Helvetica", 10)
    c.drawString(72, 72, "approved by ops, token " + GITHUB)
    c.endForm()
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, "Invoice 2026-114")
    c.drawString(72, 700, "Name")
    c.drawString(200, 700, "SSN")
    c.drawString(72, 680, "Dana Whitfield")
    c.drawString(200, 680, SSN)
    c.doForm("stamp")
    c.showPage()
    c.save()


def parquet(out):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "customer": pa.array([
            {"name": "Dana Whitfield", "tax": {"ssn": "111-22-3333"}},
            {"name": "Omar Castellanos", "tax": {"ssn": SSN_BARE}},
        ]),
        "note": ["first order", "token " + GITHUB],
    })
    pq.write_table(table, os.path.join(out, "customers.parquet"))  # Snappy, pyarrow's default
    # zstd, as Polars writes by default; dictionary-encoded, two row groups.
    orders = pa.table({"order": list(range(6)),
                       "api_key": ["none"] * 5 + [SLACK]})
    pq.write_table(orders, os.path.join(out, "orders.zstd.parquet"), compression="zstd",
                   row_group_size=3)
    # A binary column: its bytes are text to us, not base64.
    blobs = pa.table({"id": [1, 2], "blob": pa.array([b"\x00\x01", GITHUB.encode()], pa.binary())})
    pq.write_table(blobs, os.path.join(out, "blobs.parquet"))
    # Numeric columns: read only when named as identifiers. The card number
    # under `price` would be found if numbers were read; under `ssn` the
    # number is read and found.
    numbers = pa.table({"ssn": pa.array([int(SSN_BARE), None], pa.int64()),
                        "price": pa.array([int(CARD), 12], pa.int64()),
                        "paid": [True, False], "note": ["first", "second"]})
    pq.write_table(numbers, os.path.join(out, "numbers.parquet"))


def avro(out):
    import fastavro

    schema = {
        "type": "record", "name": "Payment",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "card_number", "type": "string"},
            {"name": "memo", "type": ["null", "string"]},
            {"name": "score", "type": "double"},
            {"name": "raw", "type": "bytes"},
        ],
    }
    records = [
        {"id": 1, "card_number": "not on file", "memo": None, "score": float("nan"),
         "raw": b"\x00"},
        {"id": 2, "card_number": CARD, "memo": "slack " + SLACK, "score": 0.5,
         "raw": AWS_SECRET.encode()},
    ]
    with open(os.path.join(out, "payments.avro"), "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), records, codec="deflate")
    # Numeric fields, as in numbers.parquet.
    numbers = {"type": "record", "name": "Line",
               "fields": [{"name": "ssn", "type": ["null", "long"]},
                          {"name": "price", "type": "long"},
                          {"name": "note", "type": "string"}]}
    with open(os.path.join(out, "numbers.avro"), "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(numbers),
                        [{"ssn": int(SSN_BARE), "price": int(CARD), "note": "first"},
                         {"ssn": None, "price": 12, "note": "second"}])
    # A codec assay does not decode: reported as unsupported.
    os.makedirs(os.path.join(out, "broken"), exist_ok=True)
    with open(os.path.join(out, "broken", "payments.bzip2.avro"), "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), records, codec="bzip2")


def sqlite(out):
    path = os.path.join(out, "app.db")
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE settings (key TEXT, value TEXT)")
    db.execute("INSERT INTO settings VALUES ('theme', 'dark')")
    db.execute("CREATE TABLE users (id INTEGER, email TEXT, ssn TEXT)")
    db.execute("INSERT INTO users VALUES (1, 'dana@example.org', NULL)")
    db.execute("INSERT INTO users VALUES (2, 'omar@example.org', ?)", (SSN_BARE,))
    db.execute("INSERT INTO settings VALUES ('ci_token', ?)", (GITHUB,))
    db.commit()
    db.close()


def mail(out):
    message = email.message.EmailMessage()
    message["From"] = "Dana Whitfield <dana@example.org>"
    message["To"] = "ops@example.org"
    message["Subject"] = "keys for the migration"
    message.set_content("Hi,\n\nthe Slack bot token is " + SLACK + "\n\nDana\n")
    credentials = f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n"
    message.add_attachment(credentials.encode(), maintype="application",
                           subtype="octet-stream", filename="credentials")
    with open(os.path.join(out, "staff.xlsx"), "rb") as f:
        message.add_attachment(f.read(), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename="staff.xlsx")
    # A forwarded message, attached whole (message/rfc822), with its own
    # base64 attachment: attachments are read recursively.
    inner = email.message.EmailMessage()
    inner["From"] = "ci@example.org"
    inner["Subject"] = "new deploy key"
    inner.set_content("See the attached note.\n")
    inner.add_attachment(f"github: {GITHUB}\n".encode(), maintype="text", subtype="plain",
                         filename="deploy-note.txt")
    message.add_attachment(inner, filename="fwd.eml")
    with open(os.path.join(out, "handover.eml"), "wb") as f:
        f.write(bytes(message))


def notebook(out):
    nb = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# Load data\n"]},
            {"cell_type": "code", "id": "a2", "metadata": {}, "execution_count": 1,
             "source": ["import os\n", f"token = '{GITHUB}'\n"], "outputs": []},
            {"cell_type": "code", "id": "a3", "metadata": {}, "execution_count": 2,
             "source": ["print(creds)\n"],
             "outputs": [{"output_type": "stream", "name": "stdout",
                          "text": [f"aws_secret_access_key = {AWS_SECRET}\n"]}]},
        ],
    }
    with open(os.path.join(out, "analysis.ipynb"), "w") as f:
        json.dump(nb, f, indent=1)


def csv_file(out):
    with open(os.path.join(out, "export.csv"), "w") as f:
        f.write("id,full_name,ssn,comment\n")
        f.write("1,Dana Whitfield,123-45-6789,\"ok, verified\"\n")
        f.write(f"2,Omar Castellanos,{SSN_BARE},\"moved\nto Lyon\"\n")


# What the documents are made with: programs (Debian packages) and Python
# libraries (pip names).
PROGRAMS = {"soffice": "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui",
            "msoffcrypto-tool": None}
MODULES = {"docx": "python-docx", "openpyxl": "openpyxl", "pptx": "python-pptx",
           "pyarrow": "pyarrow", "fastavro": "fastavro", "msoffcrypto": "msoffcrypto-tool",
           "reportlab": "reportlab"}


def check_tools():
    """Stops with the commands that install what is missing (tests/run does it all)."""
    import importlib.util

    packages = [pkg for tool, pkg in PROGRAMS.items() if pkg and shutil.which(tool) is None]
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        packages.append("chromium")
    pips = sorted({pip for module, pip in MODULES.items() if importlib.util.find_spec(module) is None})
    if shutil.which("msoffcrypto-tool") is None and "msoffcrypto-tool" not in pips:
        pips.append("msoffcrypto-tool")
    if not packages and not pips:
        return
    how = []
    if packages:
        how.append("sudo apt-get install " + " ".join(packages))
    if pips:
        how.append("python3 -m pip install " + " ".join(pips))
    sys.exit("make.py: the document tests need more tools; run tests/run, which installs "
             "them, or: " + "; ".join(how))


def main():
    out = sys.argv[1]
    check_tools()
    os.makedirs(out, exist_ok=True)
    for make in (docx, xlsx, layout, pptx, libreoffice, pdf_pages, protected, chrome_pdf, reportlab_pdf,
                 parquet, avro,
                 sqlite, mail, notebook, csv_file):
        make(out)
    shutil.rmtree(os.path.join(out, ".lo-profile"), ignore_errors=True)


if __name__ == "__main__":
    main()

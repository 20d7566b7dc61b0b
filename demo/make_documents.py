#!/usr/bin/env python3
"""Writes the demo bucket's documents with the real tools: the payroll
workbook (openpyxl) and the signed NDA (python-docx, then LibreOffice to
PDF). Every value is made up; IBAN check digits are computed so that the
numbers are well-formed. Run from the repository root:

    python3 demo/make_documents.py
"""
import os
import subprocess
import tempfile

import docx
import openpyxl


def iban(country, bban):
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def payroll(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["month", "gross", "employees"])
    sheet.append(["2026-10", 418250, 4])
    staff = book.create_sheet("Payroll")
    staff.append(["employee", "ssn", "iban", "net_pay"])
    for name, ssn, bban, pay in [
        ("Rosa Moretti", "536221234", "NWBK60161331926819", 6120),
        ("Gustavo Wei", "411306572", "NWBK60161331926820", 5480),
        ("Emeka Ramirez", "622418093", "NWBK60161331926821", 7015),
        ("Aiko Sato", "287650194", "NWBK60161331926822", 5990),
    ]:
        staff.append([name, ssn, iban("GB", bban), pay])
    book.save(path)


def nda(path):
    document = docx.Document()
    document.add_heading("Mutual non-disclosure agreement", level=1)
    document.add_paragraph(
        "Between Northwind Traders Ltd and Harbour Logistics BV, signed 2026-10-14. "
        "Each party keeps the other's confidential information secret for five years."
    )
    document.paragraphs[-1].add_run().add_break(docx.enum.text.WD_BREAK.PAGE)
    document.add_heading("Schedule B: data room access", level=2)
    document.add_paragraph("Data room: https://dataroom.example.net/northwind")
    document.add_paragraph("Shared service account token: ghp_N7wq2Rk5Tz8Lm3Vx6Cb9Hd1Fp4Js0Ya2Ge5K")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "nda-harbour-signed.docx")
        document.save(source)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
             "--convert-to", "pdf", "--outdir", os.path.dirname(path), source],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
        )


payroll("demo/bucket/finance/payroll-2026-10.xlsx")
nda("demo/bucket/legal/nda-harbour-signed.pdf")

"""Monthly billing run: pulls usage, prices it and writes invoices."""

import csv
import datetime
import os
from decimal import Decimal

import requests

API_BASE = "https://billing.internal.northwind-demo.example/v2"
# TODO(ops): move to the secrets manager before launch
GOOGLE_MAPS_KEY = "AIzaSyD4emoNorthwindK3yForGeocodingZ8xq"


class Invoice:
    def __init__(self, customer_id, lines):
        self.customer_id = customer_id
        self.lines = lines

    def total(self):
        return sum(Decimal(line["amount"]) for line in self.lines)


def fetch_usage(customer_id, month):
    token = os.environ["BILLING_TOKEN"]
    response = requests.get(
        f"{API_BASE}/usage/{customer_id}",
        params={"month": month.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["lines"]


def write_invoices(invoices, path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "total"])
        for invoice in invoices:
            writer.writerow([invoice.customer_id, invoice.total()])


if __name__ == "__main__":
    month = datetime.date.today().replace(day=1)
    customers = ["C-88000", "C-88001"]
    invoices = [Invoice(c, fetch_usage(c, month)) for c in customers]
    write_invoices(invoices, "invoices.csv")

"""A tiny hand-made warehouse whose every figure is computed by hand below.

accounts: A1 enterprise/saas, A2 smb/retail, A3 mid-market/saas
contracts (annual → monthly):
  C1 A1 2026-01-01..2026-12-31 120000.00 recurring active  → 10000.00
  C2 A2 2026-03-15..2027-03-14  24000.12 recurring active  →  2000.01
  C3 A3 2026-02-01..2026-10-31  36000.00 recurring churned →  3000.00
  C4 A1 2026-09-01..2026-11-30   6000.00 pilot     active  →   500.00
  C5 A2 2026-10-10..2026-10-20   1500.00 one-time  active  (professional services)
Canonical MRR (paid subscription invoices of active recurring contracts, invoice month):
  2026-09: I1 10000.00 + I3 2000.01 = 12000.01   (I5 is churned C3)
  2026-10: I2 10000.00                          (I4 pending, I6 churned, I7 pilot, I8 credit, I10 void)
  by segment 2026-09: enterprise 10000.00, smb 2000.01; 2026-10: enterprise 10000.00
Contract MRR (validity range, annual/12, status active, type recurring or one-time):
  2026-09: (120000 + 24000.12) / 12 = 12000.01; 2026-10: (120000 + 24000.12 + 1500) / 12 = 12125.01
Cash (payments by payment date, refunded excluded):
  2026-09: P1 10000.00 (P4 refunded); 2026-10: P2 + P3 + P5 + P7 = 16500.01; 2026-11: P6 500.00
Subscription invoices with a non-refunded payment (semi-join through payments):
  2026-09: I1 10000 + I3 2000.01 = 12000.01 (I5's payment refunded); 2026-10: I2 + I6 + I7 = 13500.00
Paying accounts (distinct accounts on paid subscription invoices): 2026-09: A1, A2, A3 → 3; 2026-10: A1, A3 → 2
ARR = MRR × 12: 2026-09: 144000.12; 2026-10: 120000.00
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ACCOUNTS = [
    ("A1", "Acme Corp", "enterprise", "saas"),
    ("A2", "Bolt Ltd", "smb", "retail"),
    ("A3", "Cora Inc", "mid-market", "saas"),
]
CONTRACTS = [
    ("C1", "A1", "2026-01-01", "2026-12-31", "120000.00", "recurring", "active"),
    ("C2", "A2", "2026-03-15", "2027-03-14", "24000.12", "recurring", "active"),
    ("C3", "A3", "2026-02-01", "2026-10-31", "36000.00", "recurring", "churned"),
    ("C4", "A1", "2026-09-01", "2026-11-30", "6000.00", "pilot", "active"),
    ("C5", "A2", "2026-10-10", "2026-10-20", "1500.00", "one-time", "active"),
]
INVOICES = [
    ("I1", "A1", "C1", "2026-09-01", "10000.00", "subscription", "paid"),
    ("I2", "A1", "C1", "2026-10-01", "10000.00", "subscription", "paid"),
    ("I3", "A2", "C2", "2026-09-15", "2000.01", "subscription", "paid"),
    ("I4", "A2", "C2", "2026-10-15", "2000.01", "subscription", "pending"),
    ("I5", "A3", "C3", "2026-09-01", "3000.00", "subscription", "paid"),
    ("I6", "A3", "C3", "2026-10-01", "3000.00", "subscription", "paid"),
    ("I7", "A1", "C4", "2026-10-01", "500.00", "subscription", "paid"),
    ("I8", "A1", "C1", "2026-10-05", "-750.00", "credit", "paid"),
    ("I9", "A2", "C5", "2026-10-10", "1500.00", "setup", "paid"),
    ("I10", "A2", "C2", "2026-10-20", "2000.01", "subscription", "void"),
]
PAYMENTS = [
    ("P1", "A1", "I1", "2026-09-03", "10000.00", False),
    ("P2", "A1", "I2", "2026-10-02", "10000.00", False),
    ("P3", "A2", "I3", "2026-10-01", "2000.01", False),
    ("P4", "A3", "I5", "2026-09-05", "3000.00", True),
    ("P5", "A3", "I6", "2026-10-03", "3000.00", False),
    ("P6", "A1", "I7", "2026-11-02", "500.00", False),
    ("P7", "A2", "I9", "2026-10-12", "1500.00", False),
]

DDL = {
    "raw_accounts": "account_id VARCHAR, name VARCHAR, segment VARCHAR, industry VARCHAR",
    "raw_contracts": "contract_id VARCHAR, account_id VARCHAR, start_date DATE, end_date DATE, "
    "annual_value DECIMAL(12,2), type VARCHAR, status VARCHAR",
    "raw_invoices": "invoice_id VARCHAR, account_id VARCHAR, contract_id VARCHAR, invoice_date DATE, "
    "amount DECIMAL(12,2), type VARCHAR, status VARCHAR",
    "raw_payments": "payment_id VARCHAR, account_id VARCHAR, invoice_id VARCHAR, payment_date DATE, "
    "amount DECIMAL(12,2), refunded BOOLEAN",
}
ROWS = {
    "raw_accounts": ACCOUNTS,
    "raw_contracts": CONTRACTS,
    "raw_invoices": INVOICES,
    "raw_payments": PAYMENTS,
}

CANON_YML = """\
name: tiny
warehouse: {engine: duckdb, path: warehouse.duckdb, schema: main}
current_period: "2026-10"
relationships:
  - {from: raw_invoices.contract_id, to: raw_contracts.contract_id}
  - {from: raw_invoices.account_id, to: raw_accounts.account_id}
  - {from: raw_contracts.account_id, to: raw_accounts.account_id}
  - {from: raw_payments.invoice_id, to: raw_invoices.invoice_id}
  - {from: raw_payments.account_id, to: raw_accounts.account_id}
"""

METRICS = {
    "mrr.yml": """\
name: mrr
label: MRR
description: Paid subscription invoices of active recurring contracts, by invoice month.
owner: finance
dimensions:
  segment: {column: raw_accounts.segment}
  industry: {column: raw_accounts.industry}
  account_id: {column: raw_contracts.account_id}
composition:
  type: declarative
  measure: {column: raw_invoices.amount}
  time_basis: {column: raw_invoices.invoice_date}
  filters:
    raw_invoices.type: [subscription]
    raw_invoices.status: [paid]
    raw_contracts.type: [recurring]
    raw_contracts.status: [active]
assertions:
  - name: installment_is_annual_over_12
    condition: raw_invoices.amount * 12 = raw_contracts.annual_value
""",
    "contract_mrr.yml": """\
name: contract_mrr
owner: revops
dimensions:
  segment: {column: raw_accounts.segment}
composition:
  type: declarative
  measure: {column: raw_contracts.annual_value, scale: "1/12"}
  time_basis: {range: {start: raw_contracts.start_date, end: raw_contracts.end_date}}
  filters:
    raw_contracts.status: [active]
    raw_contracts.type: [recurring, one-time]
""",
    "cash.yml": """\
name: cash
owner: growth
composition:
  type: declarative
  measure: {column: raw_payments.amount}
  time_basis: {column: raw_payments.payment_date}
  filters:
    raw_payments.refunded: [false]
""",
    "collected_subscriptions.yml": """\
name: collected_subscriptions
owner: finance
composition:
  type: declarative
  measure: {column: raw_invoices.amount}
  time_basis: {column: raw_invoices.invoice_date}
  filters:
    raw_invoices.type: [subscription]
    raw_payments.refunded: [false]
""",
    "paying_accounts.yml": """\
name: paying_accounts
owner: finance
composition:
  type: declarative
  measure: {column: raw_invoices.account_id, aggregation: count_distinct, unit: count}
  time_basis: {column: raw_invoices.invoice_date}
  filters:
    raw_invoices.type: [subscription]
    raw_invoices.status: [paid]
""",
    "collected_by_sql.yml": """\
name: collected_by_sql
owner: growth
description: Cash collected, written as a SQL composition (the same figures as `cash`).
composition:
  type: sql
  sql: >-
    select p.payment_date as paid_on, a.segment, p.amount
    from raw_payments p join raw_accounts a using (account_id)
    where not p.refunded
  period_column: paid_on
  value_column: amount
  unit: major
dimensions:
  segment: {column: raw_accounts.segment}
""",
    "arr.yml": """\
name: arr
owner: finance
composition:
  type: derived
  expression: mrr * 12
  metrics: [mrr]
  unit: minor
""",
}


def write_project(root: Path) -> Path:
    """Write the tiny project (canon.yml, metrics, DuckDB warehouse) into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "canon.yml").write_text(CANON_YML)
    (root / "metrics").mkdir(exist_ok=True)
    for name, text in METRICS.items():
        (root / "metrics" / name).write_text(text)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table, ddl in DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        width = len(ROWS[table][0])
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", ROWS[table])
    con.close()
    return root

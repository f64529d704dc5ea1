"""A small hand-computed world for MRR movements, retention, comparisons and windows.

billing rows (account, month, amount, kind); MRR = recurring rows by month, customer = account.

          2025-11  2025-12  2026-01  2026-02  2026-03
  A (ent)     —     100.00   100.00   150.00   120.00
  B (ent)  200.00      —     200.00      —     250.00      (skips December and February)
  C (smb)     —        —        —     300.00   300.00
  D (smb)     —      50.00      —        —        —
  E (smb)     —        —      80.00    80.50      —
  MRR      200.00   150.00   380.00   530.50   670.00

Movements in cents, by the stated rules (a skipped month is churn, a return is reactivation):
  2026-01: new E 8000; reactivation B 20000; churn D -5000                   sum 23000 = 38000 - 15000
  2026-02: new C 30000; expansion A 5000 + E 50 = 5050; churn B -20000       sum 15050 = 53050 - 38000
  2026-03: reactivation B 25000; contraction A -3000; churn E -8050          sum 13950 = 67000 - 53050

NRR/GRR with a 2-month window (cohort = customers with MRR two months earlier):
  2026-01 vs 2025-11: cohort B 200 → B 200: NRR 10000 bps; GRR 10000
  2026-02 vs 2025-12: cohort A 100, D 50 (150) → A 150, D 0: NRR 150/150 = 10000; GRR (100 + 0)/150 = 6667
  2026-03 vs 2026-01: cohort A 100, B 200, E 80 (380) → 120 + 250 + 0 = 370: NRR 9736.84 → 9737;
                      GRR (100 + 200 + 0)/380 = 7894.74 → 7895

Setup fees (an additive metric): B 2025-12 5.00; A 2026-01 999.00; C 2026-02 10.00.
  year to date 2026-01..03: 99900, 100900, 100900; trailing 2: 100400, 100900, 1000
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ACCOUNTS = [("A", "enterprise"), ("B", "enterprise"), ("C", "smb"), ("D", "smb"), ("E", "smb")]
BILLING = [
    ("b01", "A", "2025-12-01", "100.00", "recurring"),
    ("b02", "A", "2026-01-01", "100.00", "recurring"),
    ("b03", "A", "2026-02-01", "150.00", "recurring"),
    ("b04", "A", "2026-03-01", "120.00", "recurring"),
    ("b05", "B", "2025-11-01", "200.00", "recurring"),
    ("b06", "B", "2026-01-15", "200.00", "recurring"),
    ("b07", "B", "2026-03-01", "250.00", "recurring"),
    ("b08", "C", "2026-02-01", "300.00", "recurring"),
    ("b09", "C", "2026-03-01", "300.00", "recurring"),
    ("b10", "D", "2025-12-01", "50.00", "recurring"),
    ("b11", "E", "2026-01-01", "80.00", "recurring"),
    ("b12", "E", "2026-02-01", "80.50", "recurring"),
    ("b13", "B", "2025-12-10", "5.00", "setup"),
    ("b14", "A", "2026-01-20", "999.00", "setup"),
    ("b15", "C", "2026-02-02", "10.00", "setup"),
]
ROWS = {"raw_accounts": ACCOUNTS, "raw_billing": BILLING}
DDL = {
    "raw_accounts": "account_id VARCHAR, segment VARCHAR",
    "raw_billing": "line_id VARCHAR, account_id VARCHAR, billed_on DATE, amount DECIMAL(12, 2), kind VARCHAR",
}

MOVEMENTS = {  # month → (new, expansion, contraction, churn, reactivation) in cents, from the table above
    "2026-01": (8000, 0, 0, -5000, 20000),
    "2026-02": (30000, 5050, 0, -20000, 0),
    "2026-03": (0, 0, -3000, -8050, 25000),
}
MRR = {"2025-11": 20000, "2025-12": 15000, "2026-01": 38000, "2026-02": 53050, "2026-03": 67000}
RETENTION = {"2026-01": (10000, 10000), "2026-02": (10000, 6667), "2026-03": (9737, 7895)}  # (nrr, grr) bps
SETUP_YTD = {"2026-01": 99900, "2026-02": 100900, "2026-03": 100900}
SETUP_TRAILING_2 = {"2026-01": 100400, "2026-02": 100900, "2026-03": 1000}

CANON_YML = """\
name: movements
warehouse: {engine: duckdb, path: warehouse.duckdb, schema: main}
current_period: "2026-03"
relationships:
  - {from: raw_billing.account_id, to: raw_accounts.account_id}
"""

_MOVEMENT = """\
name: {name}
owner: finance
description: {kind} movement of MRR per customer (knowledge base `{name}`).
composition: {{type: movement, of: mrr, customer: account_id, movement: {kind}{extra}}}
"""
METRICS = {
    "mrr.yml": """\
name: mrr
owner: finance
dimensions:
  account_id: {column: raw_billing.account_id}
  segment: {column: raw_accounts.segment}
composition:
  type: declarative
  measure: {column: raw_billing.amount}
  time_basis: {column: raw_billing.billed_on}
  filters:
    raw_billing.kind: [recurring]
""",
    "setup_fees.yml": """\
name: setup_fees
owner: finance
dimensions:
  segment: {column: raw_accounts.segment}
composition:
  type: declarative
  measure: {column: raw_billing.amount}
  time_basis: {column: raw_billing.billed_on}
  filters:
    raw_billing.kind: [setup]
""",
    "setup_fees_ytd.yml": """\
name: setup_fees_ytd
owner: finance
window: {to_date: year}
composition:
  type: declarative
  measure: {column: raw_billing.amount}
  time_basis: {column: raw_billing.billed_on}
  filters:
    raw_billing.kind: [setup]
""",
    **{
        f"{name}.yml": _MOVEMENT.format(name=name, kind=kind, extra="")
        for kind, name in [
            ("new", "new_mrr"),
            ("expansion", "expansion_mrr"),
            ("contraction", "contraction_mrr"),
            ("churn", "churn_mrr"),
            ("reactivation", "reactivation_mrr"),
            ("net_change", "net_new_mrr"),
        ]
    },
    "nrr.yml": _MOVEMENT.format(name="nrr", kind="nrr", extra=", window: 2"),
    "grr.yml": _MOVEMENT.format(name="grr", kind="grr", extra=", window: 2"),
}
MOVEMENT_METRICS = ["new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr"]


def write_world(root: Path, billing: list[tuple[str, str, str, str, str]] | None = None) -> Path:
    """Write the project (canon.yml, contracts, DuckDB warehouse) into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "canon.yml").write_text(CANON_YML)
    (root / "metrics").mkdir(exist_ok=True)
    for name, text in METRICS.items():
        (root / "metrics" / name).write_text(text)
    rows = {"raw_accounts": ACCOUNTS, "raw_billing": BILLING if billing is None else billing}
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table, ddl in DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        if rows[table]:
            width = len(rows[table][0])
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows[table])
    con.close()
    return root

"""A billing ledger small enough to count every row decision by hand (period 2026-03).

raw_customers (customer, country, internal): C1 US no; C2 CA no; C3 DE no; C4 US yes
raw_excluded (customer, reason): C3 test; C4 internal
raw_invoices (invoice, customer, issued_on, status):
  I1 C1 03-03 paid;  I2 C2 03-10 paid;  I3 C3 03-12 paid;  I4 C9 03-15 paid (C9: no such customer)
  I5 C4 03-20 open;  I6 C1 04-02 paid (April)
raw_invoice_lines (line, invoice, kind, amount):
  L1 I1 sub 100; L2 I1 usage 20; L3 I2 sub 200; L4 I2 tax 10; L5 I2 credit -5; L6 I3 sub 50;
  L7 I4 sub 70;  L8 I5 sub 30;   L9 I6 sub 40;  L10 I8 sub 99 (I8: no such invoice, so no date)
  → per invoice: I1 120, I2 205, I3 50, I4 70, I5 30, I6 40
raw_attempts (attempt, invoice, customer, attempted_on, outcome, amount):
  A1 I1 C1 03-04 failed 120;  A2 I1 C1 03-05 succeeded 120;  A3 I2 C2 03-11 succeeded 205
  A4 I3 C3 03-13 succeeded 50; A5 I4 C9 03-16 failed 70; A6 I4 C9 03-17 failed 70
  A7 I4 C9 03-18 succeeded 70; A8 I6 C1 04-03 succeeded 40 (April)
  A9 -- C2 03-25 succeeded 0 (card check); A10 -- C1 03-26 succeeded -15 (dispute);
  A11 -- C4 03-21 succeeded 30
  → attempts per March invoice: I1 2, I2 1, I3 1, I4 3, I5 0
  → March succeeded: A2 120 + A3 205 + A4 50 + A7 70 + A9 0 + A10 -15 + A11 30 = 460
raw_invoice_versions (invoice, version, updated_at, status, total, issued_on):
  I1 v1 03-03 open 120 | I1 v2 03-05 paid 120                       (issued 03-03)
  I2 v1 03-10 open 205 | I2 v2 03-11 paid 205 | I2 v3 03-20 void 205 (issued 03-10)
  I3 v1 03-12 paid 50;  I4 v1 03-15 open 70;  I6 v1 04-02 paid 40 (April)
  I7 v1 03-29 paid 60 | I7 v2 03-29 paid 60   (issued 03-28; both versions stamped the same day)

March figures, by hand:
  latest_then_paid   latest version (by updated_at, version) of each invoice, if paid:
                     I1 v2 120 + I3 50 + I7 v2 60 (I2's latest is void)              = 230.00
  latest_qualify     the same, written with QUALIFY                                 = 230.00
  every_version_paid every paid version row: I1 120 + I2 205 + I3 50 + I7 60 + 60    = 495.00
  latest_paid_version the latest *paid* version (paid rows ranked):
                     I1 120 + I2 v2 205 + I3 50 + I7 60                              = 435.00
  latest_with_ties   rank() by updated_at only, if paid: I1 120 + I3 50 + I7 60 + 60 = 290.00
  max_version        version = max(version) per invoice, if paid: I1 120 + I3 50 + I7 60 = 230.00
  billed_lines       lines of paid March invoices: I1 120 + I2 205 + I3 50 + I4 70    = 445.00
  billed_lines_per_attempt  each line once per attempt of its invoice:
                     I1 120×2 + I2 205 + I3 50 + I4 70×3                              = 705.00
  billed_lines_per_success  once per succeeded attempt (one each)                    = 445.00
  lines_left_attempts every March invoice, LEFT JOIN attempts (I5 has none: once):
                     240 + 205 + 50 + 210 + 30                                        = 735.00
  cash               March succeeded attempts                                         = 460.00
  north_america_cash customer LEFT-joined, country in (US, CA): A2, A3, A9, A10, A11
                     = 120 + 205 + 0 - 15 + 30 (A4 is DE, A7's C9 does not exist)     = 340.00
  unknown_as_us_cash coalesce(country, 'US') in (US, CA): 340 + A7 70                 = 410.00
  external_positive_cash amount > 0 and is_internal = false: A2 + A3 + A4            = 375.00
  nonzero_cash       amount <> 0: the zero card check out, same sum                   = 460.00
  customer_cash      customers LEFT JOIN cash per customer: 460 - A7 70 (no C9)       = 390.00
  cash_not_excluded  LEFT JOIN raw_excluded … IS NULL: 460 - A4 50 (C3) - A11 30 (C4) = 380.00
  cash_not_in_excluded, cash_not_exists_excluded: the same list, NOT IN / NOT EXISTS  = 380.00
  cash_not_test      only exclusions with reason 'test' (C3): 460 - 50                = 410.00
  invoiced_cash      attempts whose invoice exists (IN (SELECT …)): 120+205+50+70     = 445.00
  cash_left_us       LEFT JOIN (customers WHERE country = 'US'): a filter inside the joined
                     relation drops no attempt                                        = 460.00
  cash_unread_cte    a CTE of paid invoices defined and never read                    = 460.00
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from canon.audit.sources import ModelSet, from_sql_dir

CUSTOMERS = [("C1", "US", False), ("C2", "CA", False), ("C3", "DE", False), ("C4", "US", True)]
EXCLUDED = [("C3", "test"), ("C4", "internal")]
INVOICES = [
    ("I1", "C1", "2026-03-03", "paid"),
    ("I2", "C2", "2026-03-10", "paid"),
    ("I3", "C3", "2026-03-12", "paid"),
    ("I4", "C9", "2026-03-15", "paid"),
    ("I5", "C4", "2026-03-20", "open"),
    ("I6", "C1", "2026-04-02", "paid"),
]
LINES = [
    ("L1", "I1", "sub", "100.00"),
    ("L2", "I1", "usage", "20.00"),
    ("L3", "I2", "sub", "200.00"),
    ("L4", "I2", "tax", "10.00"),
    ("L5", "I2", "credit", "-5.00"),
    ("L6", "I3", "sub", "50.00"),
    ("L7", "I4", "sub", "70.00"),
    ("L8", "I5", "sub", "30.00"),
    ("L9", "I6", "sub", "40.00"),
    ("L10", "I8", "sub", "99.00"),
]
ATTEMPTS = [
    ("A1", "I1", "C1", "2026-03-04", "failed", "120.00"),
    ("A2", "I1", "C1", "2026-03-05", "succeeded", "120.00"),
    ("A3", "I2", "C2", "2026-03-11", "succeeded", "205.00"),
    ("A4", "I3", "C3", "2026-03-13", "succeeded", "50.00"),
    ("A5", "I4", "C9", "2026-03-16", "failed", "70.00"),
    ("A6", "I4", "C9", "2026-03-17", "failed", "70.00"),
    ("A7", "I4", "C9", "2026-03-18", "succeeded", "70.00"),
    ("A8", "I6", "C1", "2026-04-03", "succeeded", "40.00"),
    ("A9", None, "C2", "2026-03-25", "succeeded", "0.00"),
    ("A10", None, "C1", "2026-03-26", "succeeded", "-15.00"),
    ("A11", None, "C4", "2026-03-21", "succeeded", "30.00"),
]
VERSIONS = [
    ("I1", 1, "2026-03-03", "open", "120.00", "2026-03-03"),
    ("I1", 2, "2026-03-05", "paid", "120.00", "2026-03-03"),
    ("I2", 1, "2026-03-10", "open", "205.00", "2026-03-10"),
    ("I2", 2, "2026-03-11", "paid", "205.00", "2026-03-10"),
    ("I2", 3, "2026-03-20", "void", "205.00", "2026-03-10"),
    ("I3", 1, "2026-03-12", "paid", "50.00", "2026-03-12"),
    ("I4", 1, "2026-03-15", "open", "70.00", "2026-03-15"),
    ("I6", 1, "2026-04-02", "paid", "40.00", "2026-04-02"),
    ("I7", 1, "2026-03-29", "paid", "60.00", "2026-03-28"),
    ("I7", 2, "2026-03-29", "paid", "60.00", "2026-03-28"),
]

DDL = {
    "raw_customers": "customer_id VARCHAR, country VARCHAR, is_internal BOOLEAN",
    "raw_excluded": "customer_id VARCHAR, reason VARCHAR",
    "raw_invoices": "invoice_id VARCHAR, customer_id VARCHAR, issued_on DATE, status VARCHAR",
    "raw_invoice_lines": "line_id VARCHAR, invoice_id VARCHAR, kind VARCHAR, amount DECIMAL(12,2)",
    "raw_attempts": "attempt_id VARCHAR, invoice_id VARCHAR, customer_id VARCHAR, attempted_on DATE, "
    "outcome VARCHAR, amount DECIMAL(12,2)",
    "raw_invoice_versions": "invoice_id VARCHAR, version INTEGER, updated_at DATE, status VARCHAR, "
    "total DECIMAL(12,2), issued_on DATE",
}
ROWS = {
    "raw_customers": CUSTOMERS,
    "raw_excluded": EXCLUDED,
    "raw_invoices": INVOICES,
    "raw_invoice_lines": LINES,
    "raw_attempts": ATTEMPTS,
    "raw_invoice_versions": VERSIONS,
}

CANON_YML = """\
name: ledger
warehouse: {engine: duckdb, path: warehouse.duckdb, schema: main}
current_period: "2026-03"
"""

ISSUED = "date_trunc('month', issued_on)"
PAID = "date_trunc('month', attempted_on)"
MODELS = {
    # -- deduplication windows -------------------------------------------------------------
    "latest_then_paid": "with ranked as (\n"
    "  select *, row_number() over (partition by invoice_id order by updated_at desc, version desc) as rn\n"
    "  from raw_invoice_versions\n)\n"
    f"select {ISSUED} as m, sum(total) as revenue\nfrom ranked\nwhere rn = 1 and status = 'paid'\ngroup by 1\n",
    "latest_qualify": "with latest as (\n  select * from raw_invoice_versions\n"
    "  qualify row_number() over (partition by invoice_id order by updated_at desc, version desc) = 1\n)\n"
    f"select {ISSUED} as m, sum(total) as revenue\nfrom latest\nwhere status = 'paid'\ngroup by 1\n",
    "every_version_paid": f"select {ISSUED} as m, sum(total) as revenue\nfrom raw_invoice_versions\n"
    "where status = 'paid'\ngroup by 1\n",
    "latest_paid_version": "with latest as (\n  select * from raw_invoice_versions\n  where status = 'paid'\n"
    "  qualify row_number() over (partition by invoice_id order by updated_at desc, version desc) = 1\n)\n"
    f"select {ISSUED} as m, sum(total) as revenue\nfrom latest\ngroup by 1\n",
    "latest_with_ties": "with ranked as (\n"
    "  select *, rank() over (partition by invoice_id order by updated_at desc) as r\n"
    "  from raw_invoice_versions\n)\n"
    f"select {ISSUED} as m, sum(total) as revenue\nfrom ranked\nwhere r <= 1 and status = 'paid'\ngroup by 1\n",
    "max_version": f"select {ISSUED} as m, sum(total) as revenue\nfrom (\n"
    "  select *, max(version) over (partition by invoice_id) as latest_version from raw_invoice_versions\n) v\n"
    "where version = latest_version and status = 'paid'\ngroup by 1\n",
    # -- fan-out joins -----------------------------------------------------------------------
    "stg_attempts": "select attempt_id, invoice_id, customer_id, attempted_on, outcome, amount as paid_amount\n"
    "from raw_attempts\n",
    "billed_lines": "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue\n"
    "from raw_invoice_lines l\njoin raw_invoices i on i.invoice_id = l.invoice_id\n"
    "where i.status = 'paid'\ngroup by 1\n",
    "billed_lines_per_attempt": "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue,\n"
    "  count(a.attempt_id) as attempts\n"
    "from raw_invoice_lines l\njoin raw_invoices i on i.invoice_id = l.invoice_id\n"
    "join stg_attempts a on a.invoice_id = i.invoice_id\nwhere i.status = 'paid'\ngroup by 1\n",
    "billed_lines_per_success": "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue\n"
    "from raw_invoice_lines l\njoin raw_invoices i on i.invoice_id = l.invoice_id\n"
    "join raw_attempts a on a.invoice_id = i.invoice_id\n"
    "where i.status = 'paid' and a.outcome = 'succeeded'\ngroup by 1\n",
    "lines_left_attempts": "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue\n"
    "from raw_invoice_lines l\njoin raw_invoices i on i.invoice_id = l.invoice_id\n"
    "left join raw_attempts a on a.invoice_id = i.invoice_id\ngroup by 1\n",
    # -- LEFT-joined tables, matches, predicates on the amount ---------------------------------
    "cash": f"select {PAID} as m, sum(amount) as cash\nfrom raw_attempts\nwhere outcome = 'succeeded'\ngroup by 1\n",
    "north_america_cash": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nleft join raw_customers c on c.customer_id = a.customer_id\n"
    "where a.outcome = 'succeeded' and c.country in ('US', 'CA')\ngroup by 1\n",
    "unknown_as_us_cash": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nleft join raw_customers c on c.customer_id = a.customer_id\n"
    "where a.outcome = 'succeeded' and coalesce(c.country, 'US') in ('US', 'CA')\ngroup by 1\n",
    "external_positive_cash": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nleft join raw_customers c on c.customer_id = a.customer_id\n"
    "where a.outcome = 'succeeded' and a.amount > 0 and c.is_internal = false\ngroup by 1\n",
    "nonzero_cash": f"select {PAID} as m, sum(amount) as cash\nfrom raw_attempts\n"
    "where outcome = 'succeeded' and amount <> 0\ngroup by 1\n",
    "customer_cash": "with cash as (\n"
    f"  select customer_id, {PAID} as cash_month, sum(amount) as cash\n"
    "  from raw_attempts where outcome = 'succeeded' group by 1, 2\n)\n"
    "select cash.cash_month, c.customer_id, sum(cash.cash) as cash\n"
    "from raw_customers c\nleft join cash on cash.customer_id = c.customer_id\ngroup by 1, 2\n",
    "cash_not_excluded": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nleft join raw_excluded x on x.customer_id = a.customer_id\n"
    "where x.customer_id is null and a.outcome = 'succeeded'\ngroup by 1\n",
    "cash_not_in_excluded": f"select {PAID} as m, sum(amount) as cash\nfrom raw_attempts\n"
    "where outcome = 'succeeded' and customer_id not in (select customer_id from raw_excluded)\ngroup by 1\n",
    "cash_not_exists_excluded": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nwhere a.outcome = 'succeeded'\n"
    "  and not exists (select 1 from raw_excluded x where x.customer_id = a.customer_id)\ngroup by 1\n",
    "cash_not_test": "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash\n"
    "from raw_attempts a\nleft join raw_excluded x on x.customer_id = a.customer_id and x.reason = 'test'\n"
    "where x.customer_id is null and a.outcome = 'succeeded'\ngroup by 1\n",
    "invoiced_cash": f"select {PAID} as m, sum(amount) as cash\nfrom raw_attempts\n"
    "where outcome = 'succeeded' and invoice_id in (select invoice_id from raw_invoices)\ngroup by 1\n",
    "cash_left_us": "with us as (select * from raw_customers where country = 'US')\n"
    "select date_trunc('month', a.attempted_on) as m, sum(a.amount) as cash, count(us.customer_id) as us_attempts\n"
    "from raw_attempts a\nleft join us on us.customer_id = a.customer_id\nwhere a.outcome = 'succeeded'\ngroup by 1\n",
    "cash_unread_cte": "with paid as (select * from raw_invoices where status = 'paid'),\n"
    "succeeded as (select * from raw_attempts where outcome = 'succeeded')\n"
    f"select {PAID} as m, sum(amount) as cash\nfrom succeeded\ngroup by 1\n",
}

# March figures in cents, from the hand calculation in the module docstring
MODEL_CENTS = {
    "latest_then_paid": 23_000,
    "latest_qualify": 23_000,
    "every_version_paid": 49_500,
    "latest_paid_version": 43_500,
    "latest_with_ties": 29_000,
    "max_version": 23_000,
    "billed_lines": 44_500,
    "billed_lines_per_attempt": 70_500,
    "billed_lines_per_success": 44_500,
    "lines_left_attempts": 73_500,
    "cash": 46_000,
    "north_america_cash": 34_000,
    "unknown_as_us_cash": 41_000,
    "external_positive_cash": 37_500,
    "nonzero_cash": 46_000,
    "customer_cash": 39_000,
    "cash_not_excluded": 38_000,
    "cash_not_in_excluded": 38_000,
    "cash_not_exists_excluded": 38_000,
    "cash_not_test": 41_000,
    "invoiced_cash": 44_500,
    "cash_left_us": 46_000,
    "cash_unread_cte": 46_000,
}


def write_ledger(root: Path) -> Path:
    """canon.yml, the DuckDB warehouse and the models under `root/models` (no contract: no canonical)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "canon.yml").write_text(CANON_YML)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table, ddl in DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        width = len(ROWS[table][0])
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", ROWS[table])
    con.close()
    folder = root / "models"
    folder.mkdir(exist_ok=True)
    for name, sql in MODELS.items():
        (folder / f"{name}.sql").write_text(sql)
    return root


def ledger_models(root: Path) -> ModelSet:
    return from_sql_dir(root / "models", "duckdb", list(DDL), root)

"""A shop warehouse small enough to compute every figure by hand (period 2026-03).

raw_customers: C1 emea, C2 amer, C3 apac
raw_orders (order, customer, date, amount, kind, status):
  O1 C1 2026-03-02   100.00 sale   paid
  O2 C1 2026-03-10   250.50 sale   refunded
  O3 C2 2026-03-15    40.25 fee    paid
  O4 C3 2026-03-31  1000.00 sale   paid
  O5 C2 2026-04-01    75.00 sale   paid      (April)
  O6 C3 2026-02-28    60.00 sale   paid      (February)
  O7 C1 2026-03-20   -20.00 credit paid
  O8 C2 2026-03-05   300.00 sale   pending
  O9 C1 2026-03-25    12.34 fee    pending
raw_payroll: an unrelated money table (no join to orders), 2026-03-31 5000.00

March figures, by hand:
  revenue (the contract: paid sales):             O1 + O4 = 100 + 1000                       = 1100.00
  gross_sales (status <> 'refunded'):             O1 + O3 + O4 + O7 + O8 + O9
                                                  = 100 + 40.25 + 1000 - 20 + 300 + 12.34    = 1432.59
  annualized_sales (paid sales and credits × 12): (O1 + O4 + O7) × 12 = 1080 × 12            = 12960.00
  emea_sales (paid, customers in emea = C1):      O1 + O7 = 100 - 20                         = 80.00
  board_revenue (paid, CASE kind = 'sale'):       O1 + O4                                    = 1100.00
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from canon.audit.sources import ModelSet, from_sql_dir

CUSTOMERS = [("C1", "emea"), ("C2", "amer"), ("C3", "apac")]
ORDERS = [
    ("O1", "C1", "2026-03-02", "100.00", "sale", "paid"),
    ("O2", "C1", "2026-03-10", "250.50", "sale", "refunded"),
    ("O3", "C2", "2026-03-15", "40.25", "fee", "paid"),
    ("O4", "C3", "2026-03-31", "1000.00", "sale", "paid"),
    ("O5", "C2", "2026-04-01", "75.00", "sale", "paid"),
    ("O6", "C3", "2026-02-28", "60.00", "sale", "paid"),
    ("O7", "C1", "2026-03-20", "-20.00", "credit", "paid"),
    ("O8", "C2", "2026-03-05", "300.00", "sale", "pending"),
    ("O9", "C1", "2026-03-25", "12.34", "fee", "pending"),
]
PAYROLL = [("2026-03-31", "5000.00")]

DDL = {
    "raw_customers": "customer_id VARCHAR, region VARCHAR",
    "raw_orders": "order_id VARCHAR, customer_id VARCHAR, ordered_on DATE, amount DECIMAL(12,2), "
    "kind VARCHAR, status VARCHAR",
    "raw_payroll": "paid_on DATE, salary DECIMAL(12,2)",
}
ROWS = {"raw_customers": CUSTOMERS, "raw_orders": ORDERS, "raw_payroll": PAYROLL}

CANON_YML = """\
name: shop
warehouse: {engine: duckdb, path: warehouse.duckdb, schema: main}
current_period: "2026-03"
relationships:
  - {from: raw_orders.customer_id, to: raw_customers.customer_id}
"""

REVENUE_YML = """\
name: revenue
label: Revenue
owner: finance
composition:
  type: declarative
  measure: {column: raw_orders.amount}
  time_basis: {column: raw_orders.ordered_on}
  filters:
    raw_orders.status: [paid]
    raw_orders.kind: [sale]
"""

MONTH = "date_trunc('month', ordered_on)"
MODELS = {
    "gross_sales": f"select {MONTH} as order_month, sum(amount) as revenue\n"
    "from raw_orders\nwhere status <> 'refunded'\ngroup by 1\n",
    "annualized_sales": f"select {MONTH} as order_month, sum(amount) * 12 as annualized\n"
    "from raw_orders\nwhere lower(trim(status)) = 'paid' and kind in ('sale', 'credit')\ngroup by 1\n",
    "stg_paid_orders": "select * from raw_orders where status = 'paid'\n",
    "emea_sales": "select date_trunc('month', o.ordered_on) as order_month, sum(o.amount) as revenue\n"
    "from stg_paid_orders o\njoin raw_customers c on c.customer_id = o.customer_id\n"
    "where c.region = 'emea'\ngroup by 1\n",
    "board_revenue": f"select {MONTH} as order_month,\n"
    "  sum(case when kind = 'sale' then amount end) as revenue\n"
    "from raw_orders\nwhere status = 'paid'\ngroup by 1\n",
    "order_counts": f"select {MONTH} as order_month, count(*) as orders\nfrom raw_orders\ngroup by 1\n",
    "payroll_cost": "select date_trunc('month', paid_on) as pay_month, sum(salary) as cost\n"
    "from raw_payroll\ngroup by 1\n",
    "broken": "select sum(amount from raw_orders\n",
}

# March figures in cents, from the hand calculation in the module docstring
REVENUE_CENTS = 110_000
MODEL_CENTS = {
    "gross_sales": 143_259,
    "annualized_sales": 1_296_000,
    "emea_sales": 8_000,
    "board_revenue": 110_000,
}


def write_shop(root: Path, models: dict[str, str] | None = None) -> Path:
    """canon.yml, the `revenue` contract, the DuckDB warehouse and the models under `root/models`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "canon.yml").write_text(CANON_YML)
    (root / "metrics").mkdir(exist_ok=True)
    (root / "metrics" / "revenue.yml").write_text(REVENUE_YML)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table, ddl in DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        width = len(ROWS[table][0])
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", ROWS[table])
    con.close()
    folder = root / "models"
    folder.mkdir(exist_ok=True)
    for name, sql in (MODELS if models is None else models).items():
        (folder / f"{name}.sql").write_text(sql)
    return root


def shop_models(root: Path) -> ModelSet:
    return from_sql_dir(root / "models", "duckdb", list(DDL), root)

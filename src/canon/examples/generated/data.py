"""The raw data under the generated dbt project: ACME's four tables, small and deterministic.

Money is integer cents here; the warehouse stores DECIMAL(12,2). Annual contract values are
multiples of 12 cents so every ÷12 spelling (per row or after the sum) is exact, and a
model's figure can be compared with its ground truth to the cent.

`figure_cents` evaluates a ground-truth decision vector over these rows in plain Python: a
computation that shares nothing with SQL, canon or the models.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

DOMAINS: dict[str, list[Any]] = {
    "raw_accounts.segment": ["enterprise", "mid-market", "smb"],
    "raw_accounts.industry": ["fintech", "health", "retail", "saas"],
    "raw_contracts.type": ["one-time", "pilot", "recurring"],
    "raw_contracts.status": ["active", "cancelled", "churned"],
    "raw_invoices.type": ["credit", "services", "setup", "subscription"],
    "raw_invoices.status": ["paid", "pending", "void"],
    "raw_payments.refunded": [False, True],
}

COLUMNS = {
    "raw_accounts": [("account_id", "VARCHAR"), ("name", "VARCHAR"), ("segment", "VARCHAR"), ("industry", "VARCHAR")],
    "raw_contracts": [
        ("contract_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
        ("annual_value", "DECIMAL(12,2)"),
        ("type", "VARCHAR"),
        ("status", "VARCHAR"),
    ],
    "raw_invoices": [
        ("invoice_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("contract_id", "VARCHAR"),
        ("invoice_date", "DATE"),
        ("amount", "DECIMAL(12,2)"),
        ("type", "VARCHAR"),
        ("status", "VARCHAR"),
    ],
    "raw_payments": [
        ("payment_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("invoice_id", "VARCHAR"),
        ("payment_date", "DATE"),
        ("amount", "DECIMAL(12,2)"),
        ("refunded", "BOOLEAN"),
    ],
}
MONEY = {("raw_contracts", "annual_value"), ("raw_invoices", "amount"), ("raw_payments", "amount")}
# Many-to-one edges (the join graph of canon.yml): table.column → table.column
RELATIONSHIPS = [
    ("raw_invoices.contract_id", "raw_contracts.contract_id"),
    ("raw_invoices.account_id", "raw_accounts.account_id"),
    ("raw_contracts.account_id", "raw_accounts.account_id"),
    ("raw_payments.invoice_id", "raw_invoices.invoice_id"),
    ("raw_payments.account_id", "raw_accounts.account_id"),
]
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2026, 12, 31)


@dataclass
class Dataset:
    tables: dict[str, list[dict[str, Any]]]  # money columns in integer cents

    def write_duckdb(self, path: Path) -> None:
        """The four raw tables in schema main of a DuckDB file (replacing any earlier file).

        Tables are created from typed Arrow columns (DECIMAL(12,2), DATE, BOOLEAN, VARCHAR),
        so no SQL text is written at all.
        """
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        try:
            for table, cols in COLUMNS.items():
                arrays = {}
                for name, typ in cols:
                    values = [row[name] for row in self.tables[table]]
                    if (table, name) in MONEY:
                        arrays[name] = pa.array([Decimal(v).scaleb(-2) for v in values], pa.decimal128(12, 2))
                    else:
                        arrays[name] = pa.array(values, _ARROW[typ])
                con.from_arrow(pa.table(arrays)).create(table)
        finally:
            con.close()


_ARROW = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BOOLEAN": pa.bool_()}


def make_dataset(seed: int = 1, n_accounts: int = 120) -> Dataset:
    rng = random.Random(seed * 7919 + 11)
    accounts, contracts, invoices, payments = [], [], [], []
    for a in range(1, n_accounts + 1):
        accounts.append(
            {
                "account_id": f"A{a:04d}",
                "name": f"Account {a}",
                "segment": rng.choices(DOMAINS["raw_accounts.segment"], weights=[2, 3, 5])[0],
                "industry": rng.choice(DOMAINS["raw_accounts.industry"]),
            }
        )
    # Deals: 1-3 contracts per account over three years, plus a burst of recent deals so the
    # audit period holds every kind of row (setup fees, services, pilots, new contracts).
    deals: list[tuple[dict[str, Any], date, list[int], float]] = []
    for acct in accounts:
        for _ in range(rng.randint(1, 3)):
            deals.append((acct, FIRST_DAY + timedelta(days=rng.randint(0, 1030)), [15, 15, 70], 0.3))
    for _ in range(max(8, n_accounts // 5)):
        recent = date(2026, 8, 15) + timedelta(days=rng.randint(0, 74))
        deals.append((rng.choice(accounts), recent, [30, 20, 50], 0.6))
    n_contract = n_invoice = n_payment = 0
    for acct, start, type_weights, setup_rate in deals:
        n_contract += 1
        months = rng.randint(3, 24)
        end = _add_months(start, months) - timedelta(days=1)
        monthly = rng.randint(100_00, 20_000_00)
        ctype = rng.choices(DOMAINS["raw_contracts.type"], weights=type_weights)[0]
        contract = {
            "contract_id": f"C{n_contract:05d}",
            "account_id": acct["account_id"],
            "start_date": start,
            "end_date": end,
            "annual_value": monthly * 12,
            "type": ctype,
            "status": rng.choices(["active", "cancelled", "churned"], weights=[70, 10, 20])[0],
        }
        contracts.append(contract)
        bills: list[tuple[date, int, str]] = []
        if ctype == "one-time":
            bills.append((start, monthly * 12, "services"))
        else:
            day = start
            while day <= min(end, LAST_DAY):
                bills.append((day, monthly, "subscription"))
                day = _add_months(day, 1)
        if rng.random() < setup_rate:
            bills.append((start, rng.randint(50_00, 2_000_00), "setup"))
        if rng.random() < 0.2 and len(bills) > 1:
            when = bills[rng.randrange(len(bills))][0] + timedelta(days=rng.randint(0, 10))
            bills.append((when, -rng.randint(10_00, 500_00), "credit"))
        for when, amount, itype in bills:
            if when > LAST_DAY:
                continue
            n_invoice += 1
            status = rng.choices(["paid", "pending", "void"], weights=[85, 10, 5])[0]
            inv = {
                "invoice_id": f"I{n_invoice:06d}",
                "account_id": acct["account_id"],
                "contract_id": contract["contract_id"],
                "invoice_date": when,
                "amount": amount,
                "type": itype,
                "status": status,
            }
            invoices.append(inv)
            if status == "paid" and amount > 0:
                n_payment += 1
                paid_on = when + timedelta(days=rng.randint(0, 25))
                payments.append(
                    {
                        "payment_id": f"P{n_payment:06d}",
                        "account_id": acct["account_id"],
                        "invoice_id": inv["invoice_id"],
                        "payment_date": paid_on,
                        "amount": amount,
                        "refunded": rng.random() < 0.06,
                    }
                )
    ds = Dataset(
        {"raw_accounts": accounts, "raw_contracts": contracts, "raw_invoices": invoices, "raw_payments": payments}
    )
    for ref, domain in DOMAINS.items():
        table, col = ref.split(".")
        seen = {row[col] for row in ds.tables[table]}
        missing = set(domain) - seen
        if missing:  # every filter must have something to exclude; say so rather than generate a weak project
            raise ValueError(f"seed {seed}: {ref} never takes {sorted(missing, key=str)}; use more accounts")
    return ds


def _add_months(day: date, n: int) -> date:
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_bounds(label: str) -> tuple[date, date]:
    """'2026-10' → (2026-10-01, 2026-11-01): the half-open month."""
    start = date(int(label[:4]), int(label[5:7]), 1)
    return start, _add_months(start, 1)


def figure_cents(ds: Dataset, truth: dict[str, Any], month: str) -> int:
    """A definition's figure for one month, from its decision vector, in plain Python.

    Rows of the measure's table are joined many-to-one to the tables the vector names
    (invoices → contracts → accounts, payments → invoices); a filter on a table on the
    'many' side (payments for an invoice measure) admits a row when some related row
    passes it. The scale is applied to the sum and rounded half away from zero.
    """
    m_table, m_col = truth["measure"]["column"].split(".")
    scale = Fraction(truth["measure"]["scale_exact"])
    conds = {**truth["filters"], **truth.get("slices", {})}
    start, end = month_bounds(month)
    by_id = {
        "raw_contracts": {r["contract_id"]: r for r in ds.tables["raw_contracts"]},
        "raw_accounts": {r["account_id"]: r for r in ds.tables["raw_accounts"]},
        "raw_invoices": {r["invoice_id"]: r for r in ds.tables["raw_invoices"]},
    }
    payments_of: dict[str, list[dict[str, Any]]] = {}
    for p in ds.tables["raw_payments"]:
        payments_of.setdefault(p["invoice_id"], []).append(p)

    total = 0
    for row in ds.tables[m_table]:
        related = _related(m_table, row, by_id)
        if not _in_period(truth["time_basis"], related, start, end):
            continue
        ok = True
        for ref, admitted in conds.items():
            table, col = ref.split(".")
            if table == "raw_payments" and m_table != "raw_payments":
                pays = payments_of.get(related["raw_invoices"]["invoice_id"], [])
                ok = any(p[col] in admitted for p in pays)
            else:
                ok = related[table][col] in admitted
            if not ok:
                break
        if ok:
            total += row[m_col]
    return _round_half_away(total * scale)


def _related(table: str, row: dict[str, Any], by_id: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The row and the one row of each table it points to (many-to-one), by table name."""
    out: dict[str, Any] = {table: row}
    invoice = row if table == "raw_invoices" else None
    if table == "raw_payments":
        invoice = by_id["raw_invoices"][row["invoice_id"]]
    if invoice is not None:
        out["raw_invoices"] = invoice
        out["raw_contracts"] = by_id["raw_contracts"][invoice["contract_id"]]
    out["raw_accounts"] = by_id["raw_accounts"][row["account_id"]]
    return out


def _in_period(basis: list[str], related: dict[str, Any], start: date, end: date) -> bool:
    if len(basis) == 1:
        table, col = basis[0].split(".")
        return bool(start <= related[table][col] < end)
    (t1, c1), (t2, c2) = (b.split(".") for b in basis)
    lo, hi = related[t1][c1], related[t2][c2]
    return bool(lo < end and (hi is None or hi >= start))


def _round_half_away(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    whole, rest = divmod(abs(value), 1)
    return sign * int(whole + (1 if rest >= Fraction(1, 2) else 0))

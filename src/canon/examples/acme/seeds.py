"""The four raw tables as CSV text: the dbt seeds of the example.

Amounts are written from integer cents as exact decimals (`-1234.50`), dates as ISO dates and
booleans as `true`/`false`, so dbt's explicit `column_types` read them without guessing.
`as_of` cuts a snapshot for the git history: the rows an export taken that day would hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from canon.examples.acme.entities import World

COLUMNS: dict[str, tuple[str, ...]] = {
    "raw_accounts": ("account_id", "name", "segment", "industry", "sales_rep", "created_at"),
    "raw_contracts": (
        "contract_id",
        "account_id",
        "start_date",
        "end_date",
        "annual_value",
        "type",
        "status",
    ),
    "raw_invoices": ("invoice_id", "account_id", "contract_id", "invoice_date", "amount", "type", "status"),
    "raw_payments": ("payment_id", "account_id", "invoice_id", "payment_date", "amount", "refunded"),
}


def money(cents: int) -> str:
    """Integer cents as an exact decimal string: 123456 → `1234.56`, -5 → `-0.05`."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_seeds(world: World, as_of: date | None = None) -> dict[str, str]:
    """Seed file name (without `.csv`) → CSV text; `as_of` keeps only rows known on that day."""
    cut = as_of or date.max
    invoices = [i for i in world.invoices if i.invoice_date <= cut]
    payments = [p for p in world.payments if p.payment_date <= cut]
    billed = {i.contract.contract_id for i in invoices}
    contracts = [c for c in world.contracts if c.start <= cut or c.contract_id in billed]
    known = {c.account.account_id for c in contracts}
    accounts = [a for a in world.accounts if a.created_at <= cut or a.account_id in known]
    return {
        "raw_accounts": _csv(
            COLUMNS["raw_accounts"],
            ([a.account_id, a.name, a.segment, a.industry, a.sales_rep, a.created_at.isoformat()] for a in accounts),
        ),
        "raw_contracts": _csv(
            COLUMNS["raw_contracts"],
            (
                [
                    c.contract_id,
                    c.account.account_id,
                    c.start.isoformat(),
                    c.end.isoformat(),
                    money(c.annual_cents),
                    c.type,
                    c.status,
                ]
                for c in contracts
            ),
        ),
        "raw_invoices": _csv(
            COLUMNS["raw_invoices"],
            (
                [
                    i.invoice_id,
                    i.account.account_id,
                    i.contract.contract_id,
                    i.invoice_date.isoformat(),
                    money(i.amount_cents),
                    i.type,
                    i.status,
                ]
                for i in invoices
            ),
        ),
        "raw_payments": _csv(
            COLUMNS["raw_payments"],
            (
                [
                    p.payment_id,
                    p.invoice.account.account_id,
                    p.invoice.invoice_id,
                    p.payment_date.isoformat(),
                    money(p.amount_cents),
                    "true" if p.refunded else "false",
                ]
                for p in payments
            ),
        ),
    }

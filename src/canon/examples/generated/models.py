"""dbt model files for the generated project: the pieces every model uses, and shared staging.

Filters are spelled at random among equivalent forms (`<>`, `!=`, `NOT IN`, `IN`, `OR`
chains, boolean forms), and each recipe states, from its own parameters, the decision
vector it computes (`truth`). The SQL is text by nature: these are dbt Jinja templates,
the thing the audit has to read. Definition recipes are in recipes.py.
"""

# ruff: noqa: S608  (dbt model files are Jinja text by nature (see common rules))
from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from canon.examples.generated.data import DOMAINS

SRC = "{{{{ source('raw', '{}') }}}}"
REF = "{{{{ ref('{}') }}}}"
CONFIG_VIEW = "{{ config(materialized='view') }}\n"

INV_STATUS = [["paid"], ["paid", "pending"]]
INV_TYPE = [
    ["subscription"],
    ["setup", "subscription"],
    ["credit", "subscription"],
    ["services", "setup", "subscription"],
]
CON_STATUS = [["active"], ["active", "churned"]]
CON_TYPE = [["recurring"], ["one-time", "recurring"]]


@dataclass
class GenModel:
    name: str
    sql: str
    kind: str  # "shared", "definition" or a decoy kind
    folder: str
    truth: dict[str, Any] | None = None


@dataclass
class Rel:
    """A row-level relation (model) decoys may read: its raw family and column names."""

    name: str
    family: str
    cols: dict[str, str]  # logical (raw) column → name in this relation

    @property
    def ref(self) -> str:
        return REF.format(self.name)


@dataclass
class Ctx:
    rng: random.Random
    first_pass: bool = True
    used: set[str] = field(default_factory=set)

    def unique(self, base: str) -> str:
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


# ------------------------------------------------------------------ spelling


def lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def spell(rng: random.Random, col: str, ref: str, admitted: list[Any]) -> str:
    """A condition admitting exactly `admitted` of the column's domain, in a random spelling."""
    domain = DOMAINS[ref]
    keep = [v for v in domain if v in admitted]
    drop = [v for v in domain if v not in admitted]
    assert keep and drop, f"{ref}: a filter must admit some values and exclude others"
    if isinstance(domain[0], bool):
        if keep == [False]:
            return rng.choice([f"not {col}", f"{col} = false", f"{col} is false", f"{col} <> true"])
        return rng.choice([col, f"{col} = true", f"{col} is true"])
    options = [f"{col} in ({', '.join(lit(v) for v in keep)})", f"{col} not in ({', '.join(lit(v) for v in drop)})"]
    if len(keep) == 1:
        options += [f"{col} = {lit(keep[0])}"]
    if len(drop) == 1:
        options += [f"{col} <> {lit(drop[0])}", f"{col} != {lit(drop[0])}"]
    if len(keep) == 2:
        options += [f"({col} = {lit(keep[0])} or {col} = {lit(keep[1])})"]
    return rng.choice(options)


def period_cols(rng: random.Random, date_expr: str, style: str | None = None) -> tuple[list[str], dict[str, Any]]:
    """Select items placing a row in its month, and how to read the month back from the output."""
    style = style or rng.choice(["date_trunc", "date_trunc_cast", "extract", "strftime"])
    alias = rng.choice(["month", "revenue_month", "period_month", "billing_month", "mth"])
    if style == "date_trunc":
        return [f"date_trunc('month', {date_expr}) as {alias}"], {"kind": "date", "column": alias}
    if style == "date_trunc_cast":
        expr = rng.choice(
            [f"cast(date_trunc('month', {date_expr}) as date)", f"date_trunc('month', {date_expr})::date"]
        )
        return [f"{expr} as {alias}"], {"kind": "date", "column": alias}
    if style == "extract":
        y, m = rng.choice([("yr", "mo"), ("fiscal_year", "fiscal_month"), ("year_num", "month_num")])
        return (
            [f"extract(year from {date_expr}) as {y}", f"extract(month from {date_expr}) as {m}"],
            {"kind": "year_month", "year": y, "month": m},
        )
    alias = rng.choice(["ym", "period", "month_label"])
    return [f"strftime({date_expr}, '%Y-%m') as {alias}"], {"kind": "text", "column": alias, "format": "%Y-%m"}


def truth(
    measure: str,
    scale: Fraction,
    basis: list[str],
    filters: dict[str, list[Any]],
    output: str,
    period: dict[str, Any],
    features: list[str],
    slices: dict[str, list[Any]] | None = None,
    dimensions: list[str] | None = None,
) -> dict[str, Any]:
    def norm(d: dict[str, list[Any]]) -> dict[str, list[Any]]:
        return {k: sorted(set(v), key=lambda x: (str(type(x)), x)) for k, v in sorted(d.items())}

    return {
        "measure": {"column": measure, "scale": float(scale), "scale_exact": str(scale)},
        "time_basis": basis,
        "filters": norm(filters),
        "slices": norm(slices or {}),
        "measure_output": output,
        "period_output": period,
        "dimensions": dimensions or [],
        "features": features,
    }


def pick(ctx: Ctx, options: list[list[str]], first: int = 0) -> list[str]:
    return options[first] if ctx.first_pass else ctx.rng.choice(options)


def join_lines(lines: list[str]) -> str:
    return CONFIG_VIEW + "\n".join(lines) + "\n"


# ------------------------------------------------------------------ shared models


def shared_models() -> tuple[list[GenModel], list[Rel]]:
    inv_cols = ["invoice_id", "account_id", "contract_id", "invoice_date", "amount", "type", "status"]
    con_cols = ["contract_id", "account_id", "start_date", "end_date", "annual_value", "type", "status"]
    pay_cols = ["payment_id", "account_id", "invoice_id", "payment_date", "amount", "refunded"]
    acc_cols = ["account_id", "name", "segment", "industry"]
    renamed = {
        "invoice_id": "id",
        "account_id": "customer_id",
        "contract_id": "agreement_id",
        "invoice_date": "billed_on",
        "amount": "invoice_amount",
        "type": "invoice_kind",
        "status": "invoice_state",
    }
    models = [
        GenModel("stg_accounts", join_lines([f"select * from {SRC.format('raw_accounts')}"]), "shared", "staging"),
        GenModel(
            "stg_contracts",
            join_lines(
                [
                    "select",
                    "    *,",
                    "    type = 'pilot' as is_pilot",
                    f"from {SRC.format('raw_contracts')}",
                ]
            ),
            "shared",
            "staging",
        ),
        GenModel("stg_invoices", join_lines([f"select * from {SRC.format('raw_invoices')}"]), "shared", "staging"),
        GenModel(
            "stg_payments",
            join_lines(["select", "    " + ",\n    ".join(pay_cols), f"from {SRC.format('raw_payments')}"]),
            "shared",
            "staging",
        ),
        GenModel(
            "stg_invoices_renamed",
            join_lines(
                [
                    "select",
                    "    " + ",\n    ".join(f"{k} as {v}" for k, v in renamed.items()),
                    f"from {REF.format('stg_invoices')}",
                ]
            ),
            "shared",
            "staging",
        ),
        GenModel(
            "int_subscription_invoices",
            join_lines([f"select * from {REF.format('stg_invoices')}", "where type = 'subscription'"]),
            "shared",
            "intermediate",
        ),
        GenModel(
            "int_active_contracts",
            join_lines(
                [
                    "select contract_id, account_id, type, is_pilot",
                    f"from {REF.format('stg_contracts')}",
                    "where status = 'active'",
                ]
            ),
            "shared",
            "intermediate",
        ),
        GenModel(
            "util_months",
            join_lines(
                [
                    "select cast(generate_series as date) as month_start",
                    "from generate_series(date '2023-01-01', date '2027-12-01', interval 1 month)",
                ]
            ),
            "shared",
            "intermediate",
        ),
        GenModel(
            "int_contract_months",
            join_lines(
                [
                    "select",
                    "    m.month_start,",
                    "    k.contract_id,",
                    "    k.account_id,",
                    "    k.type,",
                    "    k.status,",
                    "    k.annual_value / 12 as monthly_value",
                    f"from {REF.format('stg_contracts')} as k",
                    f"inner join {REF.format('util_months')} as m",
                    "    on m.month_start >= date_trunc('month', k.start_date)",
                    "   and m.month_start <= k.end_date",
                ]
            ),
            "shared",
            "intermediate",
        ),
    ]
    rels = [
        Rel("stg_accounts", "accounts", {c: c for c in acc_cols}),
        Rel("stg_contracts", "contracts", {c: c for c in con_cols}),
        Rel("stg_invoices", "invoices", {c: c for c in inv_cols}),
        Rel("stg_payments", "payments", {c: c for c in pay_cols}),
        Rel("stg_invoices_renamed", "invoices", renamed),
    ]
    return models, rels

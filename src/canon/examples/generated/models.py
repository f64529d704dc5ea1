"""dbt model files for the generated project: the pieces every model uses, and shared staging.

Filters are spelled at random among equivalent forms (`<>`, `!=`, `NOT IN`, `IN`, `OR`
chains, boolean forms), and each recipe states, from its own parameters, the decision
vector it computes (`truth`). The SQL is text by nature: these are dbt Jinja templates,
the thing the audit has to read. Definition recipes are in recipes.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlglot import exp

from canon.compiler.trees import join
from canon.dbt.model_sql import model_sql, ref_table, source_table
from canon.examples.generated.data import DOMAINS

DIALECT = "duckdb"  # the generated project runs on dbt-duckdb
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
    """Staging and intermediate models every definition reads, built as trees (`canon.dbt.model_sql`)."""
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

    def equals(column: str, value: str) -> exp.Expression:
        return exp.EQ(this=exp.column(column), expression=exp.Literal.string(value))

    months = exp.select(exp.cast(exp.column("generate_series"), "date").as_("month_start")).from_(
        exp.Anonymous(
            this="generate_series",
            expressions=[
                exp.cast(exp.Literal.string("2023-01-01"), "date"),
                exp.cast(exp.Literal.string("2027-12-01"), "date"),
                exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MONTH")),
            ],
        )
    )
    in_month = exp.and_(
        exp.GTE(
            this=exp.column("month_start", table="m"),
            expression=exp.DateTrunc(this=exp.column("start_date", table="k"), unit=exp.var("MONTH")),
        ),
        exp.LTE(this=exp.column("month_start", table="m"), expression=exp.column("end_date", table="k")),
    )
    contract_months = exp.select(
        exp.column("month_start", table="m"),
        *(exp.column(c, table="k") for c in ("contract_id", "account_id", "type", "status")),
        exp.Div(this=exp.column("annual_value", table="k"), expression=exp.Literal.number(12)).as_("monthly_value"),
    ).from_(ref_table("stg_contracts", "k"))
    join(contract_months, ref_table("util_months", "m"), in_month, "inner")
    queries: list[tuple[str, exp.Expression, str]] = [
        ("stg_accounts", exp.select("*").from_(source_table("raw_accounts")), "staging"),
        (
            "stg_contracts",
            exp.select("*", equals("type", "pilot").as_("is_pilot")).from_(source_table("raw_contracts")),
            "staging",
        ),
        ("stg_invoices", exp.select("*").from_(source_table("raw_invoices")), "staging"),
        ("stg_payments", exp.select(*pay_cols).from_(source_table("raw_payments")), "staging"),
        (
            "stg_invoices_renamed",
            exp.select(*(exp.column(k).as_(v) for k, v in renamed.items())).from_(ref_table("stg_invoices")),
            "staging",
        ),
        (
            "int_subscription_invoices",
            exp.select("*").from_(ref_table("stg_invoices")).where(equals("type", "subscription")),
            "intermediate",
        ),
        (
            "int_active_contracts",
            exp.select("contract_id", "account_id", "type", "is_pilot")
            .from_(ref_table("stg_contracts"))
            .where(equals("status", "active")),
            "intermediate",
        ),
        ("util_months", months, "intermediate"),
        ("int_contract_months", contract_months, "intermediate"),
    ]
    raw = {ident: ("raw", ident) for ident in ("raw_accounts", "raw_contracts", "raw_invoices", "raw_payments")}
    models = [
        GenModel(name, CONFIG_VIEW + model_sql(query, DIALECT, raw) + "\n", "shared", folder)
        for name, query, folder in queries
    ]
    rels = [
        Rel("stg_accounts", "accounts", {c: c for c in acc_cols}),
        Rel("stg_contracts", "contracts", {c: c for c in con_cols}),
        Rel("stg_invoices", "invoices", {c: c for c in inv_cols}),
        Rel("stg_payments", "payments", {c: c for c in pay_cols}),
        Rel("stg_invoices_renamed", "invoices", renamed),
    ]
    return models, rels

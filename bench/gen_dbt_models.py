"""dbt model files for the generated project: shared staging, metric definitions, decoys.

Each definition recipe writes one model in its own SQL style and states, from its own
parameters, the decision vector it computes (the ground truth). The SQL is text by nature:
these are dbt Jinja templates, the thing the audit has to read.
"""

# ruff: noqa: S608  (dbt model files are Jinja text by nature (see common rules))
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bench.gen_dbt_data import DOMAINS

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


def _pick(ctx: Ctx, options: list[list[str]], first: int = 0) -> list[str]:
    return options[first] if ctx.first_pass else ctx.rng.choice(options)


def _join(lines: list[str]) -> str:
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
        GenModel("stg_accounts", _join([f"select * from {SRC.format('raw_accounts')}"]), "shared", "staging"),
        GenModel(
            "stg_contracts",
            _join(
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
        GenModel("stg_invoices", _join([f"select * from {SRC.format('raw_invoices')}"]), "shared", "staging"),
        GenModel(
            "stg_payments",
            _join(["select", "    " + ",\n    ".join(pay_cols), f"from {SRC.format('raw_payments')}"]),
            "shared",
            "staging",
        ),
        GenModel(
            "stg_invoices_renamed",
            _join(
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
            _join([f"select * from {REF.format('stg_invoices')}", "where type = 'subscription'"]),
            "shared",
            "intermediate",
        ),
        GenModel(
            "int_active_contracts",
            _join(
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
            _join(
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
            _join(
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


# ------------------------------------------------------------------ definitions


def d_join_on(ctx: Ctx) -> GenModel:
    """Invoices; contract status filtered in the JOIN ON; several WHERE spellings."""
    r = ctx.rng
    i_status, i_type = _pick(ctx, INV_STATUS), _pick(ctx, INV_TYPE, 3)
    c_status, c_type = _pick(ctx, CON_STATUS), _pick(ctx, CON_TYPE, 1)
    cols, period = period_cols(r, "i.invoice_date", "date_trunc" if ctx.first_pass else None)
    sql = _join(
        [
            "select",
            "    " + ",\n    ".join(cols) + ",",
            "    sum(i.amount) as revenue",
            f"from {REF.format('stg_invoices')} as i",
            f"inner join {REF.format('stg_contracts')} c",
            "    on c.contract_id = i.contract_id",
            f"   and {spell(r, 'c.status', 'raw_contracts.status', c_status)}",
            f"where {spell(r, 'i.status', 'raw_invoices.status', i_status)}",
            f"  and {spell(r, 'i.type', 'raw_invoices.type', i_type)}",
            f"  and {spell(r, 'c.type', 'raw_contracts.type', c_type)}",
            "group by " + ", ".join(str(n + 1) for n in range(len(cols))),
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        {
            "raw_invoices.status": i_status,
            "raw_invoices.type": i_type,
            "raw_contracts.status": c_status,
            "raw_contracts.type": c_type,
        },
        "revenue",
        period,
        ["filter in JOIN ON", "WHERE spellings"],
    )
    return GenModel(ctx.unique("fct_revenue_monthly"), sql, "definition", "marts/finance", t)


def d_cte_semijoin_annualized(ctx: Ctx) -> GenModel:
    """Invoices; CTE chain over an upstream filtered model; IN (SELECT …) semi-join; × 12."""
    r = ctx.rng
    i_status, c_status = _pick(ctx, INV_STATUS), _pick(ctx, CON_STATUS)
    cols, period = period_cols(r, "invoice_date", "extract" if ctx.first_pass else None)
    sql = _join(
        [
            "with subs as (",
            f"    select * from {REF.format('int_subscription_invoices')}",
            "),",
            "settled as (",
            "    select invoice_date, amount, contract_id",
            "    from subs",
            f"    where {spell(r, 'status', 'raw_invoices.status', i_status)}",
            "),",
            "live as (",
            "    select *",
            "    from settled",
            "    where contract_id in (",
            f"        select contract_id from {REF.format('stg_contracts')}",
            f"        where {spell(r, 'status', 'raw_contracts.status', c_status)}",
            "    )",
            ")",
            "select",
            "    " + ",\n    ".join(cols) + ",",
            "    sum(amount) * 12 as arr",
            "from live",
            "group by " + ", ".join(str(n + 1) for n in range(len(cols))),
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(12),
        ["raw_invoices.invoice_date"],
        {"raw_invoices.type": ["subscription"], "raw_invoices.status": i_status, "raw_contracts.status": c_status},
        "arr",
        period,
        ["CTE chain", "upstream filter model", "IN (SELECT …) semi-join", "annualized × 12"],
    )
    return GenModel(ctx.unique("fct_arr_run_rate"), sql, "definition", "marts/sales", t)


def d_cash_case(ctx: Ctx) -> GenModel:
    """Payments by payment date; refunds excluded by a CASE inside the SUM (later: by invoice type too)."""
    r = ctx.rng
    cols, period = period_cols(r, "p.payment_date", "strftime" if ctx.first_pass else None)
    spelled = r.choice(["p.refunded", "p.refunded = true", "p.refunded is true"])
    filters: dict[str, list[Any]] = {"raw_payments.refunded": [False]}
    lines = [
        "select",
        "    " + ",\n    ".join(cols) + ",",
        f"    sum(case when {spelled} then 0 else p.amount end) as cash_revenue",
        f"from {SRC.format('raw_payments')} p",
    ]
    if not ctx.first_pass:
        i_type = r.choice(INV_TYPE[1:])
        filters["raw_invoices.type"] = i_type
        lines += [
            f"left join {SRC.format('raw_invoices')} i on i.invoice_id = p.invoice_id",
            f"where {spell(r, 'i.type', 'raw_invoices.type', i_type)}",
        ]
    lines.append("group by " + ", ".join(str(n + 1) for n in range(len(cols))))
    t = truth(
        "raw_payments.amount",
        Fraction(1),
        ["raw_payments.payment_date"],
        filters,
        "cash_revenue",
        period,
        ["CASE-based measure", "cash basis"] + ([] if ctx.first_pass else ["LEFT JOIN filtered in WHERE"]),
    )
    return GenModel(ctx.unique("fct_marketing_revenue"), _join(lines), "definition", "marts/growth", t)


def d_cash_filter_using(ctx: Ctx) -> GenModel:
    """Payments; SUM(...) FILTER (WHERE NOT refunded); invoice type via JOIN USING."""
    r = ctx.rng
    i_type = ["subscription"] if ctx.first_pass else _pick(ctx, INV_TYPE)
    cols, period = period_cols(r, "pay.payment_date", "date_trunc_cast" if ctx.first_pass else None)
    not_refunded = spell(r, "pay.refunded", "raw_payments.refunded", [False])
    sql = _join(
        [
            "select",
            "    " + ",\n    ".join(cols) + ",",
            f"    sum(pay.amount) filter (where {not_refunded}) as collected",
            f"from {REF.format('stg_payments')} pay",
            f"join {REF.format('stg_invoices')} inv using (invoice_id)",
            f"where {spell(r, 'inv.type', 'raw_invoices.type', i_type)}",
            "group by " + ", ".join(str(n + 1) for n in range(len(cols))),
        ]
    )
    t = truth(
        "raw_payments.amount",
        Fraction(1),
        ["raw_payments.payment_date"],
        {"raw_payments.refunded": [False], "raw_invoices.type": i_type},
        "collected",
        period,
        ["FILTER (WHERE …) measure", "JOIN USING"],
    )
    return GenModel(ctx.unique("fct_cash_collected"), sql, "definition", "marts/growth", t)


def d_contract_spine_slice(ctx: Ctx) -> GenModel:
    """Contracts over a month calendar (validity range); ÷ 12; NOT is_pilot flag; enterprise slice."""
    r = ctx.rng
    c_status = _pick(ctx, CON_STATUS)
    segment = ["enterprise"] if ctx.first_pass else [r.choice(DOMAINS["raw_accounts.segment"])]
    sql = _join(
        [
            "with months as (",
            f"    select month_start from {REF.format('util_months')}",
            "),",
            "contracts as (",
            f"    select * from {REF.format('stg_contracts')}",
            f"    where not is_pilot and {spell(r, 'status', 'raw_contracts.status', c_status)}",
            "),",
            "accounts as (",
            f"    select account_id from {REF.format('stg_accounts')} where segment = {lit(segment[0])}",
            ")",
            "select",
            "    m.month_start as month,",
            "    sum(k.annual_value / 12) as mrr",
            "from contracts k",
            "join accounts a on a.account_id = k.account_id",
            "join months m",
            "  on k.start_date < m.month_start + interval 1 month",
            " and k.end_date >= m.month_start",
            "group by 1",
        ]
    )
    t = truth(
        "raw_contracts.annual_value",
        Fraction(1, 12),
        ["raw_contracts.start_date", "raw_contracts.end_date"],
        {"raw_contracts.status": c_status, "raw_contracts.type": ["one-time", "recurring"]},
        "mrr",
        {"kind": "date", "column": "month"},
        ["validity range over a generated calendar", "÷ 12", "boolean flag derived upstream", "dimension slice"],
        slices={"raw_accounts.segment": segment},
    )
    return GenModel(ctx.unique("fct_arr_by_account"), sql, "definition", "marts/sales", t)


def d_contract_between_segments(ctx: Ctx) -> GenModel:
    """Contracts, ARR (annual value as is), BETWEEN on the calendar, NOT IN status, by segment."""
    r = ctx.rng
    c_status = _pick(ctx, CON_STATUS)
    c_type = _pick(ctx, CON_TYPE)
    sql = _join(
        [
            "select",
            "    cal.month_start as period_month,",
            "    acct.segment,",
            "    sum(ct.annual_value) as arr",
            f"from {SRC.format('raw_contracts')} ct",
            f"join {REF.format('util_months')} cal",
            "  on cal.month_start between date_trunc('month', ct.start_date) and ct.end_date",
            f"join {SRC.format('raw_accounts')} acct on acct.account_id = ct.account_id",
            f"where {spell(r, 'ct.status', 'raw_contracts.status', c_status)}",
            f"  and {spell(r, 'ct.type', 'raw_contracts.type', c_type)}",
            "group by 1, 2",
        ]
    )
    t = truth(
        "raw_contracts.annual_value",
        Fraction(1),
        ["raw_contracts.start_date", "raw_contracts.end_date"],
        {"raw_contracts.status": c_status, "raw_contracts.type": c_type},
        "arr",
        {"kind": "date", "column": "period_month"},
        ["validity range with BETWEEN", "grouped by a dimension"],
        dimensions=["segment"],
    )
    return GenModel(ctx.unique("fct_arr_by_segment"), sql, "definition", "marts/sales", t)


def d_anti_exists(ctx: Ctx) -> GenModel:
    """Invoices; NOT IN anti-join on pilots; EXISTS a non-refunded payment."""
    r = ctx.rng
    i_status = _pick(ctx, INV_STATUS)
    cols, period = period_cols(r, "inv.invoice_date", "strftime" if ctx.first_pass else None)
    alias = period.get("column") or period["year"]
    filters: dict[str, list[Any]] = {
        "raw_contracts.type": ["one-time", "recurring"],
        "raw_payments.refunded": [False],
        "raw_invoices.status": i_status,
    }
    extra = []
    if not ctx.first_pass:
        filters["raw_invoices.type"] = r.choice(INV_TYPE)
        extra.append(f"  and {spell(r, 'inv.type', 'raw_invoices.type', filters['raw_invoices.type'])}")
    group = "group by " + (alias if period["kind"] != "year_month" else f"{period['year']}, {period['month']}")
    sql = _join(
        [
            "select",
            "    " + ",\n    ".join(cols) + ",",
            "    sum(inv.amount) as booked",
            f"from {REF.format('stg_invoices')} inv",
            "where inv.contract_id not in (",
            f"    select contract_id from {SRC.format('raw_contracts')} where type = 'pilot'",
            ")",
            "  and exists (",
            f"    select 1 from {REF.format('stg_payments')} p",
            f"    where p.invoice_id = inv.invoice_id and {spell(r, 'p.refunded', 'raw_payments.refunded', [False])}",
            ")",
            f"  and {spell(r, 'inv.status', 'raw_invoices.status', i_status)}",
            *extra,
            group,
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        filters,
        "booked",
        period,
        ["NOT IN anti-join", "EXISTS semi-join", "GROUP BY alias"],
    )
    return GenModel(ctx.unique("rpt_collected_bookings"), sql, "definition", "reports", t)


def d_renamed_case(ctx: Ctx) -> GenModel:
    """Invoices through a rename-only model; CASE with AND inside the SUM; slice via semi-join."""
    r = ctx.rng
    i_type = _pick(ctx, INV_TYPE)
    i_status = _pick(ctx, INV_STATUS)
    segment = ["enterprise"] if ctx.first_pass else [r.choice(DOMAINS["raw_accounts.segment"])]
    cols, period = period_cols(r, "r.billed_on", "date_trunc_cast" if ctx.first_pass else None)
    cond = (
        f"{spell(r, 'r.invoice_kind', 'raw_invoices.type', i_type)} "
        f"and {spell(r, 'r.invoice_state', 'raw_invoices.status', i_status)}"
    )
    sql = _join(
        [
            "select",
            "    " + ",\n    ".join(cols) + ",",
            f"    sum(case when {cond} then r.invoice_amount else 0 end) as subscription_revenue",
            f"from {REF.format('stg_invoices_renamed')} r",
            "where r.customer_id in (",
            f"    select account_id from {REF.format('stg_accounts')} where segment = {lit(segment[0])}",
            ")",
            "group by " + ", ".join(str(n + 1) for n in range(len(cols))),
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        {"raw_invoices.type": i_type, "raw_invoices.status": i_status},
        "subscription_revenue",
        period,
        ["rename-only upstream model", "CASE with AND", "slice through a semi-join"],
        slices={"raw_accounts.segment": segment},
    )
    return GenModel(ctx.unique("mart_enterprise_revenue"), sql, "definition", "marts/finance", t)


def d_jinja_loop(ctx: Ctx) -> GenModel:
    """Invoices; the admitted types come from a Jinja list and loop; != and OR spellings."""
    r = ctx.rng
    i_type = _pick(ctx, INV_TYPE, 1)
    c_status = ["active", "churned"] if ctx.first_pass else _pick(ctx, CON_STATUS)
    cols, period = period_cols(r, "invoice_date", "date_trunc" if ctx.first_pass else None)
    quoted = ", ".join(lit(v) for v in i_type)
    sql = (
        CONFIG_VIEW
        + f"{{% set revenue_types = [{quoted}] %}}\n"
        + "\n".join(
            [
                "select",
                "    " + ",\n    ".join(cols) + ",",
                "    sum(i.amount) as billings",
                f"from {REF.format('stg_invoices')} i",
                f"join {REF.format('stg_contracts')} c on i.contract_id = c.contract_id",
                "where i.type in (",
                "    {%- for t in revenue_types %}",
                "    '{{ t }}'{% if not loop.last %},{% endif %}",
                "    {%- endfor %}",
                ")",
                "  and i.status != 'void'",
                f"  and {spell(r, 'c.status', 'raw_contracts.status', c_status)}",
                "group by " + ", ".join(str(n + 1) for n in range(len(cols))),
            ]
        )
        + "\n"
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        {"raw_invoices.type": i_type, "raw_invoices.status": ["paid", "pending"], "raw_contracts.status": c_status},
        "billings",
        period,
        ["Jinja loop", "!= spelling"],
    )
    return GenModel(ctx.unique("fct_billings"), sql, "definition", "marts/finance", t)


def d_upstream_monthly_value(ctx: Ctx) -> GenModel:
    """Contract months from an upstream model that computes annual/12 and joins the calendar."""
    r = ctx.rng
    c_type, c_status = _pick(ctx, CON_TYPE), _pick(ctx, CON_STATUS)
    sql = _join(
        [
            "select",
            "    month_start as month,",
            "    sum(monthly_value) as contracted_mrr",
            f"from {REF.format('int_contract_months')}",
            f"where {spell(r, 'type', 'raw_contracts.type', c_type)}",
            f"  and {spell(r, 'status', 'raw_contracts.status', c_status)}",
            "group by month_start",
        ]
    )
    t = truth(
        "raw_contracts.annual_value",
        Fraction(1, 12),
        ["raw_contracts.start_date", "raw_contracts.end_date"],
        {"raw_contracts.type": c_type, "raw_contracts.status": c_status},
        "contracted_mrr",
        {"kind": "date", "column": "month"},
        ["scale and calendar computed upstream"],
    )
    return GenModel(ctx.unique("fct_contracted_mrr"), sql, "definition", "marts/sales", t)


def d_having(ctx: Ctx) -> GenModel:
    """Invoices joined to an upstream active-contracts model; the type filter sits in HAVING."""
    r = ctx.rng
    i_status = _pick(ctx, INV_STATUS)
    single = "subscription" if ctx.first_pass else r.choice(["subscription", "services"])
    cols, period = period_cols(r, "i.invoice_date", "extract" if ctx.first_pass else None)
    keys = ", ".join(str(n + 1) for n in range(len(cols)))
    sql = _join(
        [
            "select",
            "    " + ",\n    ".join(cols) + ",",
            "    sum(i.amount) as recognized_revenue",
            f"from {REF.format('stg_invoices')} i",
            f"join {REF.format('int_active_contracts')} ac on ac.contract_id = i.contract_id",
            f"where {spell(r, 'i.status', 'raw_invoices.status', i_status)}",
            f"group by {keys}, i.type",
            f"having i.type = {lit(single)}",
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        {"raw_invoices.status": i_status, "raw_invoices.type": [single], "raw_contracts.status": ["active"]},
        "recognized_revenue",
        period,
        ["HAVING on a grouping key", "upstream filter model joined"],
    )
    return GenModel(ctx.unique("fct_recognized_revenue"), sql, "definition", "marts/finance", t)


def d_derived_table_quoted(ctx: Ctx) -> GenModel:
    """Invoices with credits as negative rows; a derived table with quoted identifiers."""
    r = ctx.rng
    i_type = (
        ["credit", "subscription"]
        if ctx.first_pass
        else r.choice([["credit", "subscription"], ["credit", "setup", "subscription"]])
    )
    i_status = _pick(ctx, INV_STATUS)
    quoted_status = '"status"'
    sql = _join(
        [
            'select "period", sum("net_amount") as net_revenue',
            "from (",
            "    select",
            "        strftime(invoice_date, '%Y-%m') as \"period\",",
            '        amount as "net_amount"',
            f"    from {SRC.format('raw_invoices')}",
            f"    where {spell(r, 'type', 'raw_invoices.type', i_type)}",
            f"      and {spell(r, quoted_status, 'raw_invoices.status', i_status)}",
            ") as t",
            'group by "period"',
        ]
    )
    t = truth(
        "raw_invoices.amount",
        Fraction(1),
        ["raw_invoices.invoice_date"],
        {"raw_invoices.type": i_type, "raw_invoices.status": i_status},
        "net_revenue",
        {"kind": "text", "column": "period", "format": "%Y-%m"},
        ["derived table", "quoted identifiers", "credits as negative rows"],
    )
    return GenModel(ctx.unique("fct_net_revenue"), sql, "definition", "marts/finance", t)


RECIPES: list[Callable[[Ctx], GenModel]] = [
    d_join_on,
    d_contract_spine_slice,
    d_cash_case,
    d_cte_semijoin_annualized,
    d_anti_exists,
    d_renamed_case,
    d_jinja_loop,
    d_cash_filter_using,
    d_contract_between_segments,
    d_upstream_monthly_value,
    d_having,
    d_derived_table_quoted,
]

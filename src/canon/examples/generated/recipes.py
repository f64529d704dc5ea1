"""Metric-definition recipes: one model each, in its own SQL style, with its ground truth.

The first pass over the recipes uses fixed choices so the small variant (12 definitions)
covers every feature; later passes draw admitted sets, spellings and time bases at random.
"""

# ruff: noqa: S608  (dbt model files are Jinja text by nature (see common rules))
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from canon.examples.generated.data import DOMAINS
from canon.examples.generated.models import (
    CON_STATUS,
    CON_TYPE,
    CONFIG_VIEW,
    INV_STATUS,
    INV_TYPE,
    REF,
    SRC,
    Ctx,
    GenModel,
    join_lines,
    lit,
    period_cols,
    pick,
    spell,
    truth,
)

# ------------------------------------------------------------------ definitions


def d_join_on(ctx: Ctx) -> GenModel:
    """Invoices; contract status filtered in the JOIN ON; several WHERE spellings."""
    r = ctx.rng
    i_status, i_type = pick(ctx, INV_STATUS), pick(ctx, INV_TYPE, 3)
    c_status, c_type = pick(ctx, CON_STATUS), pick(ctx, CON_TYPE, 1)
    cols, period = period_cols(r, "i.invoice_date", "date_trunc" if ctx.first_pass else None)
    sql = join_lines(
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
    i_status, c_status = pick(ctx, INV_STATUS), pick(ctx, CON_STATUS)
    cols, period = period_cols(r, "invoice_date", "extract" if ctx.first_pass else None)
    sql = join_lines(
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
    return GenModel(ctx.unique("fct_marketing_revenue"), join_lines(lines), "definition", "marts/growth", t)


def d_cash_filter_using(ctx: Ctx) -> GenModel:
    """Payments; SUM(...) FILTER (WHERE NOT refunded); invoice type via JOIN USING."""
    r = ctx.rng
    i_type = ["subscription"] if ctx.first_pass else pick(ctx, INV_TYPE)
    cols, period = period_cols(r, "pay.payment_date", "date_trunc_cast" if ctx.first_pass else None)
    not_refunded = spell(r, "pay.refunded", "raw_payments.refunded", [False])
    sql = join_lines(
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
    c_status = pick(ctx, CON_STATUS)
    segment = ["enterprise"] if ctx.first_pass else [r.choice(DOMAINS["raw_accounts.segment"])]
    sql = join_lines(
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
    c_status = pick(ctx, CON_STATUS)
    c_type = pick(ctx, CON_TYPE)
    sql = join_lines(
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
    i_status = pick(ctx, INV_STATUS)
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
    sql = join_lines(
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
    i_type = pick(ctx, INV_TYPE)
    i_status = pick(ctx, INV_STATUS)
    segment = ["enterprise"] if ctx.first_pass else [r.choice(DOMAINS["raw_accounts.segment"])]
    cols, period = period_cols(r, "r.billed_on", "date_trunc_cast" if ctx.first_pass else None)
    cond = (
        f"{spell(r, 'r.invoice_kind', 'raw_invoices.type', i_type)} "
        f"and {spell(r, 'r.invoice_state', 'raw_invoices.status', i_status)}"
    )
    sql = join_lines(
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
    i_type = pick(ctx, INV_TYPE, 1)
    c_status = ["active", "churned"] if ctx.first_pass else pick(ctx, CON_STATUS)
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
    c_type, c_status = pick(ctx, CON_TYPE), pick(ctx, CON_STATUS)
    sql = join_lines(
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
    i_status = pick(ctx, INV_STATUS)
    single = "subscription" if ctx.first_pass else r.choice(["subscription", "services"])
    cols, period = period_cols(r, "i.invoice_date", "extract" if ctx.first_pass else None)
    keys = ", ".join(str(n + 1) for n in range(len(cols)))
    sql = join_lines(
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
    i_status = pick(ctx, INV_STATUS)
    quoted_status = '"status"'
    sql = join_lines(
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

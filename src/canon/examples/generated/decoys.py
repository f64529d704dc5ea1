"""Decoy models: everything in a real project that is NOT a definition of the money metric.

Pass-throughs (`SELECT *`), rename-only models, models that filter but do not aggregate,
COUNT(*) / COUNT(DISTINCT id) models, aggregates of dates, durations and flags. They chain
onto each other (lineage depth, like a real project) and some carry revenue-sounding names,
because a name must never decide whether a model defines the metric. Built as sqlglot trees
with `ref()` placeholders and rendered as dbt model text (`canon.dbt.model_sql`).
"""

from __future__ import annotations

from sqlglot import exp

from canon.dbt.model_sql import model_sql, ref_table
from canon.examples.generated.data import DOMAINS
from canon.examples.generated.models import CONFIG_VIEW, DIALECT, Ctx, GenModel, Rel, spell

DATE_OF = {"invoices": "invoice_date", "contracts": "start_date", "payments": "payment_date"}
FILTERABLE = {
    "invoices": ["type", "status"],
    "contracts": ["type", "status"],
    "payments": ["refunded"],
    "accounts": ["segment", "industry"],
}
RAW = {"invoices": "raw_invoices", "contracts": "raw_contracts", "payments": "raw_payments", "accounts": "raw_accounts"}
TOPICS = {
    "invoices": ["invoices", "billing", "revenue", "invoice_activity", "mrr_activity"],
    "contracts": ["contracts", "bookings", "arr_pipeline", "renewals", "commitments"],
    "payments": ["payments", "cash", "collections", "revenue_events"],
    "accounts": ["accounts", "customers", "segments", "firmographics"],
}
ROW_PREFIX = ["stg", "int", "base", "prep"]
AGG_PREFIX = ["fct", "rpt", "mart", "agg"]
FOLDERS = ["staging/generated", "intermediate/generated", "marts/finance", "marts/sales", "marts/growth", "reports"]
KINDS = [
    ("passthrough", 20),
    ("rename", 12),
    ("filter_only", 15),
    ("count", 15),
    ("count_distinct", 12),
    ("non_money_aggregate", 10),
    ("flag_sum", 6),
    ("last_date", 6),
    ("joined_count", 4),
]


def decoy(ctx: Ctx, rels: list[Rel], accounts: Rel) -> tuple[GenModel, Rel | None]:
    """One decoy model, and the row-level relation it adds for later decoys (if any)."""
    r = ctx.rng
    kind = r.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    if kind == "flag_sum":
        candidates = [x for x in rels if x.family == "payments"]
    elif kind in ("count", "count_distinct", "last_date", "joined_count"):
        candidates = [x for x in rels if x.family in DATE_OF]
    elif kind == "non_money_aggregate":
        candidates = [x for x in rels if x.family in ("contracts", "invoices")]
    else:
        candidates = rels
    rel = r.choice(candidates)
    c = rel.cols
    topic = r.choice(TOPICS[rel.family])
    folder = r.choice(FOLDERS)
    src = ref_table(rel.name)

    if kind in ("passthrough", "rename", "filter_only"):
        name = ctx.unique(f"{r.choice(ROW_PREFIX)}_{topic}")
        if kind == "passthrough":
            query = exp.select("*").from_(src)
            new = Rel(name, rel.family, dict(c))
        elif kind == "rename":
            chosen = set(r.sample(sorted(c), k=min(len(c), r.randint(1, 3))))
            suffix = r.choice(["src", "orig", "v2", "raw"])
            cols = {k: (f"{v}_{suffix}" if k in chosen else v) for k, v in c.items()}
            query = exp.select(*(col(c[k]).as_(cols[k]) if k in chosen else col(c[k]) for k in sorted(c))).from_(src)
            new = Rel(name, rel.family, cols)
        else:
            logical = r.choice(FILTERABLE[rel.family])
            ref = f"{RAW[rel.family]}.{logical}"
            domain = DOMAINS[ref]
            admitted = r.sample(domain, k=r.randint(1, len(domain) - 1))
            # `spell` writes the condition as a person might (IN, OR, NOT IN); parsed here, never pasted
            query = (
                exp.select("*").from_(src).where(exp.condition(spell(r, c[logical], ref, admitted), dialect=DIALECT))
            )
            new = Rel(name, rel.family, dict(c))
        return GenModel(name, CONFIG_VIEW + model_sql(query, DIALECT) + "\n", kind, folder), new

    name = ctx.unique(
        f"{r.choice(AGG_PREFIX)}_{topic}_{r.choice(['monthly', 'summary', 'stats', 'daily', 'by_month'])}"
    )
    day = col(c.get(DATE_OF.get(rel.family, ""), ""))
    month = exp.DateTrunc(unit=exp.Literal.string("month"), this=day).as_("month")
    by_first = exp.Literal.number(1)
    if kind == "count":
        query = exp.select(month, exp.Count(this=exp.Star()).as_(f"n_{rel.family}")).from_(src).group_by(by_first)
    elif kind == "count_distinct":
        distinct = exp.Count(this=exp.Distinct(expressions=[col(c["account_id"])]))
        query = exp.select(month, distinct.as_("active_customers")).from_(src).group_by(by_first)
    elif kind == "non_money_aggregate":
        if rel.family == "contracts":
            term = exp.DateDiff(this=col(c["end_date"]), expression=col(c["start_date"]), unit=exp.var("DAY"))
            query = exp.select(
                col(c["type"]).as_("contract_type"),
                exp.Avg(this=term).as_("avg_term_days"),
                exp.Min(this=col(c["start_date"])).as_("first_start"),
            )
        else:
            query = exp.select(
                col(c["status"]).as_("invoice_status"),
                exp.Count(this=exp.Star()).as_("n"),
                exp.Max(this=col(c["invoice_date"])).as_("latest"),
            )
        query = query.from_(src).group_by(by_first)
    elif kind == "flag_sum":
        refund = exp.If(this=col(c["refunded"]), true=exp.Literal.number(1))
        refunds = exp.Sum(this=exp.Case(ifs=[refund], default=exp.Literal.number(0)))
        query = (
            exp.select(month, refunds.as_("refunds"), exp.Count(this=exp.Star()).as_("payments"))
            .from_(src)
            .group_by(by_first)
        )
    elif kind == "last_date":
        query = (
            exp.select(col(c["account_id"]).as_("account_id"), exp.Max(this=day).as_("last_activity"))
            .from_(src)
            .group_by(by_first)
        )
    else:
        on = exp.EQ(this=col("account_id", "a"), expression=col(c["account_id"], "x"))
        query = (
            exp.select(col("segment", "a"), exp.Count(this=exp.Star()).as_(f"n_{rel.family}"))
            .from_(ref_table(rel.name, "x"))
            .join(ref_table(accounts.name, "a"), on=on)
            .group_by(by_first)
        )
    return GenModel(name, CONFIG_VIEW + model_sql(query, DIALECT) + "\n", kind, folder), None


def col(name: str, table: str | None = None) -> exp.Column:
    """An unquoted column, as a person types it."""
    return exp.column(name, table=table)

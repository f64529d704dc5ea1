"""Decoy models: everything in a real project that is NOT a definition of the money metric.

Pass-throughs (`SELECT *`), rename-only models, models that filter but do not aggregate,
COUNT(*) / COUNT(DISTINCT id) models, aggregates of dates, durations and flags. They chain
onto each other (lineage depth, like a real project) and some carry revenue-sounding names,
because a name must never decide whether a model defines the metric.
"""

# ruff: noqa: S608  (dbt model files are Jinja text by nature (see common rules))
from __future__ import annotations

from canon.examples.generated.data import DOMAINS
from canon.examples.generated.models import CONFIG_VIEW, Ctx, GenModel, Rel, spell

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
    src = rel.ref

    if kind in ("passthrough", "rename", "filter_only"):
        name = ctx.unique(f"{r.choice(ROW_PREFIX)}_{topic}")
        if kind == "passthrough":
            sql = f"select * from {src}"
            new = Rel(name, rel.family, dict(c))
        elif kind == "rename":
            chosen = set(r.sample(sorted(c), k=min(len(c), r.randint(1, 3))))
            suffix = r.choice(["src", "orig", "v2", "raw"])
            cols = {k: (f"{v}_{suffix}" if k in chosen else v) for k, v in c.items()}
            sql = (
                "select\n    "
                + ",\n    ".join(f"{c[k]} as {cols[k]}" if k in chosen else c[k] for k in sorted(c))
                + f"\nfrom {src}"
            )
            new = Rel(name, rel.family, cols)
        else:
            logical = r.choice(FILTERABLE[rel.family])
            ref = f"{RAW[rel.family]}.{logical}"
            domain = DOMAINS[ref]
            admitted = r.sample(domain, k=r.randint(1, len(domain) - 1))
            sql = f"select *\nfrom {src}\nwhere {spell(r, c[logical], ref, admitted)}"
            new = Rel(name, rel.family, dict(c))
        return GenModel(name, CONFIG_VIEW + sql + "\n", kind, folder), new

    name = ctx.unique(
        f"{r.choice(AGG_PREFIX)}_{topic}_{r.choice(['monthly', 'summary', 'stats', 'daily', 'by_month'])}"
    )
    day = c.get(DATE_OF.get(rel.family, ""), "")
    month = f"date_trunc('month', {day})"
    if kind == "count":
        sql = f"select {month} as month, count(*) as n_{rel.family}\nfrom {src}\ngroup by 1"
    elif kind == "count_distinct":
        sql = f"select {month} as month, count(distinct {c['account_id']}) as active_customers\nfrom {src}\ngroup by 1"
    elif kind == "non_money_aggregate":
        if rel.family == "contracts":
            sql = (
                f"select {c['type']} as contract_type,\n"
                f"    avg(date_diff('day', {c['start_date']}, {c['end_date']})) as avg_term_days,\n"
                f"    min({c['start_date']}) as first_start\nfrom {src}\ngroup by 1"
            )
        else:
            sql = (
                f"select {c['status']} as invoice_status, count(*) as n, max({c['invoice_date']}) as latest\n"
                f"from {src}\ngroup by 1"
            )
    elif kind == "flag_sum":
        sql = (
            f"select {month} as month,\n"
            f"    sum(case when {c['refunded']} then 1 else 0 end) as refunds,\n"
            f"    count(*) as payments\nfrom {src}\ngroup by 1"
        )
    elif kind == "last_date":
        sql = f"select {c['account_id']} as account_id, max({day}) as last_activity\nfrom {src}\ngroup by 1"
    else:
        sql = (
            f"select a.segment, count(*) as n_{rel.family}\nfrom {src} x\n"
            f"join {accounts.ref} a on a.account_id = x.{c['account_id']}\ngroup by 1"
        )
    return GenModel(name, CONFIG_VIEW + sql + "\n", kind, folder), None

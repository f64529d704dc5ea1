"""The story in git: who added which line of which model, when, and why (or why not).

The final files (templates) are the truth. Earlier versions are derived by *undoing* edits:
each decision line of a team model is tagged with the commit that introduced it, so every
intermediate version is valid SQL and each decision line reaches HEAD unchanged, which is what
`git blame` and `git log -L` need to attribute it. Commit times are month offsets from the
first month of the data window, so the whole history moves with `--current-period`.
"""

from __future__ import annotations

from dataclasses import dataclass

from canon.examples.acme.calendar import CURRENT


@dataclass(frozen=True)
class Author:
    name: str
    email: str


DATA_LEAD = Author("Sam Ortiz", "sam.ortiz@acme-analytics.example")
FINANCE_ENGINEER = Author("Priya Raman", "priya.raman@acme-analytics.example")
REVOPS_CONTRACTOR = Author("Dave Kowalski", "dave@kowalski-revops.example")
GROWTH_ENGINEER = Author("Jordan Lee", "jordan.lee@acme-analytics.example")

FINANCE = "models/marts/fct_revenue_monthly.sql"
SALES = "models/marts/fct_arr_by_account.sql"
MARKETING = "models/marts/fct_marketing_revenue.sql"
STAGING = (
    "models/staging/stg_accounts.sql",
    "models/staging/stg_contracts.sql",
    "models/staging/stg_invoices.sql",
    "models/staging/stg_payments.sql",
    "models/staging/stg_models.yml",
)
SEED_FILES = tuple(f"seeds/{name}.csv" for name in ("raw_accounts", "raw_contracts", "raw_invoices", "raw_payments"))
QUERY_LOG = "logs/query_log.csv"
# The movement and retention contracts over the canonical MRR (issue 14): metrics, not models,
# so the audit of mrr still finds exactly the three team definitions.
MOVEMENT_FILES = tuple(
    f"metrics/{name}.yml"
    for name in ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr", "nrr", "grr")
)


@dataclass(frozen=True)
class Commit:
    """One commit: when (month offset, day, HH:MM), who, why, and which files it writes."""

    key: str
    month: int
    day: int
    time: str
    author: Author
    message: str
    files: tuple[str, ...]
    as_of_month: int | None = None  # seeds / query log: an export cut at the end of this month


@dataclass(frozen=True)
class Line:
    """A line of a final file that commit `step` introduced (before=None) or rewrote (before=old text)."""

    step: str
    text: str  # the final line, stripped; must be unique in its file
    before: str | None = None


@dataclass(frozen=True)
class Block:
    """Lines `first`..`last` (and the blank line above them) introduced together by commit `step`."""

    step: str
    first: str
    last: str


PILOT_COMMIT_MESSAGE = "per Mike's request"
C = CURRENT

COMMITS: tuple[Commit, ...] = (
    Commit(
        "scaffold",
        -1,
        1,
        "10:12",
        DATA_LEAD,
        "DATA-1: scaffold the ACME dbt project on DuckDB",
        ("dbt_project.yml", "profiles.yml", ".gitignore", "README.md"),
    ),
    Commit(
        "sources",
        -1,
        8,
        "15:40",
        DATA_LEAD,
        "DATA-3: declare the billing, Salesforce and Stripe exports as sources",
        ("models/staging/src_acme.yml",),
    ),
    Commit(
        "staging",
        -1,
        15,
        "11:05",
        DATA_LEAD,
        "DATA-4: staging models for accounts, contracts, invoices and payments",
        STAGING,
    ),
    Commit(
        "seeds-1",
        1,
        3,
        "09:30",
        DATA_LEAD,
        "DATA-6: load the raw exports as seeds (data through May)",
        SEED_FILES,
        as_of_month=0,
    ),
    Commit(
        "FIN-118",
        1,
        10,
        "14:20",
        FINANCE_ENGINEER,
        "FIN-118: finance revenue model on billing invoices\n\nFirst cut for the finance dashboard: "
        "subscription invoices by segment.",
        (FINANCE,),
    ),
    Commit(
        "FIN-121",
        1,
        17,
        "16:45",
        FINANCE_ENGINEER,
        "FIN-121: report revenue by invoice month to match the GL close",
        (FINANCE,),
    ),
    Commit(
        "FIN-127",
        2,
        8,
        "10:15",
        FINANCE_ENGINEER,
        "FIN-127: include onboarding setup fees in revenue",
        (FINANCE,),
    ),
    Commit(
        "REVOPS-7",
        2,
        22,
        "13:50",
        REVOPS_CONTRACTOR,
        "REVOPS-7: ARR by account from Salesforce contracts",
        (SALES,),
    ),
    Commit(
        "REVOPS-9",
        2,
        29,
        "11:30",
        REVOPS_CONTRACTOR,
        "REVOPS-9: monthly ARR history from contract start and end dates",
        (SALES,),
    ),
    Commit(
        "FIN-133",
        3,
        12,
        "09:40",
        FINANCE_ENGINEER,
        "FIN-133: exclude voided invoices from revenue",
        (FINANCE,),
    ),
    Commit(
        "REVOPS-14",
        3,
        19,
        "17:05",
        REVOPS_CONTRACTOR,
        "REVOPS-14: count only active contracts in ARR (drop churned and pending)",
        (SALES,),
    ),
    Commit(
        "GROWTH-38",
        4,
        4,
        "10:00",
        GROWTH_ENGINEER,
        "GROWTH-38: cash revenue model for the paid-acquisition payback analysis",
        (MARKETING,),
    ),
    Commit(
        "GROWTH-41",
        4,
        9,
        "15:25",
        GROWTH_ENGINEER,
        "GROWTH-41: group revenue by payment month (cash basis, matches Stripe payouts)",
        (MARKETING,),
    ),
    Commit(
        "REVOPS-22",
        4,
        23,
        "12:10",
        REVOPS_CONTRACTOR,
        "REVOPS-22: count mid-month upgrades (expansion) for the whole month",
        (SALES,),
    ),
    Commit(
        "FIN-142",
        5,
        7,
        "14:35",
        FINANCE_ENGINEER,
        "FIN-142: book credits and adjustments as negative revenue rows",
        (FINANCE,),
    ),
    Commit(
        "GROWTH-57",
        5,
        14,
        "11:20",
        GROWTH_ENGINEER,
        "GROWTH-57: report revenue net of Stripe refunds",
        (MARKETING,),
    ),
    Commit(
        "exposures",
        6,
        5,
        "10:45",
        DATA_LEAD,
        "DATA-14: dbt exposures for the board deck, finance, sales and growth dashboards",
        ("models/exposures.yml",),
    ),
    Commit("pilots", 6, 18, "18:02", REVOPS_CONTRACTOR, PILOT_COMMIT_MESSAGE, (SALES,)),
    Commit(
        "seeds-2",
        7,
        2,
        "09:15",
        DATA_LEAD,
        "DATA-19: refresh the raw exports through November",
        SEED_FILES,
        as_of_month=6,
    ),
    Commit(
        "GROWTH-63",
        8,
        13,
        "16:30",
        GROWTH_ENGINEER,
        "GROWTH-63: count professional-services and onboarding payments as revenue",
        (MARKETING,),
    ),
    Commit(
        "seeds-3",
        11,
        3,
        "10:05",
        DATA_LEAD,
        "DATA-27: refresh the raw exports through March",
        SEED_FILES,
        as_of_month=10,
    ),
    Commit(
        "querylog-1",
        13,
        6,
        "11:40",
        DATA_LEAD,
        "DATA-31: export the BI query log for usage analysis",
        (QUERY_LOG,),
        as_of_month=12,
    ),
    Commit(
        "seeds-4",
        15,
        2,
        "09:50",
        DATA_LEAD,
        "DATA-36: refresh the raw exports through July",
        SEED_FILES,
        as_of_month=14,
    ),
    Commit(
        "seeds-5",
        C,
        31,
        "16:20",
        FINANCE_ENGINEER,
        "FIN-171: refresh the billing exports for the October close",
        SEED_FILES,
    ),
    Commit("querylog-2", C, 31, "16:45", DATA_LEAD, "DATA-42: refresh the BI query log export", (QUERY_LOG,)),
    Commit(
        "canon",
        C,
        31,
        "17:30",
        DATA_LEAD,
        "DATA-45: draft the canonical MRR contract for the board (canon project config)",
        ("canon.yml", "metrics/mrr.yml"),
    ),
    Commit(
        "movements",
        C,
        31,
        "17:50",
        DATA_LEAD,
        "DATA-46: MRR movements, NRR and GRR as contracts over the canonical MRR",
        MOVEMENT_FILES,
    ),
)

# Which commit introduced which line of the three team models. Everything not listed here
# arrived with the file's first commit.
EDITS: dict[str, tuple[Line | Block, ...]] = {
    FINANCE: (
        Line("FIN-121", "cast(date_trunc('month', invoices.invoice_date) as date) as revenue_month,"),
        Line("FIN-127", "or invoices.is_setup"),
        Line("FIN-133", "and invoices.status != 'void'"),
        Line("FIN-142", "or invoices.is_credit"),
    ),
    SALES: (
        Line("REVOPS-9", "),", before=")"),
        Block("REVOPS-9", "month_spine as (", ")"),
        Line("REVOPS-9", "month_spine.month_start as arr_month,"),
        Line("REVOPS-9", "from month_spine", before="from contracts"),
        Line("REVOPS-9", "inner join contracts"),
        Line("REVOPS-9", "on contracts.start_date <= month_spine.month_end"),
        Line(
            "REVOPS-22",
            "on contracts.start_date <= month_spine.month_end",
            before="    on contracts.start_date <= month_spine.month_start",
        ),
        Line("REVOPS-9", "and contracts.end_date >= month_spine.month_start"),
        Line("REVOPS-14", "where contracts.is_active"),
        Line("pilots", "and not contracts.is_pilot"),
    ),
    MARKETING: (
        Line("GROWTH-41", "cast(date_trunc('month', payments.payment_date) as date) as payment_month,"),
        Line("GROWTH-57", "sum(payments.net_amount) as revenue", before="    sum(payments.amount) as revenue"),
        Line("GROWTH-63", "or invoices.is_setup"),
    ),
}

_ORDER = {commit.key: index for index, commit in enumerate(COMMITS)}


def version_at(path: str, final: str, commit_key: str) -> str:
    """The text of `path` right after commit `commit_key`, derived from its final text."""
    edits = EDITS.get(path, ())
    now = _ORDER[commit_key]
    lines = final.split("\n")
    shown: list[str | None] = list(lines)
    for edit in sorted(edits, key=lambda e: _ORDER[e.step], reverse=True):  # undo the latest first
        if _ORDER[edit.step] <= now:
            continue
        if isinstance(edit, Line):
            shown[_find(lines, edit.text, path)] = edit.before
        else:
            first = _find(lines, edit.first, path)
            last = next(i for i in range(first, len(lines)) if lines[i].strip() == edit.last)
            for index in range(first - 1 if first and not lines[first - 1].strip() else first, last + 1):
                shown[index] = None
    return "\n".join(line for line in shown if line is not None)


def _find(lines: list[str], text: str, path: str) -> int:
    """Index of the one line of the final file whose stripped text is `text`; anything else is a bug."""
    hits = [i for i, line in enumerate(lines) if line.strip() == text]
    if len(hits) == 1:
        return hits[0]
    raise AssertionError(f"{path}: history edit line {text!r} matches {len(hits)} lines")

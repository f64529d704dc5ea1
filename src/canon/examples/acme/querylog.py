"""The BI tool's query log: who queried which model, how often, over the last 12 months.

Usage is what changes the negotiation in the walkthrough: Finance's model is queried 847
times in each of the last six months, Sales' 23 times a month, Marketing's not once in the
last 90 days. The texts vary (aliases, CTEs, quoted and schema- or catalog-qualified names,
mixed case, comments) and some noise queries *mention* a model in a comment or a string
without querying it, so usage must be counted by parsing the SQL, not by grepping.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, time
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import yaml

from canon.examples.acme.calendar import CURRENT, Timeline
from canon.examples.acme.world import SEED

LOG_MONTHS = 12
FINANCE_MODEL, SALES_MODEL, MARKETING_MODEL = (
    "fct_revenue_monthly",
    "fct_arr_by_account",
    "fct_marketing_revenue",
)
FINANCE_RECENT = 847  # queries a month in each of the last six months
FINANCE_RAMP = (412, 468, 530, 611, 689, 774)  # the six months before
SALES_MONTHLY = 23
MARKETING_MONTHLY = (38, 41, 35, 29, 22, 17, 9, 4)  # months C-11..C-4, then silence
NOISE_MONTHLY = 60
SEGMENTS = ("enterprise", "mid-market", "smb")
COLUMNS = ("timestamp", "user", "team", "query")


@cache
def _catalog() -> dict[str, Any]:
    text = resources.files("canon.examples.acme").joinpath("querylog.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def monthly_plan() -> dict[int, dict[str, int]]:
    """Month offset → {model or 'noise': number of queries}; the figures the log is built to."""
    plan: dict[int, dict[str, int]] = {}
    first = CURRENT - LOG_MONTHS + 1
    for index, month in enumerate(range(first, CURRENT + 1)):
        finance = FINANCE_RAMP[index] if index < len(FINANCE_RAMP) else FINANCE_RECENT
        marketing = MARKETING_MONTHLY[index] if index < len(MARKETING_MONTHLY) else 0
        plan[month] = {
            FINANCE_MODEL: finance,
            SALES_MODEL: SALES_MONTHLY,
            MARKETING_MODEL: marketing,
            "noise": NOISE_MONTHLY,
        }
    return plan


_TEAM = {FINANCE_MODEL: "finance", SALES_MODEL: "sales", MARKETING_MODEL: "marketing", "noise": "data"}


def render_query_log(timeline: Timeline, as_of_month: int | None = None) -> str:
    """The log as CSV (timestamp,user,team,query), ISO UTC timestamps, oldest first."""
    rng = random.Random(SEED + 2)
    catalog = _catalog()
    rows: list[tuple[str, str, str, str]] = []
    for month, counts in monthly_plan().items():
        for kind, count in counts.items():
            team = _TEAM[kind]
            for _ in range(count):
                stamp = _timestamp(rng, timeline, month)
                user = rng.choice(catalog["users"][team])
                template = Template(rng.choice(catalog["templates"][kind]))
                shown_month = timeline.month_start(month - rng.randint(0, 5))
                query = template.substitute(
                    month=shown_month.isoformat(),
                    year=f"{shown_month.year:04d}",
                    segment=rng.choice(SEGMENTS),
                    account=f"ACC-{rng.randint(1, 85):04d}",
                    limit=rng.choice((10, 12, 20, 50, 100)),
                )
                if as_of_month is None or month <= as_of_month:
                    rows.append((stamp, user, team, query))
    rows.sort()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def _timestamp(rng: random.Random, timeline: Timeline, month: int) -> str:
    """A moment in the month, mostly in working hours (UTC); same draws for any timeline."""
    day_fraction, hour, minute, second = (
        rng.random(),
        rng.choice(range(7, 20)),
        rng.randrange(60),
        rng.randrange(60),
    )
    day = 1 + int(day_fraction * timeline.days_in(month))
    moment = datetime.combine(timeline.day(month, day), time(hour, minute, second))
    return moment.isoformat() + "Z"

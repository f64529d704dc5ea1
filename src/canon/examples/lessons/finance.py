"""Ad spend (Revenue's ad-spend-reconciled feed) and Finance's cash balance entries (OPEX).

OPEX is tagged at the grain where it is incurred: an org_market (local facility rent), an
organization (discipline staff), or the portfolio (platform software, HQ salaries). Capital,
founder draws and one-time legal are portfolio entries marked `structurally_unallocated`: they
never flow down to finer grains. Non-OPEX movements (`CASH_DEPOSIT`) sit in the same table, so
a composition must filter on `entry_type`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from canon.examples.lessons import calendar as cal
from canon.examples.lessons.counters import Counters
from canon.examples.lessons.world import ORGANIZATIONS, PORTFOLIO, OrgMarket

SOURCE_CLASSES = np.array(["paid_social", "paid_search", "direct", "other"])


def ad_spend(oms: list[OrgMarket], scale: int, rng: np.random.Generator) -> pa.Table:
    # weeks belong to the month holding their Thursday (the ISO rule); keep those inside the timeline
    all_weeks = np.arange(cal.WEEKS + 1)
    thursday = cal.FIRST_MONDAY_DAY + all_weeks * 7 + 3
    weeks = all_weeks[(thursday >= 0) & (thursday < cal.DAYS)]
    rows_week, rows_om, rows_src, rows_amt = [], [], [], []
    for om in oms:
        base = max(om.size, 0.1) * scale * 9000
        for s, share in enumerate([0.45, 0.35, 0.15, 0.05]):
            present = np.ones(len(weeks), dtype=bool) if s < 3 else rng.random(len(weeks)) < 0.2
            w = weeks[present]
            amt = (base * share * rng.uniform(0.5, 1.5, size=len(w))).astype(np.int64) + 1
            rows_week.append(w)
            rows_om.append(np.full(len(w), om.org_market_id))
            rows_src.append(np.full(len(w), SOURCE_CLASSES[s]))
            rows_amt.append(amt)
    week = np.concatenate(rows_week)
    monday = cal.FIRST_MONDAY_DAY + week * 7
    return pa.table(
        {
            "week": cal.dates(monday),
            "org_market_id": pa.array(np.concatenate(rows_om)),
            "source_class": pa.array(np.concatenate(rows_src)),
            "ad_spend_cents": pa.array(np.concatenate(rows_amt)),
        }
    )


def cash_balance_entries(oms: list[OrgMarket], scale: int, rng: np.random.Generator, ids: Counters) -> pa.Table:
    rows: list[tuple[str, str, str, str, bool, int, int, str]] = []
    rent_oms = [om for om in oms if rng.random() < 0.6]
    legal_months = set(rng.choice(cal.MONTHS, size=3, replace=False).tolist())
    for m in range(cal.MONTHS):
        first, end = int(cal.MONTH_START_DAYS[m]), int(cal.MONTH_START_DAYS[m + 1])

        def when(first: int = first, end: int = end) -> int:
            return int(rng.integers(first, end)) * cal.MINUTES_PER_DAY + 12 * 60

        for om in rent_oms:
            amount = int(max(om.size, 0.1) * scale * 40_000 * rng.uniform(0.95, 1.05))
            rows.append(("OPEX", "facility_rent", "org_market", om.org_market_id, False, amount, when(), "rent"))
        for org_id, slug, _, _ in ORGANIZATIONS:
            amount = int(scale * 150_000 * rng.uniform(0.8, 1.2))
            rows.append(("OPEX", "discipline_staff", "organization", org_id, False, amount, when(), f"{slug} staff"))
        pf = PORTFOLIO[0]
        for category, base in (("platform_software", 120_000), ("hq_salaries", 500_000)):
            amount = int(scale * base * rng.uniform(0.9, 1.1))
            rows.append(("OPEX", category, "portfolio", pf, False, amount, when(), category.replace("_", " ")))
        rows.append(("OPEX", "founder_draw", "portfolio", pf, True, scale * 250_000, when(), "founder draw"))
        if m % 3 == 0:
            amount = int(scale * 700_000 * rng.uniform(0.5, 1.5))
            rows.append(("OPEX", "capital", "portfolio", pf, True, amount, when(), "equipment capital"))
        if m in legal_months:
            amount = int(scale * 400_000 * rng.uniform(0.5, 1.5))
            rows.append(("OPEX", "one_time_legal", "portfolio", pf, True, amount, when(), "one-time legal"))
        deposit = int(scale * 5_000_000 * rng.uniform(0.8, 1.2))
        rows.append(("CASH_DEPOSIT", "stripe_payout", "portfolio", pf, False, deposit, when(), "payout"))
    rows.sort(key=lambda r: (r[6], r[1], r[3]))
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "cash_balance_entry_id": ids.ids("cbe_", len(rows)),
            "entry_type": pa.array(cols[0]),
            "category": pa.array(cols[1]),
            "geography_grain": pa.array(cols[2]),
            "geography_key": pa.array(cols[3]),
            "structurally_unallocated": pa.array(cols[4]),
            "amount_cents": pa.array(cols[5], pa.int64()),
            "occurred_at": cal.timestamps(np.array(cols[6], dtype=np.int64)),
            "memo": pa.array(cols[7]),
        }
    )

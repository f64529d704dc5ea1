"""Generate the whole lessons world into a DuckDB connection, one org_market at a time.

Working per org_market bounds memory by the largest pair (coaches never cross pairs, so each
coach's schedule is complete within one block), and seeding each block from (seed, pair)
keeps every block's rows identical however the others change. Returns what was injected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from canon.examples.lessons import calendar as cal
from canon.examples.lessons import finance, growth
from canon.examples.lessons.counters import Counters
from canon.examples.lessons.ids import uuid7_ids
from canon.examples.lessons.inject import PLAN, Injected
from canon.examples.lessons.load import Sink, create_tables, decimals
from canon.examples.lessons.money import MoneyInjections, build_money
from canon.examples.lessons.people import lesson_days, make_people, schedule, snapshots
from canon.examples.lessons.schema import TABLES
from canon.examples.lessons.world import MARKETS, ORGANIZATIONS, PERSONS_PER_SIZE, PORTFOLIO, OrgMarket, org_markets

Progress = Callable[[str], None]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _spine(append: Sink, oms: list[OrgMarket]) -> None:
    pf_id, pf_slug, pf_name = PORTFOLIO
    append("spine.portfolio", pa.table({"portfolio_id": [pf_id], "portfolio_slug": [pf_slug], "name": [pf_name]}))
    orgs = list(zip(*ORGANIZATIONS, strict=True))
    append(
        "spine.organization",
        pa.table(
            {
                "organization_id": list(orgs[0]),
                "organization_slug": list(orgs[1]),
                "discipline": list(orgs[2]),
                "name": list(orgs[3]),
                "portfolio_id": [pf_id] * len(ORGANIZATIONS),
            }
        ),
    )
    mk = list(zip(*MARKETS, strict=True))
    append("spine.market", pa.table({"market_id": list(mk[0]), "market_slug": list(mk[1]), "name": list(mk[2])}))
    append(
        "spine.org_market",
        pa.table(
            {
                "org_market_id": [o.org_market_id for o in oms],
                "organization_id": [o.organization_id for o in oms],
                "market_id": [o.market_id for o in oms],
                "launched_at": cal.dates(np.full(len(oms), -365)),
            }
        ),
    )
    append(
        "spine.geography",
        pa.table(
            {
                "org_market_id": [o.org_market_id for o in oms],
                "organization_id": [o.organization_id for o in oms],
                "organization_slug": [o.organization_slug for o in oms],
                "market_id": [o.market_id for o in oms],
                "market_slug": [o.market_slug for o in oms],
                "portfolio_id": [pf_id] * len(oms),
                "portfolio_slug": [pf_slug] * len(oms),
            }
        ),
    )


def _persons_for(om: OrgMarket, scale: int) -> int:
    return om.fixed_persons if om.fixed_persons is not None else max(8, round(om.size * PERSONS_PER_SIZE * scale))


def _org_market(
    append: Sink, om: OrgMarket, scale: int, seed: int, ids: Counters, injected: Injected
) -> tuple[pa.Array, np.ndarray]:
    rng = _rng(seed, 1, om.index)
    people, coaches = make_people(om, _persons_for(om, scale), rng)
    created = people.start_day * cal.MINUTES_PER_DAY - rng.integers(0, 3 * cal.MINUTES_PER_DAY, size=people.n)
    order = np.argsort(created, kind="stable")  # person ids are time-ordered uuids; keep table order by time
    person_ids_sorted = uuid7_ids("per_", cal.START_MS + created[order] * 60_000, rng)
    person_ids = person_ids_sorted.take(pa.array(np.argsort(order, kind="stable")))
    append(
        "spine.person",
        pa.table(
            {
                "person_id": person_ids_sorted,
                "org_market_id": pa.array(np.full(people.n, om.org_market_id)),
                "created_at": cal.timestamps(created[order]),
            }
        ),
    )
    person, day = lesson_days(people, rng)
    plan = PLAN.get(om.org_market_id, {})
    unregistered = None
    if "missing_cost_period" in plan:
        lo, hi = cal.period_bounds(plan["missing_cost_period"])
        cand = np.flatnonzero((day >= lo) & (day < hi - 2))
        unregistered = np.zeros(len(person), dtype=bool)
        unregistered[cand[:3]] = True
    lessons = schedule(people, coaches, person, day, rng, unregistered)
    coach_ids = ids.ids("coach_", coaches.n)
    append(
        "coaching.coach",
        pa.table(
            {
                "coach_id": coach_ids,
                "org_market_id": pa.array(np.full(coaches.n, om.org_market_id)),
                "display_name": pa.array([f"Coach {c[-4:]}" for c in coach_ids.to_pylist()]),
                "lesson_rate": pa.array(coaches.lesson_rate),
                "travel_comp": pa.array(coaches.travel_comp),
                "hired_at": cal.dates(coaches.hired_day),
            }
        ),
    )
    unreg_id = f"coach_unregistered_{om.index:03d}"
    all_coach_ids = pa.concat_arrays([coach_ids, pa.array([unreg_id])])
    lesson_ids = ids.ids("les_", lessons.n)
    gap = lessons.gap
    append(
        "delivery.lesson_event",
        pa.table(
            {
                "lesson_event_id": lesson_ids,
                "coach_id": all_coach_ids.take(pa.array(lessons.coach)),
                "person_id": person_ids.take(pa.array(lessons.person)),
                "org_market_id": pa.array(np.full(lessons.n, om.org_market_id)),
                "started_at": cal.timestamps(lessons.started),
                "completed_at": cal.timestamps(lessons.completed),
                "duration": pa.array(lessons.duration.astype(np.int32)),
                "duration_hours": decimals(lessons.duration * 10_000 // 60, 6, 4),
                "gap_from_previous_minutes": pa.array(gap.astype(np.int32), mask=gap < 0),
                "status": pa.array(np.full(lessons.n, "completed")),
            }
        ),
    )
    unreg_rows = lessons.coach == coaches.n
    if unregistered is not None and unreg_rows.any():  # a pair with no lesson that month gets no fault
        injected.missing_cost(
            om, plan["missing_cost_period"], lesson_ids.filter(pa.array(unreg_rows)).to_pylist(), unreg_id
        )
    s_person, s_week, s_status = snapshots(people, rng)
    append(
        "delivery.customer",
        pa.table(
            {
                "person_id": person_ids.take(pa.array(s_person)),
                "org_market_id": pa.array(np.full(len(s_person), om.org_market_id)),
                "snapshot_week": cal.dates(cal.week_sunday_day(s_week)),
                "status": pa.array(np.array(["active", "paused", "churned"])[s_status]),
            }
        ),
    )
    null_res = None
    if "null_reservation" in plan:
        r_label, c_label = plan["null_reservation"]
        null_res = (cal.period_bounds(r_label)[0] + 9, cal.period_bounds(c_label)[0] + 14)
    money = build_money(people, person_ids, lessons, rng, ids, MoneyInjections(plan.get("orphan_period"), null_res))
    for name in (
        "revenue.order",
        "revenue.credit_reservation",
        "revenue.credit_ledger",
        "revenue.recognition",
        "revenue.refund_item",
    ):
        append(name, money.tables[name])
    if money.orphan is not None:
        injected.orphan(om, money.orphan)
    if money.null_reservation is not None:
        injected.null_reservation(om, money.null_reservation)
    return person_ids, people.end_day


def _growth(append: Sink, oms: list[OrgMarket], scale: int, seed: int) -> None:
    rng = _rng(seed, 4)
    for chunk in growth.lead_chunks(scale, oms, rng):
        append("growth.lead_intake", chunk)
    camp, spend = growth.campaigns(oms, rng)
    append("growth.campaign", camp)
    append("growth.campaign_spend_daily", spend)
    append("growth.subscriber", growth.subscribers(scale, rng))


def generate_growth(conn: Any, *, scale: int = 1, seed: int = 7) -> None:
    """Only the growth schema (lead_intake = 40,000 × scale rows, written in 1M-row chunks), for
    paging benchmarks that do not need the silver layer; the same rows as a full generation, except
    `acquisition_suppression`, which needs the generated persons and is left empty here."""
    names = [n for n in TABLES if n.startswith("growth.")]
    create_tables(conn, names)
    append = Sink(conn)
    _growth(append, org_markets(), scale, seed)
    append.flush()


def generate(conn: Any, *, scale: int = 1, seed: int = 7, progress: Progress | None = None) -> Injected:
    """Write every silver table and the growth domain; return the record of injected faults."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    say = progress or (lambda _msg: None)
    oms = org_markets()
    create_tables(conn, list(TABLES))
    append = Sink(conn)
    _spine(append, oms)
    ids = Counters()
    injected = Injected(seed=seed, scale=scale)
    archived: list[pa.Table] = []
    for om in oms:
        say(f"org_market {om.org_market_id}")
        person_ids, end_days = _org_market(append, om, scale, seed, ids, injected)
        archived.append(growth.suppression(person_ids, end_days, _rng(seed, 3, om.index)))
    say("finance")
    append("revenue.ad_spend_reconciled", finance.ad_spend(oms, scale, _rng(seed, 2, 1)))
    append("finance.cash_balance_entries", finance.cash_balance_entries(oms, scale, _rng(seed, 2, 2), ids))
    say("growth")
    _growth(append, oms, scale, seed)
    supp = pa.concat_tables(archived)
    supp = supp.take(pa.array(np.argsort(supp.column("archived_at").to_numpy(), kind="stable")))
    append("growth.acquisition_suppression", supp)
    append.flush()
    return injected

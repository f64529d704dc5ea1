"""Revenue silver for one org_market: orders, credit ledger, recognitions, refunds, reservations.

The money model, kept consistent row by row:
- a student buys packs of 10 credits (`revenue.order`, one `PURCHASE_CREDIT` ledger entry);
- each completed lesson consumes one credit: a `LESSON_DEBIT` entry and a non-contra
  recognition (`LESSON_COMPLETION_JOB`, some `BACKFILL` or `MANUAL`) that points at it;
- a refunded or reversed lesson is a contra recognition (`REFUND_JOB` or `MANUAL`) tied to an
  `ADJUSTMENT` entry that gives the credit back;
- leftover credits at the end of a tenure are refunded in cash (`revenue.refund_item` +
  `REFUND_DEBIT`), forfeited 90 days later (`CREDIT_FORFEIT`), or stay on the balance;
- some students reserve 4 credits for a block of lessons (`revenue.credit_reservation`); a
  funded reservation locks them with a `RESERVATION_LOCK_DEBIT` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from canon.examples.lessons import calendar as cal
from canon.examples.lessons.counters import Counters
from canon.examples.lessons.people import Lessons, People
from canon.examples.lessons.vec import cumsum_within, rank_within

PACK = 10
END_MIN = cal.DAYS * cal.MINUTES_PER_DAY
DAY = cal.MINUTES_PER_DAY
EXCEPTION_REASONS = np.array(
    ["late_completion_event", "rate_override", "duplicate_suspected", "manual_adjustment_review"]
)


@dataclass
class MoneyInjections:
    orphan_period: str | None = None  # drop the ledger entry of one recognition in this period
    null_reservation: tuple[int, int] | None = None  # (reserved day, closed day) with no money amount


@dataclass
class MoneyResult:
    tables: dict[str, pa.Table]
    orphan: dict[str, object] | None
    null_reservation: dict[str, object] | None


def _ts(minutes: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    arr = cal.timestamps(minutes)
    if missing is not None and missing.any():
        return pc.if_else(pa.array(missing), pa.scalar(None, pa.timestamp("us")), arr)
    return arr


def _take_or_null(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], with index -1 giving null."""
    missing = index < 0
    if len(values) == 0:
        return pa.nulls(len(index), values.type)
    return values.take(pa.array(np.where(missing, 0, index), mask=missing))


def build_money(
    people: People,
    person_ids: pa.Array,
    lessons: Lessons,
    rng: np.random.Generator,
    ids: Counters,
    inj: MoneyInjections,
) -> MoneyResult:
    n_l = lessons.n
    price = people.price
    # ---- packs and orders (students buy a pack a few days before its first lesson) ----------
    porder = np.lexsort((lessons.started, lessons.person))
    lp = lessons.person[porder]
    rank = rank_within(lp)
    is_first = rank % PACK == 0
    pack_of_sorted = np.cumsum(is_first) - 1
    pack_of_lesson = np.empty(n_l, dtype=np.int64)
    pack_of_lesson[porder] = pack_of_sorted
    pack_person = lp[is_first]
    pack_first_start = lessons.started[porder][is_first]
    n_p = len(pack_person)
    paid = pack_first_start - rng.integers(1, 7, size=n_p) * DAY - rng.integers(0, 600, size=n_p)
    paid = np.where(paid < 0, np.maximum(pack_first_start - 60, 0), paid)
    failed = rng.random(n_p) < 0.03
    n_f = int(failed.sum())
    order_created = np.r_[paid - rng.integers(1, 30, size=n_p), paid[failed] - 120]
    order_created = np.maximum(order_created, 0)
    order_person = np.r_[pack_person, pack_person[failed]]
    order_status = np.r_[np.full(n_p, "paid"), np.full(n_f, "failed")]
    order_amount = np.r_[PACK * price[pack_person], np.zeros(n_f, dtype=np.int64)]
    o_sort = np.lexsort((np.arange(n_p + n_f), order_created))
    order_ids = ids.ids("ord_", n_p + n_f)
    item_ids = ids.ids("oi_", n_p + n_f)
    pos = np.empty(n_p + n_f, dtype=np.int64)
    pos[o_sort] = np.arange(n_p + n_f)  # row position of each logical order after sorting
    pack_item = item_ids.take(pa.array(pos[:n_p]))
    pack_order = order_ids.take(pa.array(pos[:n_p]))
    paid_at_sorted = np.r_[paid, np.zeros(n_f, dtype=np.int64)][o_sort]
    order_tbl = pa.table(
        {
            "order_id": order_ids,
            "person_id": person_ids.take(pa.array(order_person[o_sort])),
            "order_item_id": item_ids,
            "credits": pa.array(np.full(n_p + n_f, PACK, dtype=np.int32)),
            "amount_paid_cents": pa.array(order_amount[o_sort]),
            "status": pa.array(order_status[o_sort]),
            "created_at": cal.timestamps(order_created[o_sort]),
            "paid_at": _ts(paid_at_sorted, order_status[o_sort] != "paid"),
        }
    )

    # ---- reservations ---------------------------------------------------------------------
    span = people.end_day - people.start_day
    has_res = rng.random(people.n) < 0.15
    res_person = np.flatnonzero(has_res)
    reserved = (people.start_day[res_person] + (rng.random(len(res_person)) * span[res_person]).astype(np.int64)) * DAY
    reserved += 600
    closed = reserved + rng.integers(7, 76, size=len(res_person)) * DAY
    funded = rng.random(len(res_person)) < 0.9
    consumed = rng.random(len(res_person)) < 0.7
    res_amount = 4 * price[res_person]
    res_missing_amount = np.zeros(len(res_person), dtype=bool)
    null_res_info: dict[str, object] | None = None
    if inj.null_reservation is not None:
        r_day, c_day = inj.null_reservation
        candidates = np.flatnonzero((people.start_day <= r_day - 7) & (people.end_day >= c_day + 7))
        chosen = int(candidates[0]) if len(candidates) else 0  # the reservation row is what matters
        k = np.searchsorted(res_person, chosen)
        if k >= len(res_person) or res_person[k] != chosen:
            res_person = np.insert(res_person, k, chosen)
            reserved = np.insert(reserved, k, 0)
            closed = np.insert(closed, k, 0)
            funded = np.insert(funded, k, True)
            consumed = np.insert(consumed, k, True)
            res_amount = np.insert(res_amount, k, 0)
            res_missing_amount = np.insert(res_missing_amount, k, False)
        reserved[k], closed[k] = r_day * DAY + 600, c_day * DAY + 600
        funded[k], consumed[k], res_missing_amount[k] = True, True, True
        null_res_info = {"index": k}
    still_open = closed >= END_MIN
    res_status = np.where(still_open, "open", np.where(consumed, "consumed", "released"))
    res_ids = ids.ids("crs_", len(res_person))
    res_tbl = pa.table(
        {
            "credit_reservation_id": res_ids,
            "person_id": person_ids.take(pa.array(res_person)),
            "credits": pa.array(np.full(len(res_person), 4, dtype=np.int32)),
            "amount_cents": pa.array(res_amount, mask=res_missing_amount),
            "funded": pa.array(funded),
            "status": pa.array(res_status),
            "reserved_at": cal.timestamps(reserved),
            "closed_at": _ts(closed, still_open),
        }
    )
    if null_res_info is not None:
        k = int(null_res_info["index"])  # type: ignore[call-overload]
        null_res_info = {
            "credit_reservation_id": res_ids[k].as_py(),
            "person_id": person_ids[int(res_person[k])].as_py(),
            "reserved_day": int(reserved[k] // DAY),
            "closed_day": int(closed[k] // DAY),
        }
    # lessons consumed from a reservation carry its id (the first 4 in its window)
    res_of_person = np.full(people.n, -1, dtype=np.int64)
    res_of_person[res_person] = np.arange(len(res_person))
    r_idx = res_of_person[lessons.person]
    completed = lessons.completed
    in_window = np.zeros(n_l, dtype=bool)
    if len(res_person):
        r0 = np.maximum(r_idx, 0)
        in_window = (
            (r_idx >= 0) & (res_status[r0] == "consumed") & (completed >= reserved[r0]) & (completed < closed[r0])
        )
    order_w = np.lexsort((completed, lessons.person))
    nth = np.empty(n_l, dtype=np.int64)
    nth[order_w] = cumsum_within(lessons.person[order_w], in_window[order_w].astype(np.int64))
    lesson_res = np.where(in_window & (nth <= 4), r_idx, -1)

    # ---- recognitions ---------------------------------------------------------------------
    l_price = price[lessons.person]
    via = np.array(["LESSON_COMPLETION_JOB", "BACKFILL", "MANUAL"])[rng.choice(3, size=n_l, p=[0.97, 0.025, 0.005])]
    created = completed + np.where(
        via == "BACKFILL", rng.integers(20, 61, size=n_l) * DAY, rng.integers(5, 241, size=n_l)
    )
    exc = rng.random(n_l) < 0.005
    exc_reason = EXCEPTION_REASONS[rng.integers(0, len(EXCEPTION_REASONS), size=n_l)]
    month = cal.period_index_of_day(completed // DAY)
    late = exc & (exc_reason == "late_completion_event")
    rec_month = np.where(late, np.minimum(month + 1, cal.MONTHS - 1), month)

    contra = rng.random(n_l) < 0.015
    c_src = np.flatnonzero(contra)
    c_occ = completed[c_src] + rng.integers(1, 11, size=len(c_src)) * DAY + rng.integers(0, 600, size=len(c_src))
    keep = c_occ < END_MIN
    c_src, c_occ = c_src[keep], c_occ[keep]
    n_c = len(c_src)
    c_via = np.where(rng.random(n_c) < 0.8, "REFUND_JOB", "MANUAL")
    c_month = cal.period_index_of_day(c_occ // DAY)

    # ---- credit ledger --------------------------------------------------------------------
    # leftovers after the tenure: refund (cash), forfeit (90 days later) or keep
    lessons_per = np.bincount(lessons.person, minlength=people.n)
    packs_per = np.bincount(pack_person, minlength=people.n)
    contras_per = np.bincount(lessons.person[c_src], minlength=people.n)
    left = PACK * packs_per - lessons_per + contras_per
    action = rng.choice(3, size=people.n, p=[0.4, 0.3, 0.3])
    refund_at = people.end_day * DAY + rng.integers(3, 15, size=people.n) * DAY + 600
    forfeit_at = people.end_day * DAY + 90 * DAY + 120
    wants_refund = (left > 0) & (action == 0) & (refund_at < END_MIN)
    refund_people = np.flatnonzero(wants_refund)
    refund_ok = rng.random(len(refund_people)) < 0.95
    forfeit_people = np.flatnonzero((left > 0) & (action == 1) & (forfeit_at < END_MIN))

    skip_lesson_debit = np.zeros(n_l, dtype=bool)
    orphan_info: dict[str, object] | None = None
    if inj.orphan_period is not None:
        target = cal.PERIODS.index(inj.orphan_period)
        ordinary = (via == "LESSON_COMPLETION_JOB") & ~exc
        cand = np.flatnonzero((rec_month == target) & ordinary)
        if len(cand) == 0:  # no lesson that month: plant it on the earliest ordinary lesson
            cand = np.flatnonzero(ordinary)
        chosen = int(cand[np.argmin(completed[cand])])
        skip_lesson_debit[chosen] = True
        orphan_info = {"lesson": chosen}

    # parts: (kind, rec index (-1 if none), person, delta, amount, when, item, reservation idx, missing)
    last_pack = np.full(people.n, -1, dtype=np.int64)
    last_pack[pack_person] = np.arange(n_p)  # packs are sorted by person, so the last one wins
    debit = np.flatnonzero(~skip_lesson_debit)
    lock = np.flatnonzero(funded)
    parts = {
        "PURCHASE_CREDIT": (
            np.full(n_p, -1),
            pack_person,
            np.full(n_p, PACK),
            PACK * price[pack_person],
            paid,
            np.arange(n_p),
            np.full(n_p, -1),
        ),
        "LESSON_DEBIT": (
            debit,
            lessons.person[debit],
            np.full(len(debit), -1),
            -l_price[debit],
            completed[debit],
            pack_of_lesson[debit],
            lesson_res[debit],
        ),
        "ADJUSTMENT": (
            n_l + np.arange(n_c),
            lessons.person[c_src],
            np.ones(n_c, dtype=np.int64),
            l_price[c_src],
            c_occ,
            pack_of_lesson[c_src],
            np.full(n_c, -1),
        ),
        "REFUND_DEBIT": (
            np.full(int(refund_ok.sum()), -1),
            refund_people[refund_ok],
            -left[refund_people[refund_ok]],
            -left[refund_people[refund_ok]] * price[refund_people[refund_ok]],
            refund_at[refund_people[refund_ok]],
            last_pack[refund_people[refund_ok]],
            np.full(int(refund_ok.sum()), -1),
        ),
        "CREDIT_FORFEIT": (
            np.full(len(forfeit_people), -1),
            forfeit_people,
            -left[forfeit_people],
            -left[forfeit_people] * price[forfeit_people],
            forfeit_at[forfeit_people],
            np.full(len(forfeit_people), -1),
            np.full(len(forfeit_people), -1),
        ),
        "RESERVATION_LOCK_DEBIT": (
            np.full(len(lock), -1),
            res_person[lock],
            np.full(len(lock), -4),
            -res_amount[lock],
            reserved[lock],
            np.full(len(lock), -1),
            lock,
        ),
    }
    kinds = np.concatenate([np.full(len(p[0]), k) for k, p in parts.items()])
    rec_ref = np.concatenate([p[0] for p in parts.values()])
    l_person = np.concatenate([p[1] for p in parts.values()])
    delta = np.concatenate([p[2] for p in parts.values()]).astype(np.int32)
    amount = np.concatenate([p[3] for p in parts.values()])
    when = np.concatenate([p[4] for p in parts.values()])
    item = np.concatenate([p[5] for p in parts.values()])
    res_ref = np.concatenate([p[6] for p in parts.values()])
    amount_missing = np.zeros(len(kinds), dtype=bool)
    if len(res_person):
        amount_missing = (
            (res_ref >= 0) & (kinds == "RESERVATION_LOCK_DEBIT") & res_missing_amount[np.maximum(res_ref, 0)]
        )
    g_sort = np.lexsort((np.arange(len(kinds)), when))
    ledger_ids = ids.ids("cle_", len(kinds))
    ledger_pos = np.empty(len(kinds), dtype=np.int64)
    ledger_pos[g_sort] = np.arange(len(kinds))
    item_sorted = item[g_sort]
    ledger_tbl = pa.table(
        {
            "credit_ledger_entry_id": ledger_ids,
            "person_id": person_ids.take(pa.array(l_person[g_sort])),
            "type": pa.array(kinds[g_sort]),
            "delta_credits": pa.array(delta[g_sort]),
            "amount_cents": pa.array(amount[g_sort], mask=amount_missing[g_sort]),
            "occurred_at": cal.timestamps(when[g_sort]),
            "order_item_id": _take_or_null(pack_item, item_sorted),
            "credit_reservation_id": _take_or_null(res_ids, res_ref[g_sort]),
        }
    )
    # recognition → its ledger entry id (orphans point at an id that no ledger row carries)
    rec_ledger_pos = np.full(n_l + n_c, -1, dtype=np.int64)
    has_rec = rec_ref >= 0
    rec_ledger_pos[rec_ref[has_rec]] = ledger_pos[has_rec]
    rec_entry = _take_or_null(ledger_ids, rec_ledger_pos)
    if orphan_info is not None:
        ghost = ids.ids("cle_", 1)[0].as_py()
        chosen = int(orphan_info["lesson"])  # type: ignore[call-overload]
        mask = np.zeros(n_l + n_c, dtype=bool)
        mask[chosen] = True
        rec_entry = pc.if_else(pa.array(mask), pa.scalar(ghost), rec_entry)

    # ---- recognition table ---------------------------------------------------------------
    r_person = np.r_[lessons.person, lessons.person[c_src]]
    r_month = np.r_[rec_month, c_month]
    r_occ = np.r_[completed, c_occ]
    r_created = np.r_[created, c_occ + rng.integers(5, 241, size=n_c)]
    r_via = np.r_[via, c_via]
    r_exc = np.r_[exc, np.zeros(n_c, dtype=bool)]
    r_reason = np.r_[exc_reason, np.full(n_c, "")]
    r_item = np.r_[pack_of_lesson, pack_of_lesson[c_src]]
    r_res = np.r_[lesson_res, np.full(n_c, -1)]
    r_sort = np.lexsort((np.arange(n_l + n_c), r_occ))
    rec_ids = ids.ids("rec_", n_l + n_c)
    periods = pa.DictionaryArray.from_arrays(pa.array(r_month[r_sort].astype(np.int32)), pa.array(cal.PERIODS))
    rec_tbl = pa.table(
        {
            "recognition_id": rec_ids,
            "person_id": person_ids.take(pa.array(r_person[r_sort])),
            "recognition_period": periods.cast(pa.string()),
            "recognized_amount_cents": pa.array(np.r_[l_price, l_price[c_src]][r_sort]),
            "is_contra": pa.array(np.r_[np.zeros(n_l, dtype=bool), np.ones(n_c, dtype=bool)][r_sort]),
            "created_via": pa.array(r_via[r_sort]),
            "source_credit_ledger_entry_id": rec_entry.take(pa.array(r_sort)),
            "order_item_id": pack_item.take(pa.array(r_item[r_sort])),
            "credit_reservation_id": _take_or_null(res_ids, r_res[r_sort]),
            "occurred_at": cal.timestamps(r_occ[r_sort]),
            "created_at": cal.timestamps(r_created[r_sort]),
            "has_exception": pa.array(r_exc[r_sort]),
            "exception_reason": pa.array(r_reason[r_sort], mask=~r_exc[r_sort]),
        }
    )
    if orphan_info is not None:
        chosen = int(orphan_info["lesson"])  # type: ignore[call-overload]
        row = int(np.flatnonzero(r_sort == chosen)[0])
        orphan_info = {
            "recognition_id": rec_ids[row].as_py(),
            "reporting_period": cal.PERIODS[int(rec_month[chosen])],
            "amount_cents": int(l_price[chosen]),
            "missing_credit_ledger_entry_id": rec_entry[chosen].as_py(),
        }

    # ---- refunds --------------------------------------------------------------------------
    n_r = len(refund_people)
    ref_pack = last_pack[refund_people]
    refund_tbl = pa.table(
        {
            "refund_item_id": ids.ids("rfi_", n_r),
            "order_id": pack_order.take(pa.array(ref_pack)),
            "order_item_id": pack_item.take(pa.array(ref_pack)),
            "person_id": person_ids.take(pa.array(refund_people)),
            "amount_cents": pa.array(left[refund_people] * price[refund_people]),
            "refunded_at": cal.timestamps(refund_at[refund_people]),
            "status": pa.array(np.where(refund_ok, "succeeded", "failed")),
        }
    )
    return MoneyResult(
        tables={
            "revenue.order": order_tbl,
            "revenue.credit_reservation": res_tbl,
            "revenue.credit_ledger": ledger_tbl,
            "revenue.recognition": rec_tbl,
            "revenue.refund_item": refund_tbl,
        },
        orphan=orphan_info,
        null_reservation=null_res_info,
    )

"""The growth domain served by the warehouse HTTP API (camelCase columns, `fsm_<uuidv7>` ids).

`lead_intake` is written in chunks of at most CHUNK rows, each covering a later slice of the
timeline, so ten million rows need a bounded amount of memory and ids stay time-ordered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from canon.examples.lessons import calendar as cal
from canon.examples.lessons.ids import uuid7_ids
from canon.examples.lessons.world import OrgMarket

CHUNK = 1_000_000
LEADS_PER_SCALE = 40_000
FIRST = np.array(["Ava", "Liam", "Mia", "Noah", "Zoe", "Ethan", "Isla", "Leo", "Nora", "Owen", "Ruby", "Theo"])
LAST = np.array(["Garcia", "Smith", "Chen", "Okafor", "Novak", "Silva", "Khan", "Müller", "Rossi", "Kim"])
LEAD_SOURCES = np.array(["paid_social", "paid_search", "organic", "referral", "direct"])
AGE_GROUPS = np.array(["child", "teen", "adult", "senior"])
DAY_MS = 86_400_000
SPAN_MS = cal.DAYS * DAY_MS


def _choice(values: np.ndarray, rng: np.random.Generator, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, len(values), size=n).astype(np.int32)), pa.array(values)
    ).cast(pa.string())


def lead_chunks(scale: int, oms: list[OrgMarket], rng: np.random.Generator) -> Iterator[pa.Table]:
    total = LEADS_PER_SCALE * scale
    n_chunks = max(1, -(-total // CHUNK))
    om_slugs = np.array([om.organization_slug for om in oms])
    om_markets = np.array([om.market_slug for om in oms])
    for k in range(n_chunks):
        n = min(CHUNK, total - k * CHUNK)
        lo, hi = SPAN_MS * k // n_chunks, SPAN_MS * (k + 1) // n_chunks
        ms = np.sort(rng.integers(lo, hi, size=n)) + cal.START_MS
        first, last = _choice(FIRST, rng, n), _choice(LAST, rng, n)
        number = pc.cast(pa.array(rng.integers(1, 10_000, size=n)), pa.string())
        email = pc.binary_join_element_wise(pc.utf8_lower(first), ".", pc.utf8_lower(last), number, "@example.com", "")
        source = _choice(LEAD_SOURCES, rng, n)
        pick = rng.integers(0, len(oms), size=n)
        form = pc.binary_join_element_wise(
            '{"discipline":"',
            pa.array(om_slugs[pick]),
            '","market":"',
            pa.array(om_markets[pick]),
            '","utmSource":"',
            source,
            '","ageGroup":"',
            _choice(AGE_GROUPS, rng, n),
            '"}',
            "",
        )
        yield pa.table(
            {
                "id": uuid7_ids("fsm_", ms, rng),
                "firstName": first,
                "lastName": last,
                "email": email,
                "source": source,
                "createdAt": pa.array(ms, type=pa.timestamp("ms")),
                "formData": form,
            }
        )


def campaigns(oms: list[OrgMarket], rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    """Campaigns (2 per org_market) and their daily spend per source."""
    platforms = np.array(["meta", "google"])
    sources = {"meta": "meta_ads", "google": "google_ads"}
    n = 2 * len(oms)
    created_ms = cal.START_MS + np.sort(rng.integers(0, 30 * DAY_MS, size=n))
    camp_ids = uuid7_ids("cmp_", created_ms, rng)
    platform = platforms[np.arange(n) % 2]
    om_ids = np.repeat(np.array([om.org_market_id for om in oms]), 2)
    camp = pa.table(
        {
            "id": camp_ids,
            "name": pa.array([f"{o} {p} always-on" for o, p in zip(om_ids, platform, strict=True)]),
            "platform": pa.array(platform),
            "orgMarketId": pa.array(om_ids),
            "createdAt": pa.array(created_ms, type=pa.timestamp("ms")),
        }
    )
    days = np.arange(cal.DAYS)
    c_idx = np.repeat(np.arange(n), len(days))
    d = np.tile(days, n)
    spend = rng.integers(500, 60_000, size=len(d)).astype(np.int64)
    spend_ms = cal.START_MS + d * DAY_MS + rng.integers(0, DAY_MS, size=len(d))
    order = np.argsort(spend_ms, kind="stable")
    spend_tbl = pa.table(
        {
            "id": uuid7_ids("csd_", spend_ms[order], rng),
            "campaignId": camp_ids.take(pa.array(c_idx[order])),
            "date": cal.dates(d[order]),
            "source": pa.array(np.array([sources[p] for p in platforms])[c_idx[order] % 2]),
            "spendCents": pa.array(spend[order]),
        }
    )
    return camp, spend_tbl


def subscribers(scale: int, rng: np.random.Generator) -> pa.Table:
    n = 2_000 * scale
    ms = np.sort(rng.integers(0, SPAN_MS, size=n)) + cal.START_MS
    first, last = _choice(FIRST, rng, n), _choice(LAST, rng, n)
    email = pc.binary_join_element_wise(pc.utf8_lower(first), "+news@", pc.utf8_lower(last), ".example.org", "")
    return pa.table(
        {"id": uuid7_ids("sub_", ms, rng), "email": email, "createdAt": pa.array(ms, type=pa.timestamp("ms"))}
    )


def suppression(person_ids: pa.Array, end_days: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """Archived persons: 2% of those whose tenure ended, archived some weeks later."""
    pick = np.flatnonzero((end_days < cal.DAYS - 30) & (rng.random(len(end_days)) < 0.02))
    ms = cal.START_MS + (end_days[pick] + rng.integers(7, 30, size=len(pick))) * DAY_MS
    ms += rng.integers(0, DAY_MS, size=len(pick))
    order = np.argsort(ms, kind="stable")
    reasons = np.array(["person_archived", "gdpr_erasure", "duplicate_merged"])
    return pa.table(
        {
            "person_id": person_ids.take(pa.array(pick[order])),
            "archived_at": pa.array(ms[order], type=pa.timestamp("ms")),
            "reason": pa.array(reasons[rng.integers(0, 3, size=len(pick))]),
        }
    )


Writer = Callable[[str, pa.Table], None]

"""The lessons generator: deterministic, in the manifests' names and types, with its faults recorded."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from canon.engines import connect
from canon.examples.lessons import growth
from canon.examples.lessons.schema import TABLES
from canon.examples.lessons.world import org_markets
from tests.mart.conftest import SEED, World
from tests.mart.helpers import rows
from tests.support.cli import run_cli

pytestmark = pytest.mark.xdist_group("lessons_duckdb")

RECOGNITION_MANIFEST_COLUMNS = {
    "recognition_id",
    "person_id",
    "recognition_period",
    "recognized_amount_cents",
    "is_contra",
    "created_via",
    "source_credit_ledger_entry_id",
    "order_item_id",
    "credit_reservation_id",
    "occurred_at",
    "created_at",
    "has_exception",
    "exception_reason",
}


@pytest.mark.slow  # generates the lessons example a second time
def test_same_seed_same_rows_and_files(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    again = tmp_path / "again"
    result = run_cli(capsys, "init", str(again), "--example", "lessons", "--scale", "1", "--seed", str(SEED))
    assert result.code == 0, result.err
    for rel in [
        "canon.yml",
        ".canon/injected.json",
        *[f"metrics/finance/{p.name}" for p in (world.root / "metrics/finance").glob("*.yml")],
    ]:
        assert (again / rel).read_bytes() == (world.root / rel).read_bytes(), rel
    a = connect("duckdb", path=world.warehouse, read_only=True)
    b = connect("duckdb", path=again / "warehouse.duckdb", read_only=True)
    for name in TABLES:
        assert a.execute(f"SELECT * FROM {name}").equals(b.execute(f"SELECT * FROM {name}")), name
    # and another seed gives other rows
    other = tmp_path / "other"
    assert run_cli(capsys, "init", str(other), "--example", "lessons", "--seed", "8").code == 0
    c = connect("duckdb", path=other / "warehouse.duckdb", read_only=True)
    assert not a.execute("SELECT * FROM revenue.recognition").equals(c.execute("SELECT * FROM revenue.recognition"))


def test_init_refuses_to_overwrite(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "init", str(world.root), "--example", "lessons")
    assert result.code == 2
    assert "--force" in result.err


def test_silver_speaks_the_manifests_names(world: World) -> None:
    eng = connect("duckdb", path=world.warehouse, read_only=True)
    cols = eng.columns("recognition", "revenue")
    assert set(cols) >= RECOGNITION_MANIFEST_COLUMNS
    assert cols["recognized_amount_cents"] == "BIGINT" and cols["occurred_at"] == "TIMESTAMP"
    via = {r["created_via"] for r in rows(eng, "SELECT DISTINCT created_via FROM revenue.recognition")}
    assert via == {"LESSON_COMPLETION_JOB", "REFUND_JOB", "MANUAL", "BACKFILL"}
    contra = rows(eng, "SELECT DISTINCT created_via FROM revenue.recognition WHERE is_contra")
    assert {r["created_via"] for r in contra} == {"REFUND_JOB", "MANUAL"}
    bad_exc = rows(
        eng,
        "SELECT count(*) AS n FROM revenue.recognition WHERE has_exception <> (exception_reason IS NOT NULL)",
    )
    assert bad_exc[0]["n"] == 0
    assert rows(eng, "SELECT count(*) AS n FROM revenue.recognition WHERE has_exception")[0]["n"] > 0
    types = {r["type"] for r in rows(eng, "SELECT DISTINCT type FROM revenue.credit_ledger")}
    assert types == {
        "PURCHASE_CREDIT",
        "LESSON_DEBIT",
        "REFUND_DEBIT",
        "RESERVATION_LOCK_DEBIT",
        "CREDIT_FORFEIT",
        "ADJUSTMENT",
    }
    sources = {r["source_class"] for r in rows(eng, "SELECT DISTINCT source_class FROM revenue.ad_spend_reconciled")}
    assert sources == {"paid_social", "paid_search", "direct", "other"}
    # travel-comp rule has cases on both sides of 5 minutes
    gaps = rows(
        eng,
        "SELECT count(*) FILTER (WHERE gap_from_previous_minutes <= 5) AS b2b, "
        "count(*) FILTER (WHERE gap_from_previous_minutes > 5) AS apart FROM delivery.lesson_event",
    )[0]
    assert gaps["b2b"] > 100 and gaps["apart"] > 100


def test_opex_tagged_at_three_grains_with_structural_portfolio_entries(world: World) -> None:
    eng = connect("duckdb", path=world.warehouse, read_only=True)
    found = rows(
        eng,
        "SELECT geography_grain, category, structurally_unallocated FROM finance.cash_balance_entries "
        "WHERE entry_type = 'OPEX' GROUP BY ALL",
    )
    grains = {r["geography_grain"] for r in found}
    assert grains == {"org_market", "organization", "portfolio"}
    unallocated = {(r["geography_grain"], r["category"]) for r in found if r["structurally_unallocated"]}
    assert unallocated == {("portfolio", "capital"), ("portfolio", "founder_draw"), ("portfolio", "one_time_legal")}
    assert rows(eng, "SELECT count(*) AS n FROM finance.cash_balance_entries WHERE entry_type <> 'OPEX'")[0]["n"] > 0


def test_some_org_markets_fall_under_the_cohort_floor(world: World) -> None:
    eng = connect("duckdb", path=world.warehouse, read_only=True)
    weekly = rows(
        eng,
        "SELECT org_market_id, max(n) AS peak FROM (SELECT org_market_id, snapshot_week, "
        "count(*) FILTER (WHERE status = 'active') AS n FROM delivery.customer GROUP BY ALL) GROUP BY ALL",
    )
    always_small = {r["org_market_id"] for r in weekly if r["peak"] < 5}
    tiny = {om.org_market_id for om in org_markets() if om.tiny and (om.fixed_persons or 0) < 5}
    assert tiny and tiny <= always_small
    assert len(weekly) - len(always_small) > 20


def test_injected_faults_are_real_in_silver(world: World) -> None:
    eng = connect("duckdb", path=world.warehouse, read_only=True)
    kinds = {i["kind"]: i for i in world.injected["injections"]}
    orphan = kinds["recognition_without_ledger_entry"]
    rec = rows(eng, f"SELECT * FROM revenue.recognition WHERE recognition_id = '{orphan['recognition_id']}'")[0]
    assert rec["source_credit_ledger_entry_id"] == orphan["missing_credit_ledger_entry_id"]
    assert rec["recognized_amount_cents"] == orphan["amount_cents"]
    ledger = rows(
        eng,
        "SELECT count(*) AS n FROM revenue.credit_ledger "
        f"WHERE credit_ledger_entry_id = '{orphan['missing_credit_ledger_entry_id']}'",
    )
    assert ledger[0]["n"] == 0
    untied = rows(
        eng,
        "SELECT count(*) AS n FROM revenue.recognition r WHERE NOT EXISTS "
        "(SELECT 1 FROM revenue.credit_ledger l WHERE l.credit_ledger_entry_id = r.source_credit_ledger_entry_id)",
    )
    assert untied[0]["n"] == 1  # and no other recognition lacks its entry
    cost = kinds["lesson_without_coach_rate"]
    ids = ", ".join(f"'{i}'" for i in cost["lesson_event_ids"])
    lessons = rows(
        eng,
        f"SELECT e.coach_id, c.coach_id AS known FROM delivery.lesson_event e "
        f"LEFT JOIN coaching.coach c USING (coach_id) WHERE lesson_event_id IN ({ids})",
    )
    assert len(lessons) == 3 and all(r["known"] is None and r["coach_id"] == cost["coach_id"] for r in lessons)
    orphans = rows(
        eng,
        "SELECT count(*) AS n FROM delivery.lesson_event e WHERE NOT EXISTS "
        "(SELECT 1 FROM coaching.coach c WHERE c.coach_id = e.coach_id)",
    )
    assert orphans[0]["n"] == 3
    res = kinds["reservation_without_money_amount"]
    r = rows(
        eng, f"SELECT * FROM revenue.credit_reservation WHERE credit_reservation_id = '{res['credit_reservation_id']}'"
    )[0]
    assert r["amount_cents"] is None and r["funded"]
    assert rows(eng, "SELECT count(*) AS n FROM revenue.credit_reservation WHERE amount_cents IS NULL")[0]["n"] == 1


UUID7 = re.compile(r"^fsm_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_growth_domain_tables(world: World) -> None:
    eng = connect("duckdb", path=world.warehouse, read_only=True)
    assert set(eng.tables("growth")) >= {"lead_intake", "campaign_spend_daily", "acquisition_suppression", "campaign"}
    lead_cols = eng.columns("lead_intake", "growth")
    assert lead_cols["createdAt"] == "TIMESTAMP_MS" and lead_cols["formData"] == "JSON"
    assert eng.columns("campaign_spend_daily", "growth")["spendCents"] == "BIGINT"
    assert set(eng.columns("acquisition_suppression", "growth")) == {"person_id", "archived_at", "reason"}
    leads = rows(eng, 'SELECT id, "createdAt" FROM growth.lead_intake ORDER BY id')
    assert len(leads) == growth.LEADS_PER_SCALE
    assert all(UUID7.match(r["id"]) for r in leads[:1000])
    created = [r["createdAt"] for r in leads]
    assert created == sorted(created)  # id order is time order: keyset pagination by id is chronological
    known = rows(
        eng, "SELECT count(*) AS n FROM growth.acquisition_suppression s JOIN spine.person p USING (person_id)"
    )[0]["n"]
    assert known == rows(eng, "SELECT count(*) AS n FROM growth.acquisition_suppression")[0]["n"] > 0


def test_lead_intake_is_generated_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(growth, "CHUNK", 7_000)
    chunks = list(growth.lead_chunks(1, org_markets(), np.random.default_rng(1)))
    assert [c.num_rows for c in chunks] == [7_000] * 5 + [5_000]
    ids = [i for c in chunks for i in c.column("id").to_pylist()]
    stamps = [t for c in chunks for t in c.column("createdAt").to_pylist()]
    assert stamps == sorted(stamps) and ids == sorted(ids) and len(set(ids)) == len(ids)


def test_growth_alone_matches_the_full_generation(world: World) -> None:
    import duckdb

    from canon.examples.lessons.generate import generate_growth

    alone = duckdb.connect()
    generate_growth(alone, scale=1, seed=SEED)
    full = connect("duckdb", path=world.warehouse, read_only=True)
    for table in ("lead_intake", "campaign", "campaign_spend_daily", "subscriber"):
        assert (
            alone.sql(f"SELECT * FROM growth.{table}")
            .to_arrow_table()
            .equals(full.execute(f"SELECT * FROM growth.{table}"))
        ), table

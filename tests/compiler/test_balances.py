"""A balance by quarter or year is its value at the period's end; a flow is the sum of its months.

The world of tests/compiler/movement_world.py: MRR by month 2025-11 200.00, 2025-12 150.00,
2026-01 380.00, 2026-02 530.50, 2026-03 670.00 (data ends in March). MRR is a balance (the
knowledge base's run rate, and movements are computed from it); setup fees are a flow.

  MRR 2025-Q4 = December = 15000 cents;  2026-Q1 = March = 67000 (not 38000 + 53050 + 67000)
  MRR 2025 = December = 15000;  2026, still running = March, its latest month = 67000
  MRR 2026-Q1 by segment = March's: enterprise A 120 + B 250 = 37000; smb C 300 = 30000
  setup fees 2025-Q4 = 500; 2026-Q1 = 99900 + 1000 = 100900 (a flow: summed)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from canon.project import Project, load_project
from tests.compiler.movement_world import write_world

HAND_MONTHLY_MRR = """
select strftime(date_trunc('month', b.billed_on), '%Y-%m') as period, a.segment, sum(b.amount * 100)::bigint as cents
from raw_billing b join raw_accounts a using (account_id)
where b.kind = 'recurring' group by all
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(tmp_path_factory.mktemp("balances"))


@pytest.fixture()
def world(root: Path) -> Iterator[Project]:
    project = load_project(root)
    yield project
    project.close()


def monthly(root: Path) -> dict[tuple[str, str], int]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return {(p, s): c for p, s, c in con.execute(HAND_MONTHLY_MRR).fetchall()}
    finally:
        con.close()


def test_mrr_by_quarter_is_its_last_month_not_the_sum(root: Path, world: Project) -> None:
    hand = monthly(root)
    month_total = {p: sum(c for (q, _), c in hand.items() if q == p) for p, _ in hand}
    rows = world.query("mrr", grain="quarter", period_from="2025-Q4", period_to="2026-Q1").to_pylist()
    assert [(r["period"], r["mrr_cents"]) for r in rows] == [
        ("2025-Q4", month_total["2025-12"]),
        ("2026-Q1", month_total["2026-03"]),
    ]
    assert [r["mrr_cents"] for r in rows] == [15000, 67000]


def test_a_running_year_shows_its_latest_month(world: Project) -> None:
    rows = world.query("mrr", grain="year", period_from="2025", period_to="2026").to_pylist()
    assert [(r["period"], r["mrr_cents"]) for r in rows] == [("2025", 15000), ("2026", 67000)]


def test_by_segment_each_group_is_read_in_the_periods_last_month(root: Path, world: Project) -> None:
    hand = monthly(root)
    rows = world.query("mrr", grain="quarter", by=["segment"], period_from="2026-Q1", period_to="2026-Q1")
    got = {(r["segment"], r["mrr_cents"]) for r in rows.to_pylist()}
    assert got == {(s, c) for (p, s), c in hand.items() if p == "2026-03"} == {("enterprise", 37000), ("smb", 30000)}


def test_a_flow_by_quarter_is_still_the_sum_of_its_months(world: Project) -> None:
    rows = world.query("setup_fees", grain="quarter", period_from="2025-Q4", period_to="2026-Q1").to_pylist()
    assert [(r["period"], r["setup_fees_cents"]) for r in rows] == [("2025-Q4", 500), ("2026-Q1", 100900)]


def test_a_balance_by_quarter_compares_period_ends(world: Project) -> None:
    rows = world.query(
        "mrr", grain="quarter", period_from="2026-Q1", period_to="2026-Q1", compare="prior_period"
    ).to_pylist()
    assert [(r["mrr_cents"], r["mrr_previous_cents"], r["mrr_change_cents"]) for r in rows] == [(67000, 15000, 52000)]


def test_every_quarter_without_a_range_is_read_at_its_end(world: Project) -> None:
    rows = world.query("mrr", grain="quarter", period_from=None, period_to=None).to_pylist()
    assert [(r["period"], r["mrr_cents"]) for r in rows] == [("2025-Q4", 15000), ("2026-Q1", 67000)]


# -- the same rows on PostgreSQL and Spark ---------------------------------------------------------


def balances_answer(project: Project) -> list[tuple[object, ...]]:
    rows = project.query(
        "mrr", grain="quarter", by=["segment"], period_from="2025-Q4", period_to="2026-Q1", check=False
    ).to_pylist()
    return sorted((r["period"], r["segment"], r["mrr_cents"]) for r in rows)


def duckdb_answer(root: Path) -> list[tuple[object, ...]]:
    project = load_project(root)
    try:
        return balances_answer(project)
    finally:
        project.close()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_reads_the_same_period_ends(root: Path, pg_server: str) -> None:
    from canon.engines import connect
    from canon.engines.duckdb import DuckDBEngine
    from canon.engines.transfer import copy_to_postgres
    from tests.compiler.movement_world import ROWS
    from tests.support.postgres import fresh_database

    expected = duckdb_answer(root)
    dsn = fresh_database(pg_server, "balances")
    src = DuckDBEngine(root / "warehouse.duckdb", read_only=True)
    dst = connect("postgres", dsn=dsn)
    copy_to_postgres(src, dst, ROWS, dst_schema="public")  # type: ignore[arg-type]
    src.close()
    dst.close()
    project = load_project(root, engine=connect("postgres", dsn=dsn))
    try:
        assert balances_answer(project) == expected
    finally:
        project.close()


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_reads_the_same_period_ends(root: Path, spark_session: object, tmp_path: Path) -> None:
    from canon.engines.duckdb import DuckDBEngine
    from canon.engines.spark import SparkEngine
    from canon.engines.transfer import copy_to_spark
    from tests.compiler.movement_world import ROWS

    expected = duckdb_answer(root)
    src = DuckDBEngine(root / "warehouse.duckdb", read_only=True)
    engine = SparkEngine(session=spark_session)
    copy_to_spark(src, engine, ROWS, tmp_path / "parquet")
    src.close()
    project = load_project(root, engine=engine)
    assert balances_answer(project) == expected

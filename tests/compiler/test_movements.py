"""MRR movements and retention: hand figures, the bridge property, and the same cents on every engine."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.engines.duckdb import DuckDBEngine
from canon.errors import QueryError
from canon.project import Project, load_project
from tests.compiler.movement_world import (
    MOVEMENT_METRICS,
    MOVEMENTS,
    MRR,
    RETENTION,
    ROWS,
    write_world,
)
from tests.support.postgres import fresh_database

RANGE = {"period_from": "2026-01", "period_to": "2026-03"}
ALL = [*MOVEMENT_METRICS, "net_new_mrr", "nrr", "grr"]


@pytest.fixture(scope="module")
def world_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(tmp_path_factory.mktemp("movements"))


@pytest.fixture()
def world(world_root: Path) -> Iterator[Project]:
    project = load_project(world_root)
    yield project
    project.close()


def answer(project: Project) -> list[tuple[Any, ...]]:
    table = project.query(project.question(ALL, **RANGE), check=False)
    return [
        (r["period"], *[r[f"{m}_cents"] for m in [*MOVEMENT_METRICS, "net_new_mrr"]], r["nrr"], r["grr"])
        for r in table.to_pylist()
    ]


# comparisons and windows, asked of every engine too (their figures are checked in test_compare_windows)
OVER_TIME: list[tuple[list[str], dict[str, Any]]] = [
    (["mrr", "setup_fees", "new_mrr"], {"by": ["segment"]}),  # several subqueries side by side, NULL-safe
    (["mrr"], {"by": ["segment"], "compare": "prior_period"}),
    (["mrr", "nrr"], {"compare": "prior_year"}),
    (["setup_fees"], {"window": "ytd"}),
    (["setup_fees", "churn_mrr"], {"trailing": 2, "by": ["segment"]}),
]


def over_time(project: Project) -> list[list[tuple[Any, ...]]]:
    out = []
    for metrics, ask in OVER_TIME:
        table = project.query(project.question(metrics, **RANGE, **ask), check=False)
        names = [c for c in table.column_names if c != "period_start"]
        out.append(sorted((tuple(r[n] for n in names) for r in table.to_pylist()), key=repr))
    return out


def test_movements_match_the_hand_computed_world(world: Project) -> None:
    rows = answer(world)
    assert [r[0] for r in rows] == list(MOVEMENTS)
    for period, *values in rows:
        moves = MOVEMENTS[period]
        assert tuple(values[:5]) == moves
        previous = {"2026-01": "2025-12", "2026-02": "2026-01", "2026-03": "2026-02"}[period]
        assert values[5] == sum(moves) == MRR[period] - MRR[previous]  # net change
        assert (values[6], values[7]) == RETENTION[period]


def test_one_query_answers_every_movement(world: Project) -> None:
    sql = world.sql(ALL, **RANGE)
    assert sql.count("LAG(") == 2  # previous month and the 2-month cohort, once for all eight columns
    assert sql.upper().count('FROM "MAIN"."RAW_BILLING"') == 1


def test_a_movement_alone_and_in_company_agree(world: Project) -> None:
    alone = world.query("churn_mrr", **RANGE).column("churn_mrr_cents").to_pylist()
    assert alone == [MOVEMENTS[p][3] for p in MOVEMENTS]


@pytest.mark.parametrize(
    ("ask", "parameter"),
    [
        ({"grain": "quarter", "period_from": "2026-Q1", "period_to": "2026-Q1"}, "grain"),
        ({"by": ["account_id"], **RANGE}, "by"),
    ],
)
def test_movements_refuse_what_they_cannot_answer(world: Project, ask: dict[str, Any], parameter: str) -> None:
    with pytest.raises(QueryError) as err:
        world.query("new_mrr", **ask)
    assert err.value.location is not None and err.value.location.parameter == parameter


def test_a_movement_of_an_unknown_balance_names_the_field(tmp_path: Path) -> None:
    root = write_world(tmp_path / "w")
    (root / "metrics" / "odd.yml").write_text(
        "name: odd\nowner: x\ncomposition: {type: movement, of: mrrr, customer: account_id, movement: new}\n"
    )
    project = load_project(root)
    with pytest.raises(QueryError) as err:
        project.query("odd", **RANGE)
    assert "mrrr" in err.value.render() and "mrr" in (err.value.fix or "")
    project.close()


# -- the bridge property: movements of a month sum exactly to the change in MRR ----------------

MONTHS = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
amounts = st.sampled_from(["0.00", "10.00", "10.01", "25.50", "99.99", "-5.00", "120.00"])
worlds = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.sampled_from(MONTHS), amounts, st.integers(1, 27)),
    min_size=0,
    max_size=18,
)


def hand_movements(rows: list[tuple[str, date, str, int]]) -> dict[str, tuple[int, ...]]:
    """The movements computed a second way, in Python, from the rules in the module docstring."""
    balance: dict[tuple[str, date], int] = {}
    for account, month, amount, _ in rows:
        cents = int(amount.replace(".", "").replace("-", "")) * (-1 if amount.startswith("-") else 1)
        balance[(account, month)] = balance.get((account, month), 0) + cents
    out = {}
    for i, month in enumerate(MONTHS[2:], start=2):
        new = exp = con = churn = react = 0
        for account in "ABCDE":
            now, before = balance.get((account, month), 0), balance.get((account, MONTHS[i - 1]), 0)
            ever = any(balance.get((account, m), 0) != 0 for m in MONTHS[: i - 1])
            if before == 0 and now != 0:
                react, new = (react + now, new) if ever else (react, new + now)
            elif before != 0 and now == 0:
                churn -= before
            elif now > before:
                exp += now - before
            else:
                con += now - before
        out[f"{month.year}-{month.month:02d}"] = (new, exp, con, churn, react)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(worlds)
def test_movements_sum_to_the_change_in_mrr(rows: list[tuple[str, date, str, int]]) -> None:
    billing = [
        (f"r{i}", account, month.replace(day=day).isoformat(), amount, "recurring")
        for i, (account, month, amount, day) in enumerate(rows)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        project = load_project(write_world(Path(tmp), billing))
        ask = {"period_from": "2025-12", "period_to": "2026-02"}
        moves = project.query(project.question([*MOVEMENT_METRICS, "net_new_mrr"], **ask), check=False)
        mrr = project.query(project.question(["mrr"], period_from="2025-11", period_to="2026-02"), check=False)
        project.close()
    level = {r["period"]: r["mrr_cents"] for r in mrr.to_pylist()}
    by_month = {r["period"]: r for r in moves.to_pylist()}
    expected = hand_movements(rows)
    for period, previous in (("2025-12", "2025-11"), ("2026-01", "2025-12"), ("2026-02", "2026-01")):
        row = by_month.get(period, {})  # a month without any customer has no row
        got = tuple(row.get(f"{m}_cents", 0) for m in MOVEMENT_METRICS)
        assert got == expected[period]
        assert sum(got) == row.get("net_new_mrr_cents", 0) == level.get(period, 0) - level.get(previous, 0)


# -- the same cents on PostgreSQL and Spark -----------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_answer(world_root: Path) -> tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]:
    project = load_project(world_root)
    out = answer(project), over_time(project)
    project.close()
    return out


def test_duckdb_answer_is_the_hand_figures(duckdb_answer: tuple[list[tuple[Any, ...]], Any]) -> None:
    assert [row[1:6] for row in duckdb_answer[0]] == list(MOVEMENTS.values())


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_identical(world_root: Path, pg_server: str, duckdb_answer: tuple[Any, Any]) -> None:
    from canon.engines import connect
    from canon.engines.transfer import copy_to_postgres

    dsn = fresh_database(pg_server, "movements")
    src = DuckDBEngine(world_root / "warehouse.duckdb", read_only=True)
    dst = connect("postgres", dsn=dsn)
    copy_to_postgres(src, dst, ROWS, dst_schema="public")  # type: ignore[arg-type]
    src.close()
    dst.close()
    project = load_project(world_root, engine=connect("postgres", dsn=dsn))
    assert (answer(project), over_time(project)) == duckdb_answer
    project.close()


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_identical(world_root: Path, spark_session: Any, tmp_path: Path, duckdb_answer: tuple[Any, Any]) -> None:
    from canon.engines.spark import SparkEngine
    from canon.engines.transfer import copy_to_spark

    src = DuckDBEngine(world_root / "warehouse.duckdb", read_only=True)
    engine = SparkEngine(session=spark_session)
    copy_to_spark(src, engine, ROWS, tmp_path / "parquet")
    src.close()
    project = load_project(world_root, engine=engine)
    assert (answer(project), over_time(project)) == duckdb_answer


def test_movements_by_segment_match_the_hand_figures(world: Project) -> None:
    # 2026-01 by the world's table: enterprise B returns (reactivation 20000; A unchanged),
    # smb E arrives (new 8000) and D leaves (churn -5000)
    table = world.query(MOVEMENT_METRICS, by=["segment"], period_from="2026-01", period_to="2026-01")
    got = {r["segment"]: tuple(r[f"{m}_cents"] for m in MOVEMENT_METRICS) for r in table.to_pylist()}
    assert got == {"enterprise": (0, 0, 0, 0, 20000), "smb": (8000, 0, 0, -5000, 0)}


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "trino"])
def test_movement_sql_renders_for_other_warehouses(world: Project, dialect: str) -> None:
    sql = world.sql([*MOVEMENT_METRICS, "nrr"], dialect, **RANGE)
    assert "LAG(" in sql.upper() and "new_mrr_cents" in sql

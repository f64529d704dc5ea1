"""The same question returns identical rows on DuckDB, PostgreSQL and Spark (and the hand figures)."""

from __future__ import annotations

from typing import Any

import pytest

from canon.engines import connect
from canon.project import Project, load_project

QUESTIONS = [
    ("mrr", {"period_from": "2026-09", "period_to": "2026-10", "by": ["segment"]}),
    ("contract_mrr", {"period_from": "2026-08", "period_to": "2026-11"}),
    ("cash", {"period_from": "2026-09", "period_to": "2026-11"}),
    ("collected_subscriptions", {"period_from": "2026-09", "period_to": "2026-10"}),
    ("paying_accounts", {"period_from": "2026-09", "period_to": "2026-10"}),
    ("arr", {"period_from": "2026-09", "period_to": "2026-10"}),
    ("mrr", {"grain": "week", "period_from": "2026-W36", "period_to": "2026-W44"}),
]
EXPECTED_MRR_BY_SEGMENT = [
    ("2026-09", "enterprise", 1_000_000),
    ("2026-09", "smb", 200_001),
    ("2026-10", "enterprise", 1_000_000),
]


def rows(project: Project, metric: str, kw: dict[str, Any]) -> list[tuple[Any, ...]]:
    table = project.query(project.question([metric], **kw), check=False)
    names = [c for c in table.column_names if c != "period_start"]
    return sorted(tuple(r[n] for n in names) for r in table.to_pylist())


@pytest.fixture(scope="module")
def duckdb_rows(tiny_root: Any) -> dict[int, list[tuple[Any, ...]]]:
    project = load_project(tiny_root)
    out = {i: rows(project, m, kw) for i, (m, kw) in enumerate(QUESTIONS)}
    project.close()
    return out


def test_duckdb_matches_hand_figures(duckdb_rows: dict[int, list[tuple[Any, ...]]]) -> None:
    assert duckdb_rows[0] == EXPECTED_MRR_BY_SEGMENT


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_identical(tiny_root: Any, tiny_pg: str, duckdb_rows: dict[int, list[tuple[Any, ...]]]) -> None:
    project = load_project(tiny_root, engine=connect("postgres", dsn=tiny_pg))
    for i, (metric, kw) in enumerate(QUESTIONS):
        assert rows(project, metric, kw) == duckdb_rows[i], (metric, kw)
    project.close()


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_identical(tiny_root: Any, tiny_spark: Any, duckdb_rows: dict[int, list[tuple[Any, ...]]]) -> None:
    project = load_project(tiny_root, engine=tiny_spark)
    for i, (metric, kw) in enumerate(QUESTIONS):
        assert rows(project, metric, kw) == duckdb_rows[i], (metric, kw)

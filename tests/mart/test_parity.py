"""DuckDB and PostgreSQL serve the same mart: every grouping, row for row (as_of aside)."""

from __future__ import annotations

import pytest

from tests.mart.conftest import BuiltMart

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("lessons_pg")]


def test_engines_agree_on_every_grouping(duckdb_mart: BuiltMart, pg_mart: BuiltMart) -> None:
    names = [c.name for c in duckdb_mart.world.contracts()]
    assert sorted(pg_mart.engine.tables("mart")) == sorted([*names, "canon_mart_builds"])
    for name in names:
        duck = duckdb_mart.engine.execute(f"SELECT * FROM mart.{name}").to_pylist()
        pg = pg_mart.engine.execute(f"SELECT * FROM mart.{name}").to_pylist()
        assert len(duck) == len(pg) > 0, name

        def norm(rows: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
            return sorted((tuple((k, v) for k, v in r.items() if k != "as_of") for r in rows), key=repr)

        assert norm(duck) == norm(pg), name
        assert {r["as_of"] for r in pg} == {r["as_of"] for r in duck}

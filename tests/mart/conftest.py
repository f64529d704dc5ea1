"""Fixtures: one generated lessons world per worker, its mart built on DuckDB and on PostgreSQL.

Tests that read a built mart take `mart` (parametrized over both engines); they are grouped per
engine with xdist_group so each worker builds a world once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from canon.contracts.model import Metric
from canon.engines import Engine, connect
from canon.engines.duckdb import DuckDBEngine
from canon.examples.lessons import write_example
from canon.examples.lessons.pgcopy import copy_schemas
from canon.mart import build_mart, load_section
from tests.support.postgres import fresh_database

AS_OF = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
SCALE = 1
SEED = 7


@dataclass
class World:
    root: Path
    injected: dict[str, Any]

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def contracts(self) -> list[Metric]:
        return load_section(self.root / "metrics", "finance")


@dataclass
class BuiltMart:
    engine: Engine
    silver: DuckDBEngine  # the generator's warehouse, read-only: the independent side of every check
    world: World

    @property
    def kind(self) -> str:
        return self.engine.name


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("lessons")
    write_example(root, scale=SCALE, seed=SEED)
    return World(root, json.loads((root / ".canon" / "injected.json").read_text()))


@pytest.fixture(scope="session")
def finance_contracts(world: World) -> list[Metric]:
    return world.contracts()


@pytest.fixture(scope="session")
def duckdb_mart(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltMart]:
    # the mart is built into a copy so the world's own warehouse stays pristine for other fixtures
    path = tmp_path_factory.mktemp("duck") / "warehouse.duckdb"
    path.write_bytes(world.warehouse.read_bytes())
    engine = connect("duckdb", path=path)
    build_mart(engine, world.contracts(), section="finance", as_of=AS_OF)
    silver = connect("duckdb", path=world.warehouse, read_only=True)
    assert isinstance(silver, DuckDBEngine)
    yield BuiltMart(engine, silver, world)
    engine.close()
    silver.close()


@pytest.fixture(scope="session")
def pg_mart(world: World, pg_server: str) -> Iterator[BuiltMart]:
    silver = connect("duckdb", path=world.warehouse, read_only=True)
    assert isinstance(silver, DuckDBEngine)
    engine = connect("postgres", dsn=fresh_database(pg_server, "lessons_mart"))
    copy_schemas(silver, engine)  # type: ignore[arg-type]
    build_mart(engine, world.contracts(), section="finance", as_of=AS_OF)
    yield BuiltMart(engine, silver, world)
    engine.close()
    silver.close()


ENGINES = [
    pytest.param("duckdb", marks=pytest.mark.xdist_group("lessons_duckdb")),
    pytest.param("postgres", marks=[pytest.mark.xdist_group("lessons_pg"), pytest.mark.postgres, pytest.mark.slow]),
]


@pytest.fixture(params=ENGINES)
def mart(request: pytest.FixtureRequest) -> BuiltMart:
    name = "duckdb_mart" if request.param == "duckdb" else "pg_mart"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]

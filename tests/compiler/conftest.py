from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canon.engines.duckdb import DuckDBEngine
from canon.project import Project, load_project
from tests.compiler.fixture import ROWS, write_project
from tests.support.postgres import fresh_database


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("tiny"))


@pytest.fixture()
def tiny(tiny_root: Path) -> Iterator[Project]:
    project = load_project(tiny_root)
    yield project
    project.close()


@pytest.fixture(scope="session")
def tiny_pg(tiny_root: Path, pg_server: str) -> str:
    from canon.engines import connect
    from canon.engines.transfer import copy_to_postgres

    dsn = fresh_database(pg_server, "tiny")
    src = DuckDBEngine(tiny_root / "warehouse.duckdb", read_only=True)
    dst = connect("postgres", dsn=dsn)
    copy_to_postgres(src, dst, ROWS, dst_schema="public")  # type: ignore[arg-type]
    src.close()
    dst.close()
    return dsn


@pytest.fixture(scope="session")
def tiny_spark(tiny_root: Path, spark_session: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from canon.engines.spark import SparkEngine
    from canon.engines.transfer import copy_to_spark

    src = DuckDBEngine(tiny_root / "warehouse.duckdb", read_only=True)
    engine = SparkEngine(session=spark_session)
    copy_to_spark(src, engine, ROWS, tmp_path_factory.mktemp("tiny-parquet"))
    src.close()
    return engine

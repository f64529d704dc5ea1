"""Session-wide fixtures for real engines: one PostgreSQL server and one SparkSession per worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.postgres import throwaway_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """DSN of a throwaway PostgreSQL server (admin database); tests create their own databases."""
    with throwaway_postgres() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def spark_session() -> Any:
    from tests.support.spark import local_spark

    return local_spark()

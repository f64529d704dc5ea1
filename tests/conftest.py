"""Session-wide fixtures for real engines: one PostgreSQL server and one SparkSession per worker.

The fast tier (`make test-fast`: not slow/dbt/postgres/spark) relies on marks, so a test that
reaches a real engine or real dbt through a fixture without the matching mark is refused at
collection: the fast tier cannot silently start a PostgreSQL server, a SparkSession or dbt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.postgres import throwaway_postgres

# fixture (anywhere in a test's fixture closure) → the marks a test using it must carry
NEEDS_MARK: dict[str, tuple[str, ...]] = {
    "pg_server": ("postgres", "slow"),
    "spark_session": ("spark", "slow"),
    "acme_built": ("dbt", "slow"),  # tests/examples: the ACME project built by real dbt
    "acme_template": ("dbt", "slow"),  # tests/workflow: the same, copied per test
    "generated_dbt": ("dbt", "slow"),  # tests/audit: the generated project run by real dbt
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        marks = {m.name for m in item.iter_markers()}
        for fixture, needed in NEEDS_MARK.items():
            if fixture in names and not set(needed) <= marks:
                missing.append(f"{item.nodeid} uses `{fixture}`: mark it {' and '.join(needed)}")
    if missing:
        raise pytest.UsageError("tests reach a real engine or dbt without the mark:\n  " + "\n  ".join(missing))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """DSN of a throwaway PostgreSQL server (admin database); tests create their own databases."""
    with throwaway_postgres() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def spark_session() -> Any:
    from tests.support.spark import local_spark

    return local_spark()

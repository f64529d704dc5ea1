"""The ledger project (tests/audit/rows/ledger.py), audited once per module up to `reproduce`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from canon.audit.runner import AuditContext, AuditOptions, discover, extract, reproduce
from canon.compiler.periods import parse_period
from canon.project import Project, load_project
from tests.audit.rows.ledger import ledger_models, write_ledger

MARCH = parse_period("2026-03")


@pytest.fixture(scope="module")
def ledger_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ledger(tmp_path_factory.mktemp("ledger"))


@pytest.fixture(scope="module")
def ledger(ledger_root: Path) -> Iterator[Project]:
    project = load_project(ledger_root)
    yield project
    project.close()


def open_context(project: Project, **options: object) -> AuditContext:
    return AuditContext.open(
        project,
        AuditOptions("revenue", MARCH, ledger_models(project.root), with_history=False, **options),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def audited(ledger: Project) -> AuditContext:
    """discover → extract → reproduce over every ledger model (no contract: no canonical, no bridge)."""
    ctx = open_context(ledger)
    discover(ctx)
    extract(ctx)
    reproduce(ctx)
    return ctx

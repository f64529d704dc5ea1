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


def open_context(project: Project, metric: str = "revenue", **options: object) -> AuditContext:
    return AuditContext.open(
        project,
        AuditOptions(metric, MARCH, ledger_models(project.root), with_history=False, **options),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def audited(ledger: Project) -> AuditContext:
    """discover → extract → reproduce over every ledger model (no contract: no canonical, no bridge).

    With no contract a definition is an output named for the audited metric, so the ledger's
    `revenue` models and its `cash` models are two audits; their outputs are gathered in one
    context for the tests to read.
    """
    ctx = open_context(ledger)
    cash = open_context(ledger, "cash")
    for one in (ctx, cash):
        discover(one)
        extract(one)
        reproduce(one)
    ctx.definitions += cash.definitions
    ctx.extractions.update(cash.extractions)
    ctx.failed.update(cash.failed)
    ctx.skipped = {n: why for n, why in {**ctx.skipped, **cash.skipped}.items() if n not in ctx.extractions}
    return ctx

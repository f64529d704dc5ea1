"""One shop project per test module (tests/audit/stages/shop.py), opened as an audit context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from canon.audit.runner import AuditContext, AuditOptions
from canon.compiler.periods import parse_period
from canon.project import Project, load_project
from tests.audit.stages.shop import shop_models, write_shop

MARCH = parse_period("2026-03")


@pytest.fixture(scope="module")
def shop_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def shop(shop_root: Path) -> Iterator[Project]:
    project = load_project(shop_root)
    yield project
    project.close()


def open_context(project: Project, **options: object) -> AuditContext:
    """A fresh context over the shop's models, every stage output still empty."""
    return AuditContext.open(
        project,
        AuditOptions("revenue", MARCH, shop_models(project.root), with_history=False, **options),  # type: ignore[arg-type]
    )


@pytest.fixture()
def ctx(shop: Project) -> AuditContext:
    return open_context(shop)

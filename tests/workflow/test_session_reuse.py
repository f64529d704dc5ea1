"""The workflow session hands propose the audit's own evaluator and domains: the same proposal
as from fresh ones, with fewer warehouse queries (the shop project of tests/audit/stages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canon.audit.domains import Domains
from canon.audit.figures import Evaluator
from canon.project import Project, load_project
from canon.workflow.propose import propose
from canon.workflow.session import audit_session
from tests.audit.stages.shop import REVENUE_CENTS, write_shop


@pytest.fixture()
def shop(tmp_path: Path) -> Iterator[Project]:
    project = load_project(write_shop(tmp_path / "shop"))
    yield project
    project.close()


def counting(project: Project, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    execute = project.engine.execute

    def run(query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(query)
        return execute(query, *args, **kwargs)

    monkeypatch.setattr(project.engine, "execute", run)
    return seen


def test_propose_reuses_the_audits_evaluator_and_domains(shop: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    session = audit_session(shop, "revenue", "2026-03", with_history=False, sql_dir=shop.root / "models")
    assert session.context is not None
    assert session.evaluator is session.context.evaluator and session.domains is session.context.domains
    canonical = shop.metric("revenue").decisions
    assert session.evaluator.cache[canonical] == REVENUE_CENTS  # priced by the audit, kept for propose

    queries = counting(shop, monkeypatch)
    reused = session.propose().to_json()
    with_audits_caches = len(queries)
    relations = shop.relations(shop.engine)
    evaluator = Evaluator(shop.engine, shop.join_graph(), relations, session.audit.period)
    fresh = propose(shop, session.audit, evaluator, Domains(shop.engine, relations)).to_json()
    assert reused == fresh
    assert reused["value_cents"] == REVENUE_CENTS
    assert with_audits_caches < len(queries) - with_audits_caches

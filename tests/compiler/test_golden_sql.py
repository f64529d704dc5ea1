"""Golden files pin the generated SQL for every dialect. Regenerate: CANON_UPDATE_GOLDEN=1 pytest ..."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from canon.project import DIALECTS, Project

GOLDEN = Path(__file__).parent / "golden"
CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "mrr_by_segment": (["mrr"], {"by": ["segment"], "period_from": "2025-05", "period_to": "2026-10"}),
    "contract_mrr_range": (["contract_mrr"], {"period_from": "2026-09", "period_to": "2026-10"}),
    "semi_join_filter": (["collected_subscriptions"], {"period_from": "2026-10", "period_to": "2026-10"}),
    "derived_arr": (["arr"], {"period_from": "2026-10", "period_to": "2026-10"}),
    "two_metrics_weekly": (["mrr", "cash"], {"grain": "week", "period_from": "2026-W40", "period_to": "2026-W44"}),
    "where_on_dimension": (["mrr"], {"where": "segment IN ('enterprise', 'smb')", "period_from": "2026-10"}),
}


def render_all(project: Project, metrics: list[str], kw: dict[str, Any]) -> str:
    question = project.question(metrics, **kw)
    parts = [f"-- canon golden SQL: {' '.join(metrics)} {kw}\n"]
    for dialect in DIALECTS:
        parts.append(f"-- dialect: {dialect}\n{project.sql(question, dialect)};\n")
    return "\n".join(parts)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(tiny: Project, case: str) -> None:
    metrics, kw = CASES[case]
    text = render_all(tiny, metrics, kw)
    path = GOLDEN / f"{case}.sql"
    if os.environ.get("CANON_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text)
        if os.environ.get("CANON_UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {path.name} was missing and has been written; review and commit it")
    assert text == path.read_text(), f"SQL for {case} changed; rerun with CANON_UPDATE_GOLDEN=1 if intended"

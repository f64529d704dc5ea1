"""Baselines: every period's figure of every signed metric, stored so any later change shows.

`canon baseline` writes `.canon/baseline.json`; `canon verify` recomputes and reports each
period whose figure moved (a restated month is exactly what a board must hear about).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from canon.compiler.question import value_column
from canon.fsutil import atomic_write_text

if TYPE_CHECKING:
    from canon.project import Project


@dataclass
class Change:
    metric: str
    period: str
    before: int | None
    after: int | None

    @property
    def delta(self) -> int:
        return (self.after or 0) - (self.before or 0)


def figures(project: Project, metric: str) -> dict[str, int]:
    """Every period's value of a metric up to the current period."""
    m = project.metric(metric)
    to = project.config.current_period
    question = project.question([metric], "month", period_to=to)
    if question.first is None and m.is_declarative and m.decisions.time_basis.kind == "range" and to:
        question = project.question([metric], "month", period_from=None, period_to=to)
    table = project.query(question)
    col = value_column(m)
    return {r["period"]: int(r[col]) for r in table.to_pylist() if r["period"] is not None and r[col] is not None}


def write_baseline(project: Project, metrics: list[str]) -> dict[str, Any]:
    payload = {
        "written_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "metrics": {m: figures(project, m) for m in metrics},
        "definition_hashes": {m: project.metric(m).definition_hash() for m in metrics},
    }
    atomic_write_text(project.root / project.config.baseline, json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return payload


def read_baseline(project: Project) -> dict[str, Any] | None:
    path = project.root / project.config.baseline
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def compare(project: Project, metrics: list[str]) -> tuple[list[Change], bool]:
    """Changes against the baseline; the bool says whether a baseline exists at all."""
    stored = read_baseline(project)
    if stored is None:
        return [], False
    changes: list[Change] = []
    for metric in metrics:
        before = stored.get("metrics", {}).get(metric)
        if before is None:
            continue
        now = figures(project, metric)
        for period in sorted(set(before) | set(now)):
            if before.get(period) != now.get(period):
                changes.append(Change(metric, period, before.get(period), now.get(period)))
    return changes, True

"""What a mart build did (MartReport) and how a failed validation is reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.table import Table

from canon.errors import CheckFailed
from canon.mart.validate import Violation


@dataclass(frozen=True)
class GroupingReport:
    name: str
    rows: int
    seconds: float
    reads: tuple[str, ...] = ()
    unavailable_sources: tuple[str, ...] = ()


@dataclass
class MartReport:
    build_id: str
    engine: str
    schema: str
    section: str | None
    as_of: datetime
    groupings: list[GroupingReport] = field(default_factory=list)
    seconds: float = 0.0

    def grouping(self, name: str) -> GroupingReport:
        return next(g for g in self.groupings if g.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "build_id": self.build_id,
            "engine": self.engine,
            "schema": self.schema,
            "section": self.section,
            "as_of": self.as_of.isoformat(),
            "seconds": round(self.seconds, 3),
            "groupings": [
                {
                    "name": g.name,
                    "rows": g.rows,
                    "seconds": round(g.seconds, 3),
                    "reads": list(g.reads),
                    "unavailable_sources": list(g.unavailable_sources),
                }
                for g in self.groupings
            ],
        }

    def rich(self) -> Table:
        table = Table(title=f"mart `{self.schema}` built on {self.engine} (as_of {self.as_of.isoformat()})")
        table.add_column("grouping")
        table.add_column("rows", justify="right")
        table.add_column("seconds", justify="right")
        table.add_column("note")
        for g in self.groupings:
            note = f"absent: {', '.join(g.unavailable_sources)}" if g.unavailable_sources else ""
            table.add_row(g.name, f"{g.rows:,}", f"{g.seconds:.2f}", note)
        table.caption = f"total {self.seconds:.2f} s, swapped in atomically"
        return table


class MartValidationError(CheckFailed):
    """Staged groupings broke their contracts; nothing was published."""

    def __init__(self, violations: Sequence[Violation], schema: str) -> None:
        self.violations = list(violations)
        self.schema = schema
        super().__init__(self.render())

    def render(self) -> str:
        lines = [
            f"mart build stopped: {len(self.violations)} served-column rule(s) broken; "
            f"the previous `{self.schema}` tables are still serving"
        ]
        lines += [f"  - {v.problem().render()}" for v in self.violations]
        return "\n".join(lines)

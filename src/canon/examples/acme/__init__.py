"""The ACME walkthrough as an example project: `canon init --example acme DIR`."""

from __future__ import annotations

from pathlib import Path

from canon.examples import Example, ExampleOptions
from canon.examples.acme.calendar import Timeline
from canon.examples.acme.project import DEFAULT_PERIOD, write_acme


def _write(root: Path, options: ExampleOptions) -> None:
    write_acme(root, Timeline.parse(options.current_period or DEFAULT_PERIOD))


EXAMPLE = Example(
    name="acme",
    description="ACME Analytics: three teams, three MRRs (dbt + DuckDB, 18 months of data, git history).",
    write=_write,
)

__all__ = ["DEFAULT_PERIOD", "EXAMPLE"]

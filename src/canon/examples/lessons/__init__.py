"""The `lessons` example: a lesson marketplace's silver layer and its finance mart as contracts.

    write_example(dest, scale=1, seed=7)

writes `dest/warehouse.duckdb` (schemas spine, revenue, coaching, delivery, finance, growth),
`dest/canon.yml`, the finance contracts under `dest/metrics/finance/` and the record of
deliberately injected faults in `dest/.canon/injected.json`. Same seed and scale, same rows.
"""

from __future__ import annotations

from pathlib import Path

from canon.examples import Example, ExampleOptions
from canon.examples.lessons.writer import write_example


def _write(folder: Path, options: ExampleOptions) -> None:
    write_example(folder, scale=options.scale, seed=7 if options.seed is None else options.seed)


EXAMPLE = Example(
    name="lessons",
    description="A lesson marketplace's silver layer and its finance mart as seven contracts",
    write=_write,
    next_step="canon mart build   (then `canon serve`)",
)

__all__ = ["EXAMPLE", "write_example"]

"""The `lessons` example: a lesson marketplace's silver layer and its finance mart as contracts.

    write_example(dest, scale=1, seed=7)

writes `dest/warehouse.duckdb` (schemas spine, revenue, coaching, delivery, finance, growth),
`dest/canon.yml`, the finance contracts under `dest/metrics/finance/` and the record of
deliberately injected faults in `dest/.canon/injected.json`. Same seed and scale, same rows.
"""

from __future__ import annotations

from canon.examples.lessons.writer import write_example

__all__ = ["write_example"]

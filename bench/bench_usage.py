"""Usage from a query log: 100k and 1M lines over a 500-model project (target: a few seconds).

Baseline in the same process: the obvious cache, one sqlglot parse per distinct query TEXT
(what the brief names); canon caches per query SHAPE (literals masked), so a dashboard that
runs the same query with a thousand dates is parsed once. The baseline is run on the 20k log
only (its cost grows with distinct texts, i.e. with the log).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import canon.audit.usage as usage_mod
from bench.common import machine, peak_rss_mib, print_table
from bench.gen_query_log import generate_query_log
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.periods import parse_period


class ExactTextParser(usage_mod._Parser):
    """The baseline: cache keyed on the exact query text."""

    def models_in(self, query: str) -> tuple[str, ...] | None:
        if query in self.cache:
            return self.cache[query]
        self.parses += 1
        found = self._parse(query)
        self.cache[query] = found
        return found


def model_set(n: int = 500) -> ModelSet:
    names = [
        f"{p}_{i:03d}"
        for i, p in zip(range(n), ["fct_rev", "stg_inv", "rpt_mrr", "int_con", "mart_cash"] * n, strict=False)
    ]
    models = {m: ModelSource(m, "select 1", f"models/{m}.sql", ("warehouse", "main", m)) for m in names}
    return ModelSet(models, {})


def run(path: Path, models: ModelSet, exact: bool = False) -> tuple[float, usage_mod.LogStats]:
    original = usage_mod._Parser
    if exact:
        usage_mod._Parser = ExactTextParser  # type: ignore[misc]
    try:
        t0 = time.perf_counter()
        _, stats = usage_mod.usage_from_log(path, models, parse_period("2026-10"))
        return time.perf_counter() - t0, stats
    finally:
        usage_mod._Parser = original  # type: ignore[misc]


def main() -> None:
    models = model_set()
    names = list(models.models)
    tmp = Path(tempfile.mkdtemp(prefix="canon-bench-usage-"))
    rows = []
    for n in (20_000, 100_000, 1_000_000):
        path = generate_query_log(tmp / f"log_{n}.csv", names, n)
        secs, stats = run(path, models)
        base = "—"
        ratio = "—"
        if n == 20_000:
            base_secs, base_stats = run(path, models, exact=True)
            base = f"{base_secs:.2f} s ({base_stats.parsed_shapes:,} parses)"
            ratio = f"{base_secs / secs:.0f}× faster"
        rows.append([f"{n:,}", f"{secs:.2f} s ({stats.parsed_shapes:,} parses)", base, ratio, f"{stats.unparseable:,}"])
    print(f"machine: {machine()}; 500 models; peak RSS {peak_rss_mib():.0f} MiB")
    print_table(["log lines", "canon (shape cache)", "per-distinct-text cache", "ratio", "unparseable"], rows)


if __name__ == "__main__":
    main()

"""Rollups proven equal to source: aggregate tables declared in contracts, used only when derivable.

A contract's `rollups:` block names aggregate tables (a grain and some dimensions) that
`canon rollup build` materializes in the warehouse (`model.py`, `build.py`). A question is
answered from one (`route.py`) only when the answer is provably the source's answer:

* **grain** — every period asked is a whole number of the rollup's periods (checked on the exact
  boundaries of the periods asked, in the project's calendar: months make quarters and fiscal
  quarters of a plain fiscal year, days make anything, weeks make retail periods only when
  they start on the same weekday);
* **aggregation** — sums and counts re-aggregate as sums, minima and maxima as minima and
  maxima; distinct counts and averages only at the rollup's own grain and breakdown;
* **balances** — a validity-range metric (live contracts: a balance, not a flow) only at the
  rollup's own grain, never summed into a coarser period;
* **breakdown and filter** — `by` and `where` read only dimensions the rollup keeps;
* **freshness** — the source's fingerprint (row count of every table the metric reads, the
  measure column's sum, the time columns' range) and the contract's definition hash recorded
  at build equal today's; otherwise the source answers and the route says why.

Values are stored unscaled (the exact SUM of the measure, not rounded cents), so re-aggregating
and then scaling rounds once, exactly as the source query does: equal to the cent.
"""

"""A synthetic BI query log (CSV or JSONL) over a project's models, for usage benchmarks.

Queries come from a few hundred dashboard-like templates (joins, CTEs, quoting, schema
qualification) whose literals (dates, ids, thresholds) vary on every run, as in a real log.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

TEAMS = ["finance", "sales", "marketing", "exec", "ops", ""]
SHAPES = [
    "select sum({c}) from {m} where month = '{d}'",
    'SELECT * FROM "main"."{m}" WHERE {c} > {n} LIMIT {k}',
    "select a.*, b.* from warehouse.main.{m} a join {m2} b on a.account_id = b.account_id where a.month >= '{d}'",
    "with recent as (select * from {m} where month >= '{d}') select count(*) from recent where {c} > {n}",
    "select month, sum({c}) as total from main.{m} group by 1 order by 1 desc limit {k}",
    "select * from {m} where account_id in (select account_id from {m2} where {c} > {n})",
    "select 1 -- ping {n}",
    "select * from {m} where (month = '{d}'",  # a broken query: counted as unparseable
]


def generate_query_log(
    path: Path,
    models: list[str],
    n_lines: int,
    seed: int = 1,
    months: tuple[str, ...] = ("2026-08", "2026-09", "2026-10"),
) -> Path:
    rng = random.Random(seed)
    templates = []
    for _ in range(300):
        m, m2 = rng.sample(models, 2)
        templates.append((rng.choice(SHAPES), m, m2, rng.choice(["amount", "mrr", "revenue", "n"])))
    rows = []
    for _ in range(n_lines):
        shape, m, m2, c = rng.choice(templates)
        month = rng.choice(months)
        day = rng.randint(1, 28)
        query = shape.format(m=m, m2=m2, c=c, d=f"{month}-{day:02d}", n=rng.randint(0, 100_000), k=rng.randint(1, 500))
        ts = f"{month}-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        rows.append({"timestamp": ts, "user": f"user{rng.randint(1, 200)}", "team": rng.choice(TEAMS), "query": query})
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["timestamp", "user", "team", "query"])
            writer.writeheader()
            writer.writerows(rows)
    return path

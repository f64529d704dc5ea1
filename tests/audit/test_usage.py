"""Usage from a generated query log; expected counts come from how the log was generated."""

from __future__ import annotations

import csv
import json
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from canon.audit.sources import Exposure, ModelSet, ModelSource
from canon.audit.usage import UNKNOWN_TEAM, months_window, usage_from_exposures, usage_from_log
from canon.compiler.periods import parse_period
from canon.errors import UserError

MODELS = ["fct_revenue_monthly", "fct_arr_by_account", "fct_marketing_revenue", "stg_invoices"]

# (query template, models it reads) — the second element is what the test expects, written by hand.
TEMPLATES: list[tuple[str, frozenset[str] | None]] = [
    ("select sum(mrr) from fct_revenue_monthly where month = '{d}'", frozenset({"fct_revenue_monthly"})),
    (
        'SELECT a.account_id, r.mrr FROM "main"."fct_arr_by_account" AS a '
        "JOIN warehouse.main.fct_revenue_monthly r ON a.account_id = r.account_id WHERE r.mrr > {n}",
        frozenset({"fct_arr_by_account", "fct_revenue_monthly"}),
    ),
    (
        "with fct_marketing_revenue as (select * from raw_invoices where amount > {n}) "
        "select count(*) from fct_marketing_revenue",
        frozenset(),
    ),
    ("select 'fct_marketing_revenue' as name, {n} as n -- from fct_marketing_revenue", frozenset()),
    (
        "SELECT * FROM FCT_ARR_BY_ACCOUNT WHERE account_id IN (SELECT account_id FROM stg_invoices WHERE amount > {n})",
        frozenset({"fct_arr_by_account", "stg_invoices"}),
    ),
    ("select * from fct_revenue_monthly where (mrr > {n}", None),  # unbalanced: not SQL
    (
        'select m.* from "WAREHOUSE".main."fct_marketing_revenue" m where m.day = \'{d}\'',
        frozenset({"fct_marketing_revenue"}),
    ),
]
TEAMS = ["finance", "sales", "marketing", ""]
MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def model_set() -> ModelSet:
    models = {m: ModelSource(m, "select 1", f"models/{m}.sql", ("warehouse", "main", m)) for m in MODELS}
    exposures = [
        Exposure("board_deck", "dashboard", "cfo", ("fct_revenue_monthly",)),
        Exposure("pipeline_review", "dashboard", "cro", ("fct_arr_by_account", "fct_revenue_monthly")),
    ]
    return ModelSet(models, {"raw_invoices": ("warehouse", "main", "raw_invoices")}, exposures)


def generate(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        month = rng.choice(MONTHS)
        day = rng.randint(1, 28)
        ts = f"{month}-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
        idx = rng.randrange(len(TEMPLATES))
        query = TEMPLATES[idx][0].format(d=f"{month}-{day:02d}", n=rng.randint(0, 10_000))
        rows.append(
            {
                "timestamp": ts,
                "user": f"u{rng.randint(1, 40)}",
                "team": rng.choice(TEAMS),
                "query": query,
                "template": str(idx),
            }
        )
    return rows


def expected(rows: list[dict[str, str]], window: list[str]) -> dict[str, dict[str, object]]:
    months: Counter[tuple[str, str]] = Counter()
    teams: Counter[tuple[str, str]] = Counter()
    last: dict[str, str] = {}
    for r in rows:
        reads = TEMPLATES[int(r["template"])][1] or frozenset()
        for m in reads:
            months[(m, r["timestamp"][:7])] += 1
            if r["timestamp"][:7] in window:
                teams[(m, r["team"] or UNKNOWN_TEAM)] += 1
            last[m] = max(last.get(m, ""), r["timestamp"])
    out: dict[str, dict[str, object]] = {}
    for m in MODELS:
        out[m] = {
            "qpm": round(sum(months[(m, mo)] for mo in window) / len(window), 2),
            "by_month": {mo: months[(m, mo)] for mo in MONTHS},
            "by_team": {t: round(c / len(window), 2) for (mm, t), c in sorted(teams.items()) if mm == m},
            "last": last.get(m),
        }
    return out


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Timestamp", "USER", "Team", "Query", "warehouse_ms", "template"])  # header case, extra columns
        for r in rows:
            w.writerow([r["timestamp"], r["user"], r["team"], r["query"], "12", r["template"]])


def test_window_is_the_months_ending_with_the_period() -> None:
    assert months_window(parse_period("2026-10"), 3) == ["2026-08", "2026-09", "2026-10"]
    assert months_window(parse_period("2026-02"), 3) == ["2025-12", "2026-01", "2026-02"]
    assert months_window(parse_period("2026-Q4"), 2) == ["2026-11", "2026-12"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_usage_counts_match_the_generated_log(tmp_path: Path, fmt: str) -> None:
    rows = generate(3000)
    path = tmp_path / f"log.{fmt}"
    if fmt == "csv":
        write_csv(path, rows)
    else:
        path.write_text(
            "".join(json.dumps({k.upper() if k == "query" else k: v for k, v in r.items()}) + "\n" for r in rows)
        )
    usage, stats = usage_from_log(path, model_set(), parse_period("2026-10"))
    want = expected(rows, ["2026-08", "2026-09", "2026-10"])
    for m in MODELS:
        got = usage[m]
        assert got.queries_per_month == want[m]["qpm"], m
        assert got.by_month == want[m]["by_month"], m
        assert got.by_team == want[m]["by_team"], m
        assert (got.last_queried or None) == (want[m]["last"] and want[m]["last"]), m  # ISO of the same instant
    assert usage["fct_revenue_monthly"].exposures == ["board_deck", "pipeline_review"]
    assert usage["stg_invoices"].exposures == []
    bad = sum(1 for r in rows if TEMPLATES[int(r["template"])][1] is None)
    assert stats.records == 3000 and stats.unparseable == bad and stats.counted == 3000 - bad
    assert stats.matched == sum(1 for r in rows if TEMPLATES[int(r["template"])][1])


def test_never_queried_models_have_zero(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    write_csv(
        path, [{"timestamp": "2026-10-01T00:00:00", "user": "u", "team": "t", "query": "select 1", "template": "0"}]
    )
    usage, stats = usage_from_log(path, model_set(), parse_period("2026-10"))
    assert usage["fct_marketing_revenue"].queries_per_month == 0
    assert usage["fct_marketing_revenue"].last_queried is None
    assert usage["fct_marketing_revenue"].by_month == {"2026-10": 0}
    assert stats.counted == 1 and stats.matched == 0


def test_bad_records_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"timestamp": "2026-10-02T10:00:00Z", "team": "finance", "query": "select * from fct_revenue_monthly"}\n'
        "not json\n"
        '{"timestamp": "yesterday", "query": "select * from fct_revenue_monthly"}\n'
        '{"timestamp": "2026-10-03", "query": "select * from stg_invoices"}\n'
    )
    usage, stats = usage_from_log(path, model_set(), parse_period("2026-10"), window_months=1)
    assert stats.records == 4 and stats.bad_records == 2 and stats.counted == 2
    assert usage["fct_revenue_monthly"].queries_per_month == 1.0
    assert usage["fct_revenue_monthly"].last_queried == "2026-10-02T10:00:00+00:00"
    assert usage["stg_invoices"].by_team == {UNKNOWN_TEAM: 1.0}


def test_missing_columns_and_files_are_user_errors(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("when,sql\n2026-10-01,select 1\n")
    with pytest.raises(UserError, match="no timestamp or query column"):
        usage_from_log(path, model_set(), parse_period("2026-10"))
    with pytest.raises(UserError, match="does not exist"):
        usage_from_log(tmp_path / "nope.csv", model_set(), parse_period("2026-10"))


def test_exposures_per_model() -> None:
    assert usage_from_exposures(model_set()) == {
        "fct_arr_by_account": ["pipeline_review"],
        "fct_revenue_monthly": ["board_deck", "pipeline_review"],
    }


@pytest.mark.slow  # a timing check on a 100,000-line log
def test_hundred_thousand_lines_in_a_few_seconds(tmp_path: Path) -> None:
    rows = generate(100_000, seed=3)
    path = tmp_path / "big.csv"
    write_csv(path, rows)
    t0 = time.perf_counter()
    usage, stats = usage_from_log(path, model_set(), parse_period("2026-10"))
    elapsed = time.perf_counter() - t0
    assert stats.records == 100_000
    assert stats.parsed_shapes <= len(TEMPLATES)  # literals vary, shapes do not
    want = expected(rows, ["2026-08", "2026-09", "2026-10"])
    assert usage["fct_arr_by_account"].queries_per_month == want["fct_arr_by_account"]["qpm"]
    assert elapsed < 5, f"usage over 100k log lines took {elapsed:.1f}s"

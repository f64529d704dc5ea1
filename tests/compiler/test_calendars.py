"""Fiscal, retail and week-start calendars: a 4-4-5 table written out by hand, and the same cents on every engine.

The hand table: a 4-4-5 year ending on the last Saturday of January, weeks from Sunday.
31 Jan 2026 is a Saturday, so FY2026 runs 26 Jan 2025 .. 31 Jan 2026: 371 days, 53 weeks,
the 53rd in period 12 (six weeks). FY2025 (28 Jan 2024 .. 25 Jan 2025) has 52. FY2027 runs
1 Feb 2026 .. 30 Jan 2027 (31 Jan 2027 is a Sunday) — the tiny warehouse's invoices fall in it.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canon.compiler.calendars import Calendar, RetailRule
from canon.compiler.periods import Period, parse_period, period_range
from canon.engines import connect
from canon.errors import ConfigError, QueryError
from canon.project import Project, load_project

D = date
# (label, first day, last day), written out by hand from a wall calendar
FY2026_PERIODS = [
    ("FY2026-P01", D(2025, 1, 26), D(2025, 2, 22)),
    ("FY2026-P02", D(2025, 2, 23), D(2025, 3, 22)),
    ("FY2026-P03", D(2025, 3, 23), D(2025, 4, 26)),
    ("FY2026-P04", D(2025, 4, 27), D(2025, 5, 24)),
    ("FY2026-P05", D(2025, 5, 25), D(2025, 6, 21)),
    ("FY2026-P06", D(2025, 6, 22), D(2025, 7, 26)),
    ("FY2026-P07", D(2025, 7, 27), D(2025, 8, 23)),
    ("FY2026-P08", D(2025, 8, 24), D(2025, 9, 20)),
    ("FY2026-P09", D(2025, 9, 21), D(2025, 10, 25)),
    ("FY2026-P10", D(2025, 10, 26), D(2025, 11, 22)),
    ("FY2026-P11", D(2025, 11, 23), D(2025, 12, 20)),
    ("FY2026-P12", D(2025, 12, 21), D(2026, 1, 31)),  # 4-4-5's 5 weeks + the 53rd
]
FY2025_PERIODS = [
    ("FY2025-P01", D(2024, 1, 28), D(2024, 2, 24)),
    ("FY2025-P02", D(2024, 2, 25), D(2024, 3, 23)),
    ("FY2025-P03", D(2024, 3, 24), D(2024, 4, 27)),
    ("FY2025-P04", D(2024, 4, 28), D(2024, 5, 25)),
    ("FY2025-P05", D(2024, 5, 26), D(2024, 6, 22)),
    ("FY2025-P06", D(2024, 6, 23), D(2024, 7, 27)),
    ("FY2025-P07", D(2024, 7, 28), D(2024, 8, 24)),
    ("FY2025-P08", D(2024, 8, 25), D(2024, 9, 21)),
    ("FY2025-P09", D(2024, 9, 22), D(2024, 10, 26)),
    ("FY2025-P10", D(2024, 10, 27), D(2024, 11, 23)),
    ("FY2025-P11", D(2024, 11, 24), D(2024, 12, 21)),
    ("FY2025-P12", D(2024, 12, 22), D(2025, 1, 25)),
]
FY2026_QUARTERS = [
    ("FY2026-Q1", D(2025, 1, 26), D(2025, 4, 26)),
    ("FY2026-Q2", D(2025, 4, 27), D(2025, 7, 26)),
    ("FY2026-Q3", D(2025, 7, 27), D(2025, 10, 25)),
    ("FY2026-Q4", D(2025, 10, 26), D(2026, 1, 31)),
]
RETAIL = Calendar(fiscal_year_start=2, week_start=6, retail=RetailRule.parse("4-4-5", "last_saturday_of_january"))

CALENDAR_YML = """\
calendar:
  fiscal_year_start: 2
  week_start: sunday
  retail: {pattern: 4-4-5, ends: last_saturday_of_january}
"""


def test_retail_periods_match_the_hand_table() -> None:
    for table in (FY2025_PERIODS, FY2026_PERIODS):
        first = parse_period(table[0][0], None, RETAIL)
        got = [(p.label, p.start, p.last_day) for p in period_range(first, first.shift(11))]
        assert got == table
    quarters = period_range(parse_period("FY2026-Q1", None, RETAIL), parse_period("FY2026-Q4", None, RETAIL))
    assert [(p.label, p.start, p.last_day) for p in quarters] == FY2026_QUARTERS
    assert RETAIL.weeks_in(2026) == 53 and RETAIL.weeks_in(2025) == 52
    assert parse_period("FY2026-W53", None, RETAIL).start == D(2026, 1, 25)
    assert parse_period("FY2026", None, RETAIL).end == D(2026, 2, 1)
    with pytest.raises(ValueError, match="53"):
        parse_period("FY2025-W53", None, RETAIL)


def test_patterns_and_the_nearest_rule() -> None:
    # 4-5-4, NRF rule: the Saturday nearest 31 January. 31 Jan 2024 is a Wednesday → Sat 3 Feb 2024;
    # 31 Jan 2023 is a Tuesday → Sat 28 Jan 2023: fiscal year 29 Jan 2023 .. 3 Feb 2024, 53 weeks.
    nrf = Calendar(retail=RetailRule.parse("4-5-4", "nearest_saturday_to_end_of_january"), named_by="start")
    fy = parse_period("FY2023", None, nrf)
    assert (fy.start, fy.last_day) == (D(2023, 1, 29), D(2024, 2, 3))
    q1 = parse_period("FY2023-Q1", None, nrf)
    months = period_range(parse_period("FY2023-P01", None, nrf), parse_period("FY2023-P03", None, nrf))
    assert [(p.end - p.start).days // 7 for p in months] == [4, 5, 4] and q1.end == months[-1].end
    five = Calendar(retail=RetailRule.parse("5-4-4", "last_saturday_of_january"))
    assert parse_period("FY2026-P01", None, five).end == D(2025, 3, 2)  # 26 Jan 2025 + 5 weeks


def test_plain_fiscal_years_and_week_starts() -> None:
    july = Calendar(fiscal_year_start=7)
    q3 = parse_period("FY2026-Q3", None, july)  # July 2025 .. June 2026: Q3 is Jan..Mar 2026
    assert (q3.start, q3.end, q3.label) == (D(2026, 1, 1), D(2026, 4, 1), "FY2026-Q3")
    assert parse_period("2026-08-15", "fiscal_year", july).label == "FY2027"
    assert Period(D(2026, 8, 1), "fiscal_month", july).label == "FY2027-P02"
    assert parse_period("FY2026", None, Calendar(fiscal_year_start=7, named_by="start")).start == D(2026, 7, 1)
    # Sunday weeks: 4 January 2026 is a Sunday, so week 1 starts there; ISO week 1 starts 29 Dec 2025.
    assert parse_period("2026-W01", None, RETAIL).start == D(2026, 1, 4)
    assert parse_period("2026-W01").start == D(2025, 12, 29)
    assert parse_period("2026-09-01", "week", RETAIL).label == "2026-W35"


def test_prior_year_in_every_calendar() -> None:
    """What `--compare prior_year` stands on: the same fiscal period a year earlier, never a guess."""
    q3 = parse_period("FY2026-Q3", None, RETAIL)
    assert q3.prior_year() == parse_period("FY2025-Q3", None, RETAIL)
    assert q3.prior_year().start == D(2024, 7, 28)  # type: ignore[union-attr]  # FY2025 P07, by hand above
    assert parse_period("FY2026-W53", None, RETAIL).prior_year() is None  # FY2025 has 52 weeks
    assert parse_period("FY2026-W52", None, RETAIL).prior_year() == parse_period("FY2025-W52", None, RETAIL)
    july = Calendar(fiscal_year_start=7)
    assert parse_period("FY2026-Q1", None, july).prior_year() == Period(D(2024, 7, 1), "fiscal_quarter", july)
    assert parse_period("2026-Q2").prior_year() == parse_period("2025-Q2")
    assert parse_period("2026-W10").prior_year() == parse_period("2025-W10")
    assert parse_period("2020-W53").prior_year() is None  # ISO 2019 has 52 weeks
    assert parse_period("2024-02-29", "day").prior_year() is None


def test_fiscal_labels_need_the_calendar() -> None:
    """Where no calendar is known, FY2026-Q1 is refused rather than read as a Gregorian quarter."""
    with pytest.raises(ValueError, match="not a period"):
        parse_period("FY2026-Q1")
    assert parse_period("FY2026-Q1", None, Calendar()).start == D(2026, 1, 1)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)), st.integers(-30, 30))
@settings(max_examples=300, deadline=None)
def test_periods_tile_the_calendar(day: date, n: int) -> None:
    """Every day is in exactly one period of each grain, labels read back, shifts compose."""
    for cal in (RETAIL, Calendar(fiscal_year_start=4), Calendar(week_start=2)):
        for grain in ("fiscal_week", "fiscal_month", "fiscal_quarter", "fiscal_year", "week"):
            if grain == "fiscal_week" and cal.retail is None:
                continue
            p = parse_period(day.isoformat(), grain, cal)  # type: ignore[arg-type]
            assert p.start <= day < p.end
            assert parse_period(p.label, None, cal) == p
            assert p.shift(n).shift(-n) == p
            assert p.shift(1).start == p.end
            if grain == "week":
                assert p.end - p.start == timedelta(days=7)


@pytest.fixture(scope="module")
def fiscal_root(tiny_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fiscal")
    shutil.copytree(tiny_root / "metrics", root / "metrics")
    (root / "canon.yml").write_text(
        (tiny_root / "canon.yml").read_text().replace("warehouse.duckdb", str(tiny_root / "warehouse.duckdb"))
        + CALENDAR_YML
    )
    return root


# FY2027 periods (hand): P08 30 Aug..26 Sep 2026, P09 27 Sep..31 Oct, P10 1 Nov..28 Nov.
# mrr: I1 1 Sep 10000.00 + I3 15 Sep 2000.01 in P08; I2 1 Oct 10000.00 in P09.
# cash: P1 3 Sep in P08; P2, P3, P5, P7 (2, 1, 3, 12 Oct) in P09; P6 2 Nov in P10.
# contract_mrr in P09: C1 10000.00 + C2 2000.01 + C5 (one-time, 10..20 Oct) 125.00.
FISCAL_QUESTIONS: list[tuple[str, dict[str, Any], list[tuple[Any, ...]]]] = [
    (
        "mrr",
        {"grain": "fiscal_month", "period_from": "FY2027-P08", "period_to": "FY2027-P10"},
        [("FY2027-P08", 1_200_001), ("FY2027-P09", 1_000_000)],
    ),
    (
        "cash",
        {"grain": "fiscal_quarter", "period_from": "FY2027-Q3", "period_to": "FY2027-Q4"},
        [("FY2027-Q3", 2_650_001), ("FY2027-Q4", 50_000)],
    ),
    (
        "collected_by_sql",
        {"grain": "fiscal_month", "period_from": "FY2027-P08", "period_to": "FY2027-P10"},
        [("FY2027-P08", 1_000_000), ("FY2027-P09", 1_650_001), ("FY2027-P10", 50_000)],
    ),
    (
        "contract_mrr",
        {"grain": "fiscal_month", "period_from": "FY2027-P09", "period_to": "FY2027-P09"},
        [("FY2027-P09", 1_212_501)],
    ),
    (
        # ARR (mrr × 12) is a balance: FY2027 (running: the data ends in October) is its latest
        # month with data, October's MRR 10000.00 × 12 — not (12000.01 + 10000.00) × 12 summed
        "arr",
        {"grain": "fiscal_year", "period_from": "FY2027", "period_to": "FY2027"},
        [("FY2027", 12_000_000)],
    ),
    (
        "mrr",
        {"grain": "week", "period_from": "2026-W35", "period_to": "2026-W40"},
        [("2026-W35", 1_000_000), ("2026-W37", 200_001), ("2026-W39", 1_000_000)],
    ),
    (
        "cash",
        {"grain": "fiscal_week", "period_from": "FY2027-W31", "period_to": "FY2027-W40"},
        # W31 starts 1 Feb + 30 weeks = 30 Aug; W35 27 Sep..3 Oct, W37 11..17 Oct, W40 1..7 Nov:
        # P1 3 Sep in W31; P2, P3, P5 (1..3 Oct) in W35; P7 12 Oct in W37; P6 2 Nov in W40
        [("FY2027-W31", 1_000_000), ("FY2027-W35", 1_500_001), ("FY2027-W37", 150_000), ("FY2027-W40", 50_000)],
    ),
]


def rows(project: Project, metric: str, kw: dict[str, Any]) -> list[tuple[Any, ...]]:
    table = project.query(project.question([metric], **kw), check=False)
    names = [c for c in table.column_names if c != "period_start"]
    return sorted(tuple(r[n] for n in names) for r in table.to_pylist())


def test_duckdb_matches_the_hand_figures(fiscal_root: Path) -> None:
    project = load_project(fiscal_root)
    try:
        for metric, kw, expected in FISCAL_QUESTIONS:
            assert rows(project, metric, kw) == expected, (metric, kw)
    finally:
        project.close()


def test_fiscal_grains_are_a_case_tree_of_exact_dates(fiscal_root: Path) -> None:
    project = load_project(fiscal_root)
    # cash, a flow: summed by fiscal quarter through the CASE tree (a balance is read by month, at the end)
    sql = project.sql("cash", "duckdb", grain="fiscal_quarter", period_from="FY2027-Q1", period_to="FY2027-Q4")
    assert "DATE_TRUNC" not in sql.upper() and sql.count("CASE") == 3  # 4 quarters: a tree of 3 tests
    assert "'2026-08-02'" in sql and "'2026-11-01'" in sql  # Q3 and Q4 start, computed in Python
    # no range given: canon.yml's current period (2026-10) anchors the last six quarters
    q = project.question("mrr", grain="fiscal_quarter")
    assert q.last is not None and q.last.label == "FY2027-Q3" and q.first is not None and q.first.label == "FY2026-Q2"
    project.close()


def test_audit_periods_read_fiscal_labels(fiscal_root: Path) -> None:
    """`--period FY2027-Q3` (audit, workflow, API) is the fiscal quarter, and the audit's one-scan
    figures (`compile_batch`) agree with the query at that grain."""
    from canon.compiler.vector import compile_batch

    project = load_project(fiscal_root)
    period = project.period("FY2027-Q3")
    assert (period.grain, period.start, period.end) == ("fiscal_quarter", D(2026, 8, 2), D(2026, 11, 1))
    metric = project.metric("cash")
    tree = compile_batch([metric.decisions], period, project.join_graph(), project.relations(project.engine))
    batch = project.engine.execute(project.engine.render(tree)).to_pylist()[0]["v0"]
    assert batch == 2_650_001  # the hand figure of FISCAL_QUESTIONS' cash FY2027-Q3
    project.close()


def test_calendar_mistakes_are_user_errors(tmp_path: Path, fiscal_root: Path) -> None:
    root = tmp_path / "bad"
    shutil.copytree(fiscal_root, root)
    text = (root / "canon.yml").read_text()
    (root / "canon.yml").write_text(text.replace("last_saturday_of_january", "last_caturday_of_january"))
    with pytest.raises(ConfigError, match="last_<weekday>_of_<month>"):
        load_project(root).calendar  # noqa: B018
    (root / "canon.yml").write_text(text.replace("fiscal_year_start: 2", "fiscal_year_start: 5"))
    with pytest.raises(ConfigError, match="fiscal_year_start"):
        load_project(root).calendar  # noqa: B018
    plain = load_project(Path(str(fiscal_root)))
    plain.config.calendar = None
    plain.__dict__.pop("calendar", None)
    with pytest.raises(QueryError, match="retail"):
        plain.question("mrr", grain="fiscal_week", period_from="FY2027-W01", period_to="FY2027-W02")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_same_cents(fiscal_root: Path, tiny_pg: str) -> None:
    project = load_project(fiscal_root, engine=connect("postgres", dsn=tiny_pg))
    try:
        for metric, kw, expected in FISCAL_QUESTIONS:
            assert rows(project, metric, kw) == expected, (metric, kw)
    finally:
        project.close()


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_same_cents(fiscal_root: Path, tiny_spark: Any) -> None:
    project = load_project(fiscal_root, engine=tiny_spark)
    for metric, kw, expected in FISCAL_QUESTIONS:
        assert rows(project, metric, kw) == expected, (metric, kw)


def test_mart_groupings_at_fiscal_grains_are_bounded_in_the_calendar() -> None:
    """A served fiscal-quarter grouping filtered by fiscal months keeps the quarters starting in them."""
    from canon.mart.model import MartGrouping, period_bounds

    g = MartGrouping("sales", ("sales",), "mart", "sales", period_column="quarter", period_grain="fiscal_quarter")
    first = parse_period("FY2026-P07", None, RETAIL)  # 27 Jul 2025: Q3 starts that day
    last = parse_period("FY2026-P11", None, RETAIL)  # to 20 Dec 2025: Q4 (from 26 Oct) starts inside
    assert period_bounds(g, first, last) == ("FY2026-Q3", "FY2026-Q4", True)
    later = parse_period("FY2026-P08", None, RETAIL)  # from 24 Aug: Q3 started before it
    assert period_bounds(g, later, last) == ("FY2026-Q4", "FY2026-Q4", True)


def test_comparisons_compose_with_fiscal_grains(fiscal_root: Path) -> None:
    """`--compare` over fiscal periods: the previous fiscal month, and the same fiscal quarter a year back."""
    project = load_project(fiscal_root)
    table = project.query(
        "cash", grain="fiscal_month", period_from="FY2027-P09", period_to="FY2027-P10", compare="prior_period"
    )
    got = {r["period"]: (r["cash_cents"], r["cash_previous_cents"], r["cash_change_cents"]) for r in table.to_pylist()}
    # hand figures above: P08 1,000,000; P09 1,650,001; P10 50,000
    assert got == {"FY2027-P09": (1_650_001, 1_000_000, 650_001), "FY2027-P10": (50_000, 1_650_001, -1_600_001)}
    sql = project.sql(
        "cash", "duckdb", grain="fiscal_quarter", period_from="FY2027-Q3", period_to="FY2027-Q3", compare="prior_year"
    )
    assert "'2025-07-27'" in sql  # FY2026-Q3's first day (FY2026 P07 in the hand table), not 2 Aug 2025
    table = project.query(
        "cash", grain="fiscal_quarter", period_from="FY2027-Q3", period_to="FY2027-Q3", compare="prior_year"
    )
    assert [(r["period"], r["cash_cents"], r["cash_previous_cents"]) for r in table.to_pylist()] == [
        ("FY2027-Q3", 2_650_001, None)
    ]
    project.close()

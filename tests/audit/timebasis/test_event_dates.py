"""Event dates in every written form: period keys of one raw date, time-zone conversions, integer
YYYYMMDD keys (read directly or through a calendar model), and what is said, not guessed, when
the period comes from several dates or a window. Figures are October 2026 from `world.py`:
150.00 by UTC day, 75.00 in New York time."""

from __future__ import annotations

import pytest

from canon.audit.extract import NoTimeBasis
from canon.contracts.decisions import TimeBasis
from tests.audit.timebasis.world import World, ref

UTC_OCTOBER = 150_00  # P1 + P2 + P4
NEW_YORK_OCTOBER = 75_00  # P2 + P3 + P4
PAID_AT = TimeBasis((ref("payments.paid_at"),))
NEW_YORK = TimeBasis((ref("payments.paid_at"),), time_zone="America/New_York", source_zone="UTC")
DATE_KEY = TimeBasis((ref("payments.date_key"),), key_format="%Y%m%d")
DAYS = "select cast(unnest(generate_series(date '2026-01-01', date '2026-12-31', interval 1 day)) as date) as d"


def check(wh: World, sql: str, basis: TimeBasis, cents: int, dialect: str = "duckdb") -> None:
    e = wh.extract(sql, dialect)
    assert e.vector.time_basis == basis
    assert wh.model_cents(e) == cents
    assert wh.compiled_cents(e.vector) == cents


@pytest.mark.parametrize(
    ("keys", "group", "dialect"),
    [
        ("date_trunc('month', paid_at) as m", "1", "duckdb"),
        ("extract(year from paid_at) as y, extract(month from paid_at) as mo", "1, 2", "duckdb"),
        ("strftime(paid_at, '%Y-%m') as ym", "1", "duckdb"),
        ("to_char(paid_at, 'YYYY-MM') as ym", "1", "postgres"),
        ("year(paid_at) * 100 + month(paid_at) as ym", "1", "duckdb"),
        ("cast(paid_at as date) as paid_on", "1", "duckdb"),  # daily rows: the month is their sum
    ],
    ids=["date_trunc", "extract", "strftime", "to_char", "year-times-100", "daily"],
)
def test_period_keys_of_one_raw_date(wh: World, keys: str, group: str, dialect: str) -> None:
    check(wh, f"select {keys}, sum(amount) as cash from payments group by {group}", PAID_AT, UTC_OCTOBER, dialect)


@pytest.mark.parametrize(
    ("month", "dialect"),
    [
        ("date_trunc('month', (paid_at at time zone 'UTC') at time zone 'America/New_York')", "duckdb"),
        ("date_trunc('month', timezone('America/New_York', paid_at at time zone 'UTC'))", "duckdb"),
        ("DATE_TRUNC('month', CONVERT_TIMEZONE('UTC', 'America/New_York', paid_at))::DATE", "snowflake"),
    ],
    ids=["at-time-zone-twice", "timezone-function", "convert_timezone"],
)
def test_a_time_zone_conversion_before_truncating_is_part_of_the_time_basis(
    wh: World, month: str, dialect: str
) -> None:
    check(wh, f"select {month} as m, sum(amount) as cash from payments group by 1", NEW_YORK, NEW_YORK_OCTOBER, dialect)


def test_a_conversion_whose_date_depends_on_the_session_zone_is_said(wh: World) -> None:
    local = "paid_at at time zone 'America/New_York'"
    sql = f"select date_trunc('month', {local}) as m, sum(amount) as c from payments group by 1"
    with pytest.raises(NoTimeBasis, match="depends on the session's time zone"):
        wh.extract(sql)


def test_an_integer_key_joined_to_a_calendar_model_is_the_time_basis(wh: World) -> None:
    # dim_date is a model built from a series: its month is the calendar's, the raw date is the key
    dim_date = (
        f"with days as ({DAYS}) select cast(strftime(d, '%Y%m%d') as integer) as date_key,"
        " cast(date_trunc('month', d) as date) as month_start,"
        " cast(year(d) * 100 + month(d) as integer) as month_key from days"
    )
    sql = (
        "select dim_date.month_start, dim_date.month_key, sum(p.amount) as cash"
        " from payments p join dim_date on p.date_key = dim_date.date_key group by 1, 2"
    )
    e = wh.extract(sql, upstream={"dim_date": dim_date})
    assert e.vector.time_basis == DATE_KEY
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == UTC_OCTOBER


def test_a_timestamp_encoded_as_a_key_to_join_a_calendar_is_the_timestamp(wh: World) -> None:
    sql = (
        f"with days as ({DAYS}), dim as (select cast(strftime(d, '%Y%m%d') as integer) as date_key,"
        " cast(year(d) * 100 + month(d) as integer) as month_key from days)"
        " select dim.month_key, sum(p.amount) as cash from payments p"
        " join dim on cast(strftime(p.paid_at, '%Y%m%d') as integer) = dim.date_key group by 1"
    )
    check(wh, sql, PAID_AT, UTC_OCTOBER)


def test_a_date_dimension_loaded_as_a_table_is_a_calendar(wh: World) -> None:
    # calendar_days is a raw table, one row per day: its month is the fact key's month
    sql = (
        "select d.month_start, sum(p.amount) as cash from payments p"
        " join calendar_days d on p.date_key = d.date_key group by 1"
    )
    e = wh.extract(sql)
    assert e.vector.time_basis == DATE_KEY
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == UTC_OCTOBER


def test_a_table_joined_on_a_key_that_is_no_day_keeps_its_date(wh: World) -> None:
    # payments is joined on its unique id, which is no day: the date stays where the SQL reads it
    sql = (
        "select date_trunc('month', p.paid_at) as m, sum(s.amount) as mrr from subs s"
        " join payments p on p.id = s.id group by 1"
    )
    assert wh.extract(sql).vector.time_basis == PAID_AT


def test_an_integer_key_read_directly_is_an_event_date_by_its_values(wh: World) -> None:
    # every value of payments.date_key is a YYYYMMDD day (the data says so, not the name)
    for month_key in ("date_key // 100", "date_key / 100"):
        sql = f"select {month_key} as month_key, sum(amount) as cash from payments group by 1"
        check(wh, sql, DATE_KEY, UTC_OCTOBER)


def test_an_integer_that_is_no_date_is_no_period(wh: World) -> None:
    # planned amounts in whole dollars are integers too, but not days: grouped by them, the sums
    # are totals over all time (no period), never an event dated by the integer
    basis = wh.extract("select cast(planned as integer) as p, sum(planned) as planned from budgets group by 1")
    assert basis.vector.time_basis.kind == "lifetime" and basis.vector.time_basis.columns == ()


def test_coalesce_of_a_spine_month_and_a_raw_month_is_several_dates(wh: World) -> None:
    sql = (
        "with months as (select cast(unnest(generate_series(date '2026-01-01', date '2026-12-01', interval 1 month))"
        " as date) as month_start)"
        " select coalesce(months.month_start, date_trunc('month', p.paid_at)) as m, sum(p.amount) as cash"
        " from payments p full outer join months on months.month_start = date_trunc('month', p.paid_at) group by 1"
    )
    with pytest.raises(NoTimeBasis, match="the period is built from several dates: `m` = COALESCE"):
        wh.extract(sql)


def test_coalesce_of_two_raw_dates_is_several_dates(wh: World) -> None:
    sql = (
        "select coalesce(date_trunc('month', s.start_date), date_trunc('month', s.end_date)) as m,"
        " sum(s.amount) as mrr from subs s group by 1"
    )
    with pytest.raises(NoTimeBasis, match="several dates"):
        wh.extract(sql)


def test_a_value_carried_forward_by_a_window_is_named(wh: World) -> None:
    sql = (
        "with months as (select cast(unnest(generate_series(date '2026-01-01', date '2026-12-01', interval 1 month))"
        " as date) as month_start),"
        " filled as (select months.month_start,"
        " last_value(b.planned ignore nulls) over (order by months.month_start) as planned"
        " from months left join budgets b on b.budget_month = months.month_start)"
        " select month_start, sum(planned) as planned from filled group by 1"
    )
    models = wh.models({"m": sql}, "duckdb")
    extractor = wh.extractor(models)
    _, lineage = extractor.prepare(models.models["m"])
    candidates, notes = extractor.candidates(lineage)
    assert candidates == []
    assert [n.reason.split(":")[1].strip() for n in notes] == [
        "a value carried forward by a window (`LAST_VALUE(b.planned) IGNORE NULLS OVER (ORDER BY months.month_start"
        " NULLS LAST)`)"
    ]

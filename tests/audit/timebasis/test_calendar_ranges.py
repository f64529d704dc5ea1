"""Validity ranges joined to a generated calendar: each spine, join and end convention yields its
time basis, and the figure the basis compiles to equals the model's own and the hand figure of
`world.py` (October 2026)."""

from __future__ import annotations

import pytest

from canon.audit.extract import NoTimeBasis
from canon.contracts.decisions import TimeBasis
from tests.audit.timebasis.world import World, ref

SPINE = (
    "select cast(unnest(generate_series(date '2026-01-01', date '2026-12-01', interval 1 month)) as date)"
    " as month_start"
)
SPAN = (ref("subs.start_date"), ref("subs.end_date"))
PAID = {"subs.status": {"active", "canceled"}}  # `status <> 'trialing'` over the column's values

# hand figures, in cents (world.py)
ON_FIRST_EXCLUSIVE = 120_00
ON_FIRST_INCLUSIVE = 150_00
ON_FIRST_NO_OPEN_ENDS = 20_00
ANY_DAY_INCLUSIVE = 205_00


def filters(wh_extraction: object) -> dict[str, set[object]]:
    vector = wh_extraction.vector  # type: ignore[attr-defined]
    return {str(c): set(v) for c, v in vector.filters.items()}


def check(wh: World, sql: str, basis: TimeBasis, cents: int, dialect: str = "duckdb") -> None:
    e = wh.extract(sql, dialect)
    assert e.vector.time_basis == basis
    assert filters(e) == PAID
    assert wh.model_cents(e) == cents
    assert wh.compiled_cents(e.vector) == cents


def test_a_left_join_on_a_month_spine_decides_the_rows_of_the_amount_it_null_extends(wh: World) -> None:
    # the amount comes from the LEFT-joined side: the ON conditions are the range and the filter
    sql = f"""
    with months as ({SPINE}),
    joined as (
        select months.month_start, coalesce(s.amount, 0) as mrr
        from months
        left join subs s
            on s.start_date <= months.month_start
            and (s.end_date > months.month_start or s.end_date is null)
            and s.status <> 'trialing'
    )
    select month_start, sum(mrr) as mrr from joined group by 1
    """
    check(wh, sql, TimeBasis(SPAN, "range", end_inclusive=False, evaluated_at="first_day"), ON_FIRST_EXCLUSIVE)


def test_a_right_join_null_extends_its_from(wh: World) -> None:
    sql = f"""
    with months as ({SPINE})
    select months.month_start, sum(s.amount) as mrr
    from subs s
    right join months
        on s.start_date <= months.month_start
        and (s.end_date > months.month_start or s.end_date is null)
        and s.status <> 'trialing'
    group by 1
    """
    check(wh, sql, TimeBasis(SPAN, "range", end_inclusive=False, evaluated_at="first_day"), ON_FIRST_EXCLUSIVE)


def test_a_recursive_cte_that_steps_no_date_is_not_read_from_its_first_branch(wh: World) -> None:
    # a walk over rows (not a calendar): the amount of its first branch alone is not the output
    sql = """
    with recursive chain(id, amount, start_date) as (
        select id, amount, start_date from subs where id = 'S1'
        union all
        select s.id, s.amount, s.start_date from subs s join chain on s.id = 'S2' and chain.id = 'S1'
    )
    select date_trunc('month', start_date) as m, sum(amount) as total from chain group by 1
    """
    models = wh.models({"m": sql}, "duckdb")
    extractor = wh.extractor(models)
    _, lineage = extractor.prepare(models.models["m"])
    candidates, notes = extractor.candidates(lineage)
    assert candidates == []
    assert any("recursive CTE that steps no date" in n.reason for n in notes)


def test_the_on_conditions_of_a_left_join_do_not_decide_the_amount_of_the_preserved_side(wh: World) -> None:
    # budgets keep every row whatever the ON says: no customer filter, October's 1000.00
    sql = """
    select b.budget_month, sum(b.planned) as planned
    from budgets b
    left join customers c on c.segment = 'enterprise' and c.customer_id = 'nobody'
    group by 1
    """
    e = wh.extract(sql)
    assert e.vector.time_basis == TimeBasis((ref("budgets.budget_month"),))
    assert e.vector.filters == {}
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == 1000_00


def test_an_amount_read_from_both_sides_of_a_left_join_is_said_not_mapped(wh: World) -> None:
    # one raw column through the preserved and the null-extended side (a self-join)
    sql = """
    select a.start_date, sum(case when a.status = 'active' then a.amount else b.amount end) as amount
    from subs a
    left join subs b on b.id = a.id and b.status = 'canceled'
    group by 1
    """
    e = wh.extract(sql)
    assert [u.reason for u in e.unmapped if "LEFT JOIN" in u.reason] == [
        "the amount comes from both sides of a LEFT JOIN: its ON decides some of it and not the rest"
    ]
    assert all("canceled" not in p for p in e.vector.predicates)  # the ON was not applied to every row


def test_customer_months_bounded_by_min_and_max_then_left_joined_to_periods(wh: World) -> None:
    # the spine macro's bounds and the per-customer span are aggregates of the data: they bound
    # the calendar, not the rows
    sql = """
    with bounds as (
        select date_trunc('month', min(start_date)) as first_month,
               date_trunc('month', max(coalesce(end_date, start_date))) as last_month
        from subs
    ),
    months as (
        select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as date_month
        from bounds
    ),
    customers_span as (
        select customer_id,
               date_trunc('month', min(start_date)) as first_month,
               date_trunc('month', max(coalesce(end_date, date '9999-12-31'))) as last_month
        from subs group by 1
    ),
    customer_months as (
        select months.date_month, customers_span.customer_id
        from customers_span
        join months on months.date_month >= customers_span.first_month
                   and months.date_month <= customers_span.last_month
    ),
    joined as (
        select customer_months.date_month, coalesce(s.amount, 0) as mrr
        from customer_months
        left join subs s
            on customer_months.customer_id = s.customer_id
            and s.start_date <= customer_months.date_month
            and (s.end_date > customer_months.date_month or s.end_date is null)
            and s.status != 'trialing'
    )
    select date_month, sum(mrr) as mrr from joined group by 1
    """
    e = wh.extract(sql)
    assert e.vector.time_basis == TimeBasis(SPAN, "range", end_inclusive=False, evaluated_at="first_day")
    assert e.unmapped == []
    assert "calendar" in e.provenance
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == ON_FIRST_EXCLUSIVE


def test_a_recursive_month_spine_is_a_calendar(wh: World) -> None:
    sql = """
    with recursive spine(date_month) as (
        select cast(date_trunc('month', (select min(start_date) from subs)) as date)
        union all
        select cast(date_month + interval 1 month as date) from spine
        where date_month < cast(date_trunc('month', (select max(start_date) from subs)) as date)
    )
    select spine.date_month, sum(s.amount) as mrr
    from subs s
    join spine on s.start_date <= spine.date_month and (s.end_date > spine.date_month or s.end_date is null)
    where s.status <> 'trialing'
    group by 1
    """
    check(wh, sql, TimeBasis(SPAN, "range", end_inclusive=False, evaluated_at="first_day"), ON_FIRST_EXCLUSIVE)


def test_a_generator_spine_with_inclusive_ends_and_evergreen_nulls(wh: World) -> None:
    sql = """
    WITH months AS (
        SELECT DATEADD(month, SEQ4(), '2026-01-01'::DATE) AS month_start
        FROM TABLE(GENERATOR(ROWCOUNT => 12))
    )
    SELECT m.month_start, SUM(c.amount) AS mrr
    FROM months AS m
    JOIN subs AS c ON c.start_date <= m.month_start AND (c.end_date >= m.month_start OR c.end_date IS NULL)
    WHERE c.status <> 'trialing'
    GROUP BY 1
    """
    basis = TimeBasis(SPAN, "range", end_inclusive=True, evaluated_at="first_day")
    check(wh, sql, basis, ON_FIRST_INCLUSIVE, "snowflake")


def test_between_with_a_far_future_end_is_an_inclusive_range_open_at_null(wh: World) -> None:
    sql = f"""
    with months as ({SPINE})
    select months.month_start, sum(s.amount) as mrr
    from months
    join subs s on months.month_start between s.start_date and coalesce(s.end_date, date '9999-12-31')
    where s.status <> 'trialing'
    group by 1
    """
    check(wh, sql, TimeBasis(SPAN, "range", end_inclusive=True, evaluated_at="first_day"), ON_FIRST_INCLUSIVE)


@pytest.mark.parametrize(
    "started",
    [
        "s.start_date <= months.month_end",
        "date_trunc('month', s.start_date) <= months.month_start",
        "s.start_date < months.next_month",
    ],
    ids=["on-or-before-the-last-day", "month-of-start-on-or-before", "before-the-next-month"],
)
def test_overlap_with_any_day_of_the_month(wh: World, started: str) -> None:
    sql = f"""
    with months as (
        select month_start,
               cast(month_start + interval 1 month - interval 1 day as date) as month_end,
               cast(month_start + interval 1 month as date) as next_month
        from ({SPINE})
    )
    select months.month_start, sum(s.amount) as mrr
    from months
    join subs s on {started} and (s.end_date >= months.month_start or s.end_date is null)
    where s.status <> 'trialing'
    group by 1
    """
    check(wh, sql, TimeBasis(SPAN, "range", end_inclusive=True, evaluated_at="any_day"), ANY_DAY_INCLUSIVE)


def test_an_end_compared_without_null_leaves_open_periods_out(wh: World) -> None:
    # `end_date > month` is unknown for NULL: the running subscription S1 is not counted
    sql = f"""
    with months as ({SPINE})
    select months.month_start, sum(s.amount) as mrr
    from months join subs s on s.start_date <= months.month_start and s.end_date > months.month_start
    where s.status <> 'trialing'
    group by 1
    """
    e = wh.extract(sql)
    assert e.vector.time_basis == TimeBasis(SPAN, "range", end_inclusive=False, evaluated_at="first_day")
    assert e.vector.predicates == ("NOT subs.end_date IS NULL",)
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == ON_FIRST_NO_OPEN_ENDS


def test_live_through_the_whole_month_is_said_not_guessed(wh: World) -> None:
    sql = f"""
    with months as (
        select month_start, cast(month_start + interval 1 month - interval 1 day as date) as month_end from ({SPINE})
    )
    select months.month_start, sum(s.amount) as mrr
    from months join subs s on s.start_date <= months.month_start and s.end_date >= months.month_end
    group by 1
    """
    with pytest.raises(NoTimeBasis, match="live through the whole period"):
        wh.extract(sql)


def test_a_spine_left_joined_by_a_range_to_a_preserved_money_table_is_no_range(wh: World) -> None:
    # the spine is the null-extended side and the money the preserved one: the ON says nothing
    # about the amounts, so the budget month stays the period
    sql = f"""
    with months as ({SPINE})
    select b.budget_month, sum(b.planned) as planned
    from budgets b
    left join months on months.month_start = b.budget_month and months.month_start >= date '2026-10-01'
    group by 1
    """
    e = wh.extract(sql)
    assert e.vector.time_basis == TimeBasis((ref("budgets.budget_month"),))
    assert wh.model_cents(e) == wh.compiled_cents(e.vector) == 1000_00

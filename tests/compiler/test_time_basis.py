"""The compiler's time bases beyond a plain event date, each figure against hand SQL over the rows of
`tests/audit/timebasis/world.py`: a range live on the first day or on any day of the period (end
inclusive or not), a timestamp converted to a zone before truncating, an integer YYYYMMDD key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from canon.compiler.joins import JoinGraph
from canon.compiler.periods import parse_period
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, compile_vector
from canon.contracts.decisions import DecisionVector, EvaluatedAt, Measure, TimeBasis
from canon.contracts.loader import load_contract_spec
from canon.contracts.model import Metric
from canon.contracts.refs import ColumnRef
from canon.engines.duckdb import DuckDBEngine
from canon.errors import QueryError
from tests.audit.timebasis.world import warehouse

SEPTEMBER, NOVEMBER = parse_period("2026-09"), parse_period("2026-11")
R = ColumnRef.parse
SPAN = (R("subs.start_date"), R("subs.end_date"))


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    eng = warehouse()
    eng.conn.execute(
        "CREATE TABLE payments_tz AS SELECT id, amount, CAST(paid_at AS TIMESTAMPTZ) AS paid_at FROM payments"
    )
    yield eng
    eng.close()


def figures(engine: DuckDBEngine, vector: DecisionVector, grain: str = "month") -> dict[str, int]:
    """cents per period from September to November 2026, by the compiled query."""
    first, last = parse_period("2026-09", grain), parse_period("2026-11", grain)  # type: ignore[arg-type]
    q = VectorQuery(vector, "v", grain, first=first, last=last)  # type: ignore[arg-type]
    rows = engine.execute(compile_vector(q, JoinGraph([]), Relations())).to_pylist()
    return {str(r["period_start"]): r["v"] for r in rows if r["v"]}


def by_hand(engine: DuckDBEngine, condition: str, table: str = "subs") -> dict[str, int]:
    """cents per month start from September to November 2026, `condition` over `month` (a DATE)."""
    sql = f"""
        select cast(month as varchar) as m, cast(round(100 * sum(amount)) as bigint) as cents
        from (values (date '2026-09-01'), (date '2026-10-01'), (date '2026-11-01')) months(month)
        join {table} on {condition}
        group by 1 order by 1
    """
    return {r["m"]: r["cents"] for r in engine.execute(sql).to_pylist()}


def paid(basis: TimeBasis) -> DecisionVector:
    return DecisionVector.build(Measure(R("subs.amount")), basis, {R("subs.status"): ["active", "canceled"]})


@pytest.mark.parametrize(
    ("evaluated_at", "end_inclusive", "condition"),
    [
        ("first_day", False, "start_date <= month and (end_date > month or end_date is null)"),
        ("first_day", True, "start_date <= month and (end_date >= month or end_date is null)"),
        (
            "any_day",
            False,
            "start_date <= month + interval 1 month - interval 1 day and (end_date > month or end_date is null)",
        ),
        (
            "any_day",
            True,
            "start_date <= month + interval 1 month - interval 1 day and (end_date >= month or end_date is null)",
        ),
    ],
    ids=["first-day-end-exclusive", "first-day-end-inclusive", "any-day-end-exclusive", "any-day-end-inclusive"],
)
def test_a_range_is_live_on_the_day_it_says(
    engine: DuckDBEngine, evaluated_at: EvaluatedAt, end_inclusive: bool, condition: str
) -> None:
    vector = paid(TimeBasis(SPAN, "range", end_inclusive, evaluated_at))
    expected = by_hand(engine, f"status <> 'trialing' and {condition}")
    assert figures(engine, vector) == expected
    # the hand arithmetic of world.py for October, so the hand SQL is checked too
    october = {("first_day", False): 120_00, ("first_day", True): 150_00, ("any_day", True): 205_00}
    if (evaluated_at, end_inclusive) in october:
        assert expected["2026-10-01"] == october[(evaluated_at, end_inclusive)]


def test_a_timestamp_is_truncated_in_the_zone_it_is_reported_in(engine: DuckDBEngine) -> None:
    basis = TimeBasis((R("payments.paid_at"),), time_zone="America/New_York", source_zone="UTC")
    vector = DecisionVector.build(Measure(R("payments.amount")), basis)
    local = "(paid_at at time zone 'UTC') at time zone 'America/New_York'"
    expected = by_hand(engine, f"date_trunc('month', {local}) = month", "payments")
    assert figures(engine, vector) == expected
    assert expected["2026-10-01"] == 75_00  # P2 + P3 + P4


def test_instants_are_shown_in_the_zone_without_a_source_zone(engine: DuckDBEngine) -> None:
    basis = TimeBasis((R("payments_tz.paid_at"),), time_zone="America/New_York", source_zone=None)
    vector = DecisionVector.build(Measure(R("payments_tz.amount")), basis)
    expected = by_hand(engine, "date_trunc('month', paid_at at time zone 'America/New_York') = month", "payments_tz")
    assert figures(engine, vector) == expected
    assert expected["2026-10-01"] == 75_00


def test_an_integer_key_is_compared_as_an_integer_and_read_as_a_day(engine: DuckDBEngine) -> None:
    vector = DecisionVector.build(
        Measure(R("payments.amount")), TimeBasis((R("payments.date_key"),), key_format="%Y%m%d")
    )
    q = VectorQuery(vector, "v", "month", first=SEPTEMBER, last=NOVEMBER)
    sql = engine.render(compile_vector(q, JoinGraph([]), Relations()))
    assert "20260901" in sql and "20261201" in sql  # the key itself is filtered, no function on it
    expected = by_hand(engine, "date_key // 100 = year(month) * 100 + month(month)", "payments")
    assert figures(engine, vector) == expected
    assert expected["2026-10-01"] == 150_00  # P1 + P2 + P4
    assert figures(engine, vector, "day")["2026-10-15"] == 40_00  # P2


def test_a_month_key_has_no_days(engine: DuckDBEngine) -> None:
    vector = DecisionVector.build(
        Measure(R("payments.amount")), TimeBasis((R("payments.date_key"),), key_format="%Y%m")
    )
    with pytest.raises(QueryError, match="has no day"):
        figures(engine, vector, "day")


CONTRACT = """\
name: m
owner: finance
composition:
  type: declarative
  measure: {column: subs.amount}
  time_basis: TIME_BASIS
"""


def metric(tmp_path: Path, time_basis: str) -> Metric:
    path = tmp_path / "m.yml"
    path.write_text(CONTRACT.replace("TIME_BASIS", time_basis))
    spec, doc = load_contract_spec(path)
    return Metric(spec, path, doc)


def test_a_contract_states_every_time_basis_and_only_a_change_moves_its_hash(tmp_path: Path) -> None:
    plain = metric(tmp_path, "{range: {start: subs.start_date, end: subs.end_date, end_inclusive: false}}")
    first = metric(
        tmp_path,
        "{range: {start: subs.start_date, end: subs.end_date, end_inclusive: false, evaluated_at: first_day}}",
    )
    zoned = metric(tmp_path, "{column: payments.paid_at, time_zone: America/New_York}")
    keyed = metric(tmp_path, '{column: payments.date_key, key_format: "%Y%m%d"}')
    assert plain.decisions.time_basis == TimeBasis(SPAN, "range", False, "any_day")
    assert first.decisions.time_basis == TimeBasis(SPAN, "range", False, "first_day")
    assert zoned.decisions.time_basis == TimeBasis((R("payments.paid_at"),), time_zone="America/New_York")
    assert keyed.decisions.time_basis == TimeBasis((R("payments.date_key"),), key_format="%Y%m%d")
    assert plain.definition_hash() != first.definition_hash()
    # the settings at their default leave the hash as it was before they existed
    assert plain.spec.composition.time_basis.hashed() == {  # type: ignore[union-attr]
        "column": None,
        "range": {"start": "subs.start_date", "end": "subs.end_date", "end_inclusive": False},
    }


def test_a_zone_on_a_range_is_refused(tmp_path: Path) -> None:
    from canon.errors import CanonError

    with pytest.raises(CanonError, match="time_zone"):
        metric(tmp_path, "{range: {start: subs.start_date, end: subs.end_date}, time_zone: UTC}")

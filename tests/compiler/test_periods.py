from datetime import date

import pytest

from canon.compiler.periods import Period, parse_period, period_range


@pytest.mark.parametrize(
    ("text", "start", "grain", "end"),
    [
        ("2026-10", date(2026, 10, 1), "month", date(2026, 11, 1)),
        ("2026-12", date(2026, 12, 1), "month", date(2027, 1, 1)),
        ("2026-W01", date(2025, 12, 29), "week", date(2026, 1, 5)),
        ("2026-Q4", date(2026, 10, 1), "quarter", date(2027, 1, 1)),
        ("2026", date(2026, 1, 1), "year", date(2027, 1, 1)),
        ("2026-02-28", date(2026, 2, 28), "day", date(2026, 3, 1)),
    ],
)
def test_parse_period(text: str, start: date, grain: str, end: date) -> None:
    p = parse_period(text)
    assert (p.start, p.grain, p.end, p.label) == (start, grain, end, text)


def test_reexpress_in_grain() -> None:
    assert parse_period("2026-10-17", "month") == Period(date(2026, 10, 1), "month")
    assert parse_period("2026-10", "quarter").label == "2026-Q4"
    assert parse_period("2026-10-17", "week").label == "2026-W42"


def test_range_inclusive_and_across_years() -> None:
    labels = [p.label for p in period_range(parse_period("2025-11"), parse_period("2026-02"))]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert len(period_range(parse_period("2025-05"), parse_period("2026-10"))) == 18


def test_bad_period_says_what_is_accepted() -> None:
    with pytest.raises(ValueError, match="2026-W05"):
        parse_period("Oct 2026")

"""Calendars: fiscal years starting in any month, weeks starting on any day, retail 4-4-5 years.

Declared once in canon.yml (`calendar:`) and carried by every `Period`, so a fiscal quarter
is a grain like any other. All boundaries are exact dates computed here, in Python; the
compiler pushes them into SQL as literals (a CASE tree or a VALUES spine), never per row.

The rules, stated once:

* **Fiscal year.** It starts on the first day of `fiscal_year_start` (1 = January). Its name
  is the calendar year it ends in (`year_named_by: end`, the default: a year from February
  2025 to January 2026 is FY2026) or the one it starts in (`start`: FY2025).
* **Weeks.** A week starts on `week_start` (Monday by default, which makes them ISO weeks). A
  week belongs to the year holding its fourth day; week 1 is the week holding 4 January, as
  ISO 8601 says for Monday weeks. Labels keep ISO's spelling: `2026-W05`.
* **Retail (4-4-5, 4-5-4, 5-4-4).** The fiscal year ends on the last `<weekday>` of
  `<month>` (`last_saturday_of_january`) or on the `<weekday>` nearest the month's last day
  (`nearest_saturday_to_end_of_january`, the NRF rule), and the next year starts the day
  after. A year is therefore 52 weeks, or 53 when 371 days separate two year ends; the 53rd
  week is added to the year's last period (period 12, in quarter 4). Each quarter is three
  periods of the pattern's weeks; a week starts the day after the year-end weekday.
  Fiscal grains: `fiscal_year`, `fiscal_quarter`, `fiscal_month` (the period), `fiscal_week`.

Labels: `FY2026`, `FY2026-Q3`, `FY2026-P07` (fiscal month), `FY2026-W05` (retail week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from canon.errors import ConfigError, Location

if TYPE_CHECKING:
    from canon.config import CalendarConfig

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
PATTERNS = ("4-4-5", "4-5-4", "5-4-4")
FISCAL_GRAINS = ("fiscal_week", "fiscal_month", "fiscal_quarter", "fiscal_year")
_RULE = re.compile(r"^(last|nearest)_([a-z]+?)_(?:of|to_end_of)_([a-z]+)$")
_LABEL = re.compile(r"^FY(\d{4})(?:-([QPW])(\d{1,2}))?$", re.IGNORECASE)
_PER_YEAR = {"fiscal_month": 12, "fiscal_quarter": 4, "fiscal_year": 1}
_MONTHS_PER = {"fiscal_month": 1, "fiscal_quarter": 3, "fiscal_year": 12}


@dataclass(frozen=True)
class RetailRule:
    """How a retail year ends (`last`/`nearest` `weekday` of `month`) and its weeks per period."""

    weeks: tuple[int, int, int]
    weekday: int  # 0 = Monday, the weekday every fiscal year ends on
    month: int  # 1..12, the month it ends in (or nearest the end of)
    nearest: bool

    @classmethod
    def parse(cls, pattern: str, ends: str) -> RetailRule:
        """`4-4-5` and `last_saturday_of_january`; ValueError naming the accepted spellings."""
        if pattern not in PATTERNS:
            raise ValueError(f"retail pattern `{pattern}` is not one of {', '.join(PATTERNS)}")
        m = _RULE.match(ends.strip().lower())
        if not m or m.group(2) not in WEEKDAYS or m.group(3) not in MONTHS:
            raise ValueError(
                f"retail year end `{ends}` is not a rule; write last_<weekday>_of_<month> "
                "(last_saturday_of_january) or nearest_<weekday>_to_end_of_<month>"
            )
        if (m.group(1) == "nearest") != ("to_end_of" in ends):
            raise ValueError(f"write last_<weekday>_of_<month> or nearest_<weekday>_to_end_of_<month>, not `{ends}`")
        a, b, c = (int(x) for x in pattern.split("-"))
        return cls((a, b, c), WEEKDAYS.index(m.group(2)), MONTHS.index(m.group(3)) + 1, m.group(1) == "nearest")

    def year_end(self, year: int) -> date:
        """The last day of the fiscal year ending around `month` of calendar year `year`."""
        last = _add_months(date(year, self.month, 1), 1) - timedelta(days=1)
        back = (last.weekday() - self.weekday) % 7
        if self.nearest and back > 3:
            return last + timedelta(days=7 - back)
        return last - timedelta(days=back)


@dataclass(frozen=True)
class Calendar:
    """The project's calendar; the default one is the Gregorian year with ISO (Monday) weeks."""

    fiscal_year_start: int = 1
    week_start: int = 0
    retail: RetailRule | None = None
    named_by: Literal["start", "end"] = "end"

    # -- weeks ---------------------------------------------------------------------------
    def week_floor(self, day: date) -> date:
        return day - timedelta(days=(day.weekday() - self.week_start) % 7)

    def week_label(self, start: date) -> str:
        year = (start + timedelta(days=3)).year
        first = self.week_floor(date(year, 1, 4))
        return f"{year}-W{(start - first).days // 7 + 1:02d}"

    def week_start_of(self, year: int, week: int) -> date:
        first = self.week_floor(date(year, 1, 4))
        start = first + timedelta(weeks=week - 1)
        if not 1 <= week <= 53 or (start + timedelta(days=3)).year != year:
            raise ValueError(f"{year} has no week {week:02d}")
        return start

    # -- fiscal years ----------------------------------------------------------------------
    def year_bounds(self, end_year: int) -> tuple[date, date]:
        """[first day, first day after) of the fiscal year ending in calendar year `end_year`."""
        if self.retail is not None:
            return self.retail.year_end(end_year - 1) + timedelta(days=1), self.retail.year_end(end_year) + timedelta(
                days=1
            )
        start = date(end_year if self.fiscal_year_start == 1 else end_year - 1, self.fiscal_year_start, 1)
        return start, _add_months(start, 12)

    def end_year_of(self, day: date) -> int:
        """The calendar year the fiscal year holding `day` ends in."""
        for year in (day.year - 1, day.year, day.year + 1):
            start, end = self.year_bounds(year)
            if start <= day < end:
                return year
        raise AssertionError(f"no fiscal year holds {day}")  # pragma: no cover - years tile the line

    def _name_offset(self) -> int:
        """Label year = end year - offset: naming by start differs only when the year straddles two."""
        starts_in_january = self.retail.month == 12 if self.retail is not None else self.fiscal_year_start == 1
        return 1 if self.named_by == "start" and not starts_in_january else 0

    def weeks_in(self, end_year: int) -> int:
        start, end = self.year_bounds(end_year)
        return (end - start).days // 7

    def _retail_starts(self, end_year: int, grain: str) -> list[date]:
        """Starts of every period, quarter or week of a retail year (the 53rd week in period 12)."""
        start, _ = self.year_bounds(end_year)
        if grain == "fiscal_week":
            return [start + timedelta(weeks=i) for i in range(self.weeks_in(end_year))]
        assert self.retail is not None
        lengths = list(self.retail.weeks) * 4
        out, offset = [], 0
        for i, weeks in enumerate(lengths):
            if grain == "fiscal_month" or i % 3 == 0:
                out.append(start + timedelta(weeks=offset))
            offset += weeks
        return out if grain != "fiscal_year" else [start]

    def _starts(self, end_year: int, grain: str) -> list[date]:
        if self.retail is not None:
            return self._retail_starts(end_year, grain)
        if grain == "fiscal_week":
            raise ValueError("fiscal weeks need a retail calendar (calendar.retail in canon.yml)")
        start, _ = self.year_bounds(end_year)
        step = _MONTHS_PER[grain]
        return [_add_months(start, step * i) for i in range(12 // step)]

    def _locate(self, day: date, grain: str) -> tuple[int, int]:
        """(end year, index in that year) of the fiscal period of `grain` holding `day`."""
        year = self.end_year_of(day)
        starts = self._starts(year, grain)
        index = max(i for i, s in enumerate(starts) if s <= day)
        return year, index

    def floor(self, day: date, grain: str) -> date:
        """First day of the fiscal period of `grain` holding `day`."""
        year, index = self._locate(day, grain)
        return self._starts(year, grain)[index]

    def add(self, start: date, grain: str, n: int) -> date:
        """The start of the fiscal period `n` periods after the one starting at `start`."""
        if grain == "fiscal_week":
            return self.floor(start, grain) + timedelta(weeks=n)
        year, index = self._locate(start, grain)
        index += n
        per_year = _PER_YEAR[grain]
        year, index = year + index // per_year, index % per_year
        return self._starts(year, grain)[index]

    def label(self, start: date, grain: str) -> str:
        year, index = self._locate(start, grain)
        name = f"FY{year - self._name_offset()}"
        if grain == "fiscal_year":
            return name
        letter = {"fiscal_quarter": "Q", "fiscal_month": "P", "fiscal_week": "W"}[grain]
        return f"{name}-{letter}{index + 1:0{1 if letter == 'Q' else 2}d}"

    def parse(self, text: str) -> tuple[date, str] | None:
        """`FY2026`, `FY2026-Q3`, `FY2026-P07`, `FY2026-W05` → (start, grain); None if not fiscal."""
        m = _LABEL.match(text.strip())
        if not m:
            return None
        year = int(m.group(1)) + self._name_offset()
        letter = (m.group(2) or "").upper()
        grain = {"": "fiscal_year", "Q": "fiscal_quarter", "P": "fiscal_month", "W": "fiscal_week"}[letter]
        starts = self._starts(year, grain)
        number = int(m.group(3) or 1)
        if not 1 <= number <= len(starts):
            raise ValueError(f"`{text}`: fiscal year {m.group(1)} has {len(starts)} {grain.removeprefix('fiscal_')}s")
        return starts[number - 1], grain


DEFAULT = Calendar()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def from_config(config: CalendarConfig | None) -> Calendar:
    """canon.yml's `calendar:` block → a Calendar; a rule that does not parse names its field."""
    if config is None:
        return DEFAULT
    retail = None
    if config.retail is not None:
        try:
            retail = RetailRule.parse(config.retail.pattern, config.retail.ends)
        except ValueError as exc:
            raise ConfigError(
                str(exc),
                location=Location(file="canon.yml", field="calendar.retail.ends"),
                fix="e.g. `ends: last_saturday_of_january` or `ends: nearest_saturday_to_end_of_january`",
            ) from None
        first_month = retail.month % 12 + 1
        if "fiscal_year_start" in config.model_fields_set and config.fiscal_year_start != first_month:
            raise ConfigError(
                f"calendar.fiscal_year_start is {config.fiscal_year_start}, but a retail year ending in "
                f"{MONTHS[retail.month - 1]} starts around month {first_month}",
                location=Location(file="canon.yml", field="calendar.fiscal_year_start"),
                fix=f"set fiscal_year_start: {first_month} or leave it out",
            )
    return Calendar(
        fiscal_year_start=retail.month % 12 + 1 if retail else config.fiscal_year_start,
        week_start=WEEKDAYS.index(config.week_start),
        retail=retail,
        named_by=config.year_named_by,
    )

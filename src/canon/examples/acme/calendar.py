"""Month arithmetic for the example: every date is a month offset from the first month plus a day.

The generator never reads the wall clock. It places each event at (month offset, day) and
turns that into a date only at the end, so moving `--current-period` shifts every date and
leaves all amounts, counts and ids unchanged.
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date

from canon.errors import Location, UserError

MONTHS = 18  # the example covers 18 monthly periods ending in the current one
CURRENT = MONTHS - 1  # offset of the current month
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Timeline:
    """The 18-month window: offset 0 is the first month, CURRENT the current month."""

    current_year: int
    current_month: int

    @classmethod
    def parse(cls, text: str, parameter: str = "--current-period") -> Timeline:
        match = _PERIOD.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2200:
            raise UserError(
                f"`{text}` is not a month",
                location=Location(parameter=parameter),
                fix="write the current month as YYYY-MM, e.g. 2026-10",
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.current_year:04d}-{self.current_month:02d}"

    def _index(self, offset: int) -> tuple[int, int]:
        absolute = self.current_year * 12 + (self.current_month - 1) - CURRENT + offset
        return absolute // 12, absolute % 12 + 1

    def day(self, offset: int, day: int) -> date:
        """The date at `day` of month `offset`; a day past the month's end clamps to its last day."""
        year, month = self._index(offset)
        return date(year, month, min(day, _cal.monthrange(year, month)[1]))

    def month_start(self, offset: int) -> date:
        return self.day(offset, 1)

    def month_end(self, offset: int) -> date:
        return self.day(offset, 31)

    def days_in(self, offset: int) -> int:
        year, month = self._index(offset)
        return _cal.monthrange(year, month)[1]

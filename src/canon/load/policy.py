"""What a load may do to the tables it replaces: the error budget and the shrink guard.

A trusted loader refuses rather than quietly publishing a damaged table. Three limits are
judged per table after every row is checked and before anything is written:

- the **error budget**: quarantined rows at most `max_bad_rows`, and at most
  `max_bad_fraction` of the rows read (each limit applies when given; with neither given the
  budget is 0, as a warehouse `COPY` aborts on the first bad row by default). Within the
  budget the valid rows are loaded and the bad ones quarantined; above it nothing is loaded.
  `--allow-quarantine` is the unlimited budget (`max_bad_fraction=1`);
- the **shrink guard**: a replacement keeping fewer than `1 - shrink_limit` of the rows the
  table holds now (default: fewer than half), or none at all (a header-only export), is
  refused unless `allow_shrink`;
- the **parent guard** (judged in the pipeline, which knows the declared relationships):
  replacing a parent so that rows of an existing child table lose their parent is refused
  unless that child is loaded in the same run.

A refusal raises `LoadRefused` (exit 1) carrying the report, whose `refusals` say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from canon.errors import CheckFailed, Location, UserError
from canon.load.report import LoadReport


@dataclass(frozen=True)
class LoadPolicy:
    """The limits a load is judged against (see the module docstring)."""

    max_bad_rows: int | None = None
    max_bad_fraction: float | None = None
    allow_shrink: bool = False
    shrink_limit: float = 0.5

    def __post_init__(self) -> None:
        if self.max_bad_rows is not None and self.max_bad_rows < 0:
            raise UserError(
                f"the bad-row budget must be 0 or more, not {self.max_bad_rows}",
                location=Location(parameter="max_bad_rows"),
                fix="give a whole number of rows, e.g. --max-bad-rows 10",
            )
        for name, value in (("max_bad_fraction", self.max_bad_fraction), ("shrink_limit", self.shrink_limit)):
            if value is not None and not 0 <= value <= 1:
                raise UserError(
                    f"{name} must be a fraction between 0 and 1, not {value}",
                    location=Location(parameter=name),
                    fix="give e.g. 0.01 for 1%",
                )

    @classmethod
    def accept_all(cls) -> LoadPolicy:
        """Any number of quarantined rows (`--allow-quarantine`); the shrink guard still applies."""
        return cls(max_bad_fraction=1.0)

    def over_budget(self, bad: int, read: int) -> str | None:
        """Why `bad` quarantined rows of `read` exceed the budget, or None when they fit."""
        if self.max_bad_rows is None and self.max_bad_fraction is None:
            return f"{bad:,} row(s) quarantined; the error budget is 0" if bad else None
        if self.max_bad_rows is not None and bad > self.max_bad_rows:
            return f"{bad:,} row(s) quarantined, over the budget of {self.max_bad_rows:,} (--max-bad-rows)"
        if self.max_bad_fraction is not None and read and bad / read > self.max_bad_fraction:
            return (
                f"{bad:,} of {read:,} row(s) quarantined ({bad / read:.2%}), over the budget of "
                f"{self.max_bad_fraction:.2%} (--max-bad-fraction)"
            )
        return None

    def shrinks(self, before: int | None, after: int) -> str | None:
        """Why replacing `before` rows by `after` is refused as a shrink, or None."""
        if self.allow_shrink or not before:
            return None
        if after == 0:
            return f"the table would be emptied ({before:,} row(s) now, none in the new file)"
        kept = after / before
        if kept < 1 - self.shrink_limit:
            return (
                f"the table would shrink from {before:,} to {after:,} row(s) ({1 - kept:.0%} fewer; "
                f"the limit is {self.shrink_limit:.0%})"
            )
        return None


class LoadRefused(CheckFailed):
    """The load was judged and refused: no table changed (exit 1). `report` says what was found."""

    def __init__(
        self, message: str, *, report: LoadReport | None = None, location: Location | None = None, fix: str = ""
    ) -> None:
        self.message = message
        self.report = report
        self.location = location or Location()
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        return text + (f" Fix: {self.fix}" if self.fix else "")

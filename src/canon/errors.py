"""One exception hierarchy for canon.

Every failure a user can cause or fix is a `UserError`: it knows *what* went wrong,
*where* (file:line:column, a field path or a parameter) and *how to fix it*, so the CLI
can print one clear paragraph and exit 2 instead of a traceback. Failures of a check
(tests red, drift found) are `CheckFailed` and exit 1. Anything else is a bug.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches


@dataclass(frozen=True)
class Location:
    """Where a problem sits: a file position, a field path, or a CLI parameter."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    parameter: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            pos = self.file
            if self.line is not None:
                pos += f":{self.line}"
                if self.column is not None:
                    pos += f":{self.column}"
            parts.append(pos)
        if self.field:
            parts.append(f"field `{self.field}`")
        if self.parameter:
            parts.append(f"parameter `{self.parameter}`")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input; errors collect these so users fix all at once."""

    message: str
    location: Location = field(default_factory=Location)
    fix: str | None = None

    def render(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class CanonError(Exception):
    """Root of every error canon raises on purpose."""

    exit_code = 1

    def render(self) -> str:
        return str(self)


class UserError(CanonError):
    """Bad input: a file, a flag or a value the user can correct. Exit code 2."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        fix: str | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        self.message = message
        self.location = location or Location()
        self.fix = fix
        self.problems = tuple(problems)
        super().__init__(self.render())

    def spelled(self, names: Mapping[str, str]) -> UserError:
        """This error with parameters renamed for an interface (`period_from` → `--from` or `from`).

        The library names a parameter by its meaning; the CLI and the HTTP API each know their
        own spelling of it. Names missing from `names` are kept as they are.
        """

        def rename(loc: Location) -> Location:
            name = loc.parameter
            return replace(loc, parameter=names.get(name, name)) if name else loc

        renamed = copy.copy(self)
        renamed.location = rename(self.location)
        renamed.problems = tuple(replace(p, location=rename(p.location)) for p in self.problems)
        renamed.args = (renamed.render(),)
        return renamed

    def render(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        if self.problems:
            text += "\n" + "\n".join(f"  - {p.render()}" for p in self.problems)
        return text


class ConfigError(UserError):
    """The project configuration (canon.yml, profiles, a DSN) is wrong or missing."""


class ContractError(UserError):
    """A metric contract does not validate; carries one Problem per mistake."""


class QueryError(UserError):
    """A question asked of the compiler cannot be answered as asked."""


class LoadError(UserError):
    """Source data could not be loaded (as opposed to rows quarantined)."""


class BusyError(UserError):
    """Another canon process holds what this one must change alone (a mart being rebuilt)."""


class EngineError(CanonError):
    """The warehouse engine failed or is unreachable."""

    exit_code = 2


class CheckFailed(CanonError):
    """A check ran and found something wrong (tests red, drift, quarantined rows)."""

    exit_code = 1


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelled name, or None when nothing is close."""
    matches = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def hint_or_list(word: str, choices: Iterable[str], lead: str = "use one of", empty: str = "(none)") -> str:
    """The fix for an unknown name: the close match when there is one, else every valid name.

    Choices are listed in the order given (callers sort where order means nothing).
    """
    names = list(choices)
    return did_you_mean(word, names) or f"{lead}: {', '.join(names) or empty}"

"""Metric names are case-insensitive: `MRR` and `mrr` are the same metric everywhere.

People type the name as they say it (`--metric MRR`, `metrics: [Mrr]` in a contract) and
files are stored under it; a second spelling must never be a second metric, nor "unknown
metric". Contracts keep the spelling they were written with (what reports show); lookups fold
case.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar, overload

V = TypeVar("V")
D = TypeVar("D")


def metric_key(name: str) -> str:
    """The form two metric names are compared in (and stored files are named by)."""
    return name.casefold()


class MetricMap(dict[str, V]):
    """A dict of metrics by their written name whose lookups ignore case (`m["MRR"]` finds `mrr`)."""

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        super().__init__(items)
        self._folded = {metric_key(k): k for k in self}

    def spelled(self, name: str) -> str | None:
        """The name as its contract writes it, or None when no metric has it in any case."""
        if dict.__contains__(self, name):
            return name
        return self._folded.get(metric_key(name))

    def __setitem__(self, key: str, value: V) -> None:
        super().__setitem__(key, value)
        self._folded[metric_key(key)] = key

    def __getitem__(self, key: str) -> V:
        return super().__getitem__(self.spelled(key) or key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.spelled(key) is not None

    @overload
    def get(self, key: str, default: None = None, /) -> V | None: ...
    @overload
    def get(self, key: str, default: V | D, /) -> V | D: ...
    def get(self, key: str, default: object = None, /) -> object:
        spelled = self.spelled(key)
        return default if spelled is None else super().__getitem__(spelled)

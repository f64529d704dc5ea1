"""Decision vectors: the few choices on which definitions of one metric split.

A contract's declarative composition *is* a decision vector, and the audit extracts one
from every model it finds, so contracts and audits speak one language: which raw column is
measured and at what scale, which raw date column(s) place an amount in a period, which
values of each raw column are admitted. Comparing, bridging and compiling all work on this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, format_value, sorted_values, to_json_value

Aggregation = Literal["sum", "count", "count_distinct", "min", "max", "avg"]
TimeKind = Literal["event", "range"]
EvaluatedAt = Literal["any_day", "first_day"]
Unit = Literal["major", "minor", "count"]


@dataclass(frozen=True)
class Measure:
    """What is aggregated: a raw column, its aggregation and a numeric scale (÷12 is 1/12)."""

    column: ColumnRef
    scale: Fraction = Fraction(1)
    aggregation: Aggregation = "sum"
    unit: Unit = "major"

    def to_json(self) -> dict[str, Any]:
        return {"column": str(self.column), "scale": float(self.scale), "aggregation": self.aggregation}

    def describe(self) -> str:
        scale = "" if self.scale == 1 else f" × {format_fraction(self.scale)}"
        agg = "" if self.aggregation == "sum" else f"{self.aggregation} of "
        return f"{agg}{self.column}{scale}"


@dataclass(frozen=True)
class TimeBasis:
    """Which raw date places an amount in a period: one event date, or a validity range.

    A range is live in a period either on any day of it (the range overlaps the period:
    `start <= last day and end >= first day`) or on its first day only (`start <= first day
    < end`, what a month spine joined on its month start asks). An event date may be an
    integer key (`key_format`, e.g. `%Y%m%d` for 20261015) rather than a date, and a
    timestamp may be converted from the zone it is stored in to the zone the periods are
    cut in (`time_zone`) before it is truncated; `source_zone` None means the column holds
    instants (a timestamp with time zone) rather than wall-clock times.
    """

    columns: tuple[ColumnRef, ...]
    kind: TimeKind = "event"
    end_inclusive: bool = True
    evaluated_at: EvaluatedAt = "any_day"
    time_zone: str | None = None
    source_zone: str | None = "UTC"
    key_format: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "event" and len(self.columns) != 1:
            raise ValueError("an event time basis has exactly one date column")
        if self.kind == "range" and len(self.columns) != 2:
            raise ValueError("a range time basis has a start and an end column")
        if self.kind == "range" and (self.time_zone is not None or self.key_format is not None):
            raise ValueError("a time zone or an integer key format applies to an event date only")
        if self.kind == "event" and self.evaluated_at != "any_day":
            raise ValueError("an event date has no evaluation day: it falls in one period")

    def to_json(self) -> list[str]:
        return [str(c) for c in self.columns]

    def detail(self) -> dict[str, Any]:
        """What the time basis states beyond its columns and the defaults (empty: nothing more)."""
        out: dict[str, Any] = {}
        if not self.end_inclusive:
            out["end_inclusive"] = False
        if self.evaluated_at != "any_day":
            out["evaluated_at"] = self.evaluated_at
        if self.time_zone is not None:
            out["time_zone"] = self.time_zone
            out["source_zone"] = self.source_zone
        if self.key_format is not None:
            out["key_format"] = self.key_format
        return out

    def describe(self) -> str:
        if self.kind == "range":
            text = f"active between {self.columns[0]} and {self.columns[1]}"
            if not self.end_inclusive:
                text += " (end exclusive)"
            if self.evaluated_at == "first_day":
                text += " on the first day of the period"
            return text
        text = f"dated by {self.columns[0]}"
        if self.key_format is not None:
            text += f" (integer key {self.key_format})"
        if self.time_zone is not None:
            text += f" in {self.time_zone} time (stored {self.source_zone or 'as instants'})"
        return text


def freeze_filters(
    filters: Mapping[ColumnRef, Iterable[Scalar]],
) -> tuple[tuple[ColumnRef, frozenset[Scalar]], ...]:
    return tuple(sorted(((c, frozenset(v)) for c, v in filters.items()), key=lambda kv: (kv[0].table, kv[0].column)))


@dataclass(frozen=True)
class DecisionVector:
    """A definition reduced to its decisions. Filters restrict raw columns to admitted sets.

    `slices` are filters on dimension columns (e.g. only the enterprise segment): applied when
    compiling, reported apart, never counted as a divergence. `predicates` hold conditions
    that are not value sets (SQL text over `table.column` references).
    """

    measure: Measure
    time_basis: TimeBasis
    filter_items: tuple[tuple[ColumnRef, frozenset[Scalar]], ...] = ()
    slice_items: tuple[tuple[ColumnRef, frozenset[Scalar]], ...] = ()
    predicates: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls,
        measure: Measure,
        time_basis: TimeBasis,
        filters: Mapping[ColumnRef, Iterable[Scalar]] | None = None,
        slices: Mapping[ColumnRef, Iterable[Scalar]] | None = None,
        predicates: Iterable[str] = (),
    ) -> DecisionVector:
        return cls(
            measure=measure,
            time_basis=time_basis,
            filter_items=freeze_filters(filters or {}),
            slice_items=freeze_filters(slices or {}),
            predicates=tuple(sorted(set(predicates))),
        )

    @property
    def filters(self) -> dict[ColumnRef, frozenset[Scalar]]:
        return dict(self.filter_items)

    @property
    def slices(self) -> dict[ColumnRef, frozenset[Scalar]]:
        return dict(self.slice_items)

    def with_filter(self, column: ColumnRef, values: Iterable[Scalar] | None) -> DecisionVector:
        """A copy with one filter replaced (None removes it: every value admitted)."""
        filters = self.filters
        if values is None:
            filters.pop(column, None)
        else:
            filters[column] = frozenset(values)
        return replace(self, filter_items=freeze_filters(filters))

    def with_measure(self, measure: Measure) -> DecisionVector:
        return replace(self, measure=measure)

    def with_time_basis(self, time_basis: TimeBasis) -> DecisionVector:
        return replace(self, time_basis=time_basis)

    def tables(self) -> set[str]:
        cols = [self.measure.column, *self.time_basis.columns, *self.filters, *self.slices]
        return {c.table for c in cols}

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure.to_json(),
            "time_basis": self.time_basis.to_json(),
            "filters": {str(c): [to_json_value(v) for v in sorted_values(vals)] for c, vals in self.filter_items},
            **({"time_basis_detail": detail} if (detail := self.time_basis.detail()) else {}),
        }

    def same_definition(self, other: DecisionVector) -> bool:
        """Equal where it changes the number: measure, time basis, filters and predicates."""
        return (
            self.measure.column == other.measure.column
            and self.measure.scale == other.measure.scale
            and self.measure.aggregation == other.measure.aggregation
            and self.time_basis == other.time_basis
            and self.filter_items == other.filter_items
            and self.predicates == other.predicates
        )


def format_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    if value.numerator == 1:
        return f"1/{value.denominator}"
    return f"{value.numerator}/{value.denominator}"


def parse_scale(text: str | int | float) -> Fraction:
    """Scales are exact: "1/12", 12, "0.5" all become Fractions (floats via their decimal text)."""
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        return Fraction(str(text))
    return Fraction(text.replace(" ", ""))


def describe_filter(column: ColumnRef, values: frozenset[Scalar]) -> str:
    return f"{column} ∈ {{{', '.join(format_value(v) for v in sorted_values(values))}}}"

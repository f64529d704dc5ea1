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
Unit = Literal["major", "minor", "count"]


@dataclass(frozen=True)
class Measure:
    """What is aggregated: a raw column, its aggregation and a numeric scale (÷12 is 1/12).

    Real models often aggregate a per-row value that is not one column: `unit_amount ×
    quantity`, an amount normalized by a CASE on the billing interval, a sign flipped by the
    row's type. Then `expression` holds that value as SQL over `table.column` references (the
    predicate convention), `column` stays the money column it is built on (it roots the joins
    and names the unit), `amount` is the value before any per-row scaling or sign (`unit_amount *
    quantity`), and `scale_by` the column whose value picks the factor. Two measures are the
    same when column, scale, aggregation and expression are.
    """

    column: ColumnRef
    scale: Fraction = Fraction(1)
    aggregation: Aggregation = "sum"
    unit: Unit = "major"
    expression: str | None = None
    amount: str | None = field(default=None, compare=False)
    scale_by: ColumnRef | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "column": self.amount or str(self.column),
            "scale": float(self.scale),
            "aggregation": self.aggregation,
            "unit": "cents" if self.unit == "minor" else ("count" if self.unit == "count" else "dollars"),
        }
        if self.expression is not None:
            out["expression"] = self.expression
        if self.scale_by is not None:
            out["scale_by"] = str(self.scale_by)
        return out

    def refs(self) -> set[ColumnRef]:
        """Every raw column the measure reads (the expression's columns, or the one column)."""
        if self.expression is None:
            return {self.column}
        from canon.sqltree import qualified_columns

        return {ColumnRef(t, c) for t, c in qualified_columns(self.expression)} | {self.column}

    def describe(self) -> str:
        scale = "" if self.scale == 1 else f" × {format_fraction(self.scale)}"
        agg = "" if self.aggregation == "sum" else f"{self.aggregation} of "
        what = self.expression if self.expression is not None else str(self.column)
        if self.expression is not None and self.amount is not None:
            what = self.amount + (f" scaled by {self.scale_by}" if self.scale_by is not None else " (per row)")
        return f"{agg}{what}{scale}"


@dataclass(frozen=True)
class TimeBasis:
    """Which raw date places an amount in a period: one event date, or a validity range."""

    columns: tuple[ColumnRef, ...]
    kind: TimeKind = "event"
    end_inclusive: bool = True

    def __post_init__(self) -> None:
        if self.kind == "event" and len(self.columns) != 1:
            raise ValueError("an event time basis has exactly one date column")
        if self.kind == "range" and len(self.columns) != 2:
            raise ValueError("a range time basis has a start and an end column")

    def to_json(self) -> list[str]:
        return [str(c) for c in self.columns]

    def describe(self) -> str:
        if self.kind == "range":
            return f"active between {self.columns[0]} and {self.columns[1]}"
        return f"dated by {self.columns[0]}"


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
        cols = [*self.measure.refs(), *self.time_basis.columns, *self.filters, *self.slices]
        return {c.table for c in cols}

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure.to_json(),
            "time_basis": self.time_basis.to_json(),
            "filters": {str(c): [to_json_value(v) for v in sorted_values(vals)] for c, vals in self.filter_items},
        }

    def same_definition(self, other: DecisionVector) -> bool:
        """Equal where it changes the number: measure, time basis, filters and predicates."""
        return (
            self.measure.column == other.measure.column
            and self.measure.scale == other.measure.scale
            and self.measure.aggregation == other.measure.aggregation
            and self.measure.expression == other.measure.expression
            and self.time_basis.columns == other.time_basis.columns
            and self.time_basis.kind == other.time_basis.kind
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

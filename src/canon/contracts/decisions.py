"""Decision vectors: the few choices on which definitions of one metric split.

A contract's declarative composition *is* a decision vector, and the audit extracts one
from every model it finds, so contracts and audits speak one language: which raw column is
measured and at what scale, which raw date column(s) place an amount in a period, which
values of each raw column are admitted, and which rows count how many times (a deduplication
window, a join that multiplies rows, a required or excluded match in another table).
Comparing, bridging and compiling all work on this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal, TypeVar

from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, format_value, sorted_values, to_json_value

Aggregation = Literal["sum", "count", "count_distinct", "min", "max", "avg"]
TimeKind = Literal["event", "range", "lifetime"]  # lifetime: a total over all time, no period
EvaluatedAt = Literal["any_day", "first_day"]
Unit = Literal["major", "minor", "count"]
_RowDecision = TypeVar("_RowDecision", "Dedup", "FanOut", "RowMatch")


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
    # `avg` of per-group sums (`AVG` over a CTE of `SUM(amount)` per account and month): the
    # group key within the period; the value is the period's sum over its number of groups
    per: ColumnRef | None = None

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
        if self.per is not None:
            out["per"] = str(self.per)
        return out

    def refs(self) -> set[ColumnRef]:
        """Every raw column the measure reads (the expression's columns, or the one column)."""
        refs = {self.column} | ({self.per} if self.per is not None else set())
        if self.expression is None:
            return refs
        from canon.sqltree import qualified_columns

        return {ColumnRef(t, c) for t, c in qualified_columns(self.expression)} | refs

    def describe(self) -> str:
        scale = "" if self.scale == 1 else f" × {format_fraction(self.scale)}"
        agg = "" if self.aggregation == "sum" else f"{self.aggregation} of "
        if self.per is not None:
            agg = f"average per {self.per.column} of the sum of "
        what = self.expression if self.expression is not None else str(self.column)
        if self.expression is not None and self.amount is not None:
            what = self.amount + (f" scaled by {self.scale_by}" if self.scale_by is not None else " (per row)")
        return f"{agg}{what}{scale}"


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
        if self.kind == "lifetime" and self.columns:
            raise ValueError("a lifetime total has no date column")
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
        if self.kind == "lifetime":
            out["lifetime"] = True
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
        if self.kind == "lifetime":
            return "no period (a lifetime total, or one point in time)"
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


@dataclass(frozen=True)
class Dedup:
    """One row of `table` kept per `partition` key: the first by `order` ("latest version only").

    Written `row_number() over (partition by K order by T desc) = 1` (`ties=False`), or
    `rank()`/`dense_rank() = 1` and `max(T) over (partition by K) = T` (`ties=True`: every row
    tied first is kept). Expressions are SQL over `table.column`; `among` are the conditions
    that restricted the rows before they were ranked ("the latest *paid* version" is not "the
    latest version, if paid").
    """

    table: str
    partition: tuple[str, ...]
    order: tuple[tuple[str, bool], ...]  # (expression, descending)
    ties: bool = False
    among: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "partition": list(self.partition),
            "order": [{"expression": e, "descending": d} for e, d in self.order],
            "ties": self.ties,
            "among": list(self.among),
        }

    def describe(self) -> str:
        keys = ", ".join(_bare(p, self.table) for p in self.partition)
        order = ", ".join(f"{_bare(e, self.table)}{' desc' if d else ''}" for e, d in self.order)
        ties = " (ties all kept)" if self.ties else ""
        among = f", among rows where {' and '.join(self.among)}" if self.among else ""
        return f"latest version only: one row of {self.table} per {keys} by {order}{ties}{among}"


@dataclass(frozen=True)
class FanOut:
    """A one-to-many join that counts each measured row once per matching row of `other.table`.

    `own` is the column on the measured rows' side (the measure's table or a table it reaches
    many-to-one), `other` the column of the joined table, which is not unique there. An inner
    join also drops rows with no match; a LEFT join counts them once.
    """

    own: ColumnRef
    other: ColumnRef
    inner: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"own": str(self.own), "other": str(self.other), "inner": self.inner}

    def describe(self, measured: str) -> str:
        drop = "" if not self.inner else f"; rows with no {self.other.table} dropped"
        return (
            f"fan-out: each {measured} row counted once per {self.other.table} row "
            f"({self.own} = {self.other}, not unique on {self.other.table}){drop}"
        )


@dataclass(frozen=True)
class RowMatch:
    """Rows counted only when a row of `other.table` matches (semi-join) or only when none does (anti-join)."""

    own: ColumnRef
    other: ColumnRef
    present: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"own": str(self.own), "other": str(self.other), "present": self.present}

    def describe(self) -> str:
        if self.present:
            return f"only rows with a match in {self.other.table} ({self.own} = {self.other})"
        return f"rows with a match in {self.other.table} removed (anti-join on {self.own} = {self.other})"


def _bare(sql: str, table: str) -> str:
    """`t.col` → `col` for a description that already names the table."""
    prefix = f"{table}."
    return sql.replace(prefix, "") if sql.count(prefix) else sql


def freeze_filters(
    filters: Mapping[ColumnRef, Iterable[Scalar]],
) -> tuple[tuple[ColumnRef, frozenset[Scalar]], ...]:
    return tuple(sorted(((c, frozenset(v)) for c, v in filters.items()), key=lambda kv: (kv[0].table, kv[0].column)))


@dataclass(frozen=True)
class DecisionVector:
    """A definition reduced to its decisions. Filters restrict raw columns to admitted sets.

    `slices` are filters on dimension columns (e.g. only the enterprise segment): applied when
    compiling, reported apart, never counted as a divergence. `predicates` hold conditions
    that are not value sets (SQL text over `table.column` references). `dedup`, `fanout` and
    `matches` are the row decisions: which version of a row counts, which joins multiply the
    measured rows, which rows need (or must not have) a match in another table.

    `terms` makes the vector a composite: a model computing `lines − credit notes` or `items −
    order discount` sums amounts of several row sets, each with its own measure, time basis,
    filters and row decisions (a refund is placed by its return date, an order's discount by
    the order's date). The figure is the sum of the terms' figures (a subtracted term has a
    negative scale); the vector's own fields are those of its first term, so that code reading
    one measure still reads a real one, and `is_composite` says when that is not the whole story.
    """

    measure: Measure
    time_basis: TimeBasis
    filter_items: tuple[tuple[ColumnRef, frozenset[Scalar]], ...] = ()
    slice_items: tuple[tuple[ColumnRef, frozenset[Scalar]], ...] = ()
    predicates: tuple[str, ...] = field(default=())
    dedup: tuple[Dedup, ...] = ()
    fanout: tuple[FanOut, ...] = ()
    matches: tuple[RowMatch, ...] = ()
    terms: tuple[DecisionVector, ...] = ()

    @classmethod
    def composite(cls, terms: Iterable[DecisionVector]) -> DecisionVector:
        """The sum of several row sets' vectors (each a plain vector; one term is that vector)."""
        flat = tuple(t for v in terms for t in (v.terms or (v,)))
        if not flat:
            raise ValueError("a composite has at least one term")
        if len(flat) == 1:
            return flat[0]
        return replace(flat[0], terms=flat)

    @property
    def is_composite(self) -> bool:
        return bool(self.terms)

    def parts(self) -> tuple[DecisionVector, ...]:
        """The plain vectors whose figures add up to this one's (itself when it is not a composite)."""
        return self.terms or (self,)

    @classmethod
    def build(
        cls,
        measure: Measure,
        time_basis: TimeBasis,
        filters: Mapping[ColumnRef, Iterable[Scalar]] | None = None,
        slices: Mapping[ColumnRef, Iterable[Scalar]] | None = None,
        predicates: Iterable[str] = (),
        dedup: Iterable[Dedup] = (),
        fanout: Iterable[FanOut] = (),
        matches: Iterable[RowMatch] = (),
    ) -> DecisionVector:
        return cls(
            measure=measure,
            time_basis=time_basis,
            filter_items=freeze_filters(filters or {}),
            slice_items=freeze_filters(slices or {}),
            predicates=tuple(sorted(set(predicates))),
            dedup=freeze_rows(dedup),
            fanout=freeze_rows(fanout),
            matches=freeze_rows(matches),
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
        """Tables the measured rows are joined to (many-to-one) or tested against (semi-joins).

        A fan-out's own side is among them (the joined rows hang from it); its other side is
        joined by the compiler apart, since reaching it multiplies the measured rows.
        """
        cols = [*self.measure.refs(), *self.time_basis.columns, *self.filters, *self.slices]
        cols += [f.own for f in self.fanout] + [m.own for m in self.matches]
        return {c.table for c in cols}

    @property
    def has_row_decisions(self) -> bool:
        return bool(self.dedup or self.fanout or self.matches)

    def row_decisions(self) -> list[str]:
        """The row decisions in words, in a stable order (dedup, fan-out, matches)."""
        measured = self.measure.column.table
        return [
            *(d.describe() for d in self.dedup),
            *(f.describe(measured) for f in self.fanout),
            *(m.describe() for m in self.matches),
        ]

    def to_json(self) -> dict[str, Any]:
        if self.terms:
            return self._composite_json()
        out: dict[str, Any] = {
            "measure": self.measure.to_json(),
            "time_basis": self.time_basis.to_json(),
            "filters": {str(c): [to_json_value(v) for v in sorted_values(vals)] for c, vals in self.filter_items},
            **({"time_basis_detail": detail} if (detail := self.time_basis.detail()) else {}),
        }
        if self.has_row_decisions:  # added only when present: vectors without them keep their documented shape
            out["dedup"] = [d.to_json() for d in self.dedup]
            out["fanout"] = [f.to_json() for f in self.fanout]
            out["matches"] = [m.to_json() for m in self.matches]
        return out

    def _composite_json(self) -> dict[str, Any]:
        """A composite as its terms, plus the fields a reader of one vector expects: the measure
        as the signed sum of the terms' amounts, and the decisions all terms share."""
        terms = [t.to_json() for t in self.terms]
        measure = dict(terms[0]["measure"])
        measure.pop("expression", None)
        measure.pop("scale_by", None)
        measure["column"] = composite_text(self.terms)
        measure["scale"] = 1.0
        scale_by = list(dict.fromkeys(str(t.measure.scale_by) for t in self.terms if t.measure.scale_by is not None))
        if scale_by:  # the columns choosing a term's per-row factor or sign (`type = 'credit'`), term by term
            measure["scale_by"] = ", ".join(scale_by)
        # each filter applies to the rows of the terms that state it; one stated differently by two
        # terms is left to the terms
        filters: dict[str, Any] = {}
        conflicting: set[str] = set()
        for t in terms:
            for k, v in t["filters"].items():
                if k in filters and filters[k] != v:
                    conflicting.add(k)
                filters.setdefault(k, v)
        same_basis = all(t["time_basis"] == terms[0]["time_basis"] for t in terms)
        out: dict[str, Any] = {
            "measure": measure,
            "time_basis": terms[0]["time_basis"] if same_basis else [],
            "filters": {k: v for k, v in sorted(filters.items()) if k not in conflicting},
            "terms": terms,
        }
        if not same_basis:
            out["time_basis_detail"] = {"several": True}
        elif "time_basis_detail" in terms[0]:
            out["time_basis_detail"] = terms[0]["time_basis_detail"]
        for key in ("dedup", "fanout", "matches"):
            rows = [r for t in terms for r in t.get(key, [])]
            if any(key in t for t in terms):
                out[key] = list({json.dumps(r, sort_keys=True): r for r in rows}.values())
        return out

    def same_definition(self, other: DecisionVector) -> bool:
        """Equal where it changes the number: measure, time basis, filters and predicates.

        A lifetime total is the same definition at another grain when everything but the
        period agrees: a customer's lifetime value and the monthly figure it sums are one way;
        an average per group (per account, per order) of the same amounts is another statistic
        of it, not another way. Composites are the same when they have the same terms, term by term.
        """
        if self.terms or other.terms:
            mine, theirs = self.parts(), other.parts()
            if len(mine) != len(theirs):
                return False
            rest = list(theirs)
            for term in mine:
                match = next((t for t in rest if term.same_definition(t)), None)
                if match is None:
                    return False
                rest.remove(match)
            return True
        if (self.measure.per is None) != (other.measure.per is None):
            # an average per account of the same amounts is another statistic of this definition
            return replace(self, measure=_summed(self.measure)).same_definition(
                replace(other, measure=_summed(other.measure))
            )
        lifetime = "lifetime" in (self.time_basis.kind, other.time_basis.kind)
        # A snapshot evaluates the other's validity range at one date (`end_date > current_date`):
        # its conditions on those date columns are that evaluation, not a decision of their own.
        dates = set(self.time_basis.columns) | set(other.time_basis.columns) if lifetime else set()
        return (
            self.measure.column == other.measure.column
            and self.measure.scale == other.measure.scale
            and self.measure.aggregation == other.measure.aggregation
            and self.measure.expression == other.measure.expression
            and (lifetime or self.time_basis == other.time_basis)
            and _without(self.filter_items, dates) == _without(other.filter_items, dates)
            and _predicates_without(self.predicates, dates) == _predicates_without(other.predicates, dates)
            and self.dedup == other.dedup
            and self.fanout == other.fanout
            and self.matches == other.matches
        )


def _summed(measure: Measure) -> Measure:
    """The amounts an average of per-group sums adds up (the measure itself otherwise)."""
    return replace(measure, aggregation="sum", per=None) if measure.per is not None else measure


def composite_text(terms: Iterable[DecisionVector]) -> str:
    """`a - b + c`: the terms' amounts with their signs (a scale other than ±1 written as `× s`)."""
    out = ""
    for i, term in enumerate(terms):
        m = term.measure
        what = m.amount or m.expression or str(m.column)
        size = abs(m.scale)
        text = what if size == 1 else f"{what} × {format_fraction(size)}"
        if i == 0:
            out = f"-{text}" if m.scale < 0 else text
        else:
            out += f" - {text}" if m.scale < 0 else f" + {text}"
    return out


def _without(
    items: tuple[tuple[ColumnRef, frozenset[Scalar]], ...], columns: set[ColumnRef]
) -> tuple[tuple[ColumnRef, frozenset[Scalar]], ...]:
    return tuple(kv for kv in items if kv[0] not in columns)


def _predicates_without(predicates: tuple[str, ...], columns: set[ColumnRef]) -> tuple[str, ...]:
    """The predicates that read something beyond `columns` (all of them when there are none)."""
    if not columns:
        return predicates
    from canon.sqltree import qualified_columns

    return tuple(p for p in predicates if not {ColumnRef(t, c) for t, c in qualified_columns(p)} <= columns)


def freeze_rows(items: Iterable[_RowDecision]) -> tuple[_RowDecision, ...]:
    """Row decisions as a sorted tuple without repeats: equal decisions compare and hash equal."""
    return tuple(sorted(set(items), key=lambda d: json.dumps(d.to_json(), sort_keys=True)))


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

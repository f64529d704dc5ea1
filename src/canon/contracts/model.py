"""Resolved metrics: a validated spec turned into typed references the compiler works on.

The spec is what the file says; a `Metric` is what it means: a decision vector (for
declarative contracts), join edges, dimensions as column references, and a definition hash
over exactly the parts that change the number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canon.contracts.decisions import DecisionVector, Measure, TimeBasis, parse_scale
from canon.contracts.names import metric_key
from canon.contracts.refs import ColumnRef
from canon.contracts.spec import (
    SIGNED_STATUSES,
    ContractSpec,
    DeclarativeComposition,
    DerivedComposition,
    Join,
    MovementComposition,
    SqlComposition,
)
from canon.contracts.yamlpos import PositionedDoc


@dataclass(frozen=True)
class JoinEdge:
    """`child` many-to-one `parent`: following it from the child side never fans out rows."""

    child: ColumnRef
    parent: ColumnRef

    @classmethod
    def from_spec(cls, join: Join) -> JoinEdge:
        return cls(ColumnRef.parse(join.from_), ColumnRef.parse(join.to))

    def __str__(self) -> str:
        return f"{self.child} → {self.parent}"


@dataclass(frozen=True)
class DimensionRef:
    name: str
    column: ColumnRef
    path: tuple[JoinEdge, ...] = ()


@dataclass(frozen=True)
class Metric:
    spec: ContractSpec
    file: Path | None = None
    doc: PositionedDoc | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The name in the one case canon compares, stores and builds it in (`MRR` → `mrr`).

        Metric names are case-insensitive (`canon.contracts.names`): a contract written
        `name: MRR` must give the same column (`mrr_cents`), audit file and dbt model as `mrr`,
        so nothing downstream depends on how its author typed it. Reports show `label`.
        """
        return metric_key(self.spec.name)

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.name.upper()

    @property
    def composition(self) -> DeclarativeComposition | SqlComposition | DerivedComposition | MovementComposition:
        return self.spec.composition

    @property
    def is_declarative(self) -> bool:
        return isinstance(self.spec.composition, DeclarativeComposition)

    @property
    def decisions(self) -> DecisionVector:
        comp = self.spec.composition
        if not isinstance(comp, DeclarativeComposition):
            raise TypeError(f"metric {self.name} is not declarative")
        return vector_from_composition(comp, self.dimension_columns())

    def joins(self) -> tuple[JoinEdge, ...]:
        comp = self.spec.composition
        edges = [JoinEdge.from_spec(j) for j in comp.joins] if isinstance(comp, DeclarativeComposition) else []
        for dim in self.spec.dimensions.values():
            edges.extend(JoinEdge.from_spec(j) for j in dim.path)
        return tuple(dict.fromkeys(edges))

    def dimensions(self) -> dict[str, DimensionRef]:
        return {
            name: DimensionRef(name, ColumnRef.parse(d.column), tuple(JoinEdge.from_spec(j) for j in d.path))
            for name, d in self.spec.dimensions.items()
        }

    def dimension_columns(self) -> set[ColumnRef]:
        return {d.column for d in self.dimensions().values()}

    def definition_hash(self) -> str:
        return definition_hash(self.spec)

    @property
    def signed(self) -> bool:
        """Signed off, and the sign-off still matches what the contract now says."""
        so = self.spec.signoff
        return so is not None and so.definition_hash == self.definition_hash()

    @property
    def approved(self) -> bool:
        return self.spec.status in SIGNED_STATUSES and self.signed


def vector_from_composition(comp: DeclarativeComposition, dimension_columns: set[ColumnRef]) -> DecisionVector:
    """A contract's decisions; filters on dimension columns are slices, the rest are filters."""
    m = comp.measure
    measure = Measure(
        column=ColumnRef.parse(m.column),
        scale=parse_scale(m.scale),
        aggregation=m.aggregation,
        unit=m.unit or "major",
        expression=" ".join(m.expression.split()) if m.expression else None,
    )
    tb = comp.time_basis
    if tb.range is not None:
        time_basis = TimeBasis(
            (ColumnRef.parse(tb.range.start), ColumnRef.parse(tb.range.end)),
            "range",
            tb.range.end_inclusive,
            tb.range.evaluated_at,
        )
    else:
        assert tb.column is not None
        time_basis = TimeBasis(
            (ColumnRef.parse(tb.column),),
            "event",
            time_zone=tb.time_zone,
            source_zone=tb.source_zone,
            key_format=tb.key_format,
        )
    filters: dict[ColumnRef, list[Any]] = {}
    slices: dict[ColumnRef, list[Any]] = {}
    for key, values in comp.admitted().items():
        ref = ColumnRef.parse(key)
        (slices if ref in dimension_columns else filters)[ref] = values
    return DecisionVector.build(measure, time_basis, filters, slices, comp.predicates)


def _hashable_parts(spec: ContractSpec) -> dict[str, Any]:
    comp = spec.composition
    comp_data: dict[str, Any]
    if isinstance(comp, DeclarativeComposition):
        comp_data = {
            "type": "declarative",
            "measure": {
                "column": comp.measure.column,
                "aggregation": comp.measure.aggregation,
                "scale": str(parse_scale(comp.measure.scale)),
                "unit": comp.measure.unit,
                # only when set: hashes of contracts signed before expressions existed stay valid
                **({"expression": " ".join(comp.measure.expression.split())} if comp.measure.expression else {}),
            },
            "time_basis": comp.time_basis.hashed(),
            "filters": {k: sorted(json.dumps(v) for v in vals) for k, vals in sorted(comp.admitted().items())},
            "predicates": sorted(" ".join(p.split()) for p in comp.predicates),
            "joins": sorted(f"{j.from_}->{j.to}" for j in comp.joins),
        }
    elif isinstance(comp, SqlComposition):
        comp_data = {
            "type": "sql",
            "sql": " ".join(comp.sql.split()),
            "period_column": comp.period_column,
            "value_column": comp.value_column,
            "unit": comp.unit,
        }
    elif isinstance(comp, MovementComposition):
        comp_data = {"type": "movement", **comp.model_dump(mode="json", exclude={"type"})}
    else:
        comp_data = {"type": "derived", "expression": " ".join(comp.expression.split()), "unit": comp.unit}
    return {
        "composition": comp_data,
        "grain": spec.grain.model_dump(mode="json"),
        "dimensions": {
            k: {"column": d.column, "path": [f"{j.from_}->{j.to}" for j in d.path]}
            for k, d in sorted(spec.dimensions.items())
        },
        "policy": spec.policy,
        "rollup": _without_unset(spec.rollup.model_dump(mode="json"), _ROLLUP_V1),
        "null_rules": [_without_unset(r.model_dump(mode="json"), _NULL_RULE_V1) for r in spec.null_rules],
        "tolerances": sorted((r.figure, r.tolerance_cents) for r in spec.reconciliation),
        # a window changes the number; only when set, so existing contracts keep their hashes
        **({"window": spec.window.model_dump(mode="json", exclude_none=True)} if spec.window else {}),
    }


# Fields the hash always covered; later additive fields count only when set, so adding a
# field to the schema never changes the hash (and breaks the sign-off) of an existing contract.
_ROLLUP_V1 = frozenset({"rule", "weight", "hierarchy"})
_NULL_RULE_V1 = frozenset({"column", "reason", "when", "floor"})
_UNSET_DEFAULTS: dict[str, Any] = {"reason_column": "null_reason"}


def _without_unset(data: dict[str, Any], v1: frozenset[str]) -> dict[str, Any]:
    return {
        k: v for k, v in data.items() if k in v1 or (v not in (None, [], {}) and _UNSET_DEFAULTS.get(k, object()) != v)
    }


def definition_hash(spec: ContractSpec) -> str:
    """sha256 over what changes the number; prose, owner, status and sign-off are left out."""
    payload = json.dumps(_hashable_parts(spec), sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()

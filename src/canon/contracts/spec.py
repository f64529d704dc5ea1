"""The contract schema as pydantic models: exactly what `metrics/*.yml` may say.

These classes describe the YAML shape (and export as JSON Schema for editors); they hold
strings, not parsed SQL. `canon.contracts.model` resolves a validated spec into the typed
objects the compiler uses. `extra="forbid"` everywhere so a misspelled key is an error with
a did-you-mean, not a silently ignored setting.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from canon.contracts.refs import is_column_ref


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Status(StrEnum):
    draft = "draft"
    proposed = "proposed"
    approved = "approved"
    authoritative = "authoritative"
    deprecated = "deprecated"


SIGNED_STATUSES = frozenset({Status.approved, Status.authoritative})

ColumnRefText = Annotated[
    str, Field(description="A raw column written `table.column`.", examples=["raw_invoices.amount"])
]


def _check_ref(value: str) -> str:
    if not is_column_ref(value):
        raise ValueError(f"`{value}` is not a column reference of the form `table.column`")
    return value


class SignOff(Spec):
    """Who signed the definition, in which role, when, and the hash of what they signed."""

    by: str
    role: str
    at: datetime
    definition_hash: str = Field(description="sha256 of the number-changing parts of the contract.")
    decisions: dict[str, str] = Field(default_factory=dict, description="Judgment calls taken at sign-off.")
    note: str | None = None
    proposal: str | None = Field(None, description="The sign-off request signed (`canon approve --proposal ID`).")


class Join(Spec):
    """A many-to-one edge: each row of `from` finds at most one row of `to` (`to` is unique)."""

    from_: ColumnRefText = Field(alias="from")
    to: ColumnRefText
    relationship: Literal["many_to_one", "one_to_one"] = "many_to_one"

    _v_from = field_validator("from_")(_check_ref)
    _v_to = field_validator("to")(_check_ref)


class Dimension(Spec):
    """A column the metric can be broken down or sliced by, and the joins that reach it."""

    column: ColumnRefText
    label: str | None = None
    description: str | None = None
    path: list[Join] = Field(default_factory=list, description="Explicit join path from the measure table.")

    _v_col = field_validator("column")(_check_ref)


class MeasureSpec(Spec):
    column: ColumnRefText
    aggregation: Literal["sum", "count", "count_distinct", "min", "max", "avg"] = "sum"
    scale: str | int | float = Field(default=1, description='Normalization factor, e.g. "1/12" for annual → monthly.')
    unit: Literal["major", "minor", "count"] | None = Field(
        default=None,
        description="Money in major units (dollars), minor units (cents) or a plain count; "
        "defaults from the column type (decimal → major, integer → minor).",
    )

    expression: str | None = Field(
        default=None,
        description="The per-row value summed when it is not one column, as SQL over table.column "
        "(e.g. \"s.unit_amount * s.quantity / CASE s.billing_interval WHEN 'year' THEN 12 ELSE 1 END\"); "
        "`column` then names the money column it is built on.",
    )

    _v_col = field_validator("column")(_check_ref)


class RangeSpec(Spec):
    start: ColumnRefText
    end: ColumnRefText
    end_inclusive: bool = True
    evaluated_at: Literal["any_day", "first_day"] = Field(
        default="any_day",
        description="Live on any day of the period (the range overlaps it), or on its first day only.",
    )

    _v_s = field_validator("start")(_check_ref)
    _v_e = field_validator("end")(_check_ref)


class TimeBasisSpec(Spec):
    """Either `column` (an event date) or `range` (validity start/end, for contract-style metrics)."""

    column: ColumnRefText | None = None
    range: RangeSpec | None = None
    time_zone: str | None = Field(
        default=None, description="Cut periods in this zone: the timestamp is converted before truncating."
    )
    source_zone: str | None = Field(
        default="UTC", description="The zone the timestamp is stored in (null: it holds instants, with time zone)."
    )
    key_format: str | None = Field(
        default=None, description='The column is an integer date key in this format, e.g. "%Y%m%d" for 20261015.'
    )

    @model_validator(mode="after")
    def _one_of(self) -> TimeBasisSpec:
        if (self.column is None) == (self.range is None):
            raise ValueError("time_basis takes exactly one of `column` or `range`")
        if self.column is not None:
            _check_ref(self.column)
        if self.range is not None and (self.time_zone is not None or self.key_format is not None):
            raise ValueError("`time_zone` and `key_format` apply to an event date (`column`), not a range")
        return self

    def hashed(self) -> dict[str, Any]:
        """The parts that change the number; settings left at their default are left out, so adding
        a setting to the schema does not change the hash of every contract signed before."""
        data = self.model_dump(mode="json")
        for key, default in (("time_zone", None), ("source_zone", "UTC"), ("key_format", None)):
            if data.get(key) == default:
                data.pop(key, None)
        if isinstance(data.get("range"), dict) and data["range"].get("evaluated_at") == "any_day":
            data["range"].pop("evaluated_at")
        return data


FilterValue = str | bool | int | float | None


class FilterSet(Spec):
    """Admitted values, and optionally the values knowingly excluded.

    Listing `exclude` makes the definition explicit about the whole domain: `canon test`
    then fails when a value appears that the contract neither admits nor excludes.
    """

    admit: list[FilterValue]
    exclude: list[FilterValue] = Field(default_factory=list)


class DeclarativeComposition(Spec):
    """A metric stated as decisions: measure, time basis, admitted values, general predicates."""

    type: Literal["declarative"] = "declarative"
    measure: MeasureSpec
    time_basis: TimeBasisSpec
    filters: dict[str, list[FilterValue] | FilterSet] = Field(
        default_factory=dict,
        description="Admitted value set per raw column `table.column` (a list, or {admit, exclude}).",
    )
    predicates: list[str] = Field(
        default_factory=list, description="SQL conditions over `table.column` when a value set does not fit."
    )
    joins: list[Join] = Field(default_factory=list, description="Joins that reach filtered/dimension columns.")

    @field_validator("filters")
    @classmethod
    def _filter_keys(cls, value: dict[str, list[FilterValue] | FilterSet]) -> dict[str, list[FilterValue] | FilterSet]:
        for key in value:
            _check_ref(key)
        return value

    def admitted(self) -> dict[str, list[FilterValue]]:
        """Filters as plain admitted-value lists (what changes the number)."""
        return {k: (v.admit if isinstance(v, FilterSet) else v) for k, v in self.filters.items()}

    def excluded(self) -> dict[str, list[FilterValue]]:
        return {k: v.exclude for k, v in self.filters.items() if isinstance(v, FilterSet) and v.exclude}


class SqlComposition(Spec):
    """A metric stated as a query over named sources; canon wraps its metadata around it.

    The query must return one row per grain with the period column, the dimension columns and
    the value column(s) named here. `{{ source('table') }}` resolves through the project.
    """

    type: Literal["sql"] = "sql"
    sql: str
    period_column: str | None = Field(default=None, description="Output column holding the period start date.")
    value_column: str | None = Field(default=None, description="Output column that is the metric's value.")
    unit: Literal["major", "minor", "count", "ratio", "bps"] = "minor"
    sources: list[str] = Field(default_factory=list, description="Source tables the query reads.")
    optional_sources: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Sources that may be absent (a feed not yet shipped): `schema.table` → {column: type}. "
        "When absent, the query reads an empty table of these columns and "
        "`canon_source_available('schema.table')` is false.",
    )


class DerivedComposition(Spec):
    """A metric computed from other metrics: `expression` uses their names, e.g. `arr = mrr * 12`."""

    type: Literal["derived"] = "derived"
    expression: str
    metrics: list[str]
    unit: Literal["major", "minor", "count", "ratio", "bps"] = "minor"


MovementKind = Literal["new", "expansion", "contraction", "churn", "reactivation", "net_change", "nrr", "grr"]
RETENTION_KINDS: frozenset[str] = frozenset({"nrr", "grr"})


class MovementComposition(Spec):
    """One movement of a balance metric (MRR) at customer grain, or a retention ratio over a window.

    Written once per movement (`new_mrr`, `churn_mrr`, `nrr`…) so each is a metric people query,
    compare and sign off like any other; the compiler answers every movement of one balance in one
    query (`canon.compiler.movements`). Money movements are integer cents; NRR and GRR are basis points.
    """

    type: Literal["movement"] = "movement"
    of: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="The balance metric that moves: a declarative money metric at month grain, e.g. `mrr`.",
    )
    customer: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The dimension of `of` naming one customer (the grain movements are classified at).",
    )
    movement: MovementKind = Field(
        description="new, expansion, contraction, churn, reactivation, net_change (their sum), "
        "or the retention ratios nrr and grr."
    )
    window: int = Field(
        default=12, ge=1, le=60, description="NRR/GRR: months between the cohort month and the measured month."
    )

    @property
    def unit(self) -> Literal["minor", "bps"]:
        """Movements are money in cents; retention ratios are basis points (10000 = 100%)."""
        return "bps" if self.movement in RETENTION_KINDS else "minor"


Composition = Annotated[
    DeclarativeComposition | SqlComposition | DerivedComposition | MovementComposition, Field(discriminator="type")
]


class WindowSpec(Spec):
    """A cumulative or rolling window over the metric's periods: to-date or trailing N periods.

    Only additive metrics (sums and counts of events) are summed over periods; a balance such as
    MRR or a ratio refuses a window with an error instead of adding months together.
    """

    to_date: Literal["month", "quarter", "year"] | None = Field(
        default=None, description="Sum from the start of the enclosing month, quarter or year (MTD/QTD/YTD)."
    )
    trailing: int | None = Field(
        default=None, ge=1, le=120, description="Sum over this many periods ending with the current one."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> WindowSpec:
        if (self.to_date is None) == (self.trailing is None):
            raise ValueError("a window is either `to_date: month|quarter|year` or `trailing: N`, exactly one")
        return self


class Grain(Spec):
    time: Literal["day", "week", "month", "quarter", "year"] = "month"
    keys: list[str] = Field(default_factory=list, description="Entity keys of one served row, beside the period.")
    period_column: str | None = Field(default=None, description="Column of the served table holding the period.")


class ServedColumn(Spec):
    name: str
    type: Literal["string", "integer", "number", "boolean", "date", "timestamp", "string_enum", "json", "bigint_string"]
    required: bool = True
    nullable: bool = False
    source: str | None = None
    notes: str | None = None
    enum: list[str] | None = None


class Rollup(Spec):
    """How the metric aggregates up a hierarchy (org_market → organization → portfolio).

    `rule` applies to `columns`; `sum_columns` are additive companions (weights, counts) summed
    at every level; `derive` recomputes ratios and differences from the rolled-up columns. With
    `level_column`/`key_column` set, the served table itself holds every level of `hierarchy`.
    """

    rule: Literal["sum", "weighted_mean", "none"] = "sum"
    weight: str | None = Field(default=None, description="Column weighting the mean, e.g. recognized_revenue_cents.")
    hierarchy: list[str] = Field(default_factory=list, description="Levels, finest first.")
    keys: dict[str, str] = Field(
        default_factory=dict, description="Level → its key column in `mapping` (e.g. organization: organization_id)."
    )
    mapping: str | None = Field(
        default=None, description="Relation (`schema.table`) giving each finest key the keys of every coarser level."
    )
    by: list[str] = Field(default_factory=list, description="Grain columns kept at every level (the period).")
    columns: list[str] = Field(default_factory=list, description="Columns the rule aggregates.")
    sum_columns: list[str] = Field(
        default_factory=list, description="Columns always summed (weights, counts, components)."
    )
    derive: dict[str, str] = Field(
        default_factory=dict,
        description="Columns recomputed at every level from rolled-up columns (SQL, evaluated in order).",
    )
    level_column: str | None = Field(
        default=None, description="Served column naming each row's level when the table holds every level."
    )
    key_column: str | None = Field(default=None, description="Served column holding each row's level key.")

    @model_validator(mode="after")
    def _weight_needed(self) -> Rollup:
        if self.rule == "weighted_mean" and not self.weight:
            raise ValueError("a weighted_mean rollup names its `weight` column")
        if (self.level_column is None) != (self.key_column is None):
            raise ValueError("`level_column` and `key_column` go together")
        missing = [level for level in self.hierarchy if self.keys and level not in self.keys]
        if missing:
            raise ValueError(f"rollup `keys` has no key column for level(s): {', '.join(missing)}")
        return self


class NullRule(Spec):
    """When a served value is null and the `null_reason` that says why."""

    column: str
    reason: Literal["null:insufficient_data", "null:upstream_unavailable"]
    when: str = Field(description="SQL condition over served columns, e.g. `active_student_count < 5`.")
    floor: int | None = Field(default=None, description="The cohort floor the condition encodes, if any.")
    reason_column: str = Field(default="null_reason", description="Served column that carries the reason.")


class ReconciliationTarget(Spec):
    figure: str
    reported: str
    source: str
    tolerance_cents: int = 0
    notes: str | None = None


class Assertion(Spec):
    """A business rule every admitted row must satisfy; `canon test` runs it (not in the hash)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str | None = None
    condition: str = Field(description="SQL over `table.column` references that must hold for every admitted row.")


class Precedent(Spec):
    source: str
    url: str | None = None
    claim: str
    stance: Literal["supports", "dissents", "context"] = "supports"


_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class MartSpec(Spec):
    """Where a contract is served in the mart and how consumers address its rows.

    Only the mart build, `canon mart show` and the mart API read this block, so an ordinary
    metric (no `mart:`) is unaffected by it. The coordination key is declared here rather than
    known to the API, so a generic server never names an example's column.
    """

    section: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Mart section: the folder `metrics/<section>/` and the route `/api/mart/sections/<section>`.",
    )
    grouping: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        description="Dotted path of the grouping in the section's response (default: the contract name), "
        "e.g. `pnl.pnl_summary` nests under `pnl`.",
    )
    key: str | None = Field(
        default=None,
        pattern=_IDENT,
        description="The section's coordination key: the column naming one entity at the finest rollup level "
        "(a served column, or the finest `rollup.keys` column of a grouping that stores every level). "
        "Consumers filter on it (`canon mart show --key`, the API's key parameter).",
    )


class ContractSpec(Spec):
    """One metric contract, as written in `metrics/<name>.yml`."""

    name: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="The metric's name, case-insensitive: `MRR` and `mrr` are one metric "
        "(columns, files and dbt models use it in lower case).",
    )
    label: str | None = None
    description: str = ""
    owner: str
    status: Status = Status.draft
    version: int = 1
    signoff: SignOff | None = None
    grain: Grain = Field(default_factory=Grain)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    served_columns: list[ServedColumn] = Field(default_factory=list)
    composition: Composition
    policy: dict[str, Any] = Field(default_factory=dict, description="Policy parameters, `_name: value`.")
    rollup: Rollup = Field(default_factory=Rollup)
    null_rules: list[NullRule] = Field(default_factory=list)
    reconciliation: list[ReconciliationTarget] = Field(default_factory=list)
    assertions: list[Assertion] = Field(default_factory=list)
    known_gaps: list[str] = Field(default_factory=list)
    precedents: list[Precedent] = Field(default_factory=list)
    replaces: list[str] = Field(default_factory=list, description="Models this contract makes obsolete.")
    served_by: str | None = Field(
        default=None,
        description="Relation (`schema.table` or dbt model) materializing the metric, tested by canon test.",
    )
    mart: MartSpec | None = Field(default=None, description="Mart-only: section, grouping path, coordination key.")
    window: WindowSpec | None = Field(
        default=None, description="Answer as a to-date or trailing sum over periods (additive metrics only)."
    )
    additivity: Literal["additive", "balance", "non_additive"] | None = Field(
        default=None,
        description="How values combine over periods: `additive` sums (revenue booked), `balance` is a level "
        "at a date (MRR, headcount) and is never summed over months, `non_additive` (ratios, distinct "
        "counts). Unset: inferred (see canon.compiler.windows).",
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form notes canon does not interpret.")

    @field_validator("meta")
    @classmethod
    def _meta_is_not_mart(cls, value: dict[str, Any]) -> dict[str, Any]:
        # `meta.section`/`meta.grouping` were read once; ignoring them now would silently unserve a grouping
        moved = [k for k in ("section", "grouping") if k in value]
        if moved:
            raise ValueError(
                f"`meta.{moved[0]}` is no longer read: write it as `mart: {{{', '.join(f'{k}: ...' for k in moved)}}}`"
            )
        return value

    @field_validator("policy")
    @classmethod
    def _policy_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not key.startswith("_"):
                raise ValueError(f"policy parameter `{key}` must start with `_` (e.g. `_{key}`)")
        return value


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate and autocomplete `metrics/*.yml`."""
    schema = ContractSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://canon.dev/schema/contract.json"
    schema["title"] = "canon metric contract"
    return schema

"""MRR movements and retention: one balance metric classified at customer grain, month by month.

The knowledge base (`kb/metrics.yml`: `new_mrr`, `expansion_mrr`, `contraction_mrr`,
`churn_mrr`, `reactivation_mrr`, `nrr`, `grr`) states what each movement means; this module
turns those definitions into one SQL tree the engine runs:

    canon_balance    the balance metric (e.g. mrr) per customer and month, compiled as any question
    canon_customers  per customer: first month with a non-zero balance (all history read), last month seen
    canon_grid       customers seen in the window × a month spine (VALUES), balance 0 where absent,
                     so the month a customer disappears exists and can be churn
    canon_lagged     LAG over each customer's months: previous month, and the cohort month for NRR/GRR
    final SELECT     one SUM(CASE …) per movement, GROUP BY month

Classification of a customer c in month t, with b(c, t) its balance (0 when absent) — the
ChartMogul movements (kb `chartmogul` claims), a non-zero balance meaning "active":

    b(t-1) = 0, b(t) ≠ 0, t is c's first active month ever       → new          = b(t)
    b(t-1) = 0, b(t) ≠ 0, c was active in some month before t-1   → reactivation = b(t)
    b(t-1) ≠ 0, b(t) = 0                                          → churn        = -b(t-1)
    b(t-1) ≠ 0, b(t) ≠ 0, b(t) > b(t-1)                           → expansion    = b(t) - b(t-1)
    b(t-1) ≠ 0, b(t) ≠ 0, b(t) < b(t-1)                           → contraction  = b(t) - b(t-1)

Stated rules: **a customer who skips a month churns that month and reactivates when it
returns** (no grace period); **a re-subscription at any later time is reactivation, never new**
(ProfitWell's rule; Maxio's 90-day window is the kb's dissent). Every (c, t) falls in exactly one
case or none (b(t) = b(t-1)), so new + expansion + contraction + churn + reactivation = Σc b(t) −
Σc b(t-1): the movements of a month sum exactly to the change in the balance (a property test).
Churn and contraction are negative amounts, so the bridge adds up.

NRR and GRR over a window of w months (SaaS Capital, kb `nrr`/`grr`): the cohort is the customers
with a non-zero balance at t−w; NRR = Σcohort b(t) ÷ Σcohort b(t−w), GRR the same with each b(t)
capped at b(t−w) (LEAST), so GRR ≤ 100%. Both in basis points, rounded once, half away from zero.

Only month grain: a balance is a level at a date, so a quarter's movement is not a sum this
module would guess at — it refuses instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from canon.compiler.periods import Grain, Period, period_range
from canon.compiler.trees import join
from canon.compiler.vector import BIGINT, DECIMAL, PERIOD_COLUMN
from canon.contracts.model import Metric
from canon.contracts.names import metric_key
from canon.contracts.spec import RETENTION_KINDS, DeclarativeComposition, MovementComposition
from canon.errors import Location, QueryError, did_you_mean, hint_or_list
from canon.sqltree import literal

# The knowledge-base metric each movement implements (its definition and sourced claims).
STANDARD: dict[str, str] = {
    "new": "new_mrr",
    "expansion": "expansion_mrr",
    "contraction": "contraction_mrr",
    "churn": "churn_mrr",
    "reactivation": "reactivation_mrr",
    "net_change": "mrr",
    "nrr": "nrr",
    "grr": "grr",
}
MONEY_KINDS: tuple[str, ...] = ("new", "expansion", "contraction", "churn", "reactivation")
# A validity-range balance cannot be read from the beginning of time (it joins a spine of
# months); reactivation then looks back this many months before the first month asked.
RANGE_HISTORY_MONTHS = 60

_VALUE = "canon_value"
_PREV = "canon_prev"
_COHORT = "canon_cohort"
_FIRST = "canon_first_month"
_LAST = "canon_last_month"


@dataclass(frozen=True)
class MovementBatch:
    """Movement metrics answered by one query: one balance, one customer dimension."""

    balance: Metric
    customer: str
    columns: tuple[tuple[str, int, str], ...]  # (movement kind, cohort window, output column), in order

    @property
    def windows(self) -> tuple[int, ...]:
        """The cohort windows NRR/GRR columns look back (none without retention columns)."""
        return tuple(sorted({w for k, w, _ in self.columns if k in RETENTION_KINDS}))


def balance_of(metric: Metric, metrics: Mapping[str, Metric]) -> tuple[Metric, MovementComposition]:
    """The balance metric a movement contract moves, checked: declarative money with the customer dimension."""
    comp = metric.composition
    assert isinstance(comp, MovementComposition)
    key = metric_key(comp.of)
    balance = next((m for k, m in metrics.items() if metric_key(k) == key), None)
    where = Location(file=str(metric.file) if metric.file else None, field="composition.of")
    if balance is None:
        raise QueryError(
            f"movement metric `{metric.name}` moves unknown metric `{comp.of}`",
            location=where,
            fix=did_you_mean(comp.of, metrics) or "name the balance metric's contract, e.g. `of: mrr`",
        )
    bcomp = balance.composition
    if not isinstance(bcomp, DeclarativeComposition) or bcomp.measure.aggregation != "sum":
        raise QueryError(
            f"movement metric `{metric.name}` moves `{balance.name}`, which is not a declarative sum",
            location=where,
            fix="movements classify a summed balance (MRR) per customer; point `of` at such a contract",
        )
    if bcomp.measure.unit == "count":
        raise QueryError(f"movement metric `{metric.name}` moves `{balance.name}`, a count, not money", location=where)
    if comp.customer not in balance.spec.dimensions:
        raise QueryError(
            f"movement metric `{metric.name}`: `{balance.name}` has no dimension `{comp.customer}`",
            location=Location(file=where.file, field="composition.customer"),
            fix=hint_or_list(comp.customer, sorted(balance.spec.dimensions), empty="(none declared)"),
        )
    return balance, comp


def batches(
    chosen: Sequence[Metric], metrics: Mapping[str, Metric], value_column: Callable[[Metric], str]
) -> dict[str, MovementBatch]:
    """Movement metrics grouped so each group is one query; keyed by every member's name."""
    groups: dict[tuple[str, str], list[tuple[Metric, MovementComposition]]] = {}
    for m in chosen:
        if isinstance(m.composition, MovementComposition):
            balance, comp = balance_of(m, metrics)
            groups.setdefault((balance.name, comp.customer), []).append((m, comp))
    out: dict[str, MovementBatch] = {}
    for members in groups.values():
        balance, _ = balance_of(members[0][0], metrics)
        cols = tuple((c.movement, c.window, value_column(m)) for m, c in members)
        batch = MovementBatch(balance, members[0][1].customer, cols)
        for m, _ in members:
            out[m.name] = batch
    return out


RULES = (
    "A month without MRR is churn and a later return is reactivation (no grace period); "
    "a customer is new only in its first month with MRR ever."
)


def describe(comp: MovementComposition) -> str:
    """The movement in plain words: the knowledge base's definition, the rules, the window."""
    from canon.kb.model import knowledge_base

    standard = knowledge_base().metric(STANDARD[comp.movement])
    if comp.movement == "net_change":
        text = f"The change in {comp.of} from the previous month: the sum of its five movements."
    else:
        text = standard.definition if standard is not None else comp.movement
    scope = f" Classified per {comp.customer}, monthly, from `{comp.of}`."
    if comp.movement in RETENTION_KINDS:
        scope += f" Cohort: customers with {comp.of} {comp.window} months earlier; in basis points."
        return text + scope
    return text + scope + " " + RULES


def check_question(grain: Grain, first: Period | None, last: Period | None, by: Sequence[str], customer: str) -> None:
    """Movements are monthly, over a closed range, not broken down by the customer itself."""
    if grain != "month":
        raise QueryError(
            f"MRR movements are computed per month, not per {grain}",
            location=Location(parameter="grain"),
            fix="ask per month (a balance's movements over a quarter are not a sum canon guesses at)",
        )
    if first is None or last is None:
        raise QueryError(
            "MRR movements need a period range",
            location=Location(parameter="period_from"),
            fix="pass --from and --to (or set current_period in canon.yml)",
        )
    if customer in by:
        raise QueryError(
            f"movements are classified per `{customer}`; breaking them down by it leaves nothing to classify",
            location=Location(parameter="by"),
            fix=f"query the balance metric by {customer} instead",
        )


def history_start(balance: Metric, first: Period) -> Period | None:
    """Where the balance is read from: all history for an event date, else a bounded look-back."""
    if balance.decisions.time_basis.kind == "event":
        return None
    return first.shift(-RANGE_HISTORY_MONTHS)


def compile_movements(
    batch: MovementBatch,
    first: Period,
    last: Period,
    by: Sequence[str],
    balance_query: exp.Select,
    prefix: str = "canon",
) -> exp.Select:
    """One row per month (and `by` values) in [first, last] with one column per movement.

    `balance_query` is the balance metric compiled per month by (`by`…, customer) from
    `history_start()` to `last`, its value column named `canon_value`.
    """
    check_question("month", first, last, by, batch.customer)
    lookback = max((1, *batch.windows))
    cte = {name: f"{prefix}_{name}" for name in ("balance", "customers", "grid", "lagged")}
    spine_first = first.shift(-lookback)
    keys = [*by, batch.customer]

    def cols(table: str, names: Sequence[str] = keys) -> list[exp.Column]:
        return [exp.column(k, table=table) for k in names]

    value = exp.column(_VALUE, table="b")
    customers = (
        exp.select(
            *cols("b"),
            exp.Min(
                this=exp.Case(ifs=[exp.If(this=_nonzero(value.copy()), true=exp.column(PERIOD_COLUMN, table="b"))])
            ).as_(_FIRST),
            exp.Max(this=exp.column(PERIOD_COLUMN, table="b")).as_(_LAST),
        )
        .from_(exp.to_table(cte["balance"]).as_("b"))
        .group_by(*cols("b"))
    )
    spine = _month_spine(period_range(spine_first, last))
    grid = (
        exp.select(
            *cols("c"),
            exp.column(_FIRST, table="c"),
            exp.column(PERIOD_COLUMN, table="s"),
            exp.Coalesce(this=value.copy(), expressions=[exp.Literal.number(0)]).as_(_VALUE),
        )
        .from_(exp.to_table(cte["customers"]).as_("c"))
        .where(exp.GTE(this=exp.column(_LAST, table="c"), expression=literal(spine_first.start)))
    )
    join(grid, spine, exp.true(), "inner")
    on_keys = [exp.NullSafeEQ(this=exp.column(k, table="b"), expression=exp.column(k, table="c")) for k in keys]
    on_month = exp.EQ(this=exp.column(PERIOD_COLUMN, table="b"), expression=exp.column(PERIOD_COLUMN, table="s"))
    join(grid, exp.to_table(cte["balance"]).as_("b"), exp.and_(*on_keys, on_month), "left")

    def lag(offset: int) -> exp.Window:
        return exp.Window(
            this=exp.Lag(
                this=exp.column(_VALUE, table="g"),
                offset=exp.Literal.number(offset),
                default=exp.Literal.number(0),
            ),
            partition_by=cols("g"),
            order=exp.Order(expressions=[exp.Ordered(this=exp.column(PERIOD_COLUMN, table="g"))]),
        )

    lagged = exp.select(
        *cols("g"),
        exp.column(_FIRST, table="g"),
        exp.column(PERIOD_COLUMN, table="g"),
        exp.column(_VALUE, table="g"),
        lag(1).as_(_PREV),
        *[lag(w).as_(f"{_COHORT}_{w}") for w in batch.windows],
    ).from_(exp.to_table(cte["grid"]).as_("g"))

    outputs = [_movement(kind, window).as_(column) for kind, window, column in batch.columns]
    final = (
        exp.select(exp.column(PERIOD_COLUMN, table="l").as_(PERIOD_COLUMN), *[c.as_(c.name) for c in cols("l", by)])
        .select(*outputs, copy=False)
        .from_(exp.to_table(cte["lagged"]).as_("l"))
        .where(
            exp.and_(
                exp.GTE(this=exp.column(PERIOD_COLUMN, table="l"), expression=literal(first.start)),
                exp.LTE(this=exp.column(PERIOD_COLUMN, table="l"), expression=literal(last.start)),
            )
        )
        .group_by(*[exp.Literal.number(i + 1) for i in range(1 + len(by))])
        .order_by(*[exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(1 + len(by))])
    )
    for name, body in (("balance", balance_query), ("customers", customers), ("grid", grid), ("lagged", lagged)):
        final = final.with_(cte[name], as_=body, copy=False)
    return final


def _nonzero(value: exp.Expression) -> exp.Expression:
    return exp.NEQ(this=value, expression=exp.Literal.number(0))


def _zero(value: exp.Expression) -> exp.Expression:
    return exp.EQ(this=value, expression=exp.Literal.number(0))


def _sum_when(condition: exp.Expr, amount: exp.Expression) -> exp.Expression:
    """SUM(CASE WHEN condition THEN amount ELSE 0 END), as BIGINT cents on every engine."""
    case = exp.Case(ifs=[exp.If(this=condition, true=amount)], default=exp.Literal.number(0))
    return exp.cast(exp.Sum(this=case), BIGINT.copy(), copy=False)


def _movement(kind: str, window: int) -> exp.Expression:
    v = exp.column(_VALUE, table="l")
    prev = exp.column(_PREV, table="l")
    first_month = exp.column(_FIRST, table="l")
    month = exp.column(PERIOD_COLUMN, table="l")
    arriving = exp.and_(_zero(prev.copy()), _nonzero(v.copy()))
    staying = exp.and_(_nonzero(prev.copy()), _nonzero(v.copy()))
    change = exp.Sub(this=v.copy(), expression=prev.copy())
    if kind == "new":
        return _sum_when(exp.and_(arriving, exp.EQ(this=first_month, expression=month)), v)
    if kind == "reactivation":
        return _sum_when(exp.and_(arriving, exp.LT(this=first_month, expression=month)), v)
    if kind == "churn":
        return _sum_when(exp.and_(_nonzero(prev.copy()), _zero(v)), exp.Neg(this=prev))
    if kind == "expansion":
        return _sum_when(exp.and_(staying, exp.GT(this=v.copy(), expression=prev.copy())), change)
    if kind == "contraction":
        return _sum_when(exp.and_(staying, exp.LT(this=v.copy(), expression=prev.copy())), change)
    if kind == "net_change":
        return exp.cast(exp.Sum(this=change), BIGINT.copy(), copy=False)
    cohort = exp.column(f"{_COHORT}_{window}", table="l")
    in_cohort = _nonzero(cohort.copy())
    kept = v if kind == "nrr" else exp.Least(this=v, expressions=[cohort.copy()])
    numerator = exp.Sum(this=exp.Case(ifs=[exp.If(this=in_cohort, true=kept)]))
    denominator = exp.Sum(this=exp.Case(ifs=[exp.If(this=in_cohort.copy(), true=cohort)]))
    return ratio_bps(numerator, denominator)


def ratio_bps(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """numerator ÷ denominator in basis points, exact decimal division rounded once; NULL for ÷ 0."""
    # the product cast back to DECIMAL: left untyped, PostgreSQL's rendering divides in DOUBLE PRECISION
    scaled = exp.cast(
        exp.Mul(this=exp.cast(numerator, DECIMAL.copy(), copy=False), expression=exp.Literal.number(10000)),
        DECIMAL.copy(),
        copy=False,
    )
    divided = exp.cast(
        exp.Div(this=scaled, expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0))),
        DECIMAL.copy(),
        copy=False,
    )
    return exp.cast(exp.Round(this=divided, decimals=exp.Literal.number(0)), BIGINT.copy(), copy=False)


def _month_spine(months: Sequence[Period]) -> exp.Subquery:
    """(SELECT period_start FROM (VALUES (DATE '…'), …) AS canon_months(period_start)) AS s."""
    rows = [exp.Tuple(expressions=[literal(p.start)]) for p in months]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(this=exp.to_identifier("canon_months"), columns=[exp.to_identifier(PERIOD_COLUMN)]),
    )
    inner = exp.select(exp.column(PERIOD_COLUMN, table="canon_months")).from_(values, copy=False)
    return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("s")))

"""Value rules as SQL: is this text a valid value of its declared column, and what is it?

Every check is a sqlglot expression over the raw text of one column, evaluated by the
engine over the whole staging table at once. The checks are written portably (anchored
regular expressions, integer arithmetic, CASE branches that guard every cast) so DuckDB
and PostgreSQL quarantine exactly the same rows: PostgreSQL 15 has no TRY_CAST, and the two
engines' own casts disagree on what they accept (PostgreSQL reads `Jan 5 2026` as a date,
DuckDB does not). A cast is only ever evaluated inside a CASE branch whose condition has
already proven the text valid; where the engine has TRY_CAST (`has_try_cast`: DuckDB) it
is one besides, as a second guard.

Each column yields at most one reason (the first failing check, in a fixed order), so a
row's quarantine records say which columns are wrong and why, one record per column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from canon.engines import Engine
from canon.load.schema import DeclaredColumn
from canon.load.types import ColumnType
from canon.sqltree import literal

# Reason codes stored in the quarantine table (stable: users filter on them).
MISSING = "missing_value"
INVALID = {
    "integer": "invalid_integer",
    "decimal": "invalid_number",
    "float": "invalid_number",
    "boolean": "invalid_boolean",
    "date": "invalid_date",
    "timestamp": "invalid_timestamp",
    "timestamptz": "invalid_timestamp",
    "uuid": "invalid_uuid",
}
TOO_MANY_DECIMALS = "too_many_decimals"
OUT_OF_RANGE = "out_of_range"
TOO_LONG = "too_long"
UNKNOWN_VALUE = "unknown_value"
DUPLICATE_KEY = "duplicate_key"
MISSING_PARENT = "missing_parent"
MALFORMED_ROW = "malformed_row"

PASS = "__canon_pass"  # a type check's verdict "valid for the type" (see check_column)

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

# Calendar and clock fields are range-checked by the pattern itself; only "day within the
# month" (and leap years) needs arithmetic.
_DATE = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?"
_TZ = "(Z|z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)"
_NUMBER = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)"
PATTERNS = {
    "integer": "^[+-]?[0-9]+$",
    "decimal": f"^{_NUMBER}$",
    "float": f"^{_NUMBER}([eE][+-]?[0-9]{{1,3}})?$",
    "date": f"^{_DATE}$",
    "timestamp": f"^{_DATE}([ T]{_TIME})?$",
    "timestamptz": f"^{_DATE}([ T]{_TIME}{_TZ}?)?$",
    "uuid": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}
# Smallest/largest magnitudes a float column accepts, identical on both engines.
_FLOAT_LIMITS = {"DOUBLE": ("1e-307", "1.7976931348623157e308"), "REAL": ("1e-37", "3.4e38")}
_ZERO = "^[+-]?(0+([.]0*)?|[.]0+)([eE][+-]?[0-9]{1,3})?$"


def matches(value: exp.Expr, pattern: str) -> exp.Expr:
    """Anchored regular-expression match (DuckDB `regexp_matches`, PostgreSQL `~`)."""
    return exp.RegexpLike(this=value.copy(), expression=exp.Literal.string(pattern))


def cast(value: exp.Expr, to: str | exp.DataType, engine: type[Engine]) -> exp.Expr:
    """A cast that is only evaluated on proven-valid text; TRY_CAST as a second guard where the engine has it."""
    dtype = to if isinstance(to, exp.DataType) else exp.DataType.build(to)
    if engine.has_try_cast:
        return exp.TryCast(this=value.copy(), to=dtype)
    return exp.Cast(this=value.copy(), to=dtype)


def trimmed(raw: exp.Expr) -> exp.Expr:
    """The text without surrounding spaces; blank text counts as missing.

    TRIM runs only when the text starts or ends with a space (two cheap LIKE tests), which
    keeps this ~10x faster on the usual, already-clean values; the result is the same as
    NULLIF(TRIM(raw), '') on both engines (TRIM strips spaces only, on both).
    """
    spaced = exp.or_(
        exp.Like(this=raw.copy(), expression=exp.Literal.string(" %")),
        exp.Like(this=raw.copy(), expression=exp.Literal.string("% ")),
    )
    return (
        exp.Case()
        .when(spaced, exp.Nullif(this=exp.Trim(this=raw.copy()), expression=exp.Literal.string("")))
        .when(exp.EQ(this=raw.copy(), expression=exp.Literal.string("")), exp.Null())
        .else_(raw.copy())
    )


def _case(branches: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    case = exp.Case()
    for cond, then in branches:
        case = case.when(cond, then)
    if default is not None:
        case = case.else_(default)
    return case


def _days_in_month(y: exp.Expr, m: exp.Expr) -> exp.Expr:
    leap = exp.or_(
        exp.and_(
            exp.EQ(this=exp.Mod(this=y.copy(), expression=literal(4)), expression=literal(0)),
            exp.NEQ(this=exp.Mod(this=y.copy(), expression=literal(100)), expression=literal(0)),
        ),
        exp.EQ(this=exp.Mod(this=y.copy(), expression=literal(400)), expression=literal(0)),
    )
    return _case(
        [
            (exp.In(this=m.copy(), expressions=[literal(4), literal(6), literal(9), literal(11)]), literal(30)),
            (exp.EQ(this=m.copy(), expression=literal(2)), _case([(leap, literal(29))], literal(28))),
        ],
        literal(31),
    )


def _calendar_ok(t: exp.Expr, engine: type[Engine]) -> exp.Expr:
    """Day within its month, year ≥ 1 — for text already matching YYYY-MM-DD at the start."""

    def part(start: int, length: int) -> exp.Expr:
        return cast(exp.Substring(this=t.copy(), start=literal(start), length=literal(length)), "INT", engine)

    y, m, d = part(1, 4), part(6, 2), part(9, 2)
    return exp.and_(
        exp.GTE(this=y, expression=literal(1)),
        exp.LTE(this=d, expression=_days_in_month(y, m)),
    )


@dataclass
class ColumnCheck:
    """One column's rules: the reason code (NULL when valid), its typed value, and details."""

    column: DeclaredColumn
    reason: exp.Expr
    value: exp.Expr  # valid only where reason IS NULL
    normalized: exp.Expr | None  # 1 where an accepted value was re-spelled, else 0
    details: dict[str, str] = field(default_factory=dict)
    has_rules: bool = True


def _accepted_list(values: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" … ({len(values)} values)" if len(values) > limit else "")


def enum_canonical(col: DeclaredColumn, t: exp.Expr) -> exp.Expr | None:
    """For a text column with accepted values: the declared spelling of the trimmed,
    case-folded text, or NULL when it matches none (one simple CASE, evaluated once)."""
    if col.accepted_values is None or col.type.family != "string":
        return None
    case = exp.Case(this=exp.Lower(this=t.copy()))
    for v in col.accepted_values:
        case = case.when(literal(v.lower()), literal(v))
    return case


def check_column(
    col: DeclaredColumn, raw: exp.Expr, t: exp.Expr, canonical: exp.Expr | None, engine: type[Engine]
) -> ColumnCheck:
    """Reason/value expressions for one column, in SQL for `engine`.

    `raw` is the text as read, `t` the same text trimmed with blank as NULL (see `trimmed`),
    `canonical` the `enum_canonical` of the column (all three usually column references to
    values computed once upstream).
    """
    ct: ColumnType = col.type
    details: dict[str, str] = {}
    # Type checks in order; a `PASS` result means "valid for its type: go on to the
    # accepted-values check". Cheap sufficient conditions come first, so the usual valid
    # value costs one pattern match and the diagnostic checks run only for bad values.
    typed: list[tuple[exp.Expr, str]] = []
    fam = ct.family
    value: exp.Expr
    normalized: exp.Expr | None = None
    invalid = INVALID.get(fam, "")
    if invalid:
        details[invalid] = f"expected {ct.describe()}"

    if fam == "integer":
        lo, hi = ct.int_range
        safe_digits = len(str(hi)) - 1  # this many digits always fit
        typed += [
            (matches(t, f"^[+-]?[0-9]{{1,{safe_digits}}}$"), PASS),
            (exp.not_(matches(t, PATTERNS[fam])), invalid),
            (exp.not_(matches(t, "^[+-]?0*[0-9]{1,19}$")), OUT_OF_RANGE),
            (
                exp.not_(exp.Between(this=cast(t, "DECIMAL(38, 0)", engine), low=literal(lo), high=literal(hi))),
                OUT_OF_RANGE,
            ),
        ]
        details[OUT_OF_RANGE] = f"outside the range of {(ct.width or 'BIGINT').lower()} [{lo}, {hi}]"
        value = cast(t, ct.target(engine), engine)
    elif fam == "decimal":
        p, s = ct.precision or 38, ct.scale or 0
        frac = f"([.][0-9]{{0,{s}}}0*)?" if s else "([.]0*)?"
        if p - s > 0:
            strict = f"^[+-]?[0-9]{{1,{p - s}}}([.][0-9]{{0,{s}}})?$" if s else f"^[+-]?[0-9]{{1,{p}}}$"
            typed.append((matches(t, strict), PASS))
        typed += [
            (exp.not_(matches(t, PATTERNS[fam])), invalid),
            (exp.not_(matches(t, f"^[+-]?[0-9]*{frac}$")), TOO_MANY_DECIMALS),
            (exp.not_(matches(t, f"^[+-]?0*[0-9]{{0,{p - s}}}([.][0-9]*)?$")), OUT_OF_RANGE),
        ]
        details[TOO_MANY_DECIMALS] = f"more than {s} decimal places (would be rounded)"
        details[OUT_OF_RANGE] = f"more than {p - s} digits before the decimal point (decimal({p},{s}))"
        value = cast(t, ct.target(engine), engine)
    elif fam == "float":
        small, big = _FLOAT_LIMITS.get(ct.width or "DOUBLE", _FLOAT_LIMITS["DOUBLE"])
        num_type = engine.widest_number_type
        mag = exp.Abs(this=cast(t, num_type, engine))

        def bound(v: str) -> exp.Expr:
            return exp.Cast(this=literal(v), to=exp.DataType.build(num_type))

        # Zero is recognised from the text: DuckDB turns 1e-400 into 0.0, PostgreSQL refuses it.
        ok = exp.and_(
            exp.GTE(this=mag.copy(), expression=bound(small)),
            exp.LTE(this=mag.copy(), expression=bound(big)),
        )
        # Both sides are safe here: an earlier branch has proven the text numeric.
        out = exp.and_(exp.not_(matches(t, _ZERO)), exp.not_(exp.Coalesce(this=ok, expressions=[exp.false()])))
        typed += [(exp.not_(matches(t, PATTERNS[fam])), invalid), (out, OUT_OF_RANGE)]
        details[OUT_OF_RANGE] = f"magnitude outside [{small}, {big}]"
        value = cast(t, ct.target(engine), engine)
    elif fam in ("date", "timestamp", "timestamptz"):
        # Days 01-28 exist in every month of every year but 0000: no arithmetic needed.
        common_day = exp.and_(
            exp.LTE(this=exp.Substring(this=t.copy(), start=literal(9), length=literal(2)), expression=literal("28")),
            exp.NEQ(this=exp.Substring(this=t.copy(), start=literal(1), length=literal(4)), expression=literal("0000")),
        )
        typed += [
            (exp.not_(matches(t, PATTERNS[fam])), invalid),
            (common_day, PASS),
            (exp.not_(_calendar_ok(t, engine)), invalid),
        ]
        value = cast(t, ct.target(engine), engine)
    elif fam == "boolean":
        low = exp.Lower(this=t.copy())
        words = [literal(w) for w in (*TRUE_WORDS, *FALSE_WORDS)]
        typed.append((exp.not_(exp.In(this=low.copy(), expressions=words)), invalid))
        value = _case(
            [
                (exp.In(this=low.copy(), expressions=[literal(w) for w in TRUE_WORDS]), exp.true()),
                (exp.In(this=low.copy(), expressions=[literal(w) for w in FALSE_WORDS]), exp.false()),
            ]
        )
    elif fam == "uuid":
        typed.append((exp.not_(matches(t, PATTERNS[fam])), invalid))
        value = cast(t, "UUID", engine)
    else:  # string: kept exactly as written (only blank-means-missing is judged on trimmed text)
        value = raw.copy()
        if ct.length:
            typed.append((exp.GT(this=exp.Length(this=raw.copy()), expression=literal(ct.length)), TOO_LONG))
            details[TOO_LONG] = f"longer than {ct.length} characters"

    tail: list[tuple[exp.Expr, exp.Expr]] = []
    if col.accepted_values is not None:
        values = list(col.accepted_values)
        details[UNKNOWN_VALUE] = f"not one of the accepted values: {_accepted_list(values)}"
        if fam == "string" and canonical is not None:
            # Trimmed and case-folded, then spelled exactly as the YAML declares it.
            tail.append((exp.Is(this=canonical.copy(), expression=exp.Null()), literal(UNKNOWN_VALUE)))
            value = canonical.copy()
            respelled = exp.and_(
                exp.not_(exp.Is(this=canonical.copy(), expression=exp.Null())),
                exp.NEQ(this=raw.copy(), expression=canonical.copy()),
            )
            normalized = _case([(respelled, literal(1))], literal(0))
        else:
            allowed = [cast(literal(v), ct.target(engine), engine) for v in values]
            tail.append((exp.not_(exp.In(this=value.copy(), expressions=allowed)), literal(UNKNOWN_VALUE)))

    missing = exp.Is(this=t.copy(), expression=exp.Null())
    branches: list[tuple[exp.Expr, exp.Expr]] = [(missing, literal(MISSING) if col.not_null else exp.Null())]
    if col.not_null:
        details[MISSING] = f"`{col.name}` is required (not_null) but empty"
    passed = _case(tail) if tail else exp.Null()
    branches += [(cond, passed.copy() if code == PASS else literal(code)) for cond, code in typed]
    branches += tail

    has_rules = len(branches) > 1 or col.not_null
    reason = _case(branches) if has_rules else exp.Null()
    return ColumnCheck(
        column=col,
        reason=reason,
        value=value,
        normalized=normalized,
        details=details,
        has_rules=has_rules,
    )

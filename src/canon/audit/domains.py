"""Admitted value sets, decided by the warehouse itself.

A condition on one raw column is evaluated against that column's actual distinct values
(plus NULL when the column holds NULLs), so `type <> 'pilot'`, `type IN ('recurring',
'one-time')` and `NOT lower(trim(type)) = 'pilot'` all yield the same set. Columns with
too many distinct values (amounts, dates) are kept as general predicates instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from canon.audit.lineage import RAW_KEY
from canon.compiler.relations import Relations
from canon.compiler.vector import literal
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar
from canon.engines.base import Engine
from canon.errors import CanonError

DOMAIN_CAP = 500


@dataclass
class Domain:
    values: list[Scalar]
    has_null: bool
    capped: bool = False
    unknown: bool = False  # never read (static mode): no caller may take `values` as the column's set

    @property
    def all(self) -> frozenset[Scalar]:
        return frozenset([*self.values, *([None] if self.has_null else [])])


@dataclass
class Domains:
    engine: Engine
    relations: Relations
    cache: dict[ColumnRef, Domain] = field(default_factory=dict)
    date_keys: dict[ColumnRef, bool] = field(default_factory=dict)

    def domain(self, ref: ColumnRef) -> Domain:
        if ref not in self.cache:
            table = self.relations.get(ref.table)
            col = exp.column(ref.column)
            query = (
                exp.select(col.copy().as_("v"))
                .from_(table)
                .where(exp.Not(this=exp.Is(this=col.copy(), expression=exp.null())))
                .distinct()
                .limit(DOMAIN_CAP + 1)
            )
            values = self.engine.execute(query).column("v").to_pylist()
            nulls = (
                exp.select(exp.Literal.number(1))
                .from_(table.copy())
                .where(exp.Is(this=col.copy(), expression=exp.null()))
                .limit(1)
            )
            has_null = self.engine.execute(nulls).num_rows > 0
            capped = len(values) > DOMAIN_CAP
            self.cache[ref] = Domain(
                sorted(values[:DOMAIN_CAP], key=lambda v: (str(type(v)), str(v))), has_null, capped
            )
        return self.cache[ref]

    def excludes_nothing(self, condition: exp.Expr, refs: set[ColumnRef]) -> bool:
        """True when `condition` holds for every row of its (single) table: it decides nothing."""
        tables = {r.table for r in refs}
        if len(tables) != 1:
            return False
        table = next(iter(tables))
        cond = condition.copy()
        for col in cond.find_all(exp.Column):
            col.set("table", None)
            col.meta.clear()
        failing = exp.Not(this=exp.Coalesce(this=exp.Paren(this=cond), expressions=[exp.false()]))
        query = exp.select(exp.Literal.number(1)).from_(self.relations.get(table)).where(failing).limit(1)
        return self.engine.execute(query).num_rows == 0

    def admitted(self, ref: ColumnRef, condition: exp.Expr, raw_node_match: Any) -> frozenset[Scalar] | None:
        """Values of `ref` for which `condition` is TRUE; None when the domain is too large."""
        dom = self.domain(ref)
        if dom.capped:
            return None
        candidates = [*dom.values, *([None] if dom.has_null else [])]
        if not candidates:
            return frozenset()
        rows = [exp.Tuple(expressions=[exp.Literal.number(i), _typed(v)]) for i, v in enumerate(candidates)]
        values = exp.Values(
            expressions=rows,
            alias=exp.TableAlias(this=exp.to_identifier("d"), columns=[exp.to_identifier("i"), exp.to_identifier("v")]),
        )
        substituted = condition.copy().transform(lambda n: exp.column("v", table="d") if raw_node_match(n) else n)
        query = exp.select(exp.column("i", table="d")).from_(values).where(substituted)
        hits = self.engine.execute(query).column("i").to_pylist()
        return frozenset(candidates[i] for i in hits)

    def admits_null(self, condition: exp.Expr, raw_node_match: Any) -> bool:
        """Whether `condition` is TRUE when its column is NULL (`coalesce(country, 'US') = 'US'` is).

        What a LEFT join's missing row reads as, whether or not the column itself holds NULLs.
        """
        substituted = condition.copy().transform(lambda n: exp.null() if raw_node_match(n) else n)
        for col in substituted.find_all(exp.Column):
            if col.meta.get(RAW_KEY):
                return False  # another column: not a one-column condition
        try:
            return self.engine.execute(exp.select(exp.Literal.number(1)).where(substituted)).num_rows > 0
        except (CanonError, sqlglot.errors.SqlglotError):
            return False

    def is_date_key(self, ref: ColumnRef) -> bool:
        """Whether every value of an integer column is a calendar day written YYYYMMDD (20261015).

        Read from the data, not the name: a year from 1900 to 2199, a month 1-12 and a day 1-31
        in every non-NULL row, and at least one row.
        """
        if ref not in self.date_keys:
            col = exp.column(ref.column)

            def part(divisor: int, modulo: int) -> exp.Expression:
                whole: exp.Expression = col.copy()
                if divisor > 1:
                    whole = exp.IntDiv(this=whole, expression=exp.Literal.number(divisor))
                return exp.Mod(this=exp.Paren(this=whole), expression=exp.Literal.number(modulo))

            valid = exp.and_(
                exp.Between(this=col.copy(), low=exp.Literal.number(19000101), high=exp.Literal.number(21991231)),
                exp.Between(this=part(100, 100), low=exp.Literal.number(1), high=exp.Literal.number(12)),
                exp.Between(this=part(1, 100), low=exp.Literal.number(1), high=exp.Literal.number(31)),
            )
            bad = exp.Sum(
                this=exp.Case(ifs=[exp.If(this=valid, true=exp.Literal.number(0))], default=exp.Literal.number(1))
            )
            query = exp.select(exp.Count(this=col.copy()).as_("n"), bad.as_("bad")).from_(self.relations.get(ref.table))
            query = query.where(exp.Not(this=exp.Is(this=col.copy(), expression=exp.null())))
            try:
                row = self.engine.execute(query).to_pylist()
            except CanonError:  # text ids and the like: the arithmetic does not even bind, no date key
                row = []
            self.date_keys[ref] = bool(row) and bool(row[0]["n"]) and not row[0]["bad"]
        return self.date_keys[ref]

    def calendar_key(self, key: ColumnRef, date: ColumnRef) -> str | None:
        """How a unique key of a date table places each of its rows in the month of `date`.

        "date": the key is a date in the same month as `date` on every row; "%Y%m%d": an integer
        YYYYMMDD day in that month. None: neither (the table is no calendar keyed by days). Read
        from the data: a table of one row per day whose month column agrees with its key.
        """
        col, day = exp.column(key.column), exp.column(date.column)
        if self.is_date_key(key):
            fmt = "%Y%m%d"
            month: exp.Expression = exp.IntDiv(this=col.copy(), expression=exp.Literal.number(100))
            expected: exp.Expression = exp.Add(
                this=exp.Mul(this=exp.Year(this=day.copy()), expression=exp.Literal.number(100)),
                expression=exp.Month(this=day.copy()),
            )
        else:
            fmt = "date"
            month = exp.DateTrunc(this=exp.cast(col.copy(), "DATE"), unit=exp.var("MONTH"))
            expected = exp.DateTrunc(this=exp.cast(day.copy(), "DATE"), unit=exp.var("MONTH"))
        agree = exp.EQ(this=month, expression=expected)
        bad = exp.Sum(
            this=exp.Case(ifs=[exp.If(this=agree, true=exp.Literal.number(0))], default=exp.Literal.number(1))
        )
        query = exp.select(exp.Count(this=col.copy()).as_("n"), bad.as_("bad")).from_(self.relations.get(key.table))
        try:
            row = self.engine.execute(query).to_pylist()
        except CanonError:  # the key is no date at all (text ids): no calendar
            return None
        return fmt if row and row[0]["n"] and not row[0]["bad"] else None

    def unknown(self, ref: ColumnRef, condition: exp.Expr) -> str | None:
        """Why `admitted` could not decide `condition` from a domain it never read (None: it read it).

        Only static mode (`canon.audit.static.StaticDomains`) leaves domains unread.
        """
        return None


def _typed(value: Scalar) -> exp.Expression:
    if value is None:
        return exp.null()
    return literal(value)

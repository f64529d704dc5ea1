"""The whole-table check as one SQL query: value rules, then keys, then relationships.

The staging relation holds every record as text (`__canon_line` plus one raw column per
declared column). One query turns it into the *checked* table: typed values, a reason code
per column, duplicate and foreign-key flags, and for bad rows the raw values as JSON. The
target table and the quarantine are then two cheap filters over it.

Order of judgement, and why:
1. value rules per column (type, required, accepted values) — a row failing any of them is
   not a valid row, so it can neither win a uniqueness contest nor be a parent;
2. uniqueness keys, in declaration order: among rows still valid, the FIRST occurrence in
   the file (lowest line) is kept and every later copy is quarantined as `duplicate_key`
   with the kept line in its detail. Keeping one copy rather than none means children that
   reference the key still find their parent; quarantining the rest means nothing is lost
   silently. NULL keys are never duplicates (dbt's `unique` ignores NULLs too);
3. relationships: among rows still valid, a non-NULL value must exist in the parent (the
   parent's freshly loaded table when it is loaded in the same run — parents are loaded
   first — or the table already in the warehouse; for a self-reference, the valid rows of
   this very load).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from canon.load.files import LoadTarget
from canon.load.rules import DUPLICATE_KEY, MALFORMED_ROW, MISSING_PARENT, ColumnCheck, check_column, lit
from canon.load.schema import ForeignKey
from canon.load.types import Family

LINE = "__canon_line"
OK = "__canon_ok"
RAW_JSON = "__canon_json"


def raw_name(i: int) -> str:
    return f"__canon_raw{i}"


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e.copy(), expression=exp.Null())


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.not_(_is_null(e))


def _all(conds: list[exp.Expr]) -> exp.Expr:
    return exp.and_(*conds) if conds else exp.true()


def text(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=e.copy(), to=exp.DataType.build("TEXT"))


def json_object(pairs: list[tuple[str, exp.Expr]], dialect: str) -> exp.Expr:
    """A JSON object as text; PostgreSQL 15 spells it json_build_object."""
    args: list[exp.Expr] = []
    for key, value in pairs:
        args += [exp.Literal.string(key), value.copy()]
    fn = "json_object" if dialect == "duckdb" else "json_build_object"
    return text(exp.Anonymous(this=fn, expressions=args))


@dataclass
class Parent:
    """Where a relationship's parent rows are: a warehouse table, or this load (self)."""

    fk: ForeignKey
    relation: exp.Table | None  # None: the table references itself
    family: Family | None
    label: str


@dataclass
class CheckPlan:
    target: LoadTarget
    dialect: str
    checks: list[ColumnCheck] = field(default_factory=list)
    keys: list[tuple[str, ...]] = field(default_factory=list)
    parents: list[Parent] = field(default_factory=list)

    @classmethod
    def build(cls, target: LoadTarget, dialect: str, parents: list[Parent]) -> CheckPlan:
        plan = cls(target=target, dialect=dialect, parents=parents)
        plan.checks = [check_column(c, _col(raw_name(i)), dialect) for i, c in enumerate(target.columns)]
        by_fold = {c.name.casefold(): c.name for c in target.columns}
        for key in target.table.unique_keys:
            norm = tuple(by_fold[k.casefold()] for k in key)
            if norm not in plan.keys:
                plan.keys.append(norm)
        return plan

    def _name(self, column: str) -> str:
        return next(c.name for c in self.target.columns if c.name.casefold() == column.casefold())

    # ------------------------------------------------------------------ checked table

    def checked_query(self, stage: exp.Expr) -> exp.Select:
        """SELECT producing the checked table from the staging relation."""
        n = len(self.checks)
        reasons = [f"__canon_r{i}" for i in range(n)]
        raws = [raw_name(i) for i in range(n)]
        names = [c.column.name for c in self.checks]

        c1 = exp.select(
            _col(LINE),
            *[_col(r) for r in raws],
            *[c.reason.as_(r, quoted=True) for c, r in zip(self.checks, reasons, strict=True)],
        ).from_(stage.copy())

        ok0 = _all([_is_null(_col(r)) for r, c in zip(reasons, self.checks, strict=True) if c.has_rules])
        c2_cols: list[exp.Expr] = [_col(LINE), *[_col(r) for r in raws], *[_col(r) for r in reasons]]
        for chk, r, name in zip(self.checks, reasons, names, strict=True):
            c2_cols.append(exp.Case().when(_is_null(_col(r)), chk.value.copy()).as_(name, quoted=True))
        for i, chk in enumerate(self.checks):
            if chk.normalized is not None:
                c2_cols.append(
                    exp.Case()
                    .when(_is_null(_col(reasons[i])), chk.normalized.copy())
                    .else_(lit(0))
                    .as_(f"__canon_n{i}", quoted=True)
                )
        c2_cols.append(ok0.as_("__canon_ok0", quoted=True))
        ctes: list[tuple[str, exp.Select]] = [
            ("__canon_c1", c1),
            ("__canon_c2", exp.select(*c2_cols).from_("__canon_c1")),
        ]
        prev, ok_prev = "__canon_c2", "__canon_ok0"

        for k, key in enumerate(self.keys):
            keyed = exp.and_(_col(ok_prev), *[_not_null(_col(c)) for c in key])
            first = exp.Window(
                this=exp.Min(this=exp.Case().when(keyed, _col(LINE))),
                partition_by=[_col(c) for c in key],
            )
            win = exp.select(exp.Star(), first.as_(f"__canon_first{k}", quoted=True)).from_(prev)
            ctes.append((f"__canon_k{k}w", win))
            is_dup = exp.and_(keyed.copy(), exp.GT(this=_col(LINE), expression=_col(f"__canon_first{k}")))
            flag = exp.select(
                exp.Star(),
                exp.Case().when(is_dup, _col(f"__canon_first{k}")).as_(f"__canon_dup{k}", quoted=True),
                exp.and_(_col(ok_prev), exp.not_(exp.paren(is_dup.copy()))).as_(
                    f"__canon_ok{k + 1}", quoted=True
                ),
            ).from_(f"__canon_k{k}w")
            ctes.append((f"__canon_k{k}", flag))
            prev, ok_prev = f"__canon_k{k}", f"__canon_ok{k + 1}"

        fk_cols: list[exp.Expr] = []
        for j, parent in enumerate(self.parents):
            col = self._name(parent.fk.column)
            child_family = self.target.columns[names.index(col)].type.family
            if parent.relation is None:
                ptable: exp.Expr = exp.to_table(prev).as_("__canon_p", quoted=True)
                pcol = self._name(parent.fk.parent_column)
                pfam: Family | None = self.target.columns[names.index(pcol)].type.family
                extra: list[exp.Expr] = [_col(ok_prev, "__canon_p")]
            else:
                ptable = parent.relation.copy().as_("__canon_p", quoted=True)
                pcol, pfam, extra = parent.fk.parent_column, parent.family, []
            left: exp.Expr = _col(col, "__canon_c")  # qualified: the subquery has the same names
            right: exp.Expr = _col(pcol, "__canon_p")
            if pfam != child_family:
                left, right = text(left), text(right)
            exists = exp.Exists(
                this=exp.select(lit(1))
                .from_(ptable)
                .where(exp.and_(*extra, exp.EQ(this=right, expression=left)))
            )
            missing = exp.and_(
                _col(ok_prev, "__canon_c"), _not_null(_col(col, "__canon_c")), exp.not_(exists)
            )
            fk_cols.append(
                exp.Case().when(missing, exp.true()).else_(exp.false()).as_(f"__canon_fk{j}", quoted=True)
            )
        outer = exp.to_table(prev).as_("__canon_c", quoted=True)
        ctes.append(("__canon_fk", exp.select(exp.Star(), *fk_cols).from_(outer)))

        ok = exp.and_(_col(ok_prev), *[exp.not_(_col(f"__canon_fk{j}")) for j in range(len(self.parents))])
        raw_json = json_object([(name, _col(r)) for name, r in zip(names, raws, strict=True)], self.dialect)
        final: list[exp.Expr] = [_col(LINE), *[_col(nm) for nm in names], *[_col(r) for r in reasons]]
        final += [
            exp.Case().when(_not_null(_col(r)), _col(raw)).as_(f"__canon_bad{i}", quoted=True)
            for i, (r, raw) in enumerate(zip(reasons, raws, strict=True))
        ]
        final += [_col(f"__canon_n{i}") for i, c in enumerate(self.checks) if c.normalized is not None]
        final += [_col(f"__canon_dup{k}") for k in range(len(self.keys))]
        final += [_col(f"__canon_fk{j}") for j in range(len(self.parents))]
        final.append(ok.as_(OK, quoted=True))
        final.append(exp.Case().when(exp.not_(exp.paren(ok.copy())), raw_json).as_(RAW_JSON, quoted=True))
        query = exp.select(*final).from_("__canon_fk")
        for name, cte in ctes:
            query = query.with_(exp.to_identifier(name, quoted=True), as_=cte)
        return query

    # ------------------------------------------------------------------ outputs

    def target_query(self, checked: exp.Table, order: bool = True) -> exp.Select:
        """Valid rows, typed exactly as declared, in file order."""
        cols = [
            exp.Cast(this=_col(c.name), to=c.type.target(self.dialect)).as_(c.name, quoted=True)
            for c in self.target.columns
        ]
        q = exp.select(*cols).from_(checked.copy()).where(_col(OK))
        return q.order_by(_col(LINE)) if order else q

    def quarantine_query(
        self,
        checked: exp.Table,
        common: list[exp.Expr],
        rejects: exp.Table | None = None,
    ) -> exp.Expr | None:
        """One SELECT per rule, UNION ALL: a quarantine record per (row, column, reason).

        `common` are the leading (load_id, loaded_at, table_name, file) expressions.
        """
        parts: list[exp.Select] = []

        def part(
            column: exp.Expr,
            reason: exp.Expr,
            detail: exp.Expr,
            value: exp.Expr,
            where: exp.Expr,
        ) -> None:
            parts.append(
                exp.select(
                    *[c.copy() for c in common], _col(LINE), column, reason, detail, value, _col(RAW_JSON)
                )
                .from_(checked.copy())
                .where(where)
            )

        for i, chk in enumerate(self.checks):
            if not chk.has_rules:
                continue
            r = _col(f"__canon_r{i}")
            detail = exp.Case()
            for code, text_ in chk.details.items():
                detail = detail.when(exp.EQ(this=r.copy(), expression=lit(code)), lit(text_))
            part(
                lit(chk.column.name),
                r,
                detail if chk.details else exp.Null(),
                _col(f"__canon_bad{i}"),
                _not_null(r),
            )
        for k, key in enumerate(self.keys):
            dup = _col(f"__canon_dup{k}")
            kept = exp.Concat(
                expressions=[lit("duplicate of line "), text(dup), lit(" (kept); key " + ", ".join(key))]
            )
            value = (
                text(_col(key[0]))
                if len(key) == 1
                else exp.ConcatWs(expressions=[lit(", "), *[text(_col(c)) for c in key]])
            )
            part(lit(", ".join(key)), lit(DUPLICATE_KEY), kept, value, _not_null(dup))
        for j, parent in enumerate(self.parents):
            col = self._name(parent.fk.column)
            part(
                lit(col),
                lit(MISSING_PARENT),
                lit(f"no row of {parent.label} has this value"),
                text(_col(col)),
                _col(f"__canon_fk{j}"),
            )
        if rejects is not None:
            parts.append(
                exp.select(
                    *[c.copy() for c in common],
                    _col("line"),
                    exp.Null(),
                    lit(MALFORMED_ROW),
                    _col("message"),
                    exp.Null(),
                    json_object([("_line", _col("csv_line"))], self.dialect),
                ).from_(rejects.copy())
            )
        if not parts:
            return None
        query: exp.Expr = parts[0]
        for p in parts[1:]:
            query = exp.union(query, p, distinct=False)
        return query

    def stats_query(self, checked: exp.Table) -> exp.Select:
        """Rows checked, rows valid, and per enum column how many values were re-spelled."""
        cols: list[exp.Expr] = [
            exp.Count(this=exp.Star()).as_("rows", quoted=True),
            exp.Sum(this=exp.Case().when(_col(OK), lit(1)).else_(lit(0))).as_("ok", quoted=True),
        ]
        for i, chk in enumerate(self.checks):
            if chk.normalized is not None:
                cols.append(
                    exp.Sum(this=exp.Case().when(_col(OK), _col(f"__canon_n{i}")).else_(lit(0))).as_(
                        f"n{i}", quoted=True
                    )
                )
        return exp.select(*cols).from_(checked.copy())

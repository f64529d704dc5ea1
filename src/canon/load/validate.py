"""The whole-table check in SQL: value rules, then uniqueness keys, then relationships.

The staging relation holds every record as text (`__canon_line` plus one raw column per
declared column). One CREATE TABLE AS turns it into the *checked* table — typed values,
one reason code per column, and the flags `__canon_valid` / `__canon_ok` — and a few
UPDATEs, which touch only the offending rows, add the key and relationship verdicts. The
target table and the quarantine are then filters over it. No statement pulls rows into
Python, and no rule needs a window over the whole table.

Order of judgement, and why:
1. value rules per column (type, required, accepted values): a row failing any of them is
   not a valid row, so it can neither win a uniqueness contest nor be a parent;
2. uniqueness keys, in declaration order: among valid rows, the FIRST occurrence in the
   file (lowest line) is kept and every later copy is quarantined as `duplicate_key`, its
   detail naming the kept line. Keeping one copy rather than none means children that
   reference the key still find their parent; quarantining the rest means nothing is lost
   silently. NULL keys are never duplicates (dbt's `unique` ignores NULLs too);
3. relationships: among rows still valid, a non-NULL value must exist in the parent (the
   parent's freshly loaded table when it is loaded in the same run — parents are loaded
   first — or the table already in the warehouse; for a self-reference, the valid rows of
   this very load). Every relationship is checked, so a row missing two parents says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from canon.engines import Engine
from canon.load.files import LoadTarget
from canon.load.rules import (
    DUPLICATE_KEY,
    MALFORMED_ROW,
    MISSING_PARENT,
    ColumnCheck,
    check_column,
    enum_canonical,
    trimmed,
)
from canon.load.schema import ForeignKey
from canon.load.types import Family
from canon.sqltree import col, literal, table

LINE = "__canon_line"
VALID = "__canon_valid"  # value rules and keys passed
OK = "__canon_ok"  # VALID and every relationship found its parent


def raw_name(i: int) -> str:
    return f"__canon_raw{i}"


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e.copy(), expression=exp.Null())


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.not_(_is_null(e))


def text(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=e.copy(), to=exp.DataType.build("TEXT"))


def json_object(pairs: list[tuple[str, exp.Expr]], engine: type[Engine]) -> exp.Expr:
    """A JSON object as text, built by the engine's key/value JSON function."""
    fn = engine.json_object_function
    if fn is None:
        raise NotImplementedError(f"{engine.name} has no function building a JSON object from keys and values")
    args: list[exp.Expr] = []
    for key, value in pairs:
        args += [exp.Literal.string(key), value.copy()]
    return text(exp.Anonymous(this=fn, expressions=args))


def _temp_ctas(name: str, query: exp.Expr) -> exp.Create:
    return exp.Create(
        this=table(name),
        kind="TABLE",
        expression=query,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )


@dataclass
class Parent:
    """Where a relationship's parent rows are: a warehouse table, or this load (self)."""

    fk: ForeignKey
    relation: exp.Table | None  # None: the table references itself
    family: Family | None
    label: str
    checked: bool = False  # `relation` is the parent's checked table of this run: only its OK rows count


@dataclass
class CheckPlan:
    """The SQL statements that check one table, given its staging relation."""

    target: LoadTarget
    engine: type[Engine]  # whose SQL the statements are written in (its facts, not a connection)
    checked: str  # name of the temporary checked table
    checks: list[ColumnCheck] = field(default_factory=list)
    keys: list[tuple[str, ...]] = field(default_factory=list)
    parents: list[Parent] = field(default_factory=list)

    @classmethod
    def build(cls, target: LoadTarget, engine: type[Engine], parents: list[Parent], checked: str) -> CheckPlan:
        plan = cls(target=target, engine=engine, checked=checked, parents=parents)
        for i, c in enumerate(target.columns):
            canonical = col(f"__canon_e{i}") if enum_canonical(c, col("x")) is not None else None
            plan.checks.append(check_column(c, col(raw_name(i)), col(f"__canon_t{i}"), canonical, engine))
        by_fold = {c.name.casefold(): c.name for c in target.columns}
        for key in target.table.unique_keys:
            norm = tuple(by_fold[k.casefold()] for k in key)
            if norm not in plan.keys:
                plan.keys.append(norm)
        return plan

    @property
    def names(self) -> list[str]:
        return [c.column.name for c in self.checks]

    def _name(self, column: str) -> str:
        return next(n for n in self.names if n.casefold() == column.casefold())

    def _family(self, column: str) -> Family:
        return self.target.columns[self.names.index(column)].type.family

    # ------------------------------------------------------------------ statements

    def create_checked(self, stage: exp.Expr) -> exp.Create:
        """Typed values, a reason per column, and the verdict of the value rules."""
        n = len(self.checks)
        raws = [col(raw_name(i)) for i in range(n)]
        prep: list[exp.Expr] = [col(LINE), *raws]
        for i, chk in enumerate(self.checks):
            prep.append(trimmed(raws[i]).as_(f"__canon_t{i}", quoted=True))
            canonical = enum_canonical(chk.column, trimmed(raws[i]))
            if canonical is not None:
                prep.append(canonical.as_(f"__canon_e{i}", quoted=True))
        judged: list[exp.Expr] = [exp.Star()]
        judged += [c.reason.as_(f"__canon_r{i}", quoted=True) for i, c in enumerate(self.checks)]

        reasons = [col(f"__canon_r{i}") for i in range(n)]
        valid = exp.and_(*[_is_null(r) for r, c in zip(reasons, self.checks, strict=True) if c.has_rules])
        out: list[exp.Expr] = [col(LINE)]
        for chk, r, name in zip(self.checks, reasons, self.names, strict=True):
            out.append(exp.Case().when(_is_null(r), chk.value.copy()).as_(name, quoted=True))
        out += [r.copy().as_(f"__canon_r{i}", quoted=True) for i, r in enumerate(reasons)]
        for i, chk in enumerate(self.checks):
            if chk.normalized is not None:
                flag = exp.Case().when(_is_null(reasons[i]), chk.normalized.copy()).else_(literal(0))
                out.append(flag.as_(f"__canon_n{i}", quoted=True))
        bigint = exp.DataType.build("BIGINT")
        out += [exp.Cast(this=exp.Null(), to=bigint).as_(f"__canon_dup{k}", quoted=True) for k in range(len(self.keys))]
        out += [exp.false().as_(f"__canon_fk{j}", quoted=True) for j in range(len(self.parents))]
        out += [valid.as_(VALID, quoted=True), valid.copy().as_(OK, quoted=True)]

        # Each stage's columns (the trimmed text, then the reasons) are used several times
        # by the next; the engine makes sure they are computed once per row.
        def fenced(q: exp.Select, alias: str) -> exp.Expr:
            return self.engine.fence_subquery(q).subquery(alias)

        prepared = fenced(exp.select(*prep).from_(stage.copy()), "__canon_p")
        judged_q = fenced(exp.select(*judged).from_(prepared), "__canon_j")
        query = exp.select(*out).from_(judged_q)
        return _temp_ctas(self.checked, query)

    def key_updates(self) -> list[exp.Update]:
        """Per key: flag every valid copy after the first valid one, naming the kept line."""
        ck = self.checked
        updates = []
        for k, key in enumerate(self.keys):
            firsts = (
                exp.select(*[col(c) for c in key], exp.Min(this=col(LINE)).as_("first", quoted=True))
                .from_(table(ck))
                .where(exp.and_(col(VALID), *[_not_null(col(c)) for c in key]))
                .group_by(*[col(c) for c in key])
                .having(exp.GT(this=exp.Count(this=exp.Star()), expression=literal(1)))
            )
            match = [exp.EQ(this=col(c, ck), expression=col(c, "__canon_d")) for c in key]
            cond = exp.and_(col(VALID, ck), *match, exp.GT(this=col(LINE, ck), expression=col("first", "__canon_d")))
            updates.append(
                exp.Update(
                    this=table(ck),
                    expressions=[
                        exp.EQ(this=col(f"__canon_dup{k}"), expression=col("first", "__canon_d")),
                        exp.EQ(this=col(VALID), expression=exp.false()),
                        exp.EQ(this=col(OK), expression=exp.false()),
                    ],
                    from_=exp.From(this=firsts.subquery("__canon_d", copy=False)),
                    where=exp.Where(this=cond),
                )
            )
        return updates

    def fk_updates(self) -> list[exp.Update]:
        """Per relationship: flag valid rows whose non-NULL value has no parent row."""
        ck = self.checked
        updates = []
        for j, parent in enumerate(self.parents):
            name = self._name(parent.fk.column)
            extra: list[exp.Expr] = []
            if parent.relation is None:
                ptable: exp.Expr = table(ck).as_("__canon_q", quoted=True)
                pcol = self._name(parent.fk.parent_column)
                pfam: Family | None = self._family(pcol)
                extra = [col(VALID, "__canon_q")]
            else:
                ptable = parent.relation.copy().as_("__canon_q", quoted=True)
                pcol, pfam = parent.fk.parent_column, parent.family
                if parent.checked:
                    extra = [col(OK, "__canon_q")]
            left: exp.Expr = col(name, ck)
            right: exp.Expr = col(pcol, "__canon_q")
            if pfam != self._family(name):
                left, right = text(left), text(right)
            exists = exp.Exists(
                this=exp.select(literal(1)).from_(ptable).where(exp.and_(*extra, exp.EQ(this=right, expression=left)))
            )
            updates.append(
                exp.Update(
                    this=table(ck),
                    expressions=[
                        exp.EQ(this=col(f"__canon_fk{j}"), expression=exp.true()),
                        exp.EQ(this=col(OK), expression=exp.false()),
                    ],
                    where=exp.Where(this=exp.and_(col(VALID, ck), _not_null(col(name, ck)), exp.not_(exists))),
                )
            )
        return updates

    def create_bad(self, stage: exp.Expr, name: str) -> exp.Create:
        """The refused rows with their raw text (a small join: only rows that are not OK)."""
        raws = [col(raw_name(i), "__canon_s") for i in range(len(self.checks))]
        raw_json = json_object(list(zip(self.names, raws, strict=True)), self.engine)
        query = (
            exp.select(
                exp.Column(this=exp.Star(), table=exp.to_identifier("__canon_c", quoted=True)),
                *[r.copy().as_(raw_name(i), quoted=True) for i, r in enumerate(raws)],
                raw_json.as_("__canon_json", quoted=True),
            )
            .from_(table(self.checked).as_("__canon_c", quoted=True))
            .join(
                _alias(stage, "__canon_s"),
                on=exp.EQ(this=col(LINE, "__canon_s"), expression=col(LINE, "__canon_c")),
            )
            .where(exp.not_(col(OK, "__canon_c")))
        )
        return _temp_ctas(name, query)

    def target_query(self) -> exp.Select:
        """Valid rows, typed exactly as declared, in file order."""
        cols = [
            exp.Cast(this=col(c.name), to=c.type.target(self.engine)).as_(c.name, quoted=True)
            for c in self.target.columns
        ]
        return exp.select(*cols).from_(table(self.checked)).where(col(OK)).order_by(col(LINE))

    def quarantine_query(self, bad: str, common: list[exp.Expr], rejects: exp.Table | None = None) -> exp.Expr | None:
        """One SELECT per rule over the refused rows, UNION ALL: a record per (row, column, reason).

        `common` are the leading (load_id, loaded_at, table_name, file) expressions.
        """
        parts: list[exp.Select] = []

        def part(column: exp.Expr, reason: exp.Expr, detail: exp.Expr, value: exp.Expr, where: exp.Expr) -> None:
            parts.append(
                exp.select(
                    *[c.copy() for c in common],
                    col(LINE),
                    column,
                    reason,
                    detail,
                    value,
                    col("__canon_json"),
                )
                .from_(table(bad))
                .where(where)
            )

        for i, chk in enumerate(self.checks):
            if not chk.has_rules:
                continue
            r = col(f"__canon_r{i}")
            detail: exp.Expr = exp.Null()
            if chk.details:
                case = exp.Case()
                for code, words in chk.details.items():
                    case = case.when(exp.EQ(this=r.copy(), expression=literal(code)), literal(words))
                detail = case
            part(literal(chk.column.name), r, detail, col(raw_name(i)), _not_null(r))
        for k, key in enumerate(self.keys):
            dup = col(f"__canon_dup{k}")
            kept = exp.Concat(
                expressions=[literal("duplicate of line "), text(dup), literal(" (kept); key " + ", ".join(key))]
            )
            value = (
                text(col(key[0]))
                if len(key) == 1
                else exp.ConcatWs(expressions=[literal(", "), *[text(col(c)) for c in key]])
            )
            part(literal(", ".join(key)), literal(DUPLICATE_KEY), kept, value, _not_null(dup))
        for j, parent in enumerate(self.parents):
            name = self._name(parent.fk.column)
            words = f"no row of {parent.label} has this value"
            part(literal(name), literal(MISSING_PARENT), literal(words), text(col(name)), col(f"__canon_fk{j}"))
        if rejects is not None:
            parts.append(
                exp.select(
                    *[c.copy() for c in common],
                    col("line"),
                    exp.Null(),
                    literal(MALFORMED_ROW),
                    col("message"),
                    exp.Null(),
                    json_object([("_line", col("csv_line"))], self.engine),
                ).from_(rejects.copy())
            )
        if not parts:
            return None
        query: exp.Expr = parts[0]
        for p in parts[1:]:
            query = exp.union(query, p, distinct=False)
        return query

    def stats_query(self) -> exp.Select:
        """Rows checked, rows loaded, and per enum column how many loaded values were re-spelled."""
        cols: list[exp.Expr] = [
            exp.Count(this=exp.Star()).as_("rows", quoted=True),
            exp.Sum(this=exp.Case().when(col(OK), literal(1)).else_(literal(0))).as_("ok", quoted=True),
        ]
        for i, chk in enumerate(self.checks):
            if chk.normalized is not None:
                respelled = exp.Case().when(col(OK), col(f"__canon_n{i}")).else_(literal(0))
                cols.append(exp.Sum(this=respelled).as_(f"n{i}", quoted=True))
        return exp.select(*cols).from_(table(self.checked))


def _alias(stage: exp.Expr, alias: str) -> exp.Expr:
    """The staging relation (a table or an aliased subquery) under another alias."""
    rel = stage.copy()
    rel.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    return rel

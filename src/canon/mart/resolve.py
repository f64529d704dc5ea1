"""Turn a contract's SQL into the query a build runs: placeholders, sources, staged groupings.

The SQL names silver tables as `schema.table`. Resolution checks each one is declared by the
contract, replaces an absent *optional* source by an empty table of its declared columns,
points `mart.<grouping>` at the table staged by this build, and substitutes canon's
placeholders with literals:

- `canon_policy('_name')`: the contract's policy value (a list expands inside `IN (...)`);
- `canon_source_available('schema.table')`: TRUE or FALSE;
- the table `canon.reconciliation_targets` (figure, tolerance_cents): the contract's targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from canon.errors import ContractError
from canon.mart.contracts import Grouping
from canon.sqltree import literal

POLICY_FN = "CANON_POLICY"
AVAILABLE_FN = "CANON_SOURCE_AVAILABLE"
TARGETS = ("canon", "reconciliation_targets")


def _anon_name(node: exp.Expr) -> str | None:
    return node.name.upper() if isinstance(node, exp.Anonymous) else None


class Resolver:
    """Resolves one grouping's SQL fragments (composition, derive, null rules) the same way."""

    def __init__(
        self,
        grouping: Grouping,
        *,
        available: Mapping[str, bool],
        staged: Mapping[str, exp.Table],
        mart_schema: str,
    ) -> None:
        self.grouping = grouping
        self.available = available
        self.staged = staged
        self.mart_schema = mart_schema

    # -- placeholders ----------------------------------------------------------------------
    def _arg(self, node: exp.Anonymous, path: tuple[str | int, ...]) -> str:
        args = node.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise ContractError(
                f"{node.name}() takes one quoted name, got `{node.sql()}`",
                location=self.grouping.locate(path),
                fix=f"write e.g. {node.name}('_name')",
            )
        return str(args[0].this)

    def _policy(self, node: exp.Anonymous, path: tuple[str | int, ...]) -> Any:
        key = self._arg(node, path)
        policy = self.grouping.spec.policy
        if key not in policy:
            raise ContractError(
                f"the SQL reads policy parameter `{key}`, which the contract does not set",
                location=self.grouping.locate(path),
                fix=f"add `{key}: <value>` under `policy:`" if key.startswith("_") else "policy names start with `_`",
            )
        return policy[key]

    def placeholders(self, tree: exp.Expr, path: tuple[str | int, ...]) -> exp.Expr:
        def swap(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.In):
                items: list[exp.Expr] = []
                for item in node.expressions:
                    if _anon_name(item) == POLICY_FN:
                        value = self._policy(item, path)
                        items.extend(literal(v) for v in (value if isinstance(value, list) else [value]))
                    else:
                        items.append(item)
                node.set("expressions", items)
                return node
            name = _anon_name(node)
            if name == POLICY_FN:
                value = self._policy(node, path)  # type: ignore[arg-type]
                if isinstance(value, (list, dict)):
                    raise ContractError(
                        f"policy `{self._arg(node, path)}` is a list; use it inside `IN (...)`",  # type: ignore[arg-type]
                        location=self.grouping.locate(path),
                    )
                return literal(value)
            if name == AVAILABLE_FN:
                table = self._arg(node, path)  # type: ignore[arg-type]
                if table not in self.available:
                    raise ContractError(
                        f"canon_source_available('{table}') names a table the contract does not declare",
                        location=self.grouping.locate(path),
                        fix="list it under composition.sources or composition.optional_sources",
                    )
                return literal(self.available[table])
            return node

        return tree.transform(swap, copy=False)

    # -- tables ----------------------------------------------------------------------------
    def tables(self, tree: exp.Expr, path: tuple[str | int, ...]) -> exp.Expr:
        comp = self.grouping.composition
        declared = set(comp.sources) | set(comp.optional_sources)
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        problems: list[str] = []

        def swap(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Table) or not node.name:
                return node
            if not node.db:
                if node.name in ctes:
                    return node
                problems.append(f"`{node.name}` is neither a CTE nor a `schema.table`")
                return node
            qualified = f"{node.db}.{node.name}"
            alias = node.alias or node.name
            if (node.db, node.name) == TARGETS:
                return self._targets(alias)
            if node.db == self.mart_schema and node.name in self.staged:
                if qualified not in declared:
                    problems.append(f"`{qualified}` is read but not listed under composition.sources")
                staged = self.staged[node.name].copy()
                staged.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
                return staged
            if qualified not in declared:
                problems.append(f"`{qualified}` is read but not listed under composition.sources")
                return node
            if not self.available.get(qualified, True):
                return self._empty(qualified, alias)
            return node

        out = tree.transform(swap, copy=False)
        if problems:
            raise ContractError(
                f"the SQL of `{self.grouping.name}` reads undeclared tables: {'; '.join(dict.fromkeys(problems))}",
                location=self.grouping.locate(path),
                fix="declare every table the query reads under `composition.sources` (or `optional_sources`)",
            )
        return out

    def _empty(self, qualified: str, alias: str) -> exp.Expr:
        columns = self.grouping.composition.optional_sources[qualified]
        if not columns:
            raise ContractError(
                f"optional source `{qualified}` is absent and read by the SQL, but declares no columns",
                location=self.grouping.locate(("composition", "optional_sources", qualified)),
                fix=f"list its columns and types: `{qualified}: {{column: TYPE, ...}}`",
            )
        select = exp.select(
            *[exp.cast(exp.null(), exp.DataType.build(t, dialect="duckdb")).as_(c) for c, t in columns.items()]
        ).where(exp.false())
        return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    def _targets(self, alias: str) -> exp.Expr:
        targets = self.grouping.spec.reconciliation
        if not targets:
            raise ContractError(
                "the SQL reads canon.reconciliation_targets but the contract lists no `reconciliation:` targets",
                location=self.grouping.locate(("reconciliation",)),
            )
        selects = [
            exp.select(
                exp.Literal.string(t.figure).as_("figure"),
                exp.cast(exp.Literal.number(t.tolerance_cents), "BIGINT").as_("tolerance_cents"),
            )
            for t in targets
        ]
        union: exp.Query = selects[0]
        for s in selects[1:]:
            union = exp.union(union, s, distinct=False)
        return exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    # -- everything ------------------------------------------------------------------------
    def fragment(self, text_or_tree: str | exp.Expr, path: tuple[str | int, ...]) -> exp.Expr:
        from canon.mart.contracts import parse_sql

        tree = parse_sql(self.grouping, text_or_tree, path) if isinstance(text_or_tree, str) else text_or_tree.copy()
        return self.tables(self.placeholders(tree, path), path)


def output_columns(grouping: Grouping, query: exp.Expr, path: tuple[str | int, ...]) -> list[str]:
    """The names the query's final SELECT produces (stars are refused: columns must be explicit)."""
    first: exp.Expr = query
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        raise ContractError(f"the SQL of `{grouping.name}` is not a SELECT", location=grouping.locate(path))
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in first.expressions):
        raise ContractError(
            f"the final SELECT of `{grouping.name}` uses `*`",
            location=grouping.locate(path),
            fix="name every output column, so canon can check them against served_columns",
        )
    names = first.named_selects
    unnamed = [e.sql() for e, n in zip(first.expressions, names, strict=False) if not n]
    if unnamed or len(names) != len(first.expressions):
        raise ContractError(
            f"output column(s) without a name in `{grouping.name}`: {', '.join(unnamed)}",
            location=grouping.locate(path),
            fix="give each computed column an alias (`... AS name`)",
        )
    return list(names)

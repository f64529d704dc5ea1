"""The contracts a mart build materializes: loading a section, and the order to build in.

A grouping may read another grouping of the same build (`mart.revenue_recognition` inside the
reconciliation SQL); those references decide the build order, and a cycle is a contract error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from canon.contracts.loader import load_contract_spec
from canon.contracts.model import Metric
from canon.contracts.spec import ContractSpec, SqlComposition
from canon.errors import ContractError, Location, Problem


@dataclass(frozen=True)
class Grouping:
    """One contract materialized as one mart table."""

    metric: Metric

    @property
    def name(self) -> str:
        return self.metric.name

    @property
    def spec(self) -> ContractSpec:
        return self.metric.spec

    @property
    def composition(self) -> SqlComposition:
        comp = self.spec.composition
        if not isinstance(comp, SqlComposition):
            raise ContractError(
                f"contract `{self.name}` cannot be materialized in a mart: its composition is `{comp.type}`",
                location=self.locate(("composition", "type")),
                fix="state the grouping as `composition: {type: sql, sql: ..., sources: [...]}`",
            )
        return comp

    def locate(self, path: Sequence[str | int]) -> Location:
        if self.metric.doc is not None:
            return self.metric.doc.locate(path)
        return Location(file=str(self.metric.file) if self.metric.file else None, field=".".join(map(str, path)))

    def served_location(self, column: str) -> Location:
        for i, col in enumerate(self.spec.served_columns):
            if col.name == column:
                return self.locate(("served_columns", i, "name"))
        return self.locate(("served_columns",))

    @property
    def path(self) -> tuple[str, ...]:
        """Where the grouping sits in its section (`mart.grouping`, e.g. `pnl.pnl_summary`), for serving."""
        value = self.spec.mart.grouping if self.spec.mart else None
        return tuple(value.split(".")) if value else (self.name,)


def as_groupings(contracts: Iterable[Metric | ContractSpec]) -> list[Grouping]:
    out = []
    for c in contracts:
        out.append(Grouping(c if isinstance(c, Metric) else Metric(spec=c)))
    return out


def load_section(metrics_dir: Path, section: str) -> list[Metric]:
    """Every contract in `metrics_dir/<section>/` (the section's folder), validated."""
    folder = metrics_dir / section
    files = sorted(p for p in folder.glob("*.yml") if not p.name.startswith(".")) if folder.is_dir() else []
    if not files:
        raise ContractError(
            f"no contracts for section `{section}` in {folder}",
            location=Location(file=str(folder)),
            fix=f"put the section's contracts in {folder}/*.yml, or pick another --section",
        )
    metrics: list[Metric] = []
    problems: list[Problem] = []
    for path in files:
        try:
            spec, doc = load_contract_spec(path)
        except ContractError as exc:
            problems.extend(exc.problems or [Problem(exc.message, exc.location, exc.fix)])
            continue
        metric = Metric(spec=spec, file=path, doc=doc)
        if spec.mart is not None and spec.mart.section != section:
            # the folder builds it, the declaration serves it: two sections would disagree on what it is
            problems.append(
                Problem(
                    f"`{spec.name}` sits in the folder of section `{section}` "
                    f"but declares `mart.section: {spec.mart.section}`",
                    Grouping(metric).locate(("mart", "section")),
                    f"move the file to {metrics_dir / spec.mart.section}/, or declare `mart.section: {section}`",
                )
            )
            continue
        metrics.append(metric)
    if problems:
        raise ContractError(f"{len(problems)} problem(s) in section `{section}`", problems=problems)
    return metrics


def mart_references(grouping: Grouping, tree: exp.Expr, mart_schema: str) -> set[str]:
    return {t.name for t in tree.find_all(exp.Table) if t.db == mart_schema}


@lru_cache(maxsize=256)
def _parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def parse_sql(grouping: Grouping, text: str, path: Sequence[str | int]) -> exp.Expr:
    """A fresh tree of the DuckDB-dialect SQL (parsed once per text; callers may mutate the copy)."""
    try:
        tree = _parse(text).copy()
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise ContractError(
            f"the SQL of `{grouping.name}` does not parse: {first.get('description', exc)}"
            + (f" (SQL line {first['line']}, column {first['col']})" if "line" in first else ""),
            location=grouping.locate(path),
            fix="write the query in DuckDB's SQL dialect; canon transpiles it for each engine",
        ) from None
    if tree is None:
        raise ContractError(f"the SQL of `{grouping.name}` is empty", location=grouping.locate(path))
    return tree


def build_order(groupings: Sequence[Grouping], mart_schema: str) -> list[Grouping]:
    """Groupings sorted so each comes after the groupings it reads (stable otherwise)."""
    by_name = {g.name: g for g in groupings}
    deps = {
        g.name: {
            d
            for d in mart_references(g, parse_sql(g, g.composition.sql, ("composition", "sql")), mart_schema)
            if d in by_name and d != g.name
        }
        for g in groupings
    }
    ordered: list[Grouping] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name) :], name])
            raise ContractError(
                f"groupings read each other in a cycle: {cycle}",
                location=by_name[name].locate(("composition", "sql")),
                fix="break the cycle: a grouping may only read groupings that do not read it back",
            )
        visiting.append(name)
        for dep in sorted(deps[name]):
            visit(dep)
        visiting.pop()
        done.add(name)
        ordered.append(by_name[name])

    for g in groupings:
        visit(g.name)
    return ordered

"""The Project facade: one object the CLI, the HTTP API and Python users all go through.

It knows the project folder, its configuration, its contracts and its warehouse, and offers
`query()`, `compile()`, `check_catalog()`; later layers (audit, build, verify, mart, serve)
hang off it instead of re-reading configuration themselves.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import pyarrow as pa
from sqlglot import exp

from canon.compiler.joins import JoinGraph
from canon.compiler.periods import GRAINS, Grain, Period, parse_period
from canon.compiler.question import (
    Question,
    compile_question,
    empty_period,
    lookup_metric,
    referenced_columns,
    value_kind,
)
from canon.compiler.relations import Relations
from canon.config import ProjectConfig, load_config
from canon.contracts.loader import load_contract_spec
from canon.contracts.model import JoinEdge, Metric
from canon.engines import Engine, sql_only
from canon.engines.from_config import open_warehouse
from canon.engines.render import render
from canon.errors import ContractError, Location, Problem, QueryError, UserError, did_you_mean, hint_or_list

DIALECTS = ("duckdb", "postgres", "spark", "snowflake", "bigquery", "trino")


_OPEN: weakref.WeakSet[Project] = weakref.WeakSet()


def close_all() -> None:
    """Close every project's warehouse connection (the CLI does this after each command).

    DuckDB lets a process open a file with one configuration at a time, so a connection left
    to the garbage collector can block the next reader (dbt, or a read-only check).
    """
    for project in list(_OPEN):
        project.close()


class Project:
    def __init__(self, root: Path, config: ProjectConfig, engine: Engine | None = None) -> None:
        self.root = root
        self.config = config
        self._engine = engine
        _OPEN.add(self)

    # -- contracts -----------------------------------------------------------------------
    @property
    def metrics_dir(self) -> Path:
        return self.root / self.config.metrics_dir

    def contract_files(self) -> list[Path]:
        if not self.metrics_dir.exists():
            return []
        return sorted(p for p in self.metrics_dir.rglob("*.yml") if not p.name.startswith("."))

    @cached_property
    def metrics(self) -> dict[str, Metric]:
        """Every contract, validated; all problems in all files are reported together."""
        found: dict[str, Metric] = {}
        problems: list[Problem] = []
        for path in self.contract_files():
            try:
                spec, doc = load_contract_spec(path)
            except ContractError as exc:
                problems.extend(exc.problems or [Problem(exc.message, exc.location, exc.fix)])
                continue
            if spec.name in found:
                other = found[spec.name].file
                problems.append(
                    Problem(
                        f"metric `{spec.name}` is also defined in {other}",
                        doc.locate(("name",)),
                        fix="give one of them another name",
                    )
                )
                continue
            found[spec.name] = Metric(spec=spec, file=path, doc=doc)
        if problems:
            raise ContractError(f"{len(problems)} problem(s) in metric contracts", problems=problems)
        return found

    def metric(self, name: str) -> Metric:
        return lookup_metric(name, self.metrics)

    def reload(self) -> None:
        self.__dict__.pop("metrics", None)

    # -- warehouse -----------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_warehouse(self.root, self.config.warehouse)
        return self._engine

    def use_engine(self, engine: Engine) -> None:
        self._engine = engine

    def relations(self, engine: Engine | None = None) -> Relations:
        eng = engine or self._engine
        schema = self.config.warehouse.schema_
        if eng is not None:
            schema = eng.source_schema(schema)
        mapping = {name: src.relation for name, src in self.config.sources.items()}
        return Relations.from_names(mapping, schema)

    def join_graph(self) -> JoinGraph:
        return JoinGraph(JoinEdge.from_spec(j) for j in self.config.relationships)

    @property
    def current_period(self) -> Period | None:
        return parse_period(self.config.current_period, "month") if self.config.current_period else None

    # -- questions -----------------------------------------------------------------------
    def question(
        self,
        metrics: Sequence[str],
        grain: str = "month",
        by: Sequence[str] = (),
        where: str | None = None,
        period_from: str | None = None,
        period_to: str | None = None,
    ) -> Question:
        if grain not in GRAINS:
            raise QueryError(
                f"unknown grain `{grain}`",
                location=Location(parameter="--grain"),
                fix=hint_or_list(grain, GRAINS),
            )
        g: Grain = grain  # type: ignore[assignment]
        first = _period_arg(period_from, g, "--from")
        last = _period_arg(period_to, g, "--to")
        if first and last and first > last:
            raise empty_period(first, last)
        needs_range = any(
            self.metric(m).is_declarative and self.metric(m).decisions.time_basis.kind == "range" for m in metrics
        )
        if needs_range and (first is None or last is None) and self.current_period is not None:
            last = last or parse_period(self.current_period.label, g)
            first = first or last.shift(-17 if g == "month" else -5)
        return Question(tuple(metrics), g, tuple(by), where, first, last)

    def compile(self, question: Question, engine: Engine | None = None) -> exp.Select:
        for name in question.metrics:
            self.metric(name)
        return compile_question(question, self.metrics, self.join_graph(), self.relations(engine or self._engine))

    def sql(self, question: Question, dialect: str) -> str:
        if dialect not in DIALECTS:
            raise UserError(
                f"unknown dialect `{dialect}`",
                location=Location(parameter="--dialect"),
                fix=hint_or_list(dialect, DIALECTS),
            )
        tree = self.compile(question, sql_only(dialect))
        return render(tree, dialect, pretty=True)

    def query(self, question: Question, check: bool = True) -> pa.Table:
        """Run a question; the result has `period` (label), `period_start`, dimensions, values."""
        if check:
            self.check_catalog(question.metrics)
        table = self.engine.execute(self.compile(question, self.engine))
        labels = [
            Period(v, question.grain).label if v is not None else None for v in table.column("period_start").to_pylist()
        ]
        return table.add_column(0, "period", pa.array(labels, pa.string()))

    def check_catalog(self, names: Sequence[str]) -> None:
        """Every table and column a metric reads exists in the warehouse, before any query runs."""
        problems: list[Problem] = []
        relations = self.relations(self.engine)
        cache: dict[str, dict[str, str]] = {}
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            metric = self.metric(name)
            comp = metric.composition
            if hasattr(comp, "metrics") and isinstance(comp.metrics, list):
                todo.extend(comp.metrics)
            for ref, path in referenced_columns(metric):
                if ref.table not in cache:
                    rel = relations.get(ref.table)
                    cache[ref.table] = self.engine.columns(rel.name, rel.db or None)
                cols = cache[ref.table]
                loc = metric.doc.locate(path) if metric.doc else Location(file=str(metric.file))
                if not cols:
                    problems.append(
                        Problem(
                            f"table `{ref.table}` does not exist in the warehouse",
                            loc,
                            fix="load the source (canon load / dbt build) or fix the table name",
                        )
                    )
                elif ref.column not in cols:
                    hint = did_you_mean(ref.column, cols)
                    problems.append(
                        Problem(
                            f"column `{ref}` does not exist",
                            loc,
                            fix=f"{hint} " if hint else f"columns of {ref.table}: {', '.join(cols)}",
                        )
                    )
        if problems:
            unique = list(dict.fromkeys(problems))
            raise ContractError("contract refers to columns the warehouse does not have", problems=unique)

    def value_kind(self, name: str) -> str:
        return value_kind(self.metric(name))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def _period_arg(text: str | None, grain: Grain, parameter: str) -> Period | None:
    if not text:
        return None
    try:
        return parse_period(text, grain)
    except ValueError as exc:
        raise QueryError(str(exc), location=Location(parameter=parameter)) from None


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding canon.yml (or start itself)."""
    for folder in (start, *start.parents):
        if (folder / "canon.yml").exists():
            return folder
    return start


def load_project(path: str | Path = ".", engine: Engine | None = None) -> Project:
    """Open the project at `path` (or the nearest parent holding canon.yml)."""
    root = find_root(Path(path).resolve())
    return Project(root, load_config(root), engine)

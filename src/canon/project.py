"""The Project facade: the one front door the CLI, the HTTP API, the demo and Python users share.

Everything canon does is a short method here returning a typed result: questions (`query`,
`sql`), the audit path (`audit`, `propose`, `approve`, `build`, `baseline`, `verify`,
`postmortem`), an agent's side of the sign-off (`request_signoff`, `signoff_status`: no method
signs for a person but `approve`), data (`load`, `test`) and the mart and API (`build_mart`,
`read_grouping`, `serve_app`). Interfaces only parse their input and present the result, so an orchestration
(which period, which audit, which checks in which order) exists once.

Parameters keep the names of their meaning (`period_from`, `grain`); errors name them so, and
the CLI and HTTP API respell them (`--from`, `from`) for their users.

>>> import canon
>>> project = canon.load_project(example_dir)               # an ACME example, loaded  # doctest: +SKIP
>>> table = project.query("mrr", period_from="2026-10", period_to="2026-10")  # doctest: +SKIP

Heavy modules (the audit, dbt, the mart, FastAPI) are imported by the method that needs them,
so `canon query` does not pay for `canon serve`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.errors import (
    ContractError,
    EngineError,
    Location,
    Problem,
    QueryError,
    UserError,
    did_you_mean,
    hint_or_list,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from fastapi import FastAPI
    from sqlglot import exp

    from canon.audit.load import LoadOptions
    from canon.audit.result import AuditResult
    from canon.checks.contract_tests import TestResult
    from canon.compiler.joins import JoinGraph
    from canon.compiler.periods import Grain, Period
    from canon.compiler.question import Question
    from canon.compiler.relations import Relations
    from canon.config import ProjectConfig
    from canon.contracts.model import Metric
    from canon.dbt.runner import DbtRun
    from canon.dbtproject import InitReport
    from canon.engines import Engine
    from canon.load.report import LoadReport
    from canon.mart.report import MartReport
    from canon.workflow.build import BuildReport
    from canon.workflow.propose import Proposal
    from canon.workflow.requests import SignoffRequest, SignoffStatus
    from canon.workflow.session import AuditSession
    from canon.workflow.signoff import SignOff
    from canon.workflow.verify import Check, VerifyReport

CONFIG_FILE = "canon.yml"  # as canon.config names it; here so opening a project stays import-light
DIALECTS = ("duckdb", "postgres", "spark", "snowflake", "bigquery", "trino")
#: also accepted by `sql()`: dialects of warehouses canon reaches through a dbt adapter
ADAPTER_DIALECTS = ("databricks", "redshift")

#: Called with (stage, index, total) while an audit runs, for progress bars.
Progress = Callable[[str, int, int], None]

_OPEN: weakref.WeakSet[Project] = weakref.WeakSet()


def close_all() -> None:
    """Close every project's warehouse connection (the CLI does this after each command).

    DuckDB lets a process open a file with one configuration at a time, so a connection left
    to the garbage collector can block the next reader (dbt, or a read-only check).
    """
    for project in list(_OPEN):
        project.close()


class Project:
    def __init__(self, root: Path, config: ProjectConfig | None = None, engine: Engine | None = None) -> None:
        self.root = root
        if config is not None:
            self.config = config
        self._engine = engine
        self._catalog: dict[str, dict[str, str]] = {}  # table → columns, for this connection
        self._sessions: dict[tuple[object, ...], AuditSession] = {}
        _OPEN.add(self)

    @cached_property
    def config(self) -> ProjectConfig:
        """canon.yml, read when first needed (a cached `canon query --sql` never needs it)."""
        from canon.config import load_config

        return load_config(self.root)

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
        from canon.contracts.loader import load_contract_spec
        from canon.contracts.model import Metric
        from canon.contracts.names import MetricMap

        found: MetricMap[Metric] = MetricMap()  # `MRR` finds `mrr`: names are case-insensitive
        problems: list[Problem] = []
        for path in self.contract_files():
            try:
                spec, doc = load_contract_spec(path)
            except ContractError as exc:
                problems.extend(exc.problems or [Problem(exc.message, exc.location, exc.fix)])
                continue
            metric = Metric(spec=spec, file=path, doc=doc)
            if metric.name in found:  # in any case: `MRR` and `mrr` are one name
                other = found[metric.name].file
                problems.append(
                    Problem(
                        f"metric `{spec.name}` is also defined in {other} (names are case-insensitive)",
                        doc.locate(("name",)),
                        fix="give one of them another name",
                    )
                )
                continue
            found[metric.name] = metric
        if problems:
            raise ContractError(f"{len(problems)} problem(s) in metric contracts", problems=problems)
        return found

    def metric(self, name: str) -> Metric:
        from canon.compiler.question import lookup_metric

        return lookup_metric(name, self.metrics)

    def reload(self) -> None:
        self.__dict__.pop("metrics", None)

    # -- warehouse -----------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        from canon.engines.from_config import open_warehouse

        if self._engine is None:
            self._engine = open_warehouse(self.root, self.config.warehouse, dbt=self.config.dbt)
        return self._engine

    def unreachable_warehouse(self) -> str | None:
        """Why the warehouse cannot be reached (None: it can), for an audit that falls back to static.

        A DuckDB file that does not exist is unreachable (opening it would create an empty one);
        otherwise the warehouse is opened and its tables listed, and an `EngineError` (a server
        that does not answer, a driver that fails) is the reason. Configuration mistakes stay
        errors: they are the user's to fix, not a reason to audit without figures.
        """
        from canon.engines.from_config import missing_warehouse

        if self._engine is None:
            missing = missing_warehouse(self.root, self.config.warehouse)
            if missing is not None:
                return missing
        try:
            engine = self.engine
            engine.tables(self.relations(engine).default_schema)
        except EngineError as exc:
            self._engine = None
            return (exc.render().strip().splitlines() or [type(exc).__name__])[0]
        return None

    def use_engine(self, engine: Engine) -> None:
        self._engine = engine
        self._catalog.clear()

    def relations(self, engine: Engine | None = None) -> Relations:
        from canon.compiler.relations import Relations

        eng = engine or self._engine
        schema = self.config.warehouse.schema_
        if eng is not None:
            schema = eng.source_schema(schema)
        mapping = {name: src.relation for name, src in self.config.sources.items()}
        return Relations.from_names(mapping, schema)

    def join_graph(self) -> JoinGraph:
        from canon.compiler.joins import JoinGraph
        from canon.contracts.model import JoinEdge

        return JoinGraph(JoinEdge.from_spec(j) for j in self.config.relationships)

    @property
    def current_period(self) -> Period | None:
        from canon.compiler.periods import parse_period

        return parse_period(self.config.current_period, "month") if self.config.current_period else None

    def period(self, label: str | None = None, parameter: str = "period") -> Period:
        """The period a command is about: `label` (`2026-10`, `2026-Q4`, `2026`…) or canon.yml's current one.

        The one place a period argument is parsed, so the audit, the workflow and the API agree.
        """
        from canon.compiler.periods import parse_period

        text = label or self.config.current_period
        if not text:
            raise UserError(
                "no period given and canon.yml has no current_period",
                location=Location(parameter=parameter),
                fix="pass a period such as 2026-10, or set current_period in canon.yml",
            )
        try:
            return parse_period(text, "month" if len(text) == 7 else None)
        except ValueError as exc:
            raise UserError(str(exc), location=Location(parameter=parameter)) from None

    # -- questions -----------------------------------------------------------------------
    def question(
        self,
        metrics: str | Sequence[str],
        grain: str = "month",
        by: Sequence[str] = (),
        where: str | None = None,
        period_from: str | None = None,
        period_to: str | None = None,
        compare: str | None = None,
        window: str | None = None,
        trailing: int | None = None,
    ) -> Question:
        """A question of one or more metrics: values per `grain` period, broken down `by` dimensions.

        `compare` (`prior_period`/`prior_year`) adds each value's previous value, change and change
        in basis points; `window` (`mtd`/`qtd`/`ytd`) or `trailing` (N periods) sums additive
        metrics over a window (`canon.compiler.compare`, `canon.compiler.windows`).
        """
        from canon.compiler.compare import parse_compare
        from canon.compiler.periods import GRAINS, parse_period
        from canon.compiler.question import Question, empty_period
        from canon.compiler.windows import parse_window

        names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        if grain not in GRAINS:
            raise QueryError(
                f"unknown grain `{grain}`",
                location=Location(parameter="grain"),
                fix=hint_or_list(grain, GRAINS),
            )
        g: Grain = grain  # type: ignore[assignment]
        first = _period_arg(period_from, g, "period_from")
        last = _period_arg(period_to, g, "period_to")
        if first and last and first > last:
            raise empty_period(first, last)
        comparison = parse_compare(compare)
        windowing = parse_window(window, trailing)
        needs_range = any(
            self.metric(m).is_declarative and self.metric(m).decisions.time_basis.kind == "range" for m in names
        )
        needs_range = needs_range or comparison is not None or windowing is not None
        needs_range = needs_range or any(self.metric(m).composition.type == "movement" for m in names)
        if needs_range and (first is None or last is None) and self.current_period is not None:
            last = last or parse_period(self.current_period.label, g)
            first = first or last.shift(-17 if g == "month" else -5)
        return Question(names, g, tuple(by), where, first, last, comparison, windowing)

    def compile(self, question: Question, engine: Engine | None = None) -> exp.Select:
        from canon.compiler.question import compile_question

        for name in question.metrics:
            self.metric(name)
        return compile_question(question, self.metrics, self.join_graph(), self.relations(engine or self._engine))

    def sql(self, question: Question | str | Sequence[str], dialect: str | None = None, **ask: Any) -> str:
        """The SQL a question runs, for any dialect sqlglot writes (default: the warehouse's own).

        Asked by metric names, the text is kept in `.canon/cache/sql/` under a key of
        everything it depends on (`canon.compiler.sqlcache`), so asking again costs no compile.
        """
        from canon.compiler import sqlcache

        if isinstance(question, str | list | tuple) and self._engine is None:
            names = (question,) if isinstance(question, str) else tuple(question)
            key = sqlcache.question_key(self.root, {"metrics": names, **ask}, dialect)
            hit = sqlcache.cached_sql(self.root, key)
            if hit is not None:
                return hit
            text = self._sql(names, dialect, **ask)
            sqlcache.keep_sql(self.root, key, text)
            return text
        return self._sql(question, dialect, **ask)

    def _sql(self, question: Question | str | Sequence[str], dialect: str | None = None, **ask: Any) -> str:
        from canon.compiler.question import Question
        from canon.engines import sql_only
        from canon.engines.from_config import warehouse_dialect
        from canon.engines.render import render

        own: tuple[str, ...] = ()  # the warehouse's own dialect is always accepted (a dbt adapter's too)
        if dialect is None:
            dialect = (
                self._engine.dialect
                if self._engine is not None
                else warehouse_dialect(self.root, self.config.warehouse, self.config.dbt)
            )
            own = (dialect,)
        known = (*DIALECTS, *ADAPTER_DIALECTS, *own)
        if dialect not in known:
            raise UserError(
                f"unknown dialect `{dialect}`",
                location=Location(parameter="dialect"),
                fix=hint_or_list(dialect, known),
            )
        q = question if isinstance(question, Question) else self.question(question, **ask)
        tree = self.compile(q, sql_only(dialect))
        return render(tree, dialect, pretty=True, copy=False)  # a tree built for this rendering alone

    def query(self, question: Question | str | Sequence[str], *, check: bool = True, **ask: Any) -> pa.Table:
        """Run a question; the result has `period` (label), `period_start`, dimensions, values.

        `question` is a `Question` or metric name(s) with `question()`'s keywords:
        `project.query("mrr", by=["segment"], period_from="2026-01")`. Asked by names, the
        SQL a checked run compiled is kept (`canon.compiler.sqlcache`, keyed also on this
        warehouse's engine and schema) and run again without compiling or re-reading the
        catalog; if the warehouse refuses it, the question is checked and compiled afresh so
        the error is the one the catalog check gives.
        """
        from canon.compiler import sqlcache
        from canon.errors import EngineError

        if not isinstance(question, str | list | tuple):  # a Question: its caller compiled the ask
            return self._run(question, check)  # type: ignore[arg-type]
        names = (question,) if isinstance(question, str) else tuple(question)
        engine = self.engine
        facts = {"metrics": names, "run_on": (engine.name, engine.default_schema), **ask}
        key = sqlcache.question_key(self.root, facts, engine.dialect)
        text = sqlcache.cached_sql(self.root, key) if check else None
        if text is not None:
            try:
                return _labelled(engine.execute(text), ask.get("grain", "month"))
            except EngineError:
                pass  # the warehouse changed under the cached text: check and compile afresh
        q = self.question(names, **ask)
        if check:
            self.check_catalog(q.metrics)
        text = engine.render(self.compile(q, engine), copy=False)  # a tree built for this query alone
        table = engine.execute(text)
        if check:
            sqlcache.keep_sql(self.root, key, text)
        return _labelled(table, q.grain)

    def _run(self, q: Question, check: bool) -> pa.Table:
        if check:
            self.check_catalog(q.metrics)
        tree = self.compile(q, self.engine)
        return _labelled(self.engine.execute(self.engine.render(tree, copy=False)), q.grain)

    def check_catalog(self, names: Sequence[str]) -> None:
        """Every table and column a metric reads exists in the warehouse, before any query runs."""
        from canon.compiler.question import referenced_columns

        problems: list[Problem] = []
        relations = self.relations(self.engine)
        cache = self._catalog
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
            if comp.type == "movement":  # a movement reads what its balance metric reads
                todo.append(comp.of)
            for ref, path in referenced_columns(metric):
                if ref.table not in cache:
                    rel = relations.get(ref.table)
                    cache[ref.table] = self.engine.columns(rel.name, rel.db or None)
                cols = cache[ref.table]
                if not cols:
                    del cache[ref.table]  # a missing table may be loaded before the next question
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
        from canon.compiler.question import value_kind

        return value_kind(self.metric(name))

    # -- the audit path ----------------------------------------------------------------
    def audit(
        self,
        metric: str,
        period: str | None = None,
        *,
        sql_dir: Path | None = None,
        dialect: str | None = None,
        query_log: Path | None = None,
        compare: tuple[str, str] | None = None,
        with_history: bool = True,
        progress: Progress | None = None,
        fresh: bool = False,
        store: bool = True,
        manifest: Path | None = None,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        include_analyses: bool = False,
        model_timeout: float | None = 20.0,
        static: bool = False,
    ) -> AuditResult:
        """Every definition of `metric`: decisions, reproduction, bridges, history, usage.

        The result is kept (with the evaluator and domains it used) for `propose` and `build` in
        this process; `fresh=True` runs it again (a model may have changed since) without
        replacing the kept one. With `store`, its JSON is kept as the metric's last audit for
        the catalog page. `manifest`, `select`, `exclude` and `include_analyses` choose the dbt
        models read (see `canon.audit.load`); `model_timeout` is each model's budget in seconds
        (None: none), past which it is a "too complex" row. With `static`, no warehouse is read:
        decision points from the SQL alone, nothing priced; when the warehouse cannot be reached
        the audit runs static anyway and its headline says why.
        """
        from canon.audit.load import LoadOptions

        load = LoadOptions(manifest, tuple(select), tuple(exclude), include_analyses)
        return self._audit_session(
            metric,
            period,
            sql_dir=sql_dir,
            dialect=dialect,
            query_log=query_log,
            compare=compare,
            with_history=with_history,
            progress=progress,
            fresh=fresh,
            store=store,
            load=load,
            model_timeout=model_timeout,
            static=static,
        ).audit

    def _audit_session(
        self,
        metric: str,
        period: str | None = None,
        *,
        sql_dir: Path | None = None,
        dialect: str | None = None,
        query_log: Path | None = None,
        compare: tuple[str, str] | None = None,
        with_history: bool = False,
        progress: Progress | None = None,
        fresh: bool = False,
        store: bool = False,
        load: LoadOptions | None = None,
        model_timeout: float | None = 20.0,
        static: bool = False,
    ) -> AuditSession:
        from canon.audit.preflight import require_auditable
        from canon.workflow.session import audit_session

        if query_log is not None and not Path(query_log).is_file():
            raise UserError(
                f"query log {query_log} does not exist",
                location=Location(parameter="query_log"),
                fix="pass a CSV or JSONL file with timestamp, user, team and query columns",
            )
        from canon.audit.load import LoadOptions

        static_reason = None if static else self.unreachable_warehouse()
        static = static or static_reason is not None
        metric = require_auditable(self, metric, static=static)  # `MRR` is the contract `mrr`
        load = load or LoadOptions()
        the_period = self.period(period)
        contract = self.metrics.get(metric)  # an audit against another contract is another audit
        signed_as = contract.definition_hash() if contract is not None else None
        key = (metric, the_period.label, str(sql_dir or ""), load, model_timeout, static, signed_as)
        cached = self._sessions.get(key)
        if cached is not None and not fresh and compare is None and (cached.with_history or not with_history):
            if not static:
                cached.reattach(self.engine)  # the connection it ran on may have been closed (dbt ran)
            return cached
        session = audit_session(
            self,
            metric,
            the_period,
            with_history=with_history,
            sql_dir=sql_dir,
            dialect=dialect,
            query_log=query_log,
            compare=compare,
            progress=progress,
            load=load,
            model_timeout=model_timeout,
            static=static,
            static_reason=static_reason,
        )
        if compare is None and not fresh:
            self._sessions[key] = session
        if store:
            import orjson

            from canon.audit.store import store_audit

            text = orjson.dumps(session.audit.to_json(), option=orjson.OPT_INDENT_2).decode()
            store_audit(self.root, session.audit.metric, text)
        return session

    def propose(
        self, metric: str, period: str | None = None, write: bool = True, sql_dir: Path | None = None
    ) -> Proposal:
        """The canonical definition drafted from the audit, with precedent and priced judgment calls.

        With `write`, the proposal is saved (`.canon/proposals/`) and the contract marked `proposed`;
        with no contract yet, one is drafted in `metrics/<metric>.yml` for a person to review.
        `sql_dir` audits a folder of plain SQL models rather than the dbt project.
        """
        from canon.workflow.draft import write_draft
        from canon.workflow.propose import propose
        from canon.workflow.signoff import save_proposal, write_proposal_into_contract

        session = self._audit_session(metric, period, sql_dir=sql_dir)
        evaluator = session.priced_evaluator()
        joins = {n: tuple(e.edges) for n, e in session.context.extractions.items()} if session.context else {}
        proposal = propose(self, session.audit, evaluator, session.domains, joins, evaluator)
        if write:
            data = proposal.to_json()
            save_proposal(self, data)
            m = self.metrics.get(metric)
            drafted = write_draft(self, proposal) if m is None else None
            if drafted is not None:
                self.__dict__.pop("metrics", None)  # the draft is a contract now: read it next time
                write_proposal_into_contract(self, drafted, data)
            elif m is not None and m.file is not None:
                write_proposal_into_contract(self, m.file, data)
        return proposal

    def approve(
        self,
        metric: str,
        by: str,
        role: str,
        decisions: Mapping[str, str] | None = None,
        note: str | None = None,
        *,
        proposal: str | None = None,
    ) -> SignOff:
        """Record one person's sign-off in the contract, bound to the hash of the definition signed.

        With `proposal` (a sign-off request's id), the person signs exactly what an agent asked
        for: the request's decisions, refused if the contract or the proposal changed since.
        """
        from canon.workflow.signoff import approve

        if proposal is None:
            return approve(self, metric, by, role, dict(decisions or {}), note=note)
        from canon.workflow.requests import check_request

        if decisions:
            raise UserError(
                f"sign-off request `{proposal}` states its own decisions: a signature takes them as they are",
                location=Location(parameter="decisions"),
                fix="sign the request without --decide, or approve without --proposal and decide yourself",
            )
        request = check_request(self, metric, proposal)
        return approve(self, metric, by, role, request.decisions, note=note, request_id=request.id)

    def request_signoff(
        self, metric: str, decisions: Mapping[str, str] | None = None, period: str | None = None, *, by: str = "agent"
    ) -> SignoffRequest:
        """Record a pending sign-off request for a person: the proposal (saved, the contract marked
        `proposed`), `decisions` on its judgment calls, and the definition hash the person will sign.

        Nothing is signed: a person signs with `approve(metric, ..., proposal=request.id)`
        (`canon approve METRIC --proposal ID`). `by` names who asked (an agent, a client).
        """
        from canon.workflow.requests import write_request

        data = self.propose(metric, period, write=True).to_json()
        self.reload()  # the proposal was written into the contract
        return write_request(self, metric, data, dict(decisions or {}), by)

    def signoff_status(self, metric: str) -> SignoffStatus:
        """The sign-off of `metric` as it stands: signed and matching, requests pending or stale."""
        from canon.workflow.requests import signoff_status

        return signoff_status(self, metric)

    def build(self, metric: str, rewire: Sequence[str] = (), draft: bool = False) -> BuildReport:
        """Write the canonical dbt model, docs, semantic layer and tests; deprecate the orphans."""
        from canon.workflow.build import build, require_signed

        require_signed(self.metric(metric), draft)
        session = self._audit_session(metric)
        return build(self, metric, session.audit, session.models, rewire=list(rewire), draft=draft)

    def signed_metrics(self) -> list[str]:
        from canon.workflow.verify import signed_metrics

        return signed_metrics(self)

    def baseline(self, metrics: Sequence[str] = ()) -> dict[str, Any]:
        """Store every period's figure of `metrics` (default: every signed one) for `verify`."""
        from canon.workflow.baseline import write_baseline

        names = list(metrics) or self.signed_metrics()
        if not names:
            raise UserError(
                "no metric to record", location=Location(parameter="metrics"), fix="approve a metric first or name one"
            )
        return write_baseline(self, names)

    def verify(
        self, metrics: Sequence[str] = (), expect: Mapping[str, int] | None = None, run_dbt: bool = True
    ) -> VerifyReport:
        """Sign-offs, `dbt build`, contract tests, board numbers (`expect`: cents), baseline and drift."""
        from canon.audit.load import is_dbt_project
        from canon.workflow.verify import (
            VerifyReport,
            board_numbers,
            check_baseline,
            check_contract_tests,
            check_signoffs,
            run_dbt_build,
        )

        names = list(metrics) or self.signed_metrics()
        checks = [check_signoffs(self, names)]
        if run_dbt and is_dbt_project(self.root):
            checks.append(run_dbt_build(self))
        checks.append(check_contract_tests(self, names))
        board_check, board = board_numbers(self, names, dict(expect or {}))
        checks += [board_check, check_baseline(self, names)]
        checks += [self.check_drift(name) for name in names]
        return VerifyReport(checks, board)

    def check_drift(self, metric: str) -> Check:
        """Fails when a live model computes `metric` with other decisions than its contract's."""
        from canon.workflow.verify import check_drift

        return check_drift(self, metric, lambda: self._audit_session(metric, fresh=True).audit)

    def postmortem(self, metric: str, output: Path | None = None, canonical_model: str | None = None) -> Path:
        """Write the postmortem (default `analyses/05_postmortem.md`); returns where."""
        from canon.fsutil import atomic_write_text
        from canon.workflow.postmortem import render_postmortem

        audit = self._audit_session(metric, with_history=True).audit
        text = render_postmortem(audit, self.metrics.get(metric), canonical_model or f"fct_{metric}_canonical")
        from canon.workflow.build import deprecation_markdown, load_build_record

        # the last build's deprecations and the exposures still reading them (who must move, by when)
        deprecations = deprecation_markdown(load_build_record(self.root, metric) or {})
        if deprecations:
            text = text.rstrip("\n") + "\n\n" + "\n".join(deprecations)
        target = output or (self.root / "analyses" / "05_postmortem.md")
        atomic_write_text(target, text)
        return target

    # -- data ----------------------------------------------------------------------------
    def test(self, metrics: Sequence[str] = ()) -> list[TestResult]:
        """The tests generated from the contracts, run against the warehouse (each with offending rows)."""
        from canon.checks import contract_tests

        for name in metrics:
            self.metric(name)
        return contract_tests.run(self, list(metrics) or None)

    def load(
        self,
        files: Sequence[str | Path] = (),
        *,
        only: Sequence[str] = (),
        engine: str | None = None,
        dsn: str | None = None,
        memory_limit: str | None = None,
        progress: Callable[[str], None] | None = None,
        max_bad_rows: int | None = None,
        max_bad_fraction: float | None = None,
        allow_shrink: bool = False,
        shrink_limit: float = 0.5,
    ) -> LoadReport:
        """Load the declared source tables from files; rows that break the schema are quarantined.

        The error budget (`max_bad_rows`, `max_bad_fraction`; neither given: 0) and the shrink
        guard (`shrink_limit`, `allow_shrink`) are `canon.load.policy.LoadPolicy`; a load they
        refuse raises `LoadRefused` (exit 1) with its report, and changes no table.
        """
        from canon.load import load_sources
        from canon.load.policy import LoadPolicy

        policy = LoadPolicy(max_bad_rows, max_bad_fraction, allow_shrink, shrink_limit)

        self.close()  # the load writes the warehouse file; this project reopens it afterwards
        return load_sources(
            self.root,
            engine=engine,
            dsn=dsn,
            only=only,
            files=files,
            memory_limit=memory_limit,
            progress=progress,
            policy=policy,
        )

    # -- the mart and the API ------------------------------------------------------------
    def mart_engine(self, engine: str | None = None, dsn: str | None = None) -> Engine:
        """The warehouse a mart is built in or read from: canon.yml's, or another `engine` / PostgreSQL `dsn`."""
        from canon.engines import engine_class
        from canon.engines.from_config import open_warehouse

        if engine is not None and not engine_class(engine, location=Location(parameter="engine")).can_load:
            raise UserError(
                f"a mart cannot be built on `{engine}`",
                location=Location(parameter="engine"),
                fix="build it on a DuckDB or PostgreSQL warehouse",
            )
        if dsn or engine not in (None, self.config.warehouse.engine):
            return open_warehouse(self.root, self.config.warehouse, dsn=dsn, engine=engine, dbt=self.config.dbt)
        return self.engine

    def build_mart(
        self,
        section: str = "finance",
        *,
        engine: str | None = None,
        dsn: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> MartReport:
        """Build every grouping of a section beside the served tables, validate, then swap atomically."""
        from canon.engines.versions import file_of, new_version
        from canon.mart import build_mart, load_section

        contracts = load_section(self.metrics_dir, section)
        eng = self.mart_engine(engine, dsn)
        live = file_of(eng)
        if live is not None:  # a DuckDB file: build the next version beside it, swap it in (readers keep reading)
            eng.close()
            if eng is self._engine:
                self._engine = None
            with new_version(live, "a mart build") as beside:
                return build_mart(beside, contracts, section=section, progress=progress)
        try:
            return build_mart(eng, contracts, section=section, progress=progress)
        finally:
            eng.close()
            if eng is self._engine:
                self._engine = None

    def read_grouping(
        self,
        grouping: str,
        *,
        section: str = "finance",
        level: str | None = None,
        key: str | None = None,
        filters: Mapping[str, str] | None = None,
        limit: int | None = None,
        engine: str | None = None,
        dsn: str | None = None,
    ) -> pa.Table:
        """One served grouping of the mart, filtered, at its own grain or rolled up to `level`;
        `key` selects one entity of the section's coordination key (the API's read path)."""
        from canon.mart import load_section, read_grouping

        contracts = load_section(self.metrics_dir, section)
        eng = self.mart_engine(engine, dsn)
        try:
            return read_grouping(
                eng, grouping, filters=dict(filters or {}), level=level, key=key, contracts=contracts, limit=limit
            )
        finally:
            if eng is not self._engine:
                eng.close()

    def serve_app(self, **settings: Any) -> FastAPI:
        """The HTTP app (metric catalog, mart, warehouse API) for this project; `settings` as `canon serve`."""
        from canon.serve.app import create_app
        from canon.serve.settings import ServeSettings

        return create_app(ServeSettings.from_env(project=self.root, **settings))

    def run_dbt(
        self, args: Sequence[str], *, check: bool = True, echo: bool = False, project_dir: Path | None = None
    ) -> DbtRun:
        """`dbt <args>` on this project with canon.yml's `dbt:` profile folder and target (when
        given; otherwise dbt's own: `DBT_PROFILES_DIR`, the project's profiles.yml, `~/.dbt`,
        `DBT_TARGET`). The warehouse connection is closed first: dbt opens it itself.

        `project_dir` runs dbt on another folder standing for this project (the audit's copy
        without its uninstalled packages), from this project's folder, so the profile's relative
        paths still mean what they mean here."""
        from canon.dbt.runner import run_dbt

        self.close()
        settings = self.config.dbt_settings
        profiles_dir = self.root / settings.profiles_dir if settings.profiles_dir else None
        home = self.root / settings.project_dir
        return run_dbt(
            project_dir or home,
            args,
            profiles_dir=profiles_dir,
            target=settings.target,
            check=check,
            echo=echo,
            cwd=home if project_dir is not None else None,
        )

    def close(self) -> None:
        """Release the warehouse connection (dbt, a load or another process may need the file)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._catalog.clear()


def _labelled(table: pa.Table, grain: str) -> pa.Table:
    """The result with its `period` label column first (`2026-10`, `2026-Q4`, `2026-W05`…)."""
    from canon.compiler.periods import Period
    from canon.present.arrow import string_array

    starts = table.column("period_start").to_pylist()
    labels = [Period(v, grain).label if v is not None else None for v in starts]  # type: ignore[arg-type]
    return table.add_column(0, "period", string_array(labels))


def _period_arg(text: str | None, grain: Grain, parameter: str) -> Period | None:
    from canon.compiler.periods import parse_period

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


def load_project(path: str | Path = ".", engine: Engine | None = None, *, require_config: bool = True) -> Project:
    """Open the project at `path` (or the nearest parent holding canon.yml).

    `require_config=False` opens a folder without canon.yml (a dbt project to load sources
    into) with the default configuration instead of refusing.
    """
    root = find_root(Path(path).resolve())
    if not (root / CONFIG_FILE).exists():
        from canon.config import ProjectConfig, load_config

        if require_config:
            load_config(root)  # raises: no canon.yml here, with the fix
        return Project(root, ProjectConfig(name=root.name or "project"), engine)
    return Project(root, None, engine)


# -- before there is a project -----------------------------------------------------------
def init_example(
    example: str,
    directory: str | Path,
    *,
    current_period: str | None = None,
    scale: int = 1,
    seed: int | None = None,
    force: bool = False,
) -> Path:
    """Write an example project (`acme`, `lessons`) into `directory`; returns the folder.

    Refuses a folder holding someone's files unless `force`; nothing is half-written.
    """
    from canon.examples import ExampleOptions
    from canon.examples import init_example as install_example
    from canon.examples.acme.calendar import Timeline

    if current_period is not None:
        Timeline.parse(current_period, parameter="current_period")  # before any work
    if scale < 1:
        raise UserError(f"scale must be at least 1 (got {scale})", location=Location(parameter="scale"))
    options = ExampleOptions(current_period=current_period, scale=scale, seed=seed)
    return install_example(example, Path(directory), options, force=force)


def init_dbt_project(
    folder: str | Path = ".",
    *,
    profiles_dir: str | Path | None = None,
    target: str | None = None,
    force: bool = False,
) -> InitReport:
    """Write a minimal canon.yml in an existing dbt project, read from the project as it is.

    The dbt profile and target as dbt resolves them (`profiles_dir`/`target` recorded only
    when given), sources and seeds as raw tables with keys from tests and constraints, many-to-one
    relationships, and the last complete month of data as `current_period` (left out, and said
    so in the report, when the warehouse cannot be reached). Refuses an existing canon.yml
    unless `force`.
    """
    from canon.dbtproject import init_dbt_project as write_canon_yml

    return write_canon_yml(folder, profiles_dir=profiles_dir, target=target, force=force)


def example_help(example: str) -> tuple[str, str]:
    """(description, next step) of an example, for what `canon init` prints."""
    from canon.examples import get_example

    found = get_example(example)
    return found.description, found.next_step


def contract_schema() -> dict[str, Any]:
    """The JSON Schema of `metrics/*.yml`, for editors (`canon schema`)."""
    from canon.contracts.spec import json_schema

    return json_schema()


def generate_example_data(
    example: str, rows: int, out: str | Path, *, current_period: str = "2026-10", seed: int = 20_261_031
) -> dict[str, int]:
    """Write an example's raw tables at benchmark scale as Parquet in `out`; rows written per table."""
    if example != "acme":
        raise UserError(
            f"there is no generator for `{example}`", location=Location(parameter="example"), fix="use `acme`"
        )
    from canon.examples.acme.scale import generate_acme

    return generate_acme(rows, Path(out), current_period=current_period, seed=seed).rows

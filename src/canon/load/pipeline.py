"""`load_sources`: declared schema + files → validated tables and a quarantine, all or nothing.

The order of work is what makes a load safe:
1. read the declarations and every file's header — any mismatch is a UserError before the
   warehouse is opened;
2. stage every file as text (outside the transaction: staging tables are private);
3. in ONE transaction, parents before children: check each table in SQL, write its
   quarantine records, replace the table; then commit. Any exception rolls everything back,
   so the warehouse holds the previous tables, untouched and readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from sqlglot import exp

from canon.config import CONFIG_FILE, ProjectConfig, WarehouseConfig, load_config
from canon.engines import ENGINES, engine_class
from canon.engines.duckdb import DuckDBEngine
from canon.engines.from_config import duckdb_path, open_warehouse
from canon.engines.locks import exclusive
from canon.engines.postgres import PostgresEngine
from canon.engines.versions import write_beside
from canon.errors import ConfigError, LoadError, Location, UserError
from canon.load import quarantine
from canon.load.backend import Backend, drop, table
from canon.load.files import LoadTarget, bind, default_file, display_path, parse_file_args, read_header
from canon.load.policy import LoadPolicy, LoadRefused
from canon.load.records import RecordCount, count_records
from canon.load.report import Example, LoadReport, ReasonCount, TableReport
from canon.load.schema import DeclaredSchema, DeclaredTable, dbt_paths, declared_schema
from canon.load.staging import Staged
from canon.load.types import Family, parse_data_type
from canon.load.validate import OK, CheckPlan, Parent
from canon.sqltree import col

Progress = Callable[[str], None]


@dataclass
class _Job:
    target: LoadTarget
    schema: str
    plan: CheckPlan | None = None
    staged: Staged | None = None

    @property
    def relation(self) -> exp.Table:
        return table(self.target.table.identifier, self.schema)

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.target.table.identifier}"


def _select(
    schema: DeclaredSchema,
    root: Path,
    seed_dirs: list[Path],
    only: Sequence[str],
    explicit: dict[str, Path],
) -> tuple[list[tuple[DeclaredTable, Path]], list[str]]:
    keys = {id(t): k for k, t in schema.tables.items()}
    if only:
        wanted = [schema.require(n, Location(parameter="only")) for n in only]
    elif explicit:
        wanted = [schema.tables[k] for k in explicit]
    else:
        wanted = list(schema.tables.values())
    chosen: list[tuple[DeclaredTable, Path]] = []
    skipped: list[str] = []
    for t in dict.fromkeys(wanted):
        path = explicit.get(keys[id(t)]) or default_file(t, root, seed_dirs)
        if path is not None:
            chosen.append((t, path))
        elif only:
            raise LoadError(
                f"no file for table `{t.name}`",
                location=Location(parameter="only"),
                fix=f"put it at seeds/{t.name}.csv or data/{t.name}.csv|.parquet, or pass {t.name}=PATH",
            )
        else:
            skipped.append(t.name)
    if not chosen:
        raise LoadError(
            "nothing to load: no declared source table has a file",
            location=Location(file=str(root)),
            fix="declare sources in models/**/*.yml and put files at seeds/<table>.csv "
            "or data/<table>.csv|.parquet, or pass FILES",
        )
    return chosen, skipped


def _order(jobs: list[_Job]) -> list[_Job]:
    """Parents before children (relationships within the run); a cycle is a UserError."""
    by_name = {(j.target.table.source, j.target.table.name): j for j in jobs}
    done: list[_Job] = []
    state: dict[int, str] = {}

    def visit(job: _Job, path: list[str]) -> None:
        mark = state.get(id(job))
        if mark == "done":
            return
        if mark == "active":
            raise UserError(
                "relationships between source tables form a cycle: " + " → ".join([*path, job.target.name]),
                location=job.target.table.location,
                fix="remove one relationships test of the cycle (it cannot be checked at load time)",
            )
        state[id(job)] = "active"
        for fk in job.target.table.foreign_keys:
            parent = by_name.get(fk.parent_source) if fk.parent_source else None
            if parent is not None and parent is not job:
                visit(parent, [*path, job.target.name])
        state[id(job)] = "done"
        done.append(job)

    for job in jobs:
        visit(job, [])
    return done


def _parents(
    job: _Job, jobs: list[_Job], schema: DeclaredSchema, backend: Backend, default_schema: str
) -> tuple[list[Parent], list[str]]:
    """Resolve each relationship to the table holding its parent rows (or note it unchecked)."""
    parents: list[Parent] = []
    notes: list[str] = []
    table_ = job.target.table
    for fk in table_.foreign_keys:
        if fk.parent_source:
            declared = schema.by_source(*fk.parent_source)
            if declared is None:
                raise UserError(
                    f"relationships on `{fk.column}` points to {fk.target}, which is not a declared source",
                    location=fk.location,
                    fix="declare that source table, or correct `to:`",
                )
            if declared is table_:
                parents.append(Parent(fk, None, None, f"{job.label}.{fk.parent_column}"))
                continue
            loaded = next((j for j in jobs if j.target.table is declared), None)
            if loaded is not None:
                pcol = next(
                    (c for c in loaded.target.columns if c.name.casefold() == fk.parent_column.casefold()),
                    None,
                )
                if pcol is None:
                    raise UserError(
                        f"relationships on `{fk.column}` names field `{fk.parent_column}`, "
                        f"which `{declared.name}` does not have",
                        location=fk.location,
                        fix="name a column of the parent table in `field:`",
                    )
                assert loaded.plan is not None  # parents are planned first
                parents.append(
                    Parent(
                        fk, table(loaded.plan.checked), pcol.type.family, f"{loaded.label}.{pcol.name}", checked=True
                    )
                )
                continue
            pschema = declared.schema or default_schema
            have = backend.columns(pschema, declared.identifier)
            if fk.parent_column not in have:
                raise LoadError(
                    f"cannot check relationships on `{table_.name}.{fk.column}`: {fk.target} is neither "
                    f"loaded in this run nor present in the warehouse with column `{fk.parent_column}`",
                    location=fk.location,
                    fix=f"load `{declared.name}` in the same run (give it a file, or add it to --only)",
                )
            family = _family(declared, fk.parent_column, have[fk.parent_column])
            parents.append(
                Parent(
                    fk,
                    table(declared.identifier, pschema),
                    family,
                    f"{pschema}.{declared.identifier}.{fk.parent_column}",
                )
            )
        else:
            model = fk.parent_model or ""
            have = backend.columns(default_schema, model)
            if fk.parent_column in have:
                family = _family(None, fk.parent_column, have[fk.parent_column])
                parents.append(
                    Parent(
                        fk,
                        table(model, default_schema),
                        family,
                        f"{default_schema}.{model}.{fk.parent_column}",
                    )
                )
            else:
                note = f"relationships on `{fk.column}` to {fk.target} (not in the warehouse yet)"
                notes.append(note)
    return parents, notes


def _family(declared: DeclaredTable | None, column: str, engine_type: str) -> Family | None:
    col = declared.column(column) if declared is not None else None
    if col is not None and declared is not None and declared.columns:
        return col.type.family
    try:
        return parse_data_type(engine_type).family
    except UserError:
        return None


def _open(
    kind: str,
    root: Path,
    config: ProjectConfig | None,
    dsn: str | None,
    database: str | Path | None,
    memory_limit: str | None,
) -> Backend:
    """The warehouse as canon.yml (or the flags) say, wrapped in the backend for its engine.

    Whether an engine can be loaded is its own fact (`can_load`), checked before connecting
    (starting Spark just to refuse it would take seconds).
    """
    where = Location(parameter="engine")
    if not engine_class(kind, location=where).can_load:
        loadable = [name for name, cls in ENGINES.items() if cls.can_load]
        raise ConfigError(
            f"canon load cannot load into `{kind}`",
            location=where,
            fix="use " + " or ".join(f"--engine {name}" for name in loadable),
        )
    warehouse = config.warehouse if config else WarehouseConfig()
    engine = open_warehouse(root, warehouse, engine=kind, dsn=dsn, path=database)
    if isinstance(engine, PostgresEngine):
        from canon.load.postgres_backend import PostgresBackend

        return PostgresBackend(engine, memory_limit=memory_limit or "1GB")
    if isinstance(engine, DuckDBEngine):
        from canon.load.duckdb_backend import DuckDBBackend

        return DuckDBBackend(engine, memory_limit=memory_limit)
    engine.close()
    raise ConfigError(f"canon load has no backend for `{kind}`", location=where)


def load_sources(
    project: str | Path = ".",
    *,
    engine: str | None = None,
    dsn: str | None = None,
    database: str | Path | None = None,
    only: Sequence[str] = (),
    files: Sequence[str | Path] = (),
    memory_limit: str | None = None,
    progress: Progress | None = None,
    policy: LoadPolicy | None = None,
) -> LoadReport:
    """Load the project's declared source tables; bad rows go to the quarantine table.

    `project`: folder with dbt model YAML (`sources:`) and/or canon.yml; `engine`: duckdb
    (default, `database` or canon.yml `warehouse.path`, default warehouse.duckdb) or
    postgres (`dsn`, or canon.yml `warehouse.dsn`); `only`: table names to load; `files`:
    paths named after their table or `table=path`; `memory_limit`: DuckDB's cap (it spills
    beyond it); `progress`: called with a short message as each step starts; `policy`: the
    error budget and shrink guard (default: budget 0, refuse shrinking by more than half).

    Returns the report of an accepted load (within budget; its quarantined rows are in
    `canon_quarantine`). Raises `LoadRefused` (exit 1, no table changed) when a file's records
    do not add up or a table breaks the policy or the parent guard; UserError for bad input
    (nothing changed) and EngineError for engine failures (rolled back, nothing changed).
    """
    say = progress or (lambda _msg: None)
    rules = policy or LoadPolicy()
    root = Path(project)
    if not root.is_dir():
        raise UserError(
            "project folder not found",
            location=Location(parameter="project", file=str(root)),
            fix="pass --project DIR pointing at the dbt/canon project",
        )
    config = load_config(root) if (root / CONFIG_FILE).exists() else None
    schema = declared_schema(root, config)
    _, seed_dirs = dbt_paths(root)
    explicit = parse_file_args([str(f) for f in files], schema, Path.cwd())
    chosen, skipped = _select(schema, root, seed_dirs, only, explicit)
    targets = [bind(t, read_header(p, display_path(p, root))) for t, p in chosen]
    kind = engine or ("postgres" if dsn else None) or (config.warehouse.engine if config else "duckdb")
    # The independent record count runs beside the warehouse's own parse (which releases the GIL).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="canon-count") as counter:
        counted = {id(t): counter.submit(_source_records, t) for t in targets}

        def load_into(db: str | Path | None) -> LoadReport:
            return _load(kind, root, config, dsn, db, memory_limit, schema, targets, counted, skipped, rules, say)

        if issubclass(engine_class(kind, location=Location(parameter="engine")), DuckDBEngine) and not dsn:
            # A new version of the file is written beside the live one and swapped in (engines/versions.py):
            # readers are never locked out and a killed load leaves the live file as it was.
            warehouse = config.warehouse if config else WarehouseConfig()
            live = Path(database) if database else duckdb_path(root, warehouse)
            with write_beside(live, "canon load") as nxt:
                report = _load(
                    kind, root, config, dsn, nxt.path, memory_limit, schema, targets, counted, skipped, rules, say
                )
            report.warehouse = str(live)
        else:
            report = _load(
                kind, root, config, dsn, database, memory_limit, schema, targets, counted, skipped, rules, say
            )
    if not report.accepted:
        raise _refused(report)
    return report


def _load(
    kind: str,
    root: Path,
    config: ProjectConfig | None,
    dsn: str | None,
    database: str | Path | None,
    memory_limit: str | None,
    schema: DeclaredSchema,
    targets: list[LoadTarget],
    counted: dict[int, Future[RecordCount]],
    skipped: list[str],
    rules: LoadPolicy,
    say: Progress,
) -> LoadReport:
    """The load proper, once the files are bound and their records are being counted."""
    backend = _open(kind, root, config, dsn, database, memory_limit)
    with backend, exclusive(backend.engine, LOAD_LOCK, "canon load on this warehouse", "dsn"):
        fallback = (config.warehouse.schema_ if config else None) or backend.default_schema
        jobs = _order([_Job(t, t.table.schema or fallback) for t in targets])
        schemas = sorted({j.schema for j in jobs})
        qschema = schemas[0] if len(schemas) == 1 else fallback
        load_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid4().hex[:8]}"
        report = LoadReport(load_id, kind, backend.label, f"{qschema}.{quarantine.QUARANTINE_TABLE}", skipped=skipped)
        for name in (quarantine.QUARANTINE_TABLE, quarantine.REFUSED_TABLE):
            _check_quarantine_shape(backend, qschema, name)
        for i, job in enumerate(jobs):
            parents, notes = _parents(job, jobs, schema, backend, fallback)
            job.plan = CheckPlan.build(
                job.target,
                type(backend.engine),
                parents,
                checked=f"__canon_checked{i}",
            )
            job.target.table.unenforced.extend(notes)
        staged: list[Staged] = []
        temps: list[exp.Table] = []
        try:
            for i, job in enumerate(jobs):
                say(f"reading {job.target.file.display} → {job.label}")
                job.staged = backend.stage(job.target, i)
                staged.append(job.staged)
                _check_counts(job, counted[id(job.target)].result())
            for i, job in enumerate(jobs):
                say(f"checking {job.label}")
                temps += _check_one(backend, job, i)
                report.tables.append(_judge(backend, job, rules))
            for job, rep in zip(jobs, report.tables, strict=True):
                rep.refused += _orphans(backend, job, jobs, schema, fallback)
            names = [_qname(j, qschema) for j in jobs]
            accepted = not report.refusals
            target_table = quarantine.QUARANTINE_TABLE if accepted else quarantine.REFUSED_TABLE
            with backend.transaction():
                for s in [*schemas, qschema]:
                    backend.run(
                        exp.Create(this=exp.Table(db=exp.to_identifier(s, quoted=True)), kind="SCHEMA", exists=True)
                    )
                for name in (quarantine.QUARANTINE_TABLE, quarantine.REFUSED_TABLE):
                    backend.run(quarantine.create(qschema, name))
                    if accepted or name == quarantine.REFUSED_TABLE:
                        backend.run(quarantine.forget(qschema, names, name))
                for i, (job, rep) in enumerate(zip(jobs, report.tables, strict=True)):
                    _write_quarantine(backend, job, i, load_id, qschema, target_table)
                    if accepted:
                        say(f"replacing {job.label}")
                        backend.replace(job.relation, job.plan.target_query())  # type: ignore[union-attr]
                        backend.analyze(job.relation)
                    _reasons(backend, rep, load_id, _qname(job, qschema), qschema, target_table)
                say("committing")
        finally:
            backend.cleanup(staged)
            for t in temps:
                with suppress(Exception):
                    backend.run(drop(t))
    report.accepted = accepted
    return report


def _refused(report: LoadReport) -> LoadRefused:
    first = report.refusals[0]
    return LoadRefused(
        f"load refused, no table changed: {first}"
        + (f" (and {len(report.refusals) - 1} more)" if len(report.refusals) > 1 else "")
        + (
            f". The refused rows are in {report.quarantine_table}_refused where load_id = '{report.load_id}'."
            if report.quarantined
            else "."
        ),
        report=report,
        location=Location(file=_refused_file(report)),
        fix="fix the source file; or, if this is intended, rerun with --max-bad-rows N / --max-bad-fraction P "
        "(or --allow-quarantine) for bad rows, --allow-shrink for a smaller table, and load the child tables "
        "in the same command for orphaned rows",
    )


LOAD_LOCK = "load"


def _refused_file(report: LoadReport) -> str | None:
    return next((t.file for t in report.tables if t.refused), None)


def _source_records(target: LoadTarget) -> RecordCount:
    """The file's record count, independently of the parser that stages it (see `records`)."""
    f = target.file
    if f.format == "parquet":
        import pyarrow.parquet as pq

        return RecordCount(int(pq.ParquetFile(f.path).metadata.num_rows), None)
    return count_records(f.path, f.delimiter)


def _check_counts(job: _Job, counted: RecordCount) -> None:
    """Refuse (nothing written yet) when rows parsed + records rejected differ from the file's records."""
    staged = job.staged
    assert staged is not None
    parsed = staged.records + staged.rejected
    if parsed == counted.records:
        return
    f = job.target.file
    if counted.first_bad_quote is not None:
        why = (
            f"a quote opened at line {counted.first_bad_quote} is never closed, so the CSV reader took the "
            "lines after it as one field"
        )
        fix = f'close or remove the quote at line {counted.first_bad_quote} (a quote inside a value is written "")'
    else:
        why = "the CSV reader and canon's own count of the file's records disagree"
        fix = "check the file's quoting and line endings; save it as RFC 4180 CSV"
    raise LoadRefused(
        f"the file holds {counted.records:,} record(s) but only {parsed:,} were read "
        f"({staged.records:,} row(s) + {staged.rejected:,} malformed): {why}. Nothing was loaded.",
        location=Location(file=f.display, line=counted.first_bad_quote),
        fix=fix,
    )


def _check_one(backend: Backend, job: _Job, index: int) -> list[exp.Table]:
    """Build the checked table and the table of refused rows (temporary, outside the transaction)."""
    assert job.plan is not None and job.staged is not None
    plan, staged = job.plan, job.staged
    checked, bad = table(plan.checked), table(f"__canon_bad{index}")
    backend.run(drop(checked))
    backend.run(plan.create_checked(staged.relation))
    backend.analyze(checked)
    for update in [*plan.key_updates(), *plan.fk_updates()]:
        backend.run(update)
    backend.run(drop(bad))
    backend.run(plan.create_bad(staged.relation, bad.name))
    return [checked, bad]


def _judge(backend: Backend, job: _Job, rules: LoadPolicy) -> TableReport:
    """The table's counts, and whether the policy lets it replace the current table."""
    assert job.plan is not None and job.staged is not None
    plan, staged = job.plan, job.staged
    stats = backend.rows(plan.stats_query())[0]
    checked_rows, ok = int(stats[0] or 0), int(stats[1] or 0)
    normalized_cols = [c.column.name for c in plan.checks if c.normalized is not None]
    rep = TableReport(
        table=job.target.name,
        relation=job.label,
        file=job.target.file.display,
        rows_read=checked_rows + staged.rejected,
        rows_loaded=ok,
        normalized={name: int(v or 0) for name, v in zip(normalized_cols, stats[2:], strict=True)},
        unenforced=list(job.target.table.unenforced),
    )
    rep.rows_quarantined = rep.rows_read - rep.rows_loaded
    if backend.kind(job.schema, job.target.table.identifier) == "BASE TABLE":
        rep.rows_before = int(backend.rows(exp.select(exp.Count(this=exp.Star())).from_(job.relation))[0][0])
    for why in (rules.over_budget(rep.rows_quarantined, rep.rows_read), rules.shrinks(rep.rows_before, ok)):
        if why:
            rep.refused.append(why)
    return rep


def _orphans(backend: Backend, job: _Job, jobs: list[_Job], schema: DeclaredSchema, default_schema: str) -> list[str]:
    """The parent guard: existing child tables (not loaded now) whose rows would lose their parent."""
    assert job.plan is not None
    me = job.target.table
    loaded = {id(j.target.table) for j in jobs}
    out: list[str] = []
    for child in schema.tables.values():
        if id(child) in loaded:
            continue
        for fk in child.foreign_keys:
            if not fk.parent_source or schema.by_source(*fk.parent_source) is not me:
                continue
            cschema = child.schema or default_schema
            have = backend.columns(cschema, child.identifier)
            if fk.column not in have or backend.kind(cschema, child.identifier) != "BASE TABLE":
                continue
            pcol = next((c.name for c in job.target.columns if c.name.casefold() == fk.parent_column.casefold()), None)
            if pcol is None:
                continue
            left: exp.Expr = col(fk.column, "__canon_c")
            right: exp.Expr = col(pcol, "__canon_p")
            if _family(child, fk.column, have[fk.column]) != _family(me, pcol, "text"):
                left, right = exp.cast(left, "TEXT"), exp.cast(right, "TEXT")
            missing = exp.not_(
                exp.Exists(
                    this=exp.select(exp.Literal.number(1))
                    .from_(table(job.plan.checked).as_("__canon_p", quoted=True))
                    .where(exp.and_(col(OK, "__canon_p"), exp.EQ(this=right, expression=left)))
                )
            )
            query = (
                exp.select(exp.Count(this=exp.Star()))
                .from_(table(child.identifier, cschema).as_("__canon_c", quoted=True))
                .where(exp.and_(exp.not_(exp.Is(this=left.copy(), expression=exp.Null())), missing))
            )
            n = int(backend.rows(query)[0][0] or 0)
            if n:
                out.append(
                    f"{n:,} row(s) of {cschema}.{child.identifier} would lose their parent "
                    f"({child.identifier}.{fk.column} → {me.identifier}.{pcol}); "
                    f"load `{child.name}` in the same command"
                )
    return out


def _write_quarantine(backend: Backend, job: _Job, index: int, load_id: str, qschema: str, name: str) -> None:
    assert job.plan is not None and job.staged is not None
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    common: list[exp.Expr] = [
        exp.Literal.string(load_id),
        exp.Cast(this=exp.Literal.string(now), to=exp.DataType.build("TIMESTAMP")),
        exp.Literal.string(_qname(job, qschema)),
        exp.Literal.string(job.target.file.display),
    ]
    q = job.plan.quarantine_query(f"__canon_bad{index}", common, job.staged.rejects)
    if q is not None:
        backend.run(quarantine.insert(qschema, q, name))


def _reasons(backend: Backend, rep: TableReport, load_id: str, qname: str, qschema: str, name: str) -> None:
    examples: dict[tuple[str | None, str], list[Example]] = {}
    for column, reason, line, value, detail in backend.rows(quarantine.examples(qschema, load_id, qname, name)):
        examples.setdefault((column, reason), []).append(Example(int(line), value, detail))
    for column, reason, n in backend.rows(quarantine.counts(qschema, load_id, qname, name)):
        rep.reasons.append(ReasonCount(column, reason, int(n), examples.get((column, reason), [])))


def _qname(job: _Job, qschema: str) -> str:
    return job.target.table.identifier if job.schema == qschema else job.label


def _check_quarantine_shape(backend: Backend, qschema: str, name: str) -> None:
    have = list(backend.columns(qschema, name))
    want = [n for n, _ in quarantine.COLUMNS]
    if have and have != want:
        raise LoadError(
            f"`{qschema}.{name}` exists with other columns than canon expects",
            location=Location(field=name),
            fix=f"rename or drop the old table; canon creates it with: {', '.join(want)}",
        )

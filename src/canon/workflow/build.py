"""`canon build`: write the signed metric into the dbt project, idempotently.

Writes the canonical model, its schema YAML (definition, owner, sign-off, precedents), a
MetricFlow semantic model and metric, singular tests encoding the business rules and the
contract's own tests, deprecates the orphan models (header comment, `deprecation_date`,
`meta.replaced_by`) and, on request, rewires a team model to read the canonical one. Only
canon's marked blocks and keys are touched; running it twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from sqlglot import exp

from canon.audit.domains import Domains
from canon.audit.result import AuditResult, Definition
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.trees import join
from canon.contracts.model import Metric
from canon.contracts.yamlpos import round_trip_load
from canon.engines.render import render
from canon.errors import CheckFailed, Location, UserError
from canon.fsutil import atomic_write_text, write_if_changed
from canon.present.money import format_cents
from canon.workflow import dbt_files
from canon.workflow.blocks import block, upsert_block

if TYPE_CHECKING:
    from canon.project import Project


@dataclass(frozen=True)
class Dependent:
    """An exposure (dashboard, report, application) that still reads a deprecated model."""

    exposure: str
    type: str
    owner: str | None
    url: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"exposure": self.exposure, "type": self.type, "owner": self.owner, "url": self.url}


@dataclass
class BuildReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)
    rewired: list[str] = field(default_factory=list)
    canonical_model: str = ""
    metric: str = ""
    deprecation_date: str | None = None  # the day deprecated models may be removed (build day + window)
    # deprecated model → the exposures still reading it: who must move before the deprecation date
    still_used: dict[str, list[Dependent]] = field(default_factory=dict)

    def record(self, path: Path, changed: bool, root: Path) -> None:
        (self.changed if changed else self.unchanged).append(str(path.relative_to(root)))

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "canonical_model": self.canonical_model,
            "rewired": self.rewired,
            "deprecated": self.deprecated,
            "deprecation_date": self.deprecation_date,
            "still_used": {m: [d.to_json() for d in deps] for m, deps in self.still_used.items()},
        }


def build_record_path(root: Path, metric: str) -> Path:
    """Where the last build of `metric` is recorded (read by the postmortem and the catalog)."""
    from canon.contracts.names import metric_key

    return root / ".canon" / "build" / f"{metric_key(metric)}.json"


def load_build_record(root: Path, metric: str) -> dict[str, Any] | None:
    """The last build's record of `metric` (`BuildReport.to_json()`), or None when there is none."""
    import json

    path = build_record_path(root, metric)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def deprecation_markdown(record: dict[str, Any]) -> list[str]:
    """The postmortem's section on deprecated models and who still reads them (Markdown lines)."""
    deprecated = record.get("deprecated") or []
    if not deprecated:
        return []
    date = record.get("deprecation_date")
    out = ["## Deprecated models and who still depends on them", ""]
    out.append(
        f"Deprecated in favour of `{record.get('canonical_model')}`"
        + (f"; dbt warns from {date} on, the date they may be removed." if date else ".")
    )
    out += ["", "| model | still used by | type | owner |", "|---|---|---|---|"]
    used = record.get("still_used") or {}
    for model in deprecated:
        deps = used.get(model) or []
        if not deps:
            out.append(f"| `{model}` | nothing declared | | |")
        for dep in deps:
            out.append(f"| `{model}` | {dep['exposure']} | {dep['type']} | {dep['owner'] or 'no owner declared'} |")
    return [*out, ""]


def require_signed(metric: Metric, draft: bool) -> None:
    """Nothing unapproved is built; a definition edited after sign-off is not the signed one."""
    if draft:
        return
    so = metric.spec.signoff
    if metric.spec.status.value not in ("approved", "authoritative") or so is None:
        raise UserError(
            f"metric `{metric.name}` is {metric.spec.status.value}, not approved: canon builds only signed definitions",
            location=Location(file=str(metric.file), field="status"),
            fix=f"run `canon approve {metric.name} --by NAME --role ROLE`, or pass --draft to build it unsigned",
        )
    if so.definition_hash != metric.definition_hash():
        raise UserError(
            f"metric `{metric.name}` was edited after {so.by} ({so.role}) signed it: "
            "the definition hash no longer matches",
            location=Location(file=str(metric.file), field="signoff.definition_hash"),
            fix=f"revert the edit, or re-approve: `canon approve {metric.name} --by NAME --role ROLE`",
        )


def _yaml_text(data: Any) -> str:
    from io import StringIO

    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    buf = StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _merge(target: CommentedMap, updates: dict[str, Any]) -> None:
    """Set canon's keys, keep every key a person added."""
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _models_dir(project: Project, models: ModelSet, definitions: list[Definition]) -> Path:
    for d in definitions:
        if d.path:
            return (project.root / d.path).parent
    marts = project.root / "models" / "marts"
    return marts if marts.exists() else project.root / "models"


def _model_entry(doc: CommentedMap, name: str) -> CommentedMap:
    models = doc.setdefault("models", CommentedSeq())
    for entry in models:
        if entry.get("name") == name:
            return entry
    entry = CommentedMap()
    entry["name"] = name
    models.append(entry)
    return entry


def _load_yaml(path: Path) -> CommentedMap:
    if path.exists():
        data = round_trip_load(path)
        if isinstance(data, CommentedMap):
            return data
    doc = CommentedMap()
    doc["version"] = 2
    return doc


def build(
    project: Project,
    metric_name: str,
    audit: AuditResult,
    models: ModelSet,
    rewire: list[str] | None = None,
    draft: bool = False,
    today: date | None = None,
) -> BuildReport:
    metric = project.metric(metric_name)
    require_signed(metric, draft)
    if not metric.is_declarative:
        raise UserError(
            f"metric `{metric_name}` is not declarative; canon builds dbt models from declarative contracts"
        )
    rewire = rewire or []
    report = BuildReport()
    root = project.root
    today = today or datetime.now(UTC).date()
    domains = Domains(project.engine, project.relations(project.engine))
    definitions = [d for d in audit.definitions if not d.canonical]
    known = {d.model: d for d in definitions}
    for name in rewire:
        if name not in known:
            raise UserError(
                f"--rewire {name}: not a definition of {metric.label} found by the audit",
                location=Location(parameter="rewire"),
                fix=f"choose one of: {', '.join(known) or '(none found)'}",
            )
    missing = sorted(t for t in metric.decisions.tables() if t not in models.source_refs)
    if missing:
        raise CheckFailed(f"tables {', '.join(missing)} are not declared as dbt sources, so a model cannot read them")

    canonical = f"fct_{metric.name}_canonical"
    report.canonical_model = canonical
    folder = _models_dir(project, models, definitions)
    built = dbt_files.canonical_model_sql(project, metric, models.source_refs, domains)
    sql, docs = built.sql, built.docs
    report.metric = metric.name
    so = metric.spec.signoff
    origin = metric.file.relative_to(root) if metric.file else metric.name
    header = (
        f"-- {metric.label}, the canonical definition, generated by canon from {origin}.\n"
        f"-- Definition {metric.definition_hash()}"
        + (f", signed by {so.by} ({so.role}) on {so.at:%Y-%m-%d}" if so else " (DRAFT: not signed)")
        + ".\n-- Edit the contract, not this block: `canon build` rewrites it. Edits outside the block survive.\n"
        + "{{ config(materialized='table', meta={'canon_metric': '"
        + metric.name
        + "'}) }}\n"
    )
    path = folder / f"{canonical}.sql"
    text = path.read_text() if path.exists() else ""
    report.record(path, write_if_changed(path, upsert_block(text, "model", header + sql + "\n")), root)

    # schema YAML for the canonical model
    ypath = folder / f"_canon_{metric.name}.yml"
    doc = _load_yaml(ypath)
    entry = _model_entry(doc, canonical)
    meta: dict[str, Any] = {
        "canon_metric": metric.name,
        "owner": metric.spec.owner,
        "status": metric.spec.status.value,
        "definition_hash": metric.definition_hash(),
        "decisions": metric.decisions.to_json(),
        "replaces": [d.model for d in definitions if d.model not in rewire],
    }
    if so is not None:
        meta["signoff"] = {"by": so.by, "role": so.role, "at": so.at.isoformat(), "decisions": dict(so.decisions)}
    if metric.spec.precedents:
        meta["precedents"] = [{"source": p.source, "url": p.url, "stance": p.stance} for p in metric.spec.precedents]
    _merge(
        entry,
        {
            "description": (metric.spec.description or metric.label).strip()
            + f"\n\nBoard number for {audit.period.label}: {format_cents(audit.canonical_cents)}.",
            "config": {"meta": meta},
        },
    )
    cols = entry.setdefault("columns", CommentedSeq())
    by_name = {c.get("name"): c for c in cols}
    for doc_col in docs:
        col = by_name.get(doc_col.name)
        if col is None:
            col = CommentedMap()
            col["name"] = doc_col.name
            cols.append(col)
        col["description"] = doc_col.description
        if doc_col.tests:
            col["data_tests"] = doc_col.tests
    report.record(ypath, write_if_changed(ypath, _yaml_text(doc)), root)

    # semantic model + metric (and the time spine MetricFlow requires, unless the project has one)
    spath = folder / f"_canon_{metric.name}_semantic.yml"
    report.record(spath, write_if_changed(spath, semantic_yaml(metric, canonical, docs, built.entities)), root)
    for entity in built.entities:
        if entity.dimensions:
            dpath = folder / f"{entity.model}.sql"
            body = dbt_files.dimension_model_sql(entity, project.engine.dialect, models.source_refs)
            text = dpath.read_text() if dpath.exists() else ""
            head = f"-- The {entity.name}s the {metric.label} rows belong to, with the dimensions read from them.\n"
            report.record(dpath, write_if_changed(dpath, upsert_block(text, "model", head + body + "\n")), root)
    if not _has_time_spine(root):
        for tpath, text in time_spine_files(folder, project.engine.dialect).items():
            report.record(tpath, write_if_changed(tpath, text), root)

    # tests
    tests_dir = root / "tests"
    flags = [d.name for d in docs if d.name.startswith("is_")]
    dialect = project.engine.dialect
    for name, body in dbt_files.business_rule_tests(metric, canonical, flags, dialect).items():
        p = tests_dir / f"{name}.sql"
        report.record(p, write_if_changed(p, body), root)
    for name, body in dbt_files.contract_test_sql(project, metric, models.source_refs).items():
        p = tests_dir / "canon" / metric.name / f"{name}.sql"
        report.record(p, write_if_changed(p, body), root)

    # rewire, then deprecate the rest
    rewired_text = {name: rewired_sql(metric, canonical, known[name], dialect, models) for name in rewire}
    for name in rewire:
        d = known[name]
        team = _team_of(d) or name
        mpath = root / d.path
        original = mpath.read_text()
        if "canon:begin rewired" in original:  # already reads the canonical model: leave it as it is
            report.record(mpath, False, root)
        else:
            report.record(mpath, write_if_changed(mpath, block("rewired", rewired_text[name])), root)
        report.rewired.append(name)
        tname = f"assert_{metric.name}_matches_{_slug(team)}"
        tpath = tests_dir / f"{tname}.sql"
        report.record(tpath, write_if_changed(tpath, matches_test(metric, canonical, d, dialect)), root)
    window = project.config.dbt_settings.deprecation_days
    until = today + timedelta(days=window)
    for d in definitions:
        if d.model in rewire:
            continue
        deprecate(project, models, d, canonical, metric, until, report)
    if report.deprecated:
        report.deprecation_date = until.isoformat()
    atomic_write_text(build_record_path(root, metric.name), json.dumps(report.to_json(), indent=2) + "\n")
    return report


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _team_of(d: Definition) -> str | None:
    if d.usage and d.usage.by_team:
        return max(d.usage.by_team.items(), key=lambda kv: kv[1])[0]
    return None


REAGGREGATED = (exp.Count, exp.Min, exp.Max)  # over a dimension's column, these mean the same on canonical rows


def _team_outputs(model: ModelSource | None, dialect: str) -> dict[str, exp.Expr]:
    """The outermost SELECT's expressions of a team model by output name (empty when unreadable)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    if model is None:
        return {}
    try:
        tree = sqlglot.parse_one(model.sql, read=model.dialect or dialect)
    except SqlglotError:
        return {}
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Select):
        return {}
    return {sel.alias_or_name: (sel.this if isinstance(sel, exp.Alias) else sel) for sel in tree.selects}


def _reaggregate(expr: exp.Expr | None, dims: set[str]) -> exp.Expression | None:
    """`count(distinct x.account_id)` → `COUNT(DISTINCT account_id)` when `account_id` is a column
    of the canonical model (a dimension); None when the column cannot be computed from it."""
    if not isinstance(expr, REAGGREGATED):
        return None
    arg = expr.this
    inner = arg.expressions[0] if isinstance(arg, exp.Distinct) and len(arg.expressions) == 1 else arg
    if not isinstance(inner, exp.Column) or inner.name not in dims:
        return None
    column = exp.column(inner.name)
    if isinstance(arg, exp.Distinct):
        return expr.__class__(this=exp.Distinct(expressions=[column]))
    return expr.__class__(this=column)


def rewired_sql(metric: Metric, canonical: str, d: Definition, dialect: str, models: ModelSet | None = None) -> str:
    """The team model reading the canonical one, keeping every output column: its name, and its
    values computed from the canonical rows (the measure summed, period keys and dimensions
    grouped, counts and extremes of a dimension aggregated again). A column that cannot be
    computed from the canonical model is refused by name, never served as NULL."""
    period = exp.column(dbt_files.period_column(metric.spec.grain.time))
    dims = set(metric.spec.dimensions)
    keys = dict(d.period_keys)
    team = _team_outputs(models.models.get(d.model) if models else None, dialect)
    select: list[exp.Expr] = []
    group: list[exp.Expression] = []
    for out in d.outputs or [d.measure_output]:
        if out == d.measure_output:
            select.append(exp.Sum(this=exp.column(dbt_files.amount_column(metric))).as_(out))
        elif out in keys:
            expr = keys[out]
            value = period.copy() if expr is None else _period_expr(expr, period, dialect)
            select.append(value.as_(out))
            group.append(value.copy())
        elif out in dims:
            select.append(exp.column(out))
            group.append(exp.column(out))
        elif (again := _reaggregate(team.get(out), dims)) is not None:
            select.append(again.as_(out))
        else:
            shown = team[out].sql(dialect=dialect) if out in team else "an expression canon could not read"
            raise UserError(
                f"--rewire {d.model}: its column `{out}` ({shown}) cannot be computed from the canonical model "
                f"{canonical}, so rewiring would change it to NULL",
                location=Location(file=d.path, parameter="rewire"),
                fix=f"drop `{out}` from {d.model} (or move it to another model) and build again, "
                f"or leave {d.model} out of --rewire: it is then deprecated instead",
            )
    query = exp.select(*select).from_(dbt_files.ref_table(canonical))
    if group:
        query = query.group_by(*group)
    header = (
        f"-- Rewired by canon to read the canonical {metric.label} ({canonical}); the previous definition\n"
        "-- is in git history. Output columns keep their names so consumers see no change of shape.\n"
    )
    return header + dbt_files.render(query, dialect) + "\n"


def _period_expr(sql: str, period: exp.Column, dialect: str) -> exp.Expression:
    import sqlglot

    tree = sqlglot.parse_one(sql, read=dialect)
    out = tree.transform(lambda n: period.copy() if isinstance(n, exp.Column) and n.name == "__period__" else n)
    assert isinstance(out, exp.Expression)
    return out


def matches_test(metric: Metric, canonical: str, d: Definition, dialect: str) -> str:
    """Rows (periods) where the rewired team model and the canonical model disagree."""
    period = dbt_files.period_column(metric.spec.grain.time)
    keys = [k for k, _ in d.period_keys]
    key = keys[0] if keys else period
    date = exp.DataType.build("DATE")
    canon_q = (
        exp.select(
            exp.column(period).as_("period"), exp.Sum(this=exp.column(dbt_files.amount_column(metric))).as_("amount")
        )
        .from_(dbt_files.ref_table(canonical))
        .group_by(exp.Literal.number(1))
    )
    team_q = (
        exp.select(
            exp.cast(exp.column(key), date).as_("period"), exp.Sum(this=exp.column(d.measure_output)).as_("amount")
        )
        .from_(dbt_files.ref_table(d.model))
        .group_by(exp.Literal.number(1))
    )
    zero = exp.Literal.number(0)
    both = exp.select(
        exp.Coalesce(this=exp.column("period", "c"), expressions=[exp.column("period", "t")]).as_("period"),
        exp.column("amount", "c").as_("canonical_amount"),
        exp.column("amount", "t").as_("team_amount"),
    ).from_(exp.table_("canonical", alias="c"))
    join(
        both,
        exp.table_("team", alias="t"),
        exp.EQ(this=exp.column("period", "c"), expression=exp.column("period", "t")),
        "full outer",
    )
    query = (
        both.where(
            exp.NEQ(
                this=exp.Coalesce(this=exp.column("amount", "c"), expressions=[zero.copy()]),
                expression=exp.Coalesce(this=exp.column("amount", "t"), expressions=[zero.copy()]),
            )
        )
        .with_("canonical", as_=canon_q)
        .with_("team", as_=team_q)
    )
    header = f"-- {d.model} (rewired) agrees with the canonical {metric.label} in every period\n"
    return header + dbt_files.render(query, dialect) + "\n"


def deprecate(
    project: Project, models: ModelSet, d: Definition, canonical: str, metric: Metric, until: date, report: BuildReport
) -> None:
    """Deprecate a team model the dbt way: a `deprecation_date` a window ahead (dbt warns the
    models that ref it until then, then reports it past due), `access: protected` (no other
    package may start to ref it), `meta.replaced_by`, and the exposures still reading it."""
    root = project.root
    mpath = root / d.path
    users = [
        Dependent(e.name, e.type, e.owner, e.url)
        for e in sorted(models.exposures, key=lambda e: e.name)
        if d.model in e.models
    ]
    report.still_used[d.model] = users
    if mpath.exists():
        where = metric.file.name if metric.file else metric.name
        body = (
            f"-- DEPRECATED: use {canonical} ({metric.label} is defined once, in {where}; see canon audit).\n"
            f"-- Deprecation date {until.isoformat()}."
            + (
                " Still used by: " + ", ".join(f"{u.exposure} ({u.owner or 'no owner'})" for u in users) + "."
                if users
                else ""
            )
        )
        text = mpath.read_text()
        report.record(mpath, write_if_changed(mpath, upsert_block(text, "deprecation", body, at_top=True)), root)
    model = models.models.get(d.model)
    patch = model.patch_path if model else None
    ypath = root / patch if patch else mpath.parent / "_canon_deprecations.yml"
    doc = _load_yaml(ypath)
    entry = _model_entry(doc, d.model)
    entry["deprecation_date"] = until.isoformat()
    config = entry.setdefault("config", CommentedMap())
    config["access"] = "protected"
    meta = config.setdefault("meta", CommentedMap())
    meta["replaced_by"] = canonical
    meta["canon_deprecated"] = f"{metric.label} is defined in {metric.name}; use {canonical}"
    if users:
        meta["still_used_by"] = [u.exposure for u in users]
    report.record(ypath, write_if_changed(ypath, _yaml_text(doc)), root)
    report.deprecated.append(d.model)


def semantic_yaml(
    metric: Metric, canonical: str, docs: list[dbt_files.ColumnDoc], entities: list[dbt_files.Entity] | None = None
) -> str:
    """MetricFlow semantic models and a simple metric over the canonical model (dbt Semantic Layer).

    The canonical rows carry the keys of what they join many-to-one as foreign entities
    (`account`, `contract`); each entity with dimensions of its own gets a semantic model over
    its dimension model with that entity as primary, so a consumer groups by `account__segment`
    and can join any other semantic model that knows accounts. The rest of the canonical columns
    (the raw values the definition reads, its flags) are dimensions of the fact itself, under a
    primary entity named after the metric. Only column names appear: no SQL to be dialect-bound.
    """
    import yaml

    entities = entities or []
    grain = metric.spec.grain.time
    period = dbt_files.period_column(grain)
    measure = dbt_files.amount_column(metric)
    keys = {e.column for e in entities}
    moved = {name for e in entities for name, _ in e.dimensions}
    own = [d.name for d in docs if d.name not in (period, measure) and d.name not in keys and d.name not in moved]
    description = " ".join((metric.spec.description or metric.label).split())
    fact: dict[str, Any] = {
        "name": f"{metric.name}_canonical",
        "description": f"{metric.label}, canonical definition (canon contract {metric.name}).",
        "model": f"ref('{canonical}')",
        "defaults": {"agg_time_dimension": period},
        "primary_entity": f"{metric.name}_fact",
        "entities": [{"name": e.name, "type": "foreign", "expr": e.column} for e in entities],
        "dimensions": [
            {"name": period, "type": "time", "type_params": {"time_granularity": grain}},
            *[{"name": name, "type": "categorical"} for name in own],
        ],
        "measures": [{"name": measure, "agg": "sum", "expr": measure}],
    }
    if not fact["entities"]:
        del fact["entities"]
    semantic = [fact]
    for e in entities:
        if not e.dimensions:
            continue
        semantic.append(
            {
                "name": f"{metric.name}_{e.name}",
                "description": f"The {e.name}s of the canonical {metric.label} ({e.table}), by {e.key}.",
                "model": f"ref('{e.model}')",
                "entities": [{"name": e.name, "type": "primary", "expr": e.key}],
                "dimensions": [{"name": name, "type": "categorical"} for name, _ in e.dimensions],
            }
        )
    doc = {
        "version": 2,
        "semantic_models": semantic,
        "metrics": [
            {
                "name": metric.name,
                "label": metric.label,
                "description": description,
                "type": "simple",
                "type_params": {"measure": measure},
            }
        ],
    }
    header = "# Generated by canon build: the dbt Semantic Layer (MetricFlow) view of the canonical metric.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096)


TIME_SPINE = "metricflow_time_spine"


def _has_time_spine(root: Path) -> bool:
    for path in (root / "models").rglob("*.yml"):
        if path.name == f"_canon_{TIME_SPINE}.yml":
            return False
        if "time_spine:" in path.read_text(encoding="utf-8"):
            return True
    return False


def time_spine_files(folder: Path, dialect: str) -> dict[Path, str]:
    """A daily calendar model MetricFlow needs, as a dbt model and its YAML."""
    import yaml

    days = exp.GenerateDateArray(
        start=exp.cast(exp.Literal.string("2015-01-01"), "date"),
        end=exp.cast(exp.Literal.string("2040-12-31"), "date"),
        step=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY")),
    )
    query = exp.select(exp.cast(exp.column("date_day"), "date").as_("date_day")).from_(
        exp.Unnest(
            expressions=[days],
            alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[exp.to_identifier("date_day")]),
        )
    )
    sql = "-- Generated by canon build: one row per day, for the dbt Semantic Layer.\n"
    sql += "{{ config(materialized='table') }}\n" + render(query, dialect, pretty=True, identify=False) + "\n"
    doc = {
        "version": 2,
        "models": [
            {
                "name": TIME_SPINE,
                "description": "Daily time spine for MetricFlow (generated by canon).",
                "time_spine": {"standard_granularity_column": "date_day"},
                "columns": [{"name": "date_day", "granularity": "day"}],
            }
        ],
    }
    return {
        folder / f"{TIME_SPINE}.sql": sql,
        folder / f"_canon_{TIME_SPINE}.yml": yaml.safe_dump(doc, sort_keys=False),
    }

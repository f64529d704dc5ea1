"""The bodies of canon's MCP tools: one `Project` call each, turned into a compact typed view.

Plain synchronous functions over one long-lived `Project` (the audit it ran is kept for
`explain_decision`, `propose`, `request_signoff` and `build` in the same process), so the MCP
layer only adds transport, progress, logging and error envelopes. Read-only except
`request_signoff` (writes the proposal and the request) and `build` (writes the dbt files,
every one inside the project and reported). No function here signs: the one human decision
stays `canon approve METRIC --proposal ID`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.agent import views as v
from canon.errors import Location, UserError, hint_or_list
from canon.present.money import format_cents, format_signed_cents

if TYPE_CHECKING:
    from canon.audit.result import AuditResult, Commit, Definition
    from canon.project import Project

#: (step, index, total), as the audit reports its stages
Progress = Callable[[str, int, int], None]


def _money(cents: int | None) -> str:
    return format_cents(cents) if cents is not None else "—"


def _signed(cents: int | None) -> str:
    return format_signed_cents(cents) if cents is not None else "—"


class Toolbox:
    """The project an MCP server stands over, opened once and re-read where a person may have edited it."""

    def __init__(self, root: Path, read_only: bool = False) -> None:
        self.root = root
        self.read_only = read_only  # under `canon serve`, which holds the warehouse read-only
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            from canon.project import load_project

            self._project = load_project(self.root)
            self.root = self._project.root
            if self.read_only:
                from canon.engines.from_config import open_warehouse

                config = self._project.config
                self._project.use_engine(open_warehouse(self.root, config.warehouse, read_only=True, dbt=config.dbt))
        return self._project

    def fresh(self) -> Project:
        """The project with its contracts read again: a person may have signed one in another process."""
        project = self.project
        project.reload()
        return project

    def close(self) -> None:
        if self._project is not None:
            self._project.close()

    # -- reading -----------------------------------------------------------------------
    def list_metrics(self) -> v.MetricList:
        project = self.fresh()
        items = []
        for name, m in sorted(project.metrics.items()):
            spec = m.spec
            items.append(
                v.MetricItem(
                    name=name,
                    label=m.label,
                    status=spec.status.value,
                    owner=spec.owner,
                    kind=spec.composition.type,
                    value_kind=project.value_kind(name),
                    signed=m.signed,
                    description=" ".join(spec.description.split()),
                )
            )
        period = project.config.current_period
        words = ", ".join(f"{i.name} ({i.status}{', signed' if i.signed else ''})" for i in items) or "none"
        return v.MetricList(
            summary=f"{len(items)} metric contract(s): {words}. Current period: {period or 'not set'}.",
            current_period=period,
            metrics=items,
        )

    def describe_metric(self, metric: str) -> v.MetricDescription:
        project = self.fresh()
        m = project.metric(metric)
        spec = m.spec
        comp = spec.composition
        decisions = m.decisions.to_json() if m.is_declarative else None
        sql = getattr(comp, "sql", None)
        signoff = None
        if spec.signoff is not None:
            signoff = spec.signoff.model_dump(mode="json")
        where = str(m.file.relative_to(project.root)) if m.file else ""
        state = f"signed by {spec.signoff.by} ({spec.signoff.role})" if m.signed and spec.signoff else "not signed"
        return v.MetricDescription(
            summary=f"{m.label} ({spec.status.value}, {state}), owned by {spec.owner}: "
            + " ".join(spec.description.split()),
            name=m.name,
            label=m.label,
            description=" ".join(spec.description.split()),
            owner=spec.owner,
            status=spec.status.value,
            kind=comp.type,
            contract_file=where,
            definition_hash=m.definition_hash(),
            grain=spec.grain.model_dump(mode="json"),
            dimensions=sorted(spec.dimensions),
            decisions=decisions,
            sql=sql,
            signoff=signoff,
        )

    def audit(self, metric: str, period: str | None = None, progress: Progress | None = None) -> v.AuditView:
        result = self.fresh().audit(metric, period, progress=progress)
        return audit_view(result)

    def explain_decision(self, metric: str, decision: str, period: str | None = None) -> v.DecisionExplanation:
        result = self.fresh().audit(metric, period)
        return explain(result, decision, self.project.root)

    def propose(self, metric: str, period: str | None = None) -> v.ProposalView:
        proposal = self.fresh().propose(metric, period, write=False)
        return proposal_view(proposal.to_json())

    def signoff_status(self, metric: str) -> v.SignoffStatusView:
        status = self.fresh().signoff_status(metric).to_json()
        return signoff_status_view(status)

    def verify(
        self, metrics: Sequence[str], expect: Mapping[str, str], run_dbt: bool, progress: Progress | None = None
    ) -> v.VerifyView:
        from canon.present.money import parse_money

        if run_dbt and self.read_only:
            raise UserError(
                "this server holds the warehouse read-only (it runs inside `canon serve`): dbt cannot build in it",
                location=Location(parameter="run_dbt"),
                fix="pass run_dbt: false to check the rest, or verify through `canon mcp` (stdio) or `canon verify`",
            )
        expected: dict[str, int] = {}
        for key, value in expect.items():
            try:
                expected[key] = parse_money(value)
            except Exception:
                raise UserError(
                    f"expect `{key}`: `{value}` is not an amount",
                    location=Location(parameter="expect"),
                    fix='write the board number as dollars, e.g. {"mrr": "1260000.00"}',
                ) from None
        if progress:
            progress("dbt build, contract tests, board number, baseline, drift", 0, 1)
        report = self.fresh().verify(list(metrics), expected, run_dbt=run_dbt).to_json()
        if progress:
            progress("verified", 1, 1)
        board = [
            v.BoardFigure(metric=m, period=b["period"], value_cents=b["value_cents"], value=b["value"])
            for m, b in report["board"].items()
        ]
        failed = [c for c in report["checks"] if not c["passed"]]
        figures = "; ".join(f"{b.metric} {b.period} = {b.value}" for b in board) or "no board number"
        words = (
            "all checks pass"
            if report["passed"]
            else "failed: " + "; ".join(f"{c['check']}: {c['detail']}" for c in failed)
        )
        return v.VerifyView(
            summary=f"Verify {words}. Board: {figures}.",
            passed=report["passed"],
            board=board,
            checks=[v.CheckItem(**c) for c in report["checks"]],
        )

    def query_metric(
        self,
        metrics: Sequence[str],
        grain: str,
        by: Sequence[str],
        where: str | None,
        period_from: str | None,
        period_to: str | None,
        limit: int,
    ) -> v.QueryView:
        from canon.present.results import to_rows

        names = _names(metrics)
        table = self.fresh().query(
            names, grain=grain, by=list(by), where=where, period_from=period_from, period_to=period_to
        )
        rows = to_rows(table.slice(0, limit))
        columns = list(rows[0]) if rows else [c for c in table.column_names if c != "period_start"]
        head = "; ".join(", ".join(f"{k} {val}" for k, val in r.items() if not k.endswith("_cents")) for r in rows[:3])
        more = f" (first {limit} of {table.num_rows} rows)" if table.num_rows > limit else ""
        return v.QueryView(
            summary=f"{table.num_rows} row(s){more}: {head}" if rows else "No rows for this question.",
            metrics=names,
            grain=grain,
            columns=columns,
            rows=rows,
            truncated=table.num_rows > limit,
        )

    def compile_sql(
        self,
        metrics: Sequence[str],
        dialect: str | None,
        grain: str,
        by: Sequence[str],
        where: str | None,
        period_from: str | None,
        period_to: str | None,
    ) -> v.SqlView:
        project = self.fresh()
        names = _names(metrics)
        text = project.sql(
            names, dialect, grain=grain, by=list(by), where=where, period_from=period_from, period_to=period_to
        )
        from canon.engines.from_config import warehouse_dialect

        used = dialect or warehouse_dialect(project.root, project.config.warehouse, project.config.dbt)
        return v.SqlView(
            summary=f"The {used} SQL of {', '.join(names)} ({len(text.splitlines())} lines).", dialect=used, sql=text
        )

    # -- the two writing tools -----------------------------------------------------------
    def request_signoff(
        self, metric: str, decisions: Mapping[str, str], period: str | None, requested_by: str
    ) -> v.SignoffRequestView:
        project = self.fresh()
        before = _snapshot(project.root)
        request = project.request_signoff(metric, decisions, period, by=requested_by)
        return v.SignoffRequestView(
            summary=request.summary,
            id=request.id,
            metric=request.metric,
            period=request.period,
            value_cents=request.value_cents,
            value=format_cents(request.value_cents),
            definition_hash=request.definition_hash,
            base_hash=request.base_hash,
            decisions=request.decisions,
            outcome=request.outcome,
            approve_command=request.approve_command,
            written=_written(project.root, before),
        )

    def build(self, metric: str, rewire: Sequence[str], progress: Progress | None = None) -> v.BuildView:
        """Never `draft`: an unsigned or edited-after-sign-off contract is refused with how to get it signed."""
        project = self.fresh()
        status = project.signoff_status(metric)
        if not status.buildable:
            m = project.metric(metric)
            raise UserError(
                f"`{status.metric}` is not signed as it stands ({status.status}"
                + (", edited after sign-off" if status.signoff and not status.signed else "")
                + "): canon builds only a definition a person signed",
                location=Location(file=str(m.file), field="signoff", parameter="metric"),
                fix=status.next_step,
            )
        if progress:
            progress("writing the canonical model, docs, semantic layer and tests", 0, 1)
        report = project.build(metric, rewire=list(rewire), draft=False)
        if progress:
            progress("built", 1, 1)
        root = project.root.resolve()
        for path in report.changed:
            if not (root / path).resolve().is_relative_to(root):
                raise UserError(  # never expected: BuildReport paths are relative to the root by construction
                    f"build wrote {path}, outside the project",
                    location=Location(file=path),
                    fix="report this as a bug",
                )
        written = list(dict.fromkeys(report.changed))  # a file touched twice is one file written
        words = (
            f"wrote {len(written)} file(s): {', '.join(written)}" if written else "every file was already up to date"
        )
        extra = ""
        if report.deprecated:
            extra += f" Deprecated {', '.join(report.deprecated)}."
        if report.rewired:
            extra += f" Rewired {', '.join(report.rewired)}."
        return v.BuildView(
            summary=f"Built {report.canonical_model}: {words}.{extra}",
            metric=project.metric(metric).name,
            canonical_model=report.canonical_model,
            written=written,
            unchanged=list(dict.fromkeys(report.unchanged)),
            deprecated=list(report.deprecated),
            rewired=list(report.rewired),
        )

    # -- resources -----------------------------------------------------------------------
    def contract_text(self, metric: str) -> str:
        m = self.fresh().metric(metric)
        assert m.file is not None
        return m.file.read_text()

    def latest_audit(self, metric: str) -> str:
        from canon.audit.store import audit_path

        project = self.fresh()
        path = audit_path(project.root, metric)
        if not path.is_file():
            raise UserError(
                f"no audit of `{metric}` is stored yet",
                location=Location(parameter="metric"),
                fix="run the audit tool (or `canon audit --metric METRIC`) first",
            )
        return path.read_text()

    def postmortem(self, metric: str) -> str:
        from canon.workflow.postmortem import render_postmortem

        project = self.fresh()
        result = project.audit(metric, with_history=True)
        return render_postmortem(result, project.metrics.get(metric), f"fct_{result.metric}_canonical")


def _names(metrics: Sequence[str]) -> list[str]:
    names = [m for m in metrics if m.strip()]
    if not names:
        raise UserError("no metric named", location=Location(parameter="metrics"), fix='pass e.g. ["mrr"]')
    return names


def _snapshot(root: Path) -> dict[str, int]:
    """Modification times of canon's workflow files, to report what a call wrote."""
    found = {}
    for folder in (root / ".canon" / "proposals", root / ".canon" / "signoff-requests", root / "metrics"):
        if folder.exists():
            for p in folder.rglob("*"):
                if p.is_file():
                    found[str(p.relative_to(root))] = p.stat().st_mtime_ns
    return found


def _written(root: Path, before: dict[str, int]) -> list[str]:
    after = _snapshot(root)
    return sorted(p for p, t in after.items() if before.get(p) != t)


# -- views -------------------------------------------------------------------------------
def _decision_key(label: str) -> str:
    """A report row's label → the key the audit uses (`filter raw_x.y` → `filter:raw_x.y`)."""
    if label == "time basis":
        return "time_basis"
    if label == "other conditions":
        return "predicate"
    for kind in ("filter", "slice"):
        if label.startswith(kind + " "):
            return f"{kind}:{label.removeprefix(kind + ' ')}"
    return label


def _step_matches(step_decision: str, key: str) -> bool:
    return key == step_decision or key in step_decision.split("+")


def _commit_item(model: str, c: Commit) -> v.CommitItem:
    return v.CommitItem(
        model=model,
        decision=c.decision,
        sha=c.sha[:7],
        author=c.author,
        date=c.date[:10],
        subject=c.message.splitlines()[0] if c.message else "",
        tickets=list(c.tickets),
        flags=list(c.flags),
        file=c.file,
        lines=list(c.lines),
    )


def _points(result: AuditResult) -> dict[str, dict[str, Any]]:
    """Every decision point across the definitions: what each model says, what the canonical says."""
    from canon.audit.report.common import decision_rows

    points: dict[str, dict[str, Any]] = {}
    for d in result.definitions:
        for row in decision_rows(d.vector, result.canonical_vector, d.row_notes):
            if row.decision == "rows":
                continue
            key = row.key or _decision_key(row.decision)
            point = points.setdefault(key, {"canonical": row.canonical, "models": {}, "same": {}})
            point["models"][d.model] = row.this
            point["same"][d.model] = row.same
    return points


def audit_view(result: AuditResult) -> v.AuditView:
    from canon.audit.report.common import failed_lines, reproduced_text, usage_short

    canonical = result.canonical_cents
    definitions = []
    for d in result.definitions:
        value = d.value_cents if d.priced else None
        gap = value - canonical if value is not None and canonical is not None else None
        steps = d.bridge.steps if d.bridge else []
        definitions.append(
            v.DefinitionItem(
                model=d.model,
                path=d.path,
                value_cents=value,
                value=_money(value) if d.priced else reproduced_text(d),
                gap_cents=gap,
                gap=_signed(gap),
                reproduced=d.reproduced and d.priced,
                usage=usage_short(d.usage),
                bridge=[
                    v.Step(
                        decision=s.decision,
                        label=s.label,
                        impact_cents=s.impact_cents,
                        impact=format_signed_cents(s.impact_cents),
                    )
                    for s in steps
                ],
            )
        )
    history = [_commit_item(d.model, c) for d in result.definitions for c in d.history]
    points = []
    for key, p in _points(result).items():
        flags = sorted({f for c in history if c.decision == key for f in c.flags})
        points.append(
            v.DecisionPoint(
                decision=key,
                canonical=p["canonical"],
                models=p["models"],
                diverging=sorted(m for m, same in p["same"].items() if same is False),
                flags=flags,
            )
        )
    usage = [
        v.UsageItem(
            model=d.model,
            queries_per_month=d.usage.queries_per_month,
            last_queried=d.usage.last_queried,
            by_team=dict(d.usage.by_team),
        )
        for d in result.definitions
        if d.usage is not None
    ]
    flagged = [c for c in history if c.flags]
    archaeology = "".join(
        f" {c.model}: {c.decision} came in {c.sha} by {c.author} on {c.date}, “{c.subject}” ({', '.join(c.flags)})."
        for c in flagged
        if "no ticket" in c.flags
    )
    figures = ", ".join(f"{d.model} {d.value}" for d in definitions)
    return v.AuditView(
        summary=f"{result.headline()}. Canonical {result.label} for {result.period.label}: {_money(canonical)}. "
        f"Definitions: {figures}.{archaeology}",
        metric=result.metric,
        label=result.label,
        period=result.period.label,
        headline=result.headline(),
        mode=result.mode,
        canonical_cents=canonical,
        canonical=_money(canonical),
        definitions=definitions,
        decision_points=points,
        history=history,
        usage=usage,
        failed=failed_lines(result),
        notes=list(result.notes),
    )


def _sql_lines(root: Path, commits: Sequence[Commit], definition: Definition) -> list[v.SqlLine]:
    """The lines of SQL the decision sits on, as they read in the files (from the commits that wrote them)."""
    out: list[v.SqlLine] = []
    seen: set[tuple[str, int]] = set()
    for c in commits:
        path = root / c.file if c.file else root / definition.path
        try:
            text = path.read_text().splitlines()
        except OSError:
            continue
        for n in c.lines:
            if (c.file, n) in seen or not 0 < n <= len(text):
                continue
            seen.add((c.file, n))
            out.append(v.SqlLine(file=c.file or definition.path, line=n, text=text[n - 1].rstrip()))
    return sorted(out, key=lambda s: (s.file, s.line))


def explain(result: AuditResult, decision: str, root: Path) -> v.DecisionExplanation:
    """One decision point across every model: what each decides, its SQL lines, its commits, its price."""
    points = _points(result)
    keys = set(points)
    for d in result.definitions:
        keys |= set(d.provenance) - {"no_effect"}
    key = decision.strip()
    if key not in keys:
        key = _decision_key(key)
    if key not in keys:
        raise UserError(
            f"no decision point `{decision}` in the audit of {result.metric} for {result.period.label}",
            location=Location(parameter="decision"),
            fix=hint_or_list(decision, sorted(keys), lead="decision points"),
        )
    point = points.get(key, {"canonical": "—", "models": {}, "same": {}})
    models = []
    sentences = []
    for d in result.definitions:
        commits = [c for c in d.history if c.decision == key]
        says = point["models"].get(d.model)
        if says is None and not commits and key not in d.provenance:
            continue
        steps = [s for s in (d.bridge.steps if d.bridge else []) if _step_matches(s.decision, key)]
        impact = sum(s.impact_cents for s in steps) if steps else None
        items = [_commit_item(d.model, c) for c in commits]
        sql = _sql_lines(root, commits, d)
        models.append(
            v.ModelDecision(
                model=d.model,
                says=says or "—",
                same_as_canonical=point["same"].get(d.model),
                impact_cents=impact,
                impact=_signed(impact),
                sql=sql,
                fragments=list(d.fragments.get(key, [])),
                commits=items,
            )
        )
        origin = "; ".join(
            f"{c.sha} by {c.author} on {c.date}: “{c.subject}”"
            + (f" ({', '.join(c.tickets)})" if c.tickets else "")
            + (f" [{', '.join(c.flags)}]" if c.flags else "")
            for c in items
        )
        lines = ", ".join(f"{s.file}:{s.line} `{s.text.strip()}`" for s in sql)
        sentences.append(
            f"{d.model} says {says or '—'}"
            + (f" (its step on the bridge to canonical: {_signed(impact)})" if impact is not None else "")
            + (f", at {lines}" if lines else "")
            + (f", introduced in {origin}" if origin else "")
            + "."
        )
    return v.DecisionExplanation(
        summary=f"{key} for {result.label} ({result.period.label}); canonical: {point['canonical']}. "
        + " ".join(sentences),
        metric=result.metric,
        period=result.period.label,
        decision=key,
        canonical=point["canonical"],
        models=models,
    )


def proposal_view(p: dict[str, Any]) -> v.ProposalView:
    calls = [
        v.JudgmentCallItem(
            key=c["key"],
            question=c["question"],
            note=c.get("note", ""),
            options=[
                v.CallOption(
                    label=o["label"],
                    impact_cents=o["impact_cents"],
                    impact=format_signed_cents(o["impact_cents"]),
                    adopted_by=list(o["adopted_by"]),
                )
                for o in c["options"]
            ],
        )
        for c in p["judgment_calls"]
    ]
    models = [
        v.ModelChange(
            model=m["model"],
            value_cents=m["value_cents"],
            value=format_cents(m["value_cents"]),
            gap_cents=m["gap_cents"],
            gap=format_signed_cents(m["gap_cents"]),
            agreeing_decisions=m["agreeing_decisions"],
            decisions=m["decisions"],
            changes=list(m["changes"]),
        )
        for m in p["models"]
    ]
    precedent = [
        v.PrecedentNote(
            key=n["key"],
            summary=n["summary"],
            supported_by=list(dict.fromkeys(c["source"] for c in n["supported_by"])),
            dissent=list(dict.fromkeys(c["source"] for c in n["dissent"])),
        )
        for n in p["decision_notes"]
    ]
    priced = "; ".join(f"{c.key}: {o.label} {o.impact}" for c in calls for o in c.options)
    return v.ProposalView(
        summary=f"Proposed canonical {p['label']}: {format_cents(p['value_cents'])} for {p['period']}. "
        f"{p['definition']} Closest existing model: {p['closest_model'] or '—'}. "
        f"Judgment calls for a person (priced alone): {priced or 'none'}. Nothing was written; "
        "request_signoff records it for a person to sign.",
        metric=p["metric"],
        label=p["label"],
        period=p["period"],
        value_cents=p["value_cents"],
        value=format_cents(p["value_cents"]),
        definition=p["definition"],
        decisions=p["decisions"],
        precedent=precedent,
        closest_model=p["closest_model"],
        models=models,
        judgment_calls=calls,
    )


def signoff_status_view(s: dict[str, Any]) -> v.SignoffStatusView:
    signoff = s["signoff"]
    who = f"signed by {signoff['by']} ({signoff['role']}) on {signoff['at'][:10]}" if signoff else "never signed"
    match = "matching the contract" if s["signed"] else "not matching the contract" if signoff else ""
    return v.SignoffStatusView(
        summary=f"{s['metric']} is {s['status']}, {who}{', ' + match if match else ''}. Next: {s['next_step']}",
        metric=s["metric"],
        status=s["status"],
        definition_hash=s["definition_hash"],
        signed=s["signed"],
        buildable=s["buildable"],
        signoff=signoff,
        requests=[v.RequestItem(**r) for r in s["requests"]],
        next_step=s["next_step"],
    )

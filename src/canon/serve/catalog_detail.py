"""What a metric's catalog page says beyond its summary: the trend of the last 12 periods, the
SQL the compiler runs, the lineage from sources to the canonical model to the exposures that
read it, and the latest stored audit's waterfalls — as plain data, which is also the page's
`.json` twin, so the page and its JSON cannot say different things.

The stored audit (`.canon/audit/<metric>.json`) is read generically: a definition's bridge is
a list of steps (or `{"steps": [...]}`), each with a label and an amount in cents under
whichever of the known keys it carries; whatever the steps do not account for between the
definition's figure and the canonical one is shown as its own row, never hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from canon.audit.store import audit_path
from canon.compiler.question import value_column, value_kind
from canon.contracts.model import Metric
from canon.contracts.spec import DeclarativeComposition, DerivedComposition, SqlComposition
from canon.errors import CanonError
from canon.present.money import format_cents, format_signed_cents
from canon.project import Project
from canon.serve.metrics import computable, format_value

TREND_PERIODS = 12
STEP_AMOUNT_KEYS = ("impact_cents", "shapley_cents", "cents", "amount_cents")
STEP_LABEL_KEYS = ("label", "title", "decision", "name")


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 metric`, `2 metrics`, `0 metrics` (integers with thousands separators)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def number(value: float | int | None) -> str:
    """A count as people write it: `23`, not `23.0`; a fraction keeps one decimal (`7.5`)."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def load_json(path: Path) -> dict[str, Any] | None:
    import orjson

    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def load_audit(root: Path, metric: str) -> dict[str, Any] | None:
    """The stored audit of `metric` (AuditResult.to_json()), or None when absent or unreadable."""
    return load_json(audit_path(root, metric))


def trend(project: Project, metric: Metric) -> dict[str, Any]:
    """The metric per month for the last 12 periods up to the current one (or why there is none)."""
    current = project.current_period
    reason = computable(metric)
    if current is None or reason:
        return {"points": [], "note": reason or "the project sets no current_period in canon.yml"}
    first = current.shift(-(TREND_PERIODS - 1))
    try:
        question = project.question([metric.name], "month", (), None, first.label, current.label)
        table = project.query(question)
    except CanonError as exc:
        return {"points": [], "note": exc.render().splitlines()[0]}
    kind = value_kind(metric)
    column = value_column(metric)
    found = {r["period"]: r[column] for r in table.select(["period", column]).to_pylist()}
    points = []
    period = first
    for _ in range(TREND_PERIODS):
        raw = found.get(period.label)
        value: int | float | None = None
        if raw is not None:
            value = int(raw) if kind in ("money", "count") else float(raw)
        points.append({"period": period.label, "value": value, "formatted": format_value(kind, value)})
        period = period.next()
    return {"kind": kind, "points": points, "note": None}


def sql_text(project: Project, metric: Metric) -> str | None:
    """The SQL the compiler runs for the current period, in the warehouse's dialect."""
    comp = metric.composition
    if isinstance(comp, SqlComposition) and computable(metric):
        return comp.sql.strip() if comp.sql else None
    label = project.current_period.label if project.current_period else None
    try:
        return project.sql(project.question([metric.name], "month", (), None, label, label))
    except CanonError:
        return None


def sources_of(metric: Metric) -> list[str]:
    comp = metric.composition
    if isinstance(comp, DeclarativeComposition):
        tables = set(metric.decisions.tables()) | {d.column.table for d in metric.dimensions().values()}
        return sorted(tables)
    if isinstance(comp, SqlComposition):
        return sorted(comp.sources)
    if isinstance(comp, DerivedComposition):
        return sorted(f"metric {m}" for m in comp.metrics)
    return []


def lineage(root: Path, metric: Metric, audit: dict[str, Any] | None) -> dict[str, Any]:
    """sources → canonical model → exposures (dashboards, reports), from the last build record and audit."""
    from canon.workflow.build import load_build_record

    build = load_build_record(root, metric.name) or {}
    definitions = (audit or {}).get("definitions") or []
    canonical = build.get("canonical_model") or next((d.get("model") for d in definitions if d.get("canonical")), None)
    details: dict[str, dict[str, Any]] = {}
    for users in (build.get("still_used") or {}).values():
        for u in users:
            details[u["exposure"]] = u
    exposures: list[dict[str, Any]] = []
    for d in definitions:
        for name in (d.get("usage") or {}).get("exposures") or []:
            info = details.get(name, {})
            exposures.append(
                {
                    "name": name,
                    "type": info.get("type"),
                    "owner": info.get("owner"),
                    "url": info.get("url"),
                    "reads": d.get("model"),
                    "reads_canonical": bool(d.get("canonical")) or d.get("model") in (build.get("rewired") or []),
                }
            )
    exposures.sort(key=lambda e: (not e["reads_canonical"], e["name"]))
    deprecated = list(build.get("deprecated") or [d.get("model") for d in definitions if d.get("deprecated")])
    return {
        "sources": sources_of(metric),
        "canonical_model": canonical,
        "rewired": list(build.get("rewired") or []),
        "deprecated": deprecated,
        "deprecation_date": build.get("deprecation_date"),
        "exposures": exposures,
    }


def _steps(bridge: Any) -> list[dict[str, Any]]:
    raw = bridge.get("steps") if isinstance(bridge, dict) else bridge
    steps = []
    for s in raw or []:
        if not isinstance(s, dict):
            continue
        cents = next((s[k] for k in STEP_AMOUNT_KEYS if isinstance(s.get(k), int)), None)
        if cents is None:
            continue
        label = next((str(s[k]) for k in STEP_LABEL_KEYS if s.get(k)), "a decision")
        steps.append({"label": label, "cents": int(cents), "formatted": format_signed_cents(int(cents))})
    return steps


def audit_view(audit: dict[str, Any] | None) -> dict[str, Any] | None:
    """The latest audit as the page shows it: each definition's figure, usage and waterfall."""
    if not audit:
        return None
    canon_cents = (audit.get("canonical") or {}).get("value_cents")
    out = []
    for d in audit.get("definitions") or []:
        value = d.get("value_cents")
        steps = _steps(d.get("bridge")) if isinstance(value, int) and isinstance(canon_cents, int) else []
        # an audit's bridge starts at the canonical figure when it says so (steps: definition − canonical)
        from_canonical = "bridge_from_cents" in d
        gap = value - canon_cents if from_canonical and steps else canon_cents - value if steps else 0
        rest = gap - sum(s["cents"] for s in steps) if steps else 0
        usage = d.get("usage") or {}
        out.append(
            {
                "model": d.get("model"),
                "path": d.get("path"),
                "value_cents": value,
                "formatted": format_cents(value) if isinstance(value, int) else "not priced",
                "reproduced": bool(d.get("reproduced")),
                "canonical": bool(d.get("canonical")),
                "deprecated": bool(d.get("deprecated")),
                "queries_per_month": usage.get("queries_per_month"),
                "queries_text": number(usage.get("queries_per_month")) if usage else "—",
                "steps": steps,
                "from_canonical": from_canonical,
                "unattributed_cents": rest,
                "unattributed_formatted": format_signed_cents(rest) if rest else None,
            }
        )
    return {
        "period": audit.get("period"),
        "headline": audit.get("headline"),
        "canonical_cents": canon_cents,
        "canonical_formatted": format_cents(canon_cents) if isinstance(canon_cents, int) else None,
        "definitions": out,
    }


def metric_detail(project: Project, metric: Metric, summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the metric's page shows (its `.json` twin)."""
    audit = load_audit(project.root, metric.name)
    return {
        **summary,
        "trend": trend(project, metric),
        "sql": sql_text(project, metric),
        "lineage": lineage(project.root, metric, audit),
        "audit": audit_view(audit),
    }

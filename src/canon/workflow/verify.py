"""`canon verify`: is the canonical number still the number, and still the only one?

Checks, each pass/fail with what to do: sign-offs still match their definitions; dbt builds
and every test passes (real dbt for dbt projects); contract tests pass; the board number for
the current period (and the expected value, when given); every period against the baseline;
and drift — any non-deprecated model computing the metric with other decisions fails with
"MRR is defined N ways across M models" and the models named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from canon.audit.result import definition_headline
from canon.checks import contract_tests
from canon.compiler.question import value_column
from canon.contracts.spec import SIGNED_STATUSES
from canon.present.money import format_cents, format_signed_cents
from canon.workflow import baseline as baselines

if TYPE_CHECKING:
    from canon.project import Project


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    items: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail, "items": self.items}


@dataclass
class VerifyReport:
    checks: list[Check]
    board: dict[str, tuple[str, int | None]]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "board": {m: {"period": p, "value_cents": v, "value": format_cents(v)} for m, (p, v) in self.board.items()},
            "checks": [c.to_json() for c in self.checks],
        }


def signed_metrics(project: Project) -> list[str]:
    return sorted(n for n, m in project.metrics.items() if m.spec.status in SIGNED_STATUSES)


def check_signoffs(project: Project, metrics: list[str]) -> Check:
    bad = []
    for name in metrics:
        m = project.metric(name)
        so = m.spec.signoff
        if so is None:
            bad.append(f"{name}: status {m.spec.status.value} but no sign-off recorded")
        elif so.definition_hash != m.definition_hash():
            bad.append(
                f"{name}: edited after sign-off by {so.by} ({so.role}) on {so.at:%Y-%m-%d}: signed "
                f"{so.definition_hash[:19]}…, now {m.definition_hash()[:19]}… — re-approve with `canon approve {name}`"
            )
    if not metrics:
        return Check("sign-off", False, "no approved metric to verify (run `canon approve METRIC`)")
    return Check(
        "sign-off",
        not bad,
        "every definition is the one that was signed" if not bad else "definition changed after sign-off",
        bad,
    )


def check_contract_tests(project: Project, metrics: list[str]) -> Check:
    results = contract_tests.run(project, metrics)
    failed = [f"{r.metric}/{r.name}: {r.failures} offending row(s)" for r in results if not r.passed]
    return Check("contract tests", not failed, f"{len(results) - len(failed)} of {len(results)} passed", failed)


def board_numbers(
    project: Project, metrics: list[str], expected: dict[str, int]
) -> tuple[Check, dict[str, tuple[str, int | None]]]:
    period = project.config.current_period
    board: dict[str, tuple[str, int | None]] = {}
    problems = []
    for name in metrics:
        if not period:
            continue
        table = project.query(project.question([name], "month", period_from=period, period_to=period))
        col = value_column(project.metric(name))
        values = [r[col] for r in table.to_pylist() if r[col] is not None]
        value = int(values[0]) if values else None
        board[name] = (period, value)
        want = expected.get(name)
        if want is not None and value != want:
            actual = format_cents(value) if value is not None else "no value"
            problems.append(f"{name} {period}: {actual} but expected {format_cents(want)}")
    detail = "; ".join(f"{m} {p} = {format_cents(v)}" for m, (p, v) in board.items()) or "no current period set"
    return Check("board number", not problems, detail, problems), board


def check_baseline(project: Project, metrics: list[str]) -> Check:
    changes, exists = baselines.compare(project, metrics)
    if not exists:
        return Check("baseline", True, "no baseline stored yet (`canon baseline` records one)")
    items = [
        f"{c.metric} {c.period}: {format_cents(c.before)} → {format_cents(c.after)} ({format_signed_cents(c.delta)})"
        for c in changes
    ]
    return Check(
        "baseline",
        not changes,
        "every period matches the baseline" if not changes else f"{len(changes)} period(s) changed",
        items,
    )


def check_drift(project: Project, metric: str, run_audit: Callable[[], Any]) -> Check:
    """Every live model computing the metric must compute it the canonical way."""
    result = run_audit()
    canonical = result.canonical_vector
    live = [d for d in result.definitions if not d.deprecated]
    ways = result.distinct_definitions() if live else []
    live_ways = [[d for d in g if not d.deprecated] for g in ways]
    live_ways = [g for g in live_ways if g]
    offending = [d for d in live if canonical is None or not d.vector.same_definition(canonical)]
    label = result.label
    headline = definition_headline(label, len(live_ways), len(live))
    items = [f"{d.model} ({d.path}): {format_cents(d.value_cents)} for {result.period.label}" for d in offending]
    return Check("drift", not offending, headline if offending else f"{headline}: the canonical one", items)


def run_dbt_build(project: Project, select: list[str] | None = None) -> Check:
    """Real `dbt build` (models and their tests), each failing node named."""
    args = ["build", *(["--select", *select] if select else [])]
    run = project.run_dbt(args, check=False)  # canon.yml's profile and target; closes the warehouse first
    failed = [f"{n.resource_type} {n.name}: {n.status} {(n.message or '').strip()}".strip() for n in run.failed()]
    if not run.results and run.errors:
        failed.extend(run.errors)
    detail = f"{len(run.results) - len(run.failed())} of {len(run.results)} nodes passed"
    return Check("dbt build", run.success and not failed, detail, failed)

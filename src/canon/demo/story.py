"""The ACME story that `make demo` tells: orient, diverge, align, build, verify — and a drift caught.

Each act is one function over the same project, and each prints what a data lead would show a
CEO: three numbers, why they differ and by how much, the proposed definition with precedent and
the calls only a person can make, the sign-off, the layer built, the board number confirmed, and
a fourth definition that the drift guard refuses. Every step is one `Project` method; this
module only tells it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from canon.audit.report.common import untraced as untraced_commit
from canon.audit.report.html import write_html
from canon.audit.result import AuditResult
from canon.audit.words import decision_name
from canon.present.money import format_cents, format_signed_cents
from canon.project import Project, load_project
from canon.workflow.propose import Proposal
from canon.workflow.verify import Check, VerifyReport

ROGUE = "fct_mrr_ops_dashboard"


@dataclass
class StoryResult:
    root: Path
    board_cents: int | None = None
    verified: VerifyReport | None = None
    drift: Check | None = None
    report_html: Path | None = None
    postmortem: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _act(console: Console, title: str, subtitle: str) -> None:
    console.print()
    console.print(Rule(f"[bold]{title}[/] · {subtitle}", align="left"))


def diverge(console: Console, audit: AuditResult) -> None:
    console.print(
        Panel(Text(audit.headline(), style="bold"), title=f"canon audit --metric mrr --period {audit.period.label}")
    )
    table = Table(header_style="bold")
    for col, just in (
        ("model", "left"),
        ("figure", "right"),
        ("gap (definition − board)", "right"),
        ("reproduced", "center"),
        ("queries/mo", "right"),
        ("last queried", "left"),
    ):
        table.add_column(col, justify=just, no_wrap=just == "right")  # type: ignore[arg-type]
    for d in audit.definitions:
        u = d.usage
        table.add_row(
            d.model,
            format_cents(d.value_cents),
            format_signed_cents(d.value_cents - (audit.canonical_cents or 0)),
            "✓ to the cent" if d.reproduced else f"✗ {format_cents(d.residual_cents)}",
            f"{u.queries_per_month:g}" if u else "—",
            (u.last_queried or "never")[:10] if u else "—",
        )
    console.print(table)
    for d in audit.definitions:
        if not d.bridge:
            continue
        console.print(
            f"[bold]{d.model}[/] against the board number, the price of each decision "
            "(definition − canonical; the same in every order):"
        )
        for s in d.bridge.steps:
            console.print(f"    {format_signed_cents(s.impact_cents):>15}  {s.label}")
        console.print(f"    {format_signed_cents(d.bridge.gap_cents):>15}  [bold]= the gap[/]")
    untraced = [(d.model, c) for d in audit.definitions for c in d.history if untraced_commit(c)]
    if untraced:
        console.print("[bold]Archaeology[/] — decisions nobody can trace (no ticket, or never committed):")
        for model, c in untraced:
            what = decision_name(c.decision)
            if "uncommitted" in c.flags:
                console.print(f"    {model}: {what} is only in the working copy, never committed")
                continue
            console.print(
                f"    {model}: {what} came in {c.sha[:7]} by {c.author} on {c.date[:10]}, "
                f"“{c.message.splitlines()[0]}” [red]({', '.join(c.flags)})[/]"
            )


def align(console: Console, proposal: Proposal) -> None:
    closest = proposal.closest
    console.print(
        f"Proposed canonical {proposal.label}: [bold]{format_cents(proposal.value_cents)}[/] for {proposal.period}. "
        f"Closest existing model: [bold]{closest.model if closest else '—'}[/]."
    )
    console.print(Text(proposal.definition_text, style="italic"))
    for note in proposal.decisions:
        if not note.supports and not note.dissents:
            continue
        sup = ", ".join(dict.fromkeys(c.source.name.split(",")[0] for c in note.supports))
        dis = ", ".join(dict.fromkeys(c.source.name.split(",")[0] for c in note.dissents))
        console.print(
            f"  • {note.summary}"
            + (f" — [green]{sup}[/]" if sup else "")
            + (f"; against: [yellow]{dis}[/]" if dis else "")
        )
    console.print(
        "[bold]Judgment calls only a person can make[/] — a different question from the audit's prices: "
        "what the board number would become with one choice changed:"
    )
    for c in proposal.calls:
        for o in c.options:
            console.print(
                f"    {format_signed_cents(o.impact_cents):>15}  {c.key}: if the board number {o.label}  "
                f"[dim](as {', '.join(o.adopted_by)})[/]"
            )


MOVEMENTS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr")


def movements(console: Console, project: Project) -> None:
    """The year's MRR bridge from the movement contracts: opening + movements = the board number."""
    current = project.period()
    first = f"{current.start.year}-01"
    table = project.query([*MOVEMENTS, "nrr", "grr"], period_from=first, period_to=current.label)
    opening = project.query("mrr", period_from=f"{current.start.year - 1}-12", period_to=current.label)
    levels = {r["period"]: r["mrr_cents"] for r in opening.to_pylist()}
    out = Table(
        title=f"MRR movements and retention, {current.start.year} (canon query new_mrr … grr)", header_style="bold"
    )
    for col in ("month", "new", "expansion", "contraction", "churn", "reactivation", "NRR", "GRR"):
        out.add_column(col, justify="left" if col == "month" else "right")
    total = 0
    for r in table.to_pylist():
        cents = [r[f"{m}_cents"] or 0 for m in MOVEMENTS]
        total += sum(cents)
        ratios = [f"{Decimal(r[k]) / 100:.1f}%" if r[k] is not None else "—" for k in ("nrr", "grr")]
        out.add_row(r["period"], *[format_signed_cents(c) for c in cents], *ratios)
    console.print(out)
    start = levels.get(f"{current.start.year - 1}-12", 0)
    console.print(
        f"  MRR {format_cents(start)} at the end of {current.start.year - 1} "
        f"{format_signed_cents(total)} of movements = {format_cents(start + total)} "
        f"(board: {format_cents(levels.get(current.label, 0))})"
    )


def _print_checks(console: Console, report: VerifyReport) -> None:
    for c in report.checks:
        mark = "[green]✓[/]" if c.passed else "[red]✗[/]"
        console.print(f"  {mark} {c.name}: {c.detail}")
        for item in c.items[:5]:
            console.print(f"      [red]•[/] {item}")


def run_story(
    root: Path,
    console: Console,
    prepare: Callable[[], object],
    build_dbt: Callable[[], object],
    confirm: Callable[[Proposal], bool] | None = None,
) -> StoryResult:
    result = StoryResult(root)
    t0 = time.perf_counter()

    _act(console, "1. Orient", "the CEO asks which MRR is right")
    prepare()
    build_dbt()
    project = load_project(root)
    result.timings["orient"] = round(time.perf_counter() - t0, 1)

    _act(console, "2. Diverge", "every definition, every decision, priced to the cent")
    audit = project.audit("mrr")
    diverge(console, audit)

    _act(console, "3. Align", "a canonical definition with precedent, and one human decision")
    proposal = project.propose("mrr")
    align(console, proposal)
    if confirm is not None and not confirm(proposal):
        console.print("Not shipped. The proposal is saved in .canon/proposals/mrr.json; nothing was built.")
        return result
    record = project.approve(
        "mrr",
        "Dana Whitfield",
        "CFO",
        {"pending": "no", "expansion": "no", "pilots": "no"},
        note="Board MRR: recurring subscription revenue recognized in the month, accrual basis.",
    )
    console.print(f"Signed by [bold]{record.by} ({record.role})[/]: definition {record.definition_hash[:23]}…")

    _act(console, "4. Build", "one model, the orphans deprecated, the rules as tests")
    report = project.build("mrr", rewire=["fct_revenue_monthly"])
    console.print(
        f"Wrote {len(report.changed)} files: {report.canonical_model}, schema docs, a MetricFlow metric, "
        f"{sum(1 for p in report.changed if p.startswith('tests/'))} tests. "
        f"Rewired {', '.join(report.rewired)} (Finance keeps its dashboard); deprecated {', '.join(report.deprecated)}."
    )
    project.close()

    _act(console, "5. Verify", "the board number, the tests, the drift guard")
    project.baseline(["mrr"])
    verified = project.verify(["mrr"], {"mrr": 126_000_000})
    _print_checks(console, verified)
    board = verified.board.get("mrr", ("", None))[1]
    result.board_cents = board
    result.verified = verified
    console.print(
        Panel(Text(f"Board MRR for {project.config.current_period}: {format_cents(board)}", style="bold green"))
    )
    movements(console, project)

    _act(console, "6. Drift", "a fourth MRR appears a month later")
    rogue = root / "models" / "marts" / f"{ROGUE}.sql"
    rogue.write_text(
        "-- ops dashboard: MRR including invoices still pending\n"
        "select date_trunc('month', invoice_date) as month, sum(amount) as mrr\n"
        "from {{ ref('stg_invoices') }}\n"
        "where type = 'subscription' and status in ('paid', 'pending')\n"
        "group by 1\n"
    )
    drift = project.check_drift("mrr")
    result.drift = drift
    console.print(f"  [red]✗ canon verify: {drift.detail}[/]")
    for item in drift.items:
        console.print(f"      • {item}")
    console.print("  (exit code 1 in CI: the pull request adding it cannot merge)")
    rogue.unlink()

    _act(console, "7. Report", "for the CEO and the pull request")
    html = write_html(audit, root / "reports" / "mrr_audit.html")
    post = project.postmortem("mrr", root / "analyses" / "05_postmortem.md", report.canonical_model)
    result.report_html, result.postmortem = html, post
    console.print(f"  audit report: {html}")
    console.print(f"  postmortem:   {post}")
    result.timings["total"] = round(time.perf_counter() - t0, 1)
    console.print(f"\nDone in {result.timings['total']} s. Three numbers became one: {format_cents(board)}.")
    project.close()
    return result

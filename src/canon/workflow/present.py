"""Terminal and Markdown renderings of proposals, builds and verifications; the JSON of approve, build, baseline."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from canon.present.money import format_cents, format_signed_cents
from canon.workflow.build import BuildReport
from canon.workflow.signoff import SignOff
from canon.workflow.verify import VerifyReport

GAP = "gap (definition − proposal)"
CALLS_NOTE = (
    "Each option is its own question, not a bridge price: what the proposed board number would become "
    "with that one choice changed (the audit's bridges price each decision of a model against the "
    "canonical figure instead)."
)


def _short(source: str) -> str:
    """`Stripe Billing, billing metric definitions…` → `Stripe Billing`."""
    return source.split(",")[0].split(" (")[0]


def print_proposal(p: dict[str, Any], console: Console) -> None:
    console.print(f"[bold]Proposed canonical {p['label']}[/] — {format_cents(p['value_cents'])} for {p['period']}")
    console.print(p["definition"])
    table = Table(title="decisions and precedent", header_style="bold", show_lines=True)
    for col in ("decision", "what it says", "supports it", "argues against it"):
        table.add_column(col, overflow="fold")
    for n in p["decision_notes"]:
        table.add_row(
            n["key"],
            n["summary"] + (f"\n[dim]{n['note']}[/]" if n.get("note") else ""),
            "\n".join(_short(c["source"]) for c in n["supported_by"][:4]) or "—",
            "\n".join(_short(c["source"]) for c in n["dissent"][:3]) or "—",
        )
    console.print(table)
    models = Table(title=f"existing definitions (closest: {p['closest_model']})", header_style="bold")
    for col in ("model", "figure", GAP, "agreeing decisions", "must change"):
        right = col in ("figure", GAP)
        models.add_column(col, justify="right" if right else "left", no_wrap=right, overflow="fold")
    for m in p["models"]:
        models.add_row(
            m["model"],
            format_cents(m["value_cents"]),
            format_signed_cents(m["gap_cents"]),
            f"{m['agreeing_decisions']}/{m['decisions']}",
            "\n".join(m["changes"]) or "nothing",
        )
    console.print(models)
    console.print(f"\n[bold]Judgment calls for a person[/] ({p['period']}). {CALLS_NOTE}")
    for c in p["judgment_calls"]:
        console.print(f"• [bold]{c['key']}[/]: {c['question']}")
        for o in c["options"]:
            console.print(
                f"    if the board number {o['label']}: [bold]{format_signed_cents(o['impact_cents'])}[/] "
                f"[dim](as {', '.join(o['adopted_by'])})[/]"
            )
        if c.get("note"):
            console.print(f"    [dim]{c['note']}[/]")


def proposal_markdown(p: dict[str, Any]) -> str:
    out = [
        f"## Proposed canonical {p['label']}: {format_cents(p['value_cents'])} for {p['period']}",
        "",
        p["definition"],
        "",
        "| decision | what it says | supports it | argues against it |",
        "|---|---|---|---|",
    ]
    for n in p["decision_notes"]:
        sup = "; ".join(f"[{c['source']}]({c['url']})" for c in n["supported_by"][:4]) or "—"
        dis = "; ".join(f"[{c['source']}]({c['url']})" for c in n["dissent"][:3]) or "—"
        out.append(f"| `{n['key']}` | {n['summary']} | {sup} | {dis} |")
    out += ["", f"### Existing definitions (closest: `{p['closest_model']}`)", ""]
    for m in p["models"]:
        out.append(
            f"- `{m['model']}` {format_cents(m['value_cents'])} "
            f"({format_signed_cents(m['gap_cents'])} against the proposal, definition − proposal), "
            f"{m['agreeing_decisions']}/{m['decisions']} decisions agree"
        )
        for change in m["changes"]:
            out.append(f"  - {change}")
        if m["sql_diff"]:
            out += ["", "  ```diff", *["  " + ln for ln in m["sql_diff"].splitlines()], "  ```"]
    out += [
        "",
        "### Judgment calls",
        "",
        CALLS_NOTE,
        "",
        "| call | question | if the board number … | change to the board number | as |",
        "|---|---|---|---:|---|",
    ]
    for c in p["judgment_calls"]:
        for o in c["options"]:
            impact = format_signed_cents(o["impact_cents"])
            out.append(f"| `{c['key']}` | {c['question']} | {o['label']} | {impact} | {', '.join(o['adopted_by'])} |")
    return "\n".join(out) + "\n"


def print_build(report: BuildReport, console: Console) -> None:
    console.print(f"[bold]built[/] {report.canonical_model}")
    for path in report.changed:
        console.print(f"  [green]wrote[/] {path}")
    if report.unchanged:
        console.print(f"  {len(report.unchanged)} file(s) already up to date")
    if report.rewired:
        console.print("  rewired: " + ", ".join(report.rewired))
    if report.deprecated:
        until = f" (deprecation date {report.deprecation_date})" if report.deprecation_date else ""
        console.print("  deprecated: " + ", ".join(report.deprecated) + until, markup=False)
        for model, users in report.still_used.items():
            if users:
                who = ", ".join(f"{u.exposure} ({u.type}, owner {u.owner or 'not declared'})" for u in users)
                console.print(f"    {model} is still used by {who}", markup=False)


def print_verify(report: VerifyReport, console: Console) -> None:
    table = Table(title="canon verify", header_style="bold")
    for col in ("check", "result", "detail"):
        table.add_column(col)
    for c in report.checks:
        result = "[green]pass[/]" if c.passed else "[red]FAIL[/]"
        detail = c.detail + ("\n" + "\n".join(f"• {i}" for i in c.items[:8]) if c.items else "")
        table.add_row(c.name, result, detail)
    console.print(table)
    for metric, (period, value) in report.board.items():
        console.print(f"[bold]{metric} {period}: {format_cents(value)}[/]")


# -- stable JSON shapes of `canon approve | build | baseline --format json` (documented in README) -----
def approve_json(record: SignOff) -> dict[str, Any]:
    """`{"metric", "by", "role", "at", "definition_hash", "decisions", "note", "proposal"}`."""
    return record.to_json()


def build_json(metric: str, report: BuildReport) -> dict[str, Any]:
    """`{"metric", "canonical_model", "written", "unchanged", "deprecated", "rewired"}`: paths relative
    to the project; `written` is every file this run changed, nothing else was touched."""
    return {
        "metric": metric,
        "canonical_model": report.canonical_model,
        "written": list(dict.fromkeys(report.changed)),  # once each, in the order written
        "unchanged": list(dict.fromkeys(report.unchanged)),
        "deprecated": list(report.deprecated),
        "rewired": list(report.rewired),
    }


def baseline_json(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`{"path", "written_at", "metrics": {metric: {"periods", "values_cents": {period: cents}}},
    "definition_hashes"}`."""
    return {
        "path": path,
        "written_at": payload["written_at"],
        "metrics": {
            m: {"periods": len(values), "values_cents": dict(values)} for m, values in payload["metrics"].items()
        },
        "definition_hashes": payload.get("definition_hashes", {}),
    }

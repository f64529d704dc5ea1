"""`canon demo`: the ACME story end to end on the embedded DuckDB (what `make demo` runs).

A script over the `Project` facade: `figures` is act one (three teams, three numbers, and the
board number by hand-written SQL), `story` the rest (audit, propose, one sign-off, build,
verify, a drift caught, the reports).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from canon.dbt import DbtRun, run_dbt
from canon.demo.figures import Figures, TeamModel, figures, headline, render
from canon.demo.story import StoryResult, run_story
from canon.errors import Location, UserError
from canon.examples import ExampleOptions, check_destination, get_example, install
from canon.examples.acme.calendar import Timeline

__all__ = ["Figures", "StoryResult", "TeamModel", "build", "figures", "headline", "prepare", "run_demo"]


def prepare(folder: Path, current_period: str | None = None) -> Path:
    """Write the ACME example into `folder`, replacing a previous demo (never other files)."""
    target = Path(folder)
    if target.exists() and any(target.iterdir()) and not (target / "canon.yml").is_file():
        raise UserError(
            f"{folder} is not empty and is not a previous canon demo",
            location=Location(parameter="directory"),
            fix="pass a new folder to --dir (the demo replaces only a folder it created)",
        )
    checked = check_destination(target, force=True)
    example = get_example("acme")
    install(checked, lambda root: example.write(root, ExampleOptions(current_period=current_period)))
    return checked


def build(folder: Path) -> DbtRun:
    """`dbt build` the project: seeds, staging and team models, and every data test."""
    return run_dbt(folder, ["build"])


def run_demo(
    folder: Path, console: Console, current_period: str | None = None, interactive: bool = False
) -> StoryResult:
    """The whole ACME story: orient, diverge, align, build, verify, drift, report."""
    if current_period is not None:
        Timeline.parse(current_period, parameter="current_period")  # before any work
    root = Path(folder)

    def orient() -> None:
        with console.status("Writing the ACME example project…"):
            prepare(root, current_period)
        console.print(f"Wrote the ACME example to {root} (dbt project, 18 months of data, git history, BI query log)")

    def build_and_show() -> None:
        with console.status("Building it with dbt (seeds, models, tests)…"):
            run = build(root)
        console.print(f"dbt build: {len(run.results)} nodes, all passed")
        render(figures(root), console)

    confirm = _ask_to_ship(console) if interactive else None
    return run_story(root, console, orient, build_and_show, confirm)


def _ask_to_ship(console: Console) -> Callable[[object], bool]:
    def ask(_: object) -> bool:
        answer = console.input("\nType [bold]ship it[/] to sign as CFO and build the layer (anything else stops): ")
        return answer.strip().lower().rstrip("!.") == "ship it"

    return ask

"""Write the ACME example: the dbt project, its data and its git history, into an empty folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from canon.examples.acme.calendar import Timeline
from canon.examples.acme.entities import World
from canon.examples.acme.finish import build_world
from canon.examples.acme.history import COMMITS, QUERY_LOG, SEED_FILES, Commit, version_at
from canon.examples.acme.querylog import render_query_log
from canon.examples.acme.seeds import render_seeds
from canon.examples.gitrepo import GitRepo

DEFAULT_PERIOD = "2026-10"
PERIOD_TOKEN = "__CURRENT_PERIOD__"
GITIGNORE = "target/\ndbt_packages/\nlogs/*.log\nwarehouse.duckdb\nwarehouse.duckdb.wal\n.user.yml\n"


@dataclass(frozen=True)
class WrittenProject:
    root: Path
    timeline: Timeline
    world: World
    commits: int


def _templates() -> dict[str, str]:
    """Template path (relative, `/`-separated) → text, from the package data folder."""
    out: dict[str, str] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            path = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, path + "/")
            elif not child.name.startswith("."):
                out[path] = child.read_text(encoding="utf-8")

    walk(resources.files("canon.examples.acme").joinpath("templates"), "")
    return out


def final_files(world: World, timeline: Timeline) -> dict[str, str]:
    """Every file of the project at HEAD, by relative path."""
    files = {path: text.replace(PERIOD_TOKEN, timeline.label) for path, text in _templates().items()}
    files[".gitignore"] = GITIGNORE
    for name, text in render_seeds(world).items():
        files[f"seeds/{name}.csv"] = text
    files[QUERY_LOG] = render_query_log(timeline)
    return files


def _file_at(path: str, commit: Commit, final: dict[str, str], world: World, timeline: Timeline) -> str:
    if commit.as_of_month is not None and path in SEED_FILES:
        name = path.removeprefix("seeds/").removesuffix(".csv")
        return render_seeds(world, as_of=timeline.month_end(commit.as_of_month))[name]
    if commit.as_of_month is not None and path == QUERY_LOG:
        return render_query_log(timeline, as_of_month=commit.as_of_month)
    return version_at(path, final[path], commit.key)


def write_acme(root: Path, timeline: Timeline) -> WrittenProject:
    """Fill the empty folder `root` with the project, committing it file by file as history says."""
    world = build_world(timeline)
    final = final_files(world, timeline)
    committed = {path for commit in COMMITS for path in commit.files}
    if committed != set(final):
        raise AssertionError(f"history and files disagree: {sorted(committed ^ set(final))}")
    repo = GitRepo(root)
    repo.init()
    for commit in COMMITS:
        for path in commit.files:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_file_at(path, commit, final, world, timeline), encoding="utf-8")
        hh, mm = (int(part) for part in commit.time.split(":"))
        when = datetime.combine(timeline.day(commit.month, commit.day), time(hh, mm), tzinfo=UTC)
        repo.commit(commit.message, commit.author.name, commit.author.email, when)
    return WrittenProject(root, timeline, world, len(COMMITS))

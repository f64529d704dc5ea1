"""Run dbt in-process through its programmatic entry point (`dbtRunner`), for any command.

canon drives dbt the way a person would (`dbt build`, `dbt test`, `dbt parse`...), but
in-process so results come back as objects rather than text to scrape. Two rules:

* dbt runs with the project folder as the working directory, because profiles (ours
  included) use paths relative to the project, e.g. DuckDB's `path: warehouse.duckdb`;
  the working directory is process-wide, so invocations are serialized by a lock.
* Failures are canon errors: dbt that cannot start (bad project, profile, Jinja, SQL that
  does not compile) is a `UserError` naming the project file; nodes that ran and failed
  (a model erroring, a test finding rows) are `CheckFailed` with dbt's own messages.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canon.dbt.profile import inside, resolve_profiles_dir
from canon.errors import CheckFailed, Location, UserError

_OK = frozenset({"success", "pass", "warn", "skipped", "no-op"})
# Flags that keep dbt quiet and offline unless the caller asks for its console output.
_QUIET = ("--log-level", "none", "--no-send-anonymous-usage-stats")
_OFFLINE = ("--no-send-anonymous-usage-stats",)


@dataclass(frozen=True)
class NodeResult:
    """What happened to one node (model, seed, test, snapshot...) in a dbt invocation."""

    unique_id: str
    name: str
    resource_type: str
    status: str  # dbt's status: success, error, pass, fail, warn, skipped...
    message: str | None
    failures: int | None
    execution_time: float
    relation: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in _OK


@dataclass(frozen=True)
class DbtRun:
    """The outcome of one dbt invocation."""

    command: tuple[str, ...]
    project_dir: Path
    success: bool
    results: tuple[NodeResult, ...] = ()
    errors: tuple[str, ...] = field(default=())  # error-level messages dbt logged
    result: Any = field(default=None, repr=False)  # dbt's raw result (Manifest for `parse`, ...)

    def failed(self) -> tuple[NodeResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def node(self, name: str) -> NodeResult:
        """The result of the node called `name` (a model, seed or test name)."""
        for result in self.results:
            if result.name == name or result.unique_id == name:
                return result
        raise KeyError(name)


def release_connections() -> None:
    """Close what dbt keeps open in-process after a run.

    dbt-duckdb holds its DuckDB database open in a class-level environment; DuckDB lets one
    process open a file with one configuration only, so canon reading the warehouse after a
    build (read-only) would fail until that handle is closed.
    """
    from dbt.adapters.factory import cleanup_connections

    cleanup_connections()
    duckdb_connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if duckdb_connections is not None:
        manager = duckdb_connections.DuckDBConnectionManager
        with manager._LOCK:
            if manager._ENV is not None:
                with contextlib.suppress(Exception):
                    manager._ENV.close()
                manager._ENV = None


def _node_result(raw: Any) -> NodeResult:
    node = raw.node
    return NodeResult(
        unique_id=str(node.unique_id),
        name=str(node.name),
        resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
        status=str(getattr(raw.status, "value", raw.status)),
        message=raw.message,
        failures=raw.failures,
        execution_time=float(raw.execution_time or 0.0),
        relation=getattr(node, "relation_name", None),
    )


def run_dbt(
    project_dir: Path | str,
    args: Sequence[str],
    *,
    profiles_dir: Path | str | None = None,
    target: str | None = None,
    check: bool = True,
    echo: bool = False,
    cwd: Path | str | None = None,
) -> DbtRun:
    """Run `dbt <args>` on a project; raise on failure when `check` (the default).

    `args` is what follows `dbt` on a command line (e.g. `["build", "--select", "marts"]`);
    `--project-dir` and `--profiles-dir` are added here: `profiles_dir` when given (canon.yml
    `dbt.profiles_dir`), else where dbt itself would look (`DBT_PROFILES_DIR`, the project's
    own profiles.yml, `~/.dbt`); `target` when given, else dbt's (`DBT_TARGET`, the profile's). With
    `echo`, dbt prints its usual console output; otherwise it is silent and errors are
    collected into the exception message. `cwd` is the working directory when it is not the
    project folder: canon's copy of a project (`canon.audit.load`) still resolves the profile's
    relative paths (a DuckDB file) against the real project.
    """
    if not args:
        raise UserError("no dbt command given", location=Location(parameter="args"), fix="pass e.g. ['build']")
    project = Path(project_dir).resolve()
    if not (project / "dbt_project.yml").is_file():
        raise UserError(
            f"{project} is not a dbt project (no dbt_project.yml)",
            location=Location(file=str(project / "dbt_project.yml")),
            fix="point canon at the folder that holds dbt_project.yml (canon.yml `dbt.project_dir`)",
        )
    profiles = resolve_profiles_dir(project, profiles_dir).path
    command = [*args, "--project-dir", str(project), "--profiles-dir", str(profiles)]
    if target:
        command += ["--target", target]
    command += list(_OFFLINE if echo else _QUIET)

    from dbt.cli.main import dbtRunner  # heavy import: only when dbt is really used

    errors: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level == "error" and event.info.msg:
            errors.append(str(event.info.msg))

    with inside(Path(cwd) if cwd is not None else project):  # one dbt at a time: cwd, flags, adapters are process-wide
        try:
            outcome = dbtRunner(callbacks=[collect]).invoke(command)
        finally:
            release_connections()

    raw_results = getattr(outcome.result, "results", None) or []
    results = tuple(_node_result(r) for r in raw_results if getattr(r, "node", None) is not None)
    run = DbtRun(tuple(args), project, bool(outcome.success), results, tuple(errors), outcome.result)
    if outcome.exception is not None:
        message = str(outcome.exception).strip() or type(outcome.exception).__name__
        raise UserError(
            f"dbt {args[0]} could not run: {message}",
            location=Location(file=str(project / "dbt_project.yml")),
            fix="fix the project so that `dbt parse` succeeds (run with --debug for dbt's full output)",
        )
    if check and not run.success:
        raise CheckFailed(_failure_message(run))
    return run


def _failure_message(run: DbtRun) -> str:
    failed = run.failed()
    if not failed:
        detail = "; ".join(run.errors) or "no node reported an error"
        return f"dbt {run.command[0]} failed in {run.project_dir}: {detail}"
    lines = [f"dbt {run.command[0]} failed in {run.project_dir}: {len(failed)} of {len(run.results)} nodes"]
    for node in failed:
        message = (node.message or "").strip().replace("\n", " ")
        lines.append(f"  - {node.resource_type} {node.name}: {node.status}" + (f" ({message})" if message else ""))
    return "\n".join(lines)

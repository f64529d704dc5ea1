"""The `canon` command: a Typer app whose commands are thin shells over the Project facade.

Each command lives in its own module under `canon.cli` and registers itself on `app`;
`main()` is the single place where errors become one-paragraph messages and exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
import typer
from rich.console import Console

from canon.errors import CanonError, UserError

# The library names parameters by meaning (Python keywords); the CLI spells them as flags.
CLI_SPELLING = {
    "metric": "METRIC",
    "metrics": "METRICS",
    "grain": "--grain",
    "by": "--by",
    "where": "--where",
    "period": "--period",
    "period_from": "--from",
    "period_to": "--to",
    "dialect": "--dialect",
    "sql_dir": "--sql-dir",
    "query_log": "--query-log",
    "compare": "--compare",
    "window": "--window",
    "trailing": "--trailing",
    "manifest": "--manifest",
    "static": "--static",
    "select": "--select",
    "exclude": "--exclude",
    "model_timeout": "--model-timeout",
    "decisions": "--decide",
    "proposal": "--proposal",
    "expect": "--expect",
    "rewire": "--rewire",
    "section": "--section",
    "level": "--level",
    "key": "--key",
    "grouping": "GROUPING",
    "engine": "--engine",
    "dsn": "--dsn",
    "only": "--only",
    "files": "FILES",
    "project": "--project",
    "current_period": "--current-period",
    "scale": "--scale",
    "example": "--example",
    "profiles_dir": "--profiles-dir",
    "target": "--target",
    "folder": "DIR",
    "rows": "--rows",
    "directory": "DIR",
}
# Where a command spells a name otherwise (`canon audit --metric mrr`, not `canon audit mrr`).
COMMAND_SPELLING = {
    "audit": {"metric": "--metric"},
    "generate": {"example": "EXAMPLE"},
    "demo": {"directory": "--dir"},
}

app = typer.Typer(
    name="canon",
    help="canon: one definition per metric. Audit, propose, approve, build, verify and serve metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors (for bug reports)."),
) -> None:
    _state["debug"] = debug


def _register_commands(args: Sequence[str] = ()) -> None:
    """Import the module of the command named in `args` (all of them for help or an unknown name)."""
    from canon.cli.commands import register

    register(_command_name(args))


def _command_name(args: Sequence[str]) -> str | None:
    """The first word that is not a root option (`canon --debug query …` → `query`)."""
    for arg in args:
        if arg in ("--help", "-h"):
            return None
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the app, turn canon errors into a message and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    _register_commands(args)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        try:
            rv = app(args=args, prog_name="canon", standalone_mode=False)
        finally:
            facade = sys.modules.get("canon.project")  # a command that never opened a project skips this
            if facade is not None:
                facade.close_all()
    except CanonError as exc:
        if _state["debug"] or "--debug" in args:
            raise
        if isinstance(exc, UserError):
            exc = exc.spelled(CLI_SPELLING | COMMAND_SPELLING.get(_command_name(args) or "", {}))
        label = "error" if exc.exit_code == 2 else "failed"
        err.print(f"[bold red]{label}:[/] {exc.render()}", markup=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, click.exceptions.Abort):
        err.print("aborted")
        sys.exit(130)
    except (typer.TyperException, click.ClickException) as exc:
        # Typer vendors its own click: usage errors (a missing argument, an unknown option) are
        # typer.TyperException subclasses, not click's. Both print usage and the error, no traceback.
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            err.print(f"error: {exc}")
        code = getattr(exc, "exit_code", 2)
        sys.exit(code if code in (0, 1) else 2)
    except (typer.Exit, click.exceptions.Exit) as exc:
        sys.exit(exc.exit_code)
    if isinstance(rv, int) and rv != 0:
        sys.exit(rv)

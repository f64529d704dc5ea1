"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import typer

from canon.errors import Location, UserError

ProjectOption = typer.Option(
    Path("."), "--project", "-p", help="Project folder (holding canon.yml); default: the current folder."
)
FormatOption = typer.Option("table", "--format", "-f", help="Output format: table, csv, json.")


def require_format(fmt: str, allowed: tuple[str, ...]) -> None:
    """An output format this command can write, else a parameter error listing the ones it can."""
    if fmt not in allowed:
        raise UserError(
            f"unknown format `{fmt}`", location=Location(parameter="--format"), fix=f"use {', '.join(allowed)}"
        )


def key_values(items: list[str], flag: str, fix: str, what: str = "KEY=VALUE") -> dict[str, str]:
    """`KEY=VALUE` flags (`--decide pending=no`) as a dict; a malformed one names the flag."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} `{item}` is not {what}", location=Location(parameter=flag), fix=fix)
        found[key.strip()] = value.strip()
    return found

"""Writing what `canon init` found: a minimal canon.yml, and `.canon/` kept out of git.

canon.yml stays small and points at the dbt project instead of copying it: which profile
folder and target to use only when they were chosen explicitly (the connection itself stays
in profiles.yml), the raw tables with their keys, the edges, the current period. No
`warehouse:` block, so canon runs where the dbt profile points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from canon.dbtproject.manifest import RawSchema
from canon.errors import Location, UserError
from canon.fsutil import atomic_write_text

CONFIG_FILE = "canon.yml"
GITIGNORE = ".gitignore"
#: canon's own state: the serve cursor key, the audit store, baselines
CANON_STATE = ".canon/"


class _Quoted(str):
    """A string YAML must quote (`2026-10` reads back as text either way, but says so)."""


yaml.SafeDumper.add_representer(
    _Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


@dataclass(frozen=True)
class DbtChoice:
    """The profile folder and target given explicitly to `canon init` (None: dbt's default)."""

    profiles_dir: str | None = None
    target: str | None = None


def refuse_existing(root: Path, force: bool) -> None:
    """A canon.yml someone wrote is not replaced without `force` (checked before any work)."""
    path = root / CONFIG_FILE
    if path.exists() and not force:
        raise UserError(
            f"{path} already exists",
            location=Location(file=str(path)),
            fix="keep it, or pass --force to replace it with one read from the dbt project",
        )


def config_text(name: str, schema: RawSchema, choice: DbtChoice, current_period: str | None, header: list[str]) -> str:
    """canon.yml's text: comment lines, then the configuration (keys in a fixed order)."""
    doc: dict[str, object] = {"name": name}
    dbt = {k: v for k, v in (("profiles_dir", choice.profiles_dir), ("target", choice.target)) if v}
    if dbt:
        doc["dbt"] = dbt
    if current_period:
        doc["current_period"] = _Quoted(current_period)
    sources: dict[str, dict[str, object]] = {}
    for table in schema.tables.values():
        entry: dict[str, object] = {"relation": table.relation}
        if table.key():
            entry["primary_key"] = table.key()
        sources[table.name] = entry
    if sources:
        doc["sources"] = sources
    if schema.edges:
        doc["relationships"] = [
            {"from": f"{e.child_table}.{e.child_column}", "to": f"{e.parent_table}.{e.parent_column}"}
            for e in schema.edges
        ]
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    return comments + body


def write_config(root: Path, text: str) -> Path:
    path = root / CONFIG_FILE
    atomic_write_text(path, text)
    return path


def ignore_canon_state(root: Path) -> bool:
    """Add `.canon/` to the project's .gitignore (created if missing); False when already there."""
    path = root / GITIGNORE
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    wanted = {CANON_STATE, CANON_STATE.rstrip("/"), "/" + CANON_STATE, "/" + CANON_STATE.rstrip("/")}
    if any(line.strip() in wanted for line in existing.splitlines()):
        return False
    separator = "" if not existing or existing.endswith("\n") else "\n"
    atomic_write_text(
        path, f"{existing}{separator}# canon's local state (cursor key, audit store, baselines)\n{CANON_STATE}\n"
    )
    return True

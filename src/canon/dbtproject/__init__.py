"""`canon init` in an existing dbt project: a minimal canon.yml that reads the project as it is.

A new user has a dbt project that works (`dbt build` is green) and no time to describe it
again. Everything canon needs is already there: the profile says where the warehouse is, the
manifest says which tables are raw (sources and seeds), the tests and constraints say their
keys and joins, and the data says which month is the latest complete one. This package reads
each from its owner — dbt's profile loader (`canon.dbt.profile`), dbt's own parse
(`manifest`), the warehouse through the profile's adapter (`period`) — and writes the result
(`writer`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canon.dbt.profile import DbtTarget, resolve_target
from canon.dbtproject.manifest import Edge, RawSchema, RawTable, read_raw_schema
from canon.dbtproject.period import PeriodFinding, find_current_period
from canon.dbtproject.writer import DbtChoice, config_text, ignore_canon_state, refuse_existing, write_config
from canon.errors import CanonError, CheckFailed, Location, UserError

#: where `canon init` asks dbt to write its parse, so the user's own target/ is never touched
PARSE_TARGET = ".canon/dbt-parse"
PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's saved parse state, in its target path
MAX_PARSE_RETRIES = 25  # models whose Jinja raises while dbt parses, set aside one by one

__all__ = ["Edge", "InitReport", "RawSchema", "RawTable", "init_dbt_project", "read_raw_schema"]


@dataclass
class InitReport:
    """What `canon init` found and wrote, for the command to print."""

    root: Path
    config_path: Path
    target: DbtTarget
    schema: RawSchema
    period: PeriodFinding
    gitignore_changed: bool
    replaced: bool  # an existing canon.yml was replaced (--force)
    notes: list[str] = field(default_factory=list)  # raw tables, keys or joins left out, and why
    warnings: list[str] = field(default_factory=list)  # what dbt could not parse (missing packages: `dbt deps`)
    manifest: str = ""  # where the project's raw tables were read from (a fresh manifest, or dbt parse)


def init_dbt_project(
    folder: str | Path,
    *,
    profiles_dir: str | Path | None = None,
    target: str | None = None,
    force: bool = False,
    today: dt.date | None = None,
) -> InitReport:
    """Write `folder/canon.yml` from the dbt project in `folder`; see the module docstring.

    `profiles_dir` / `target` are recorded in canon.yml only when given (otherwise dbt's own
    resolution applies every time canon runs dbt). `today` fixes the date a month must have
    ended by to count as complete (tests); default: the local date.
    """
    root = Path(folder).resolve()
    profiles_dir = Path(profiles_dir).expanduser().resolve() if profiles_dir is not None else None
    if not (root / "dbt_project.yml").is_file():
        raise UserError(
            f"{root} is not a dbt project (no dbt_project.yml)",
            location=Location(file=str(root / "dbt_project.yml")),
            fix="run `canon init` in the folder holding dbt_project.yml, or `canon init --example acme DIR` "
            "for an example",
        )
    replaced = (root / "canon.yml").exists()
    refuse_existing(root, force)
    resolved = resolve_target(root, profiles_dir=profiles_dir, target=target)
    reused = _fresh_manifest(root, resolved)
    parse_notes: list[str] = []
    if reused is not None:
        from canon.dbt.project_files import missing_packages

        parsed, macros = reused[1], _saved_parse(reused[0].parent, root)
        source = f"{reused[0].relative_to(root)} (written after every project file; no dbt parse)"
        parse_notes = [line] if (line := missing_packages(root)) is not None else []
    else:
        parsed, parse_notes, macros = _parse(root, profiles_dir, target)
        source = f"dbt parse into {PARSE_TARGET}"
    schema = read_raw_schema(parsed)
    period = _current_period(root, schema, profiles_dir, target, today or dt.date.today(), macros)
    choice = DbtChoice(_relative(root, profiles_dir), target)
    header = [
        "Written by `canon init` from the dbt project as it is. No `warehouse:` block: canon runs",
        f"through the dbt profile `{resolved.profile}` (target `{resolved.target}`, {resolved.adapter_type}).",
        "Sources and seeds are raw tables; keys and relationships come from dbt tests and constraints.",
    ]
    if period.period is None:
        header.append(f"current_period left out: {period.reason}.")
    path = write_config(root, config_text(_project_name(root), schema, choice, period.period, header))
    changed = ignore_canon_state(root)
    return InitReport(
        root, path, resolved, schema, period, changed, replaced and force, list(schema.skipped), parse_notes, source
    )


def _fresh_manifest(root: Path, resolved: DbtTarget) -> tuple[Path, dict[str, object]] | None:
    """A manifest already on disk that says what `dbt parse` would say now, and its data.

    Parsing a 500-model project costs seconds that `dbt build` or `dbt compile` has already
    spent: the user's `target/manifest.json` (read, never written), or canon's own from an
    earlier audit or init, is reused when it was written after every project file
    (`written_after_sources`) and for this target — its adapter, and the database and schema
    of its models and seeds (a manifest from another target names other relations).
    """
    from canon.dbt.project_files import project_yml, written_after_sources

    user = root / str(project_yml(root).get("target-path", "target")) / "manifest.json"
    for manifest in (user, root / ".canon" / "dbt-target" / "manifest.json", root / PARSE_TARGET / "manifest.json"):
        if not written_after_sources(manifest, root):
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and _written_for(data, resolved):
            return manifest, data
    return None


def _saved_parse(folder: Path, root: Path) -> Any:
    """dbt's saved parse beside a reused manifest (`partial_parse.msgpack`) as a `Manifest`, for
    its macros: reading it takes a fraction of parsing dbt's ~600 macros again. None when there
    is none, it is older than a project file, it was written by another dbt version, or it does
    not load — the adapter then parses the macros itself."""
    from canon.dbt.project_files import written_after_sources

    saved = folder / PARTIAL_PARSE
    if not written_after_sources(saved, root):
        return None
    try:
        from dbt.contracts.graph.manifest import Manifest
        from dbt.version import __version__

        manifest = Manifest.from_msgpack(saved.read_bytes())
        return manifest if manifest.metadata.dbt_version == __version__ and manifest.macros else None
    except Exception:  # an unreadable or foreign file is only a missed shortcut
        return None


def _written_for(data: dict[str, object], resolved: DbtTarget) -> bool:
    """Whether a manifest was written for `resolved`'s adapter, database and schema."""
    meta = data.get("metadata")
    if not isinstance(meta, dict) or meta.get("adapter_type") != resolved.adapter_type:
        return False
    nodes = data.get("nodes")
    built = [
        n for n in (nodes.values() if isinstance(nodes, dict) else []) if n.get("resource_type") in ("model", "seed")
    ]
    database, schema = (resolved.database or "").lower(), (resolved.schema or "").lower()
    return bool(built) and all(
        (not database or str(n.get("database") or "").lower() == database)
        and str(n.get("schema") or "").lower().startswith(schema)
        for n in built
    )


def _parse(root: Path, profiles_dir: str | Path | None, target: str | None) -> tuple[dict[str, object], list[str], Any]:
    """dbt's own parse of the project, written under `.canon/` (never the user's target/), notes,
    and dbt's `Manifest` (its macros serve the period query: no second macro parse).

    The user's `target/partial_parse.msgpack`, when newer than canon's, is copied beside canon's
    parse first (theirs is only read): dbt then re-parses only what changed since their last
    run, and falls back to a full parse itself when that file does not match.

    Packages named but not installed make dbt refuse the whole project, and a model whose Jinja
    raises while parsing stops every other: either way canon parses its copy of the project
    (`canon.dbt.project_files.link_project`: no packages.yml, those models as stubs), since the raw
    tables, keys and joins init reads do not depend on them. The notes say what was left out.
    """
    from canon.dbt.project_files import (
        link_project,
        missing_package_names,
        missing_packages,
        node_error,
        package_callers,
    )
    from canon.dbt.runner import run_dbt

    out = root / PARSE_TARGET
    _seed_partial_parse(root, out)
    names = missing_package_names(root)
    stubs = package_callers(root, names) if names is not None else {}
    copied = names is not None
    notes = [line] if (line := missing_packages(root)) is not None else []
    for _ in range(MAX_PARSE_RETRIES + 1):
        folder = link_project(root, set(stubs), names is not None) if copied else root
        try:
            run = run_dbt(
                folder, ["parse", "--target-path", str(out)], profiles_dir=profiles_dir, target=target, cwd=root
            )
        except UserError as exc:
            found = node_error(exc.message)
            path = root / found[1] if found is not None else None
            if path is None or path in stubs or not path.is_file():
                if notes:  # the one line that says why before dbt's own
                    raise UserError(f"{notes[0]}; {exc.message}", location=exc.location, fix="run `dbt deps`") from exc
                raise
            stubs[path], copied = found[2] if found is not None else "", True
            continue
        break
    else:
        raise CheckFailed(f"dbt parse: more than {MAX_PARSE_RETRIES} models fail to parse")
    if stubs:
        names_out = ", ".join(sorted(p.stem for p in stubs))
        notes.append(f"models whose Jinja could not be parsed, read without their SQL: {names_out}")
    manifest = out / "manifest.json"
    if not manifest.is_file():
        raise CheckFailed(f"dbt parse wrote no manifest at {manifest}")
    data: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
    return data, notes, run.result


def _seed_partial_parse(root: Path, out: Path) -> None:
    """Start canon's parse from the user's last one (see `_parse`); their file is only read."""
    from canon.dbt.project_files import project_yml

    theirs = root / str(project_yml(root).get("target-path", "target")) / PARTIAL_PARSE
    ours = out / PARTIAL_PARSE
    if theirs.is_file() and (not ours.is_file() or ours.stat().st_mtime < theirs.stat().st_mtime):
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(theirs, ours)


def _current_period(
    root: Path,
    schema: RawSchema,
    profiles_dir: str | Path | None,
    target: str | None,
    today: dt.date,
    macros: Any = None,
) -> PeriodFinding:
    """The last complete month, queried through the profile's adapter; unreachable → none, and why.

    `macros` is the `Manifest` of the parse just run, whose macros the adapter's catalog queries
    use instead of parsing dbt's macros a second time (None: the adapter parses them)."""
    from canon.engines.dbt_adapter import DbtAdapterEngine

    engine = None
    try:
        engine = DbtAdapterEngine(root, profiles_dir=profiles_dir, target=target, macros=macros)
        return find_current_period(engine, [(t.name, t.schema) for t in schema.tables.values()], today)
    except CanonError as exc:
        reason = " ".join(str(exc).split())
        return PeriodFinding(None, None, f"the warehouse could not be queried ({reason[:300]})")
    finally:
        if engine is not None:
            engine.close()


def _relative(root: Path, profiles_dir: Path | None) -> str | None:
    """The profiles folder as canon.yml records it: relative to the project when inside it."""
    if profiles_dir is None:
        return None
    return str(profiles_dir.relative_to(root)) if profiles_dir.is_relative_to(root) else str(profiles_dir)


def _project_name(root: Path) -> str:
    import yaml

    data = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    name = data.get("name") if isinstance(data, dict) else None
    return str(name or root.name)

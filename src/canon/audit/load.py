"""Where an audit's models come from: dbt's compiled manifest, or a folder of plain SQL.

A dbt project is read the way its own users read it, and never written into:

* `target/manifest.json` is reused when it is fresh (`manifest_is_fresh`): written after every
  file that can change what dbt compiles, and holding compiled SQL for every model the audit
  reads. `--manifest PATH` (`LoadOptions.manifest`) uses a given manifest as it is.
* Otherwise canon runs `dbt compile` with `--target-path .canon/dbt-target`, so the user's
  `target/` (their manifest, their partial parse, their compiled SQL) is never overwritten.
* dbt 1.11 stops the whole `dbt compile` at the first model whose Jinja raises ("Compilation
  Error in model X (path)"), and writes no compiled SQL for any model. canon records that
  model with dbt's own message, compiles again without it (`--exclude`), and repeats — so one
  broken model is one row of the report and the rest are audited.
* `packages.yml` without its installed packages is said once ("run `dbt deps`") as a note of
  the report. dbt refuses to parse such a project at all, so what the models are is read from
  an earlier manifest if there is one (stale, and said so). Without one, canon compiles its
  own copy of the project (`.canon/dbt-nodeps/project`: links to the project's files, never
  copies, without packages.yml): a model file that calls a missing package's macros
  (`dbt_utils.…`) is replaced there by a stub and set aside as a row — before dbt parses, since
  a package macro in a `config()` fails the parse of the whole project, not one model — and
  a model that reaches them through the project's own macros fails to compile and is set
  aside by the retry above, with dbt's message. Every other model is audited.
* `--select`/`--exclude` are dbt's own selection syntax, passed to dbt (`dbt ls` for a reused
  manifest), and the audit reads only the selected models; analyses are read when asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from canon.audit.sources import ModelSet, from_manifest, from_sql_dir
from canon.dbt.project_files import (
    NODEPS,
    link_project,
    missing_package_names,
    missing_packages,
    node_error,
    package_callers,
    project_yml,
    written_after_sources,
)
from canon.errors import CanonError, CheckFailed, Location, UserError

if TYPE_CHECKING:
    from canon.project import Project  # annotations only: the facade stands above the audit

CANON_TARGET = ".canon/dbt-target"  # where canon's own `dbt compile` writes, never the user's target/
MAX_COMPILE_RETRIES = 25  # broken models set aside one by one before giving up on the rest


@dataclass(frozen=True)
class LoadOptions:
    """How the models of a dbt project are chosen and read (the audit's dbt-facing flags)."""

    manifest: Path | None = None  # use this manifest as it is (no freshness check, no compile)
    select: tuple[str, ...] = ()  # dbt selection syntax, as `dbt compile --select`
    exclude: tuple[str, ...] = ()
    include_analyses: bool = False  # read dbt analyses as models too


def is_dbt_project(root: Path) -> bool:
    return (root / "dbt_project.yml").exists()


def manifest_is_fresh(manifest: Path, root: Path, models: Iterable[str] | None = None) -> bool:
    """Whether `manifest` says what `dbt compile` would say now, so it can be reused.

    Fresh means: it exists, it was written after every file `source_files` lists (mtime, the
    rule make uses: a file saved after the manifest makes it stale), and every enabled model
    in it — or every one of `models` — has compiled SQL (a manifest from `dbt parse` or
    `dbt ls` has none; one from `dbt run -s x` has it for x only). What cannot be seen from
    files (environment variables, `--vars` given on the command line, the target chosen) is
    not checked: `--manifest` is how a user vouches for one.
    """
    if not written_after_sources(manifest, root):
        return False
    try:
        nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        return False
    wanted = set(models) if models is not None else None
    for node in nodes.values():
        if node.get("resource_type") != "model" or not node.get("config", {}).get("enabled", True):
            continue
        if wanted is not None and node.get("name") not in wanted:
            continue
        if not (node.get("compiled_code") or node.get("compiled_sql")):
            return False
    return True


def _selection_args(options: LoadOptions) -> list[str]:
    args: list[str] = []
    if options.select:
        args += ["--select", *options.select]
    if options.exclude:
        args += ["--exclude", *options.exclude]
    return args


def _selected(project: Project, options: LoadOptions) -> set[str]:
    """Names of the selected models (and analyses when asked) by dbt's own selector (`dbt ls`)."""
    kinds = ["--resource-type", "model", *(["--resource-type", "analysis"] if options.include_analyses else [])]
    run = project.run_dbt(["ls", *_selection_args(options), *kinds, "--output", "name"])
    names = run.result if isinstance(run.result, list) else []
    return {str(n).split(".")[-1] for n in names}


def compile_dbt(
    project: Project, options: LoadOptions = LoadOptions(), *, packages: list[str] | None = None
) -> tuple[Path, dict[str, str]]:
    """Run `dbt compile` into canon's own target path; return the manifest and the broken models.

    `Project.run_dbt` uses canon.yml's profile folder and target and closes the project's
    warehouse connection first (dbt opens the same DuckDB file itself). A model whose
    compilation raises is set aside with dbt's own message and the rest compiled again (see
    the module docstring); the second value maps each to that message. Tests are not compiled
    (the audit reads models; a test calling a missing package's macro would stop the rest).

    A model that fails again once excluded failed while dbt parsed the project (parsing reads
    every file, selected or not): from then on canon compiles its own copy of the project
    (`NODEPS/project`, links to the real files) with that model's file replaced by a stub.
    With `packages` (the namespaces packages.yml names but that are not installed) that copy
    is used from the start, without packages.yml, and the models calling them are stubs.
    """
    root = project.root
    stubs: dict[Path, str] = package_callers(root, packages) if packages is not None else {}
    broken = {p.stem: why for p, why in stubs.items()}
    copied = packages is not None
    target = root / (f"{NODEPS}/target" if packages is not None else CANON_TARGET)
    for _ in range(MAX_COMPILE_RETRIES + 1):
        exclude = (*options.exclude, *broken, "resource_type:test", "resource_type:unit_test")
        args = ["compile", "--target-path", str(target), *_selection_args(LoadOptions(select=options.select))]
        args += ["--exclude", *exclude]
        try:
            project.run_dbt(args, project_dir=link_project(root, set(stubs), packages is not None) if copied else None)
        except CanonError as exc:
            found = node_error(exc.message if isinstance(exc, UserError) else str(exc))
            if found is None:
                raise
            name, path, why = found[0], root / found[1], found[2]
            if name not in broken:
                missing = [n for n in packages or () if re.search(rf"\b{re.escape(n)}\b", why)]
                if missing:
                    why += f" (the {missing[0]} package is not installed: run `dbt deps`)"
                broken[name] = why
                if copied and path.is_file():
                    stubs[path] = why  # a stub is cheap in the copy, and spares a second run if it fails parsing
            elif path in stubs or not path.is_file():
                raise
            else:
                stubs[path], copied = broken[name], True
            continue
        manifest = target / "manifest.json"
        if not manifest.exists():
            raise CheckFailed(f"dbt compile wrote no manifest at {manifest}")
        return manifest, broken
    raise CheckFailed(
        f"dbt compile: more than {MAX_COMPILE_RETRIES} models do not compile ({', '.join(sorted(broken))}, …)"
    )


def load_models(
    project: Project,
    sql_dir: Path | None = None,
    dialect: str | None = None,
    options: LoadOptions | None = None,
    *,
    static: bool = False,
) -> ModelSet:
    """The models an audit reads. In a `static` SQL folder the raw tables are those the SQL reads
    that are not models (no warehouse to list them), in canon.yml's dialect unless `dialect`."""
    options = options or LoadOptions()
    if sql_dir is not None:
        folder = sql_dir if sql_dir.is_absolute() else (Path.cwd() / sql_dir)
        if static:
            from canon.audit.static import parsed_models, raw_tables_in_sql
            from canon.engines import engine_class

            default = engine_class(project.config.warehouse.engine).dialect  # the class's, no connection
            models = from_sql_dir(folder, dialect or default, [], project.root)
            models.raw_tables = {t: (t,) for t in raw_tables_in_sql(parsed_models(models), set(models.models))}
            models.__dict__.pop("_index", None)
            return models
        raw = [
            t
            for t in project.engine.tables(project.relations(project.engine).default_schema)
            if t not in {p.stem for p in folder.rglob("*.sql")}
        ]
        return from_sql_dir(folder, dialect or project.engine.dialect, raw, project.root)
    if not is_dbt_project(project.root):
        raise UserError(
            f"{project.root} is not a dbt project and no --sql-dir was given",
            location=Location(parameter="sql_dir"),
            fix="run inside a dbt project, or pass --sql-dir FOLDER --dialect duckdb|postgres|snowflake",
        )
    return _load_dbt(project, options, dialect)


def _load_dbt(project: Project, options: LoadOptions, dialect: str | None = None) -> ModelSet:
    root = project.root
    notes: list[str] = []
    broken: dict[str, str] = {}
    compiled_here = False  # by canon, in this call: its run_results.json says what was selected
    if options.manifest is not None:
        manifest = options.manifest if options.manifest.is_absolute() else Path.cwd() / options.manifest
        if not manifest.is_file():
            raise UserError(
                f"no manifest at {manifest}",
                location=Location(parameter="manifest"),
                fix="pass the manifest.json that `dbt compile` wrote (target/manifest.json)",
            )
    else:
        user_manifest = root / str(project_yml(root).get("target-path", "target")) / "manifest.json"
        packages = missing_packages(root)
        if packages is not None:
            notes.append(packages)
            own = root / CANON_TARGET / "manifest.json"
            earlier = next((m for m in (user_manifest, own) if m.is_file()), None)
            if earlier is not None:
                manifest = earlier
                notes.append(f"models read from {manifest.relative_to(root)} as last compiled (may be out of date)")
            else:
                try:
                    manifest, broken = compile_dbt(project, options, packages=missing_package_names(root) or [])
                except UserError as exc:  # not one model's failure: the project does not parse without them
                    raise UserError(
                        f"{packages}; dbt could not compile the rest without them: {exc.message}",
                        location=Location(file=str(root / "packages.yml")),
                        fix="run `dbt deps` in the project",
                    ) from exc
                compiled_here = True
        elif manifest_is_fresh(user_manifest, root):
            manifest = user_manifest
        else:
            manifest, broken = compile_dbt(project, options)
            compiled_here = True
    models = from_manifest(manifest, root, include_analyses=options.include_analyses, dialect=dialect)
    if options.select or options.exclude:
        selected = _compiled_selection(manifest) if compiled_here else None
        if selected is None:
            selected = _selected(project, options)
        models.models = {n: m for n, m in models.models.items() if n in selected}
    models.failed = broken
    models.notes = notes
    return models


def _compiled_selection(manifest: Path) -> set[str] | None:
    """The nodes canon's own `dbt compile --select` compiled (from the run_results.json beside it)."""
    results = manifest.parent / "run_results.json"
    if not results.is_file():
        return None
    data = json.loads(results.read_text(encoding="utf-8"))
    return {str(r.get("unique_id", "")).split(".")[-1] for r in data.get("results", [])}

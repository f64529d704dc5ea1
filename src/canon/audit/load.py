"""Where an audit's models come from: dbt's compiled manifest, or a folder of plain SQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from canon.audit.sources import ModelSet, from_manifest, from_sql_dir
from canon.errors import CheckFailed, Location, UserError

if TYPE_CHECKING:
    from canon.project import Project  # annotations only: the facade stands above the audit


def is_dbt_project(root: Path) -> bool:
    return (root / "dbt_project.yml").exists()


def compile_dbt(project: Project) -> Path:
    """Run `dbt compile` with dbt's own parser and Jinja; return the manifest path.

    `Project.run_dbt` uses canon.yml's profile folder and target and closes the project's
    warehouse connection first (dbt opens the same DuckDB file itself).
    """
    root = project.root
    project.run_dbt(["compile"])
    manifest = root / "target" / "manifest.json"
    if not manifest.exists():
        raise CheckFailed(f"dbt compile wrote no manifest at {manifest}")
    return manifest


def load_models(project: Project, sql_dir: Path | None = None, dialect: str | None = None) -> ModelSet:
    if sql_dir is not None:
        folder = sql_dir if sql_dir.is_absolute() else (Path.cwd() / sql_dir)
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
    return from_manifest(compile_dbt(project), project.root)

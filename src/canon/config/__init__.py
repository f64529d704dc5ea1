"""`canon.yml`: the project configuration (warehouse, sources, relationships, periods).

A project is a folder with `canon.yml`; for a dbt project it sits beside `dbt_project.yml`.
Relationships declared here are the join graph every metric may use (a contract can add its
own); they are many-to-one edges, the same knowledge dbt's `relationships` tests encode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from canon.config.serve import ServeConfig
from canon.contracts.spec import Join, Spec
from canon.contracts.yamlpos import load_positioned
from canon.errors import ConfigError, Location, Problem

CONFIG_FILE = "canon.yml"
DBT_PROJECT = "dbt_project.yml"


class WarehouseConfig(Spec):
    engine: Literal["duckdb", "postgres", "spark", "dbt"] = Field(
        default="duckdb",
        description="`dbt`: run through the dbt adapter of the project's profile target (the default in a "
        "dbt project whose canon.yml has no `warehouse:` block).",
    )
    path: str | None = Field(default="warehouse.duckdb", description="DuckDB file, relative to the project.")
    dsn: str | None = Field(default=None, description="PostgreSQL DSN, or `env:VAR` to read it from a variable.")
    schema_: str | None = Field(default=None, alias="schema", description="Schema holding the source tables.")
    spark_tables: dict[str, str] = Field(default_factory=dict, description="Spark: table name → Parquet path.")

    def resolved_dsn(self) -> str | None:
        if self.dsn and self.dsn.startswith("env:"):
            var = self.dsn[4:]
            value = os.environ.get(var)
            if not value:
                raise ConfigError(
                    f"environment variable {var} is not set",
                    location=Location(file=CONFIG_FILE, field="warehouse.dsn"),
                    fix=f"export {var}=postgresql://user@host:5432/db",
                )
            return value
        return self.dsn


class SourceTable(Spec):
    relation: str | None = Field(default=None, description="Physical `schema.table`; defaults to the name.")
    primary_key: list[str] = Field(default_factory=list)
    description: str | None = None


class DbtConfig(Spec):
    """Which dbt profile folder and target canon runs dbt with; unset means dbt's own choice.

    Only *which* one: the connection itself stays in profiles.yml, never copied here.
    """

    project_dir: str = "."
    profiles_dir: str | None = Field(
        default=None,
        description="Folder holding profiles.yml, relative to the project (default: DBT_PROFILES_DIR, "
        "the project's own profiles.yml, ~/.dbt).",
    )
    target: str | None = Field(default=None, description="Profile target (default: DBT_TARGET, the profile's).")
    deprecation_days: int = Field(
        default=90,
        ge=0,
        le=3650,
        description="`canon build` deprecates team models with a dbt `deprecation_date` this many days after "
        "the build: the notice their consumers get before the models may be removed.",
    )


class ProjectConfig(Spec):
    name: str
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    metrics_dir: str = "metrics"
    current_period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")
    sources: dict[str, SourceTable] = Field(default_factory=dict)
    relationships: list[Join] = Field(default_factory=list)
    dbt: DbtConfig | None = None
    query_log: str | None = None
    baseline: str = ".canon/baseline.json"
    serve: ServeConfig | None = Field(default=None, description="What `canon serve` exposes (see canon.config.serve).")

    @property
    def dbt_settings(self) -> DbtConfig:
        """The `dbt:` block, or dbt's own defaults when there is none."""
        return self.dbt or DbtConfig()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be empty")
        return value


def load_config(root: Path) -> ProjectConfig:
    """Read `canon.yml` from a project folder; every schema problem reported with its line."""
    path = root / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            f"no {CONFIG_FILE} in {root}",
            location=Location(file=str(path)),
            fix="run canon inside a project (see `canon init --example acme DIR`) or pass --project DIR",
        )
    doc = load_positioned(path)
    try:
        config = ProjectConfig.model_validate(doc.data or {})
    except ValidationError as exc:
        problems = [
            Problem(err["msg"].removeprefix("Value error, "), doc.locate([str(p) for p in err["loc"]]))
            for err in exc.errors()
        ]
        raise ConfigError(f"{CONFIG_FILE} has {len(problems)} problem(s)", problems=problems) from None
    if "warehouse" not in config.model_fields_set and (root / config.dbt_settings.project_dir / DBT_PROJECT).is_file():
        # A dbt project that names no engine of its own runs where its dbt profile points.
        config.warehouse = WarehouseConfig(engine="dbt", path=None)
    return config

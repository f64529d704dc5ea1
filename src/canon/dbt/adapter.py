"""A dbt adapter opened on a project's profile target, for running canon's own queries.

A team on Snowflake, BigQuery, Databricks or Redshift already has a working connection: the
one in its dbt profile. canon borrows it through dbt's adapter API (`RuntimeConfig` for the
project, profile and target → `register_adapter` → `get_adapter`), so whatever dbt can reach,
canon can query, with the credentials staying in profiles.yml.

`ADAPTER_DIALECTS` maps dbt's adapter type to the sqlglot dialect canon renders in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canon.dbt.profile import (
    DBT_LOCK,
    PROFILES_FILE,
    DbtTarget,
    adapter_package,
    dbt_session,
    profile_error,
    resolve_profiles_dir,
    resolve_target,
    resolve_target_name,
)
from canon.errors import ConfigError, Location

#: dbt adapter type → sqlglot dialect. Adapters that speak another engine's SQL map to it.
ADAPTER_DIALECTS: dict[str, str] = {
    "duckdb": "duckdb",
    "motherduck": "duckdb",
    "postgres": "postgres",
    "materialize": "postgres",
    "risingwave": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "spark",
    "glue": "spark",
    "trino": "trino",
    "starburst": "trino",
    "athena": "athena",
    "presto": "presto",
    "clickhouse": "clickhouse",
    "sqlserver": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "oracle": "oracle",
    "teradata": "teradata",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "doris": "doris",
    "starrocks": "starrocks",
    "hive": "hive",
    "dremio": "dremio",
    "exasol": "exasol",
}


def dialect_for(adapter_type: str, *, location: Location | None = None) -> str:
    """The sqlglot dialect for a dbt adapter type; an unknown one is a UserError listing them."""
    dialect = ADAPTER_DIALECTS.get(adapter_type)
    if dialect is None:
        raise ConfigError(
            f"canon has no SQL dialect for the dbt adapter `{adapter_type}`",
            location=location,
            fix="name an engine of canon's own under `warehouse:` in canon.yml; adapters canon speaks: "
            + ", ".join(sorted(ADAPTER_DIALECTS)),
        )
    return dialect


@dataclass
class OpenAdapter:
    """An adapter registered for one project's target; `close()` releases its connections."""

    target: DbtTarget
    adapter: Any  # dbt.adapters.base.BaseAdapter
    config: Any  # dbt.config.RuntimeConfig
    _macros_loaded: bool = False

    def load_macros(self) -> None:
        """Give the adapter dbt's macros: its catalog calls (`get_columns_in_relation`,
        `list_relations_without_caching`) are macros, one implementation per adapter.

        A project whose packages.yml names packages not installed still gets them (its own
        macros and the adapter's, without the packages'): canon's queries need only the
        adapter's catalog macros, and the audit says "run `dbt deps`" once, elsewhere."""
        if self._macros_loaded:
            return
        with dbt_session(self.target.project_dir, self.target.profiles, self.target.target):
            from dbt.context.providers import generate_runtime_macro_context
            from dbt.exceptions import UninstalledPackagesFoundError
            from dbt.parser.manifest import ManifestLoader

            hook = self.adapter.connections.set_query_header
            try:
                macros = ManifestLoader.load_macros(self.config, hook)
            except UninstalledPackagesFoundError:
                self.config.clear_dependencies()
                macros = ManifestLoader.load_macros(self.config, hook, base_macros_only=True)
            self.adapter.set_macro_resolver(macros)
            self.adapter.set_macro_context_generator(generate_runtime_macro_context)
        self._macros_loaded = True

    def use_macros(self, manifest: Any) -> None:
        """Give the adapter the macros of a `Manifest` dbt has just parsed (see `load_macros`)."""
        with dbt_session(self.target.project_dir, self.target.profiles, self.target.target):
            from dbt.context.providers import generate_runtime_macro_context

            self.adapter.set_macro_resolver(manifest)
            self.adapter.set_macro_context_generator(generate_runtime_macro_context)
        self._macros_loaded = True

    def close(self) -> None:
        from canon.dbt.runner import release_connections

        with DBT_LOCK:
            release_connections()


def open_adapter(
    project_dir: str | Path, *, profiles_dir: str | Path | None = None, target: str | None = None
) -> OpenAdapter:
    """Register dbt's adapter for the project's profile target and return it (no query run yet).

    A profile whose adapter is not installed is a UserError naming its pip package.
    """
    resolved = resolve_target(project_dir, profiles_dir=profiles_dir, target=target)
    project = resolved.project_dir
    profiles = resolve_profiles_dir(project, profiles_dir)
    wanted, _ = resolve_target_name(target)
    with dbt_session(project, profiles, wanted) as args:
        from dbt.adapters.factory import get_adapter, register_adapter
        from dbt.config.runtime import RuntimeConfig
        from dbt.mp_context import get_mp_context

        try:
            config = RuntimeConfig.from_args(args)
            register_adapter(config, get_mp_context())
            adapter = get_adapter(config)
        except ImportError:
            raise ConfigError(
                f"the dbt profile `{resolved.profile}` uses the `{resolved.adapter_type}` adapter, "
                "which is not installed",
                location=Location(file=str(profiles.path / PROFILES_FILE), field=resolved.profile),
                fix=f"pip install {adapter_package(resolved.adapter_type)}",
            ) from None
        except Exception as exc:  # dbt's project/profile errors have no common base worth naming
            raise profile_error(exc, profiles.path / PROFILES_FILE, resolved.profile, wanted) from None
    return OpenAdapter(resolved, adapter, config)

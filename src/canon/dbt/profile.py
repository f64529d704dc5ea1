"""Which dbt profile and target a project runs with, resolved the way dbt itself resolves them.

A team's dbt project already says where its warehouse is (profiles.yml); canon must read the
same answer dbt would, or `canon audit` fails with "Could not find profile" on a project where
`dbt build` works. The rules are dbt's:

* profiles folder: the explicit one (`--profiles-dir`, canon.yml `dbt.profiles_dir`), else
  `DBT_PROFILES_DIR`, else the project folder when it holds a profiles.yml, else `~/.dbt`;
* target: the explicit one (`--target`, canon.yml `dbt.target`), else `DBT_TARGET`, else the
  profile's own `target:`.

The profile itself is read and rendered by dbt (`dbt.config.profile`, its Jinja `env_var()`
included), never by a second implementation here, and canon keeps no copy of it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canon.errors import ConfigError, Location

PROFILES_FILE = "profiles.yml"

#: dbt keeps its flags and adapters in process-wide globals; every use goes through this lock
#: (the runner holds it while dbt runs).
DBT_LOCK = threading.RLock()


@dataclass(frozen=True)
class ProfilesDir:
    """The folder holding profiles.yml, and why that one (for what `canon init` prints)."""

    path: Path
    source: str  # "given", "DBT_PROFILES_DIR", "project", "home"


@dataclass(frozen=True)
class DbtTarget:
    """The profile and target a dbt project runs with, as dbt rendered them."""

    project_dir: Path
    profiles: ProfilesDir
    profile: str
    target: str
    target_source: str  # "given", "DBT_TARGET", "profile"
    adapter_type: str  # dbt's adapter type: duckdb, postgres, snowflake, bigquery…
    schema: str | None
    database: str | None
    credentials: Any = field(default=None, repr=False, compare=False)  # never written anywhere


def resolve_profiles_dir(project_dir: Path, profiles_dir: str | Path | None = None) -> ProfilesDir:
    """dbt's order: explicit folder, `DBT_PROFILES_DIR`, the project's own profiles.yml, `~/.dbt`.

    A relative explicit folder is relative to the project folder (where canon.yml sits).
    """
    if profiles_dir is not None:
        folder = Path(profiles_dir).expanduser()
        return ProfilesDir((project_dir / folder).resolve(), "given")
    from_env = os.environ.get("DBT_PROFILES_DIR")
    if from_env:
        return ProfilesDir(Path(from_env).expanduser().resolve(), "DBT_PROFILES_DIR")
    if (project_dir / PROFILES_FILE).is_file():
        return ProfilesDir(project_dir.resolve(), "project")
    return ProfilesDir((Path.home() / ".dbt").resolve(), "home")


def resolve_target_name(target: str | None) -> tuple[str | None, str]:
    """The target asked for and why: explicit, then `DBT_TARGET`; None means the profile's default."""
    if target:
        return target, "given"
    from_env = os.environ.get("DBT_TARGET")
    if from_env:
        return from_env, "DBT_TARGET"
    return None, "profile"


def dbt_args(project_dir: Path, profiles: ProfilesDir, target: str | None) -> Namespace:
    """The argument namespace dbt's config loaders read (as its CLI would build it)."""
    return Namespace(
        project_dir=str(project_dir),
        profiles_dir=str(profiles.path),
        target=target,
        profile=None,
        threads=None,
        vars={},
    )


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Work with `folder` as the working directory, one dbt use at a time.

    Profiles use paths relative to the project (dbt-duckdb's `path: warehouse.duckdb`), which
    dbt resolves against the working directory when it connects; the working directory is
    process-wide, so every dbt use holds `DBT_LOCK`.
    """
    with DBT_LOCK:
        previous = Path.cwd()
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(previous)


@contextlib.contextmanager
def dbt_session(project: Path, profiles: ProfilesDir, target: str | None) -> Iterator[Namespace]:
    """dbt's process-wide state set for one use of its config loaders, outside `dbtRunner`.

    Holds `DBT_LOCK`, sets dbt's flags as its CLI would, gives `env_var()` the process
    environment (dbt reads it from an invocation context), and keeps dbt's console logger
    quiet (it would print "Error importing adapter" lines between canon's own messages).
    """
    with DBT_LOCK:
        from dbt.flags import set_from_args
        from dbt_common.context import set_invocation_context
        from dbt_common.events.event_manager_client import get_event_manager

        args = dbt_args(project, profiles, target)
        set_from_args(args, {})
        set_invocation_context(os.environ)
        manager = get_event_manager()
        loggers, manager.loggers = manager.loggers, []
        try:
            yield args
        finally:
            manager.loggers = loggers


def resolve_target(
    project_dir: str | Path, *, profiles_dir: str | Path | None = None, target: str | None = None
) -> DbtTarget:
    """Read the project's profile with dbt's own loader and return the target it runs on.

    Raises `ConfigError` naming the profiles.yml and the profile (or the environment variable,
    or the adapter package) when dbt could not read it.
    """
    project = Path(project_dir).resolve()
    if not (project / "dbt_project.yml").is_file():
        raise ConfigError(
            f"{project} is not a dbt project (no dbt_project.yml)",
            location=Location(file=str(project / "dbt_project.yml")),
            fix="run canon in the folder that holds dbt_project.yml, or pass it as DIR",
        )
    profiles = resolve_profiles_dir(project, profiles_dir)
    wanted, target_source = resolve_target_name(target)
    profile_file = profiles.path / PROFILES_FILE
    name = _profile_name(project)
    with dbt_session(project, profiles, wanted):
        from dbt.config.runtime import load_profile

        try:
            loaded = load_profile(str(project), {}, None, wanted)
        except Exception as exc:  # dbt's config errors share no base class worth naming
            raise profile_error(exc, profile_file, name, wanted) from None
    credentials = loaded.credentials
    return DbtTarget(
        project_dir=project,
        profiles=profiles,
        profile=loaded.profile_name,
        target=loaded.target_name,
        target_source=target_source,
        adapter_type=str(credentials.type),
        schema=getattr(credentials, "schema", None),
        database=getattr(credentials, "database", None),
        credentials=credentials,
    )


def _profile_name(project: Path) -> str | None:
    """The `profile:` dbt_project.yml names (unrendered), for error messages only."""
    import yaml

    try:
        data = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    value = data.get("profile") if isinstance(data, dict) else None
    return str(value) if value else None


def adapter_package(adapter_type: str) -> str:
    """The pip package that provides a dbt adapter (they are all published as dbt-<type>)."""
    return f"dbt-{adapter_type}"


def profile_error(exc: Exception, profile_file: Path, profile: str | None, target: str | None) -> ConfigError:
    """dbt's profile failure as a canon error: which file, which profile, what to do."""
    text = " ".join(str(exc).split())
    where = Location(file=str(profile_file), field=profile)
    if "Env var required but not provided" in text:
        var = text.split("provided:", 1)[-1].strip().strip("'\"").split("'")[0]
        return ConfigError(
            f"the dbt profile `{profile}` in {profile_file} reads the environment variable {var}, which is not set",
            location=where,
            fix=f"export {var}=… (or give env_var('{var}', 'default') a default in profiles.yml)",
        )
    if "Could not find adapter type" in text or "No module named 'dbt.adapters." in text:
        kind = text.rsplit("type", 1)[-1].strip(" !.") if "adapter type" in text else text.split("dbt.adapters.")[-1]
        kind = kind.strip("'\" !.")
        return ConfigError(
            f"the dbt profile `{profile}` uses the `{kind}` adapter, which is not installed",
            location=where,
            fix=f"pip install {adapter_package(kind)}",
        )
    if not profile_file.is_file():
        return ConfigError(
            f"no {PROFILES_FILE} holding the dbt profile `{profile}`: {profile_file} does not exist",
            location=Location(file=str(profile_file)),
            fix=(
                f"write the profile `{profile}` into {profile_file}, set DBT_PROFILES_DIR, "
                "or pass --profiles-dir FOLDER"
            ),
        )
    if "Could not find profile named" in text:
        return ConfigError(
            f"{profile_file} has no dbt profile `{profile}` (dbt_project.yml `profile:` names it)",
            location=where,
            fix=f"add the profile `{profile}` to {profile_file}, or point --profiles-dir / DBT_PROFILES_DIR elsewhere",
        )
    if "does not have a target named" in text:
        return ConfigError(
            f"the dbt profile `{profile}` in {profile_file} has no target `{target}`",
            location=where,
            fix="pass one of its targets with --target (or DBT_TARGET): " + text.split("are:", 1)[-1].strip(),
        )
    return ConfigError(
        f"dbt could not read the profile `{profile}` from {profile_file}: {text}",
        location=where,
        fix=f"fix the profile `{profile}` in {profile_file} (or point --profiles-dir / DBT_PROFILES_DIR elsewhere)",
    )

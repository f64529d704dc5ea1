"""Example projects canon can write (`canon init --example NAME DIR`): a registry by name.

An example is a function that fills an empty folder. Installing it is shared: the folder is
built beside the destination and renamed into place, so a failure never leaves half a
project, and an existing folder is only replaced when asked to (`--force`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from canon.errors import Location, UserError, hint_or_list


@dataclass(frozen=True)
class ExampleOptions:
    current_period: str | None = None  # YYYY-MM; None = the example's default
    scale: int = 1  # volume multiplier, for examples that generate data at scale
    seed: int | None = None  # None = the example's default seed


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    write: Callable[[Path, ExampleOptions], None]  # fills an empty folder
    next_step: str = "dbt build --profiles-dir .   (or `canon demo`)"


_REGISTRY: dict[str, Example] = {}


def register(example: Example) -> None:
    _REGISTRY[example.name] = example


def examples() -> dict[str, Example]:
    _load_builtin()
    return dict(_REGISTRY)


def get_example(name: str) -> Example:
    known = examples()
    if name not in known:
        raise UserError(
            f"there is no example called `{name}`",
            location=Location(parameter="example"),
            fix=hint_or_list(name, sorted(known)),
        )
    return known[name]


def _load_builtin() -> None:
    if "acme" not in _REGISTRY:
        from canon.examples.acme import EXAMPLE as ACME

        register(ACME)
    if "lessons" not in _REGISTRY:
        from canon.examples.lessons import EXAMPLE as LESSONS

        register(LESSONS)


def init_example(name: str, dest: Path, options: ExampleOptions | None = None, force: bool = False) -> Path:
    """Write example `name` into `dest` (created, or replaced with `force`); returns the folder."""
    example = get_example(name)
    target = check_destination(dest, force)
    install(target, lambda folder: example.write(folder, options or ExampleOptions()))
    return target


def check_destination(dest: Path, force: bool) -> Path:
    """Refuse a destination that holds someone's files, unless --force says to replace it."""
    target = Path(os.path.abspath(dest))
    if target.exists() and not target.is_dir():
        raise UserError(
            f"{dest} exists and is not a folder",
            location=Location(parameter="directory"),
            fix="choose a folder path that does not exist yet",
        )
    if target.exists() and any(target.iterdir()):
        if not force:
            raise UserError(
                f"{dest} already exists and is not empty",
                location=Location(parameter="directory"),
                fix="choose a new folder, or pass --force to replace this one and everything in it",
            )
        cwd = Path.cwd().resolve()
        protected = {Path(target.anchor), Path.home().resolve()}
        if target.resolve() in protected or target.resolve() == cwd or target.resolve() in cwd.parents:
            raise UserError(
                f"refusing to replace {dest}: it is the current folder, one of its parents, or your home",
                location=Location(parameter="directory"),
                fix="pass a dedicated folder for the example, e.g. `acme`",
            )
    return target


def install(target: Path, build: Callable[[Path], None]) -> None:
    """Build into a temporary sibling folder, then swap it into place in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent))
    try:
        build(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists() and any(target.iterdir()):
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, retired / "previous")
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        if target.exists():
            target.rmdir()
        os.replace(staging, target)

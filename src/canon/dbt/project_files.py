"""Packages a dbt project declares but has not installed, and canon's copy of a project.

dbt refuses to parse a project whose packages.yml names packages that are not installed
("run dbt deps"), and a model whose Jinja raises while dbt parses stops the parse of every
model. Neither should stop canon from reading the rest: `link_project` makes canon's own copy
of the project under `.canon/dbt-nodeps/project` — links to the real files, never copies —
without packages.yml when asked, and with chosen model files replaced by a stub, so `ref()`s
to them still resolve while dbt never renders them. `canon init` parses that copy and the
audit compiles it (`canon.audit.load`); dbt runs from the real project folder, so a profile's
relative paths (a DuckDB file) keep their meaning.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

#: canon's copy of a project: `project/` (links to the real files) and, when packages are
#: missing, `target/` (the audit's compile, kept apart from its usual target: it lacks the
#: models that need the packages, so it must never pass for the project's last manifest)
NODEPS = ".canon/dbt-nodeps"
PACKAGE_FILES = ("packages.yml", "dependencies.yml", "package-lock.yml")
#: dbt's message for one node whose Jinja raised: (name, path in the project, dbt's words)
_NODE_ERROR = re.compile(r"Compilation Error in (?:model|analysis) (\w+) \(([^)]*)\)\s*(.*)", re.S)
STUB = "-- set aside by canon: this model could not be compiled here\nselect 1 as set_aside\n"


def node_error(message: str) -> tuple[str, str, str] | None:
    """The model dbt names in a "Compilation Error in model X (path)" message, its path and why."""
    found = _NODE_ERROR.search(message)
    if found is None:
        return None
    return found.group(1), found.group(2), " ".join(found.group(3).split()) or message.strip()


def project_yml(root: Path) -> dict[str, Any]:
    data = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def project_paths(data: dict[str, Any], key: str, default: str) -> list[str]:
    """A dbt_project.yml path setting (`model-paths`…) as a list, dbt's default when absent."""
    value = data.get(key, [default])
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def source_files(root: Path) -> Iterator[Path]:
    """Every file whose change can change what dbt compiles.

    dbt_project.yml, packages.yml/dependencies.yml, profiles.yml beside the project, and every
    file under the model, macro, seed, analysis, snapshot and test paths (SQL, YAML, CSV: a
    seed's columns feed `ref`s and a YAML file changes configs), plus installed packages.
    """
    data = project_yml(root)
    for name in ("dbt_project.yml", "packages.yml", "dependencies.yml", "profiles.yml", "selectors.yml"):
        if (root / name).is_file():
            yield root / name
    folders = [
        *project_paths(data, "model-paths", "models"),
        *project_paths(data, "macro-paths", "macros"),
        *project_paths(data, "seed-paths", "seeds"),
        *project_paths(data, "analysis-paths", "analyses"),
        *project_paths(data, "snapshot-paths", "snapshots"),
        *project_paths(data, "test-paths", "tests"),
        str(data.get("packages-install-path", "dbt_packages")),
    ]
    for folder in dict.fromkeys(folders):
        base = root / folder
        if base.is_dir():
            yield from (p for p in base.rglob("*") if p.is_file())


def written_after_sources(manifest: Path, root: Path) -> bool:
    """Whether `manifest` exists and was written after every file `source_files` lists.

    The rule make uses (a file saved after the manifest makes it stale): what dbt would parse
    now is what the manifest says, as far as files can tell (environment variables and `--vars`
    cannot be seen).
    """
    if not manifest.is_file():
        return False
    written = manifest.stat().st_mtime
    return not any(p.stat().st_mtime > written for p in source_files(root))


def declared_packages(root: Path) -> tuple[Path, list[dict[str, Any]]] | None:
    """The file declaring packages (packages.yml, else dependencies.yml) and its entries."""
    declared = [root / n for n in ("packages.yml", "dependencies.yml") if (root / n).is_file()]
    if not declared:
        return None
    try:
        doc = yaml.safe_load(declared[0].read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return None
    entries = doc.get("packages") if isinstance(doc, dict) else None
    if not entries:
        return None
    return declared[0], [e for e in entries if isinstance(e, dict)]


def _package_name(root: Path, entry: dict[str, Any]) -> str | None:
    """The Jinja namespace a declared package's macros are called under (`dbt_utils`), best guess.

    A hub package is `org/name`; a git package is usually named after its repository (or its
    subdirectory); a local one says its name in its own dbt_project.yml.
    """
    if isinstance(entry.get("name"), str):
        return str(entry["name"])
    if isinstance(entry.get("package"), str):
        return str(entry["package"]).rstrip("/").split("/")[-1]
    if isinstance(entry.get("local"), str):
        local = root / str(entry["local"])
        if (local / "dbt_project.yml").is_file():
            name = project_yml(local).get("name")
            if isinstance(name, str):
                return name
        return local.name or None
    if isinstance(entry.get("git"), str):
        tail = str(entry.get("subdirectory") or entry["git"]).rstrip("/").split("/")[-1]
        return tail.removesuffix(".git").replace("-", "_") or None
    return None


def missing_package_names(root: Path) -> list[str] | None:
    """Namespaces of the declared packages that are not installed (None when all are).

    dbt's own rule decides whether any is missing: fewer folders under the install path than
    packages declared. Which ones is a guess by name (`_package_name`); it may be empty when
    the names cannot be told.
    """
    found = declared_packages(root)
    if found is None:
        return None
    _, entries = found
    installed = root / str(project_yml(root).get("packages-install-path", "dbt_packages"))
    present = {p.name for p in installed.iterdir() if p.is_dir()} if installed.is_dir() else set()
    if len(present) >= len(entries):
        return None
    names = [n for n in (_package_name(root, e) for e in entries) if n]
    return [n for n in dict.fromkeys(names) if n not in present]


def missing_packages(root: Path) -> str | None:
    """The one line that says packages are declared but not installed (None when they are)."""
    if missing_package_names(root) is None:
        return None
    found = declared_packages(root)
    declared = found[0].name if found else "packages.yml"
    installed = str(project_yml(root).get("packages-install-path", "dbt_packages"))
    return (
        f"{declared} declares packages that are not installed in {installed}/: "
        "run `dbt deps` in the project, then audit again (models that use them could not be compiled)"
    )


def calls_package(text: str, names: Iterable[str]) -> str | None:
    """The first missing package whose macros the model's Jinja calls (`{{ dbt_utils.star(...) }}`)."""
    for name in names:
        if re.search(rf"\b{re.escape(name)}\s*\.\s*\w+\s*\(", text):
            return name
    return None


def package_callers(root: Path, names: Iterable[str]) -> dict[Path, str]:
    """Model and analysis files whose Jinja calls a missing package's macros, with the row's reason."""
    data = project_yml(root)
    found: dict[Path, str] = {}
    folders = [*project_paths(data, "model-paths", "models"), *project_paths(data, "analysis-paths", "analyses")]
    for folder in dict.fromkeys(folders):
        base = root / folder
        for path in sorted(base.rglob("*.sql")) if base.is_dir() else []:
            name = calls_package(path.read_text(encoding="utf-8", errors="replace"), names)
            if name is not None:
                found[path] = f"calls {name} macros, and the {name} package is not installed: run `dbt deps`"
    return found


def link_project(root: Path, stubs: set[Path], without_packages: bool) -> Path:
    """canon's copy of the project (`NODEPS/project`), made again: links to the real files, `stubs`
    as stubs, and no packages.yml when `without_packages`; the user's target/ and logs stay out."""
    data = project_yml(root)
    shadow = root / NODEPS / "project"
    skip = {root / ".canon", root / ".git", root / str(data.get("target-path", "target"))}
    skip.add(root / str(data.get("log-path", "logs")))
    if without_packages:
        skip |= {root / n for n in PACKAGE_FILES}
    if shadow.exists():
        shutil.rmtree(shadow)  # links only: rmtree removes a link, never what it points to
    real = {d for p in stubs for d in p.parents if root in d.parents}
    _link_tree(root, shadow, skip, stubs, real)
    return shadow


def _link_tree(src: Path, dst: Path, skip: set[Path], stubs: set[Path], real: set[Path], whole: bool = False) -> None:
    """`dst` as `src` made of links: a stub is a small file, and a folder holding one is a real
    folder whose subfolders are real too (`whole`): dbt follows a linked folder only where its
    search starts (`models/`), never below it."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in sorted(src.iterdir()):
        if entry in skip:
            continue
        out = dst / entry.name
        if entry in stubs:
            out.write_text(STUB, encoding="utf-8")
        elif entry.is_dir() and not entry.is_symlink() and (whole or entry in real):
            _link_tree(entry, out, skip, stubs, real, whole=True)
        else:
            out.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())

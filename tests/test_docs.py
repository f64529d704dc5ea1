"""Docs that tests check: every CLI command is shown in the README, every module in ARCHITECTURE.md."""

from __future__ import annotations

import re
from pathlib import Path

from canon.cli import _register_commands, app

ROOT = Path(__file__).resolve().parents[1]


def command_names() -> list[str]:
    _register_commands()
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    groups = [g.name for g in app.registered_groups if g.name]
    return sorted({*names, *groups})


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in command_names() if not re.search(rf"canon {re.escape(name)}\b", readme)]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_module_is_in_architecture() -> None:
    arch = (ROOT / "ARCHITECTURE.md").read_text()
    src = ROOT / "src" / "canon"
    missing = []
    for path in sorted(src.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        rel = path.relative_to(src).as_posix()
        if rel not in arch and path.name not in arch and path.stem not in arch:
            missing.append(rel)
    assert not missing, f"modules missing from ARCHITECTURE.md: {missing}"

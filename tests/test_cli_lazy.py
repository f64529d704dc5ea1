"""`canon X` imports only the module of command X: a 50 ms command must not pay for `canon serve`."""

from __future__ import annotations

import subprocess
import sys

from canon.cli import app
from canon.cli.commands import COMMANDS, register


def test_every_registered_command_is_in_the_map() -> None:
    register()
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(COMMANDS)


def test_a_command_imports_only_its_own_module() -> None:
    code = (
        "import sys; from canon.cli import _register_commands; _register_commands(['--debug', 'version']); "
        "print(sorted(m for m in sys.modules if m.startswith('canon.cli.') and m.endswith('_cmd')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['canon.cli.info_cmd']"


def test_version_does_not_import_engines_audit_or_web() -> None:
    code = (
        "import sys; from canon.cli import main\n"
        "try:\n    main(['version'])\nexcept SystemExit:\n    pass\n"
        "heavy = ['duckdb', 'sqlglot', 'pandas', 'fastapi', 'pyarrow', 'canon.audit', 'canon.project']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_unknown_command_lists_every_command(capsys: object) -> None:
    from tests.support.cli import run_cli

    result = run_cli(capsys, "qurey")  # type: ignore[arg-type]
    assert result.code == 2
    assert "qurey" in result.err

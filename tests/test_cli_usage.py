"""Usage mistakes (a missing argument, an unknown option or command) answer like any bad input:
the usage line and the error on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli import run_cli

MISTAKES = [
    ["build"],  # missing METRIC
    ["generate", "acme"],  # missing --out
    ["verify", "--period", "2026-10"],  # no such option
    ["query"],  # missing METRICS
    ["mart", "show"],  # missing GROUPING
    ["no-such-command"],
]


@pytest.mark.parametrize("args", MISTAKES, ids=lambda a: " ".join(a))
def test_usage_mistakes_exit_2_with_the_usage(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2, result
    assert "Traceback" not in result.err and "Error:" in result.err and "Usage:" in result.err


def test_usage_mistake_from_the_installed_command() -> None:
    """The same through the console script's process (what a shell and CI see)."""
    proc = subprocess.run(
        [sys.executable, "-c", "from canon.cli import main; main()", "build", "--rewire", "x"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Missing argument" in proc.stderr

"""`canon mcp --help` documents every tool the server registers, and `canon mcp` refuses a folder with no project."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from canon.agent.server import TOOLS, create_server
from tests.support.cli import run_cli


def test_help_lists_every_registered_tool(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    registered = anyio.run(_tool_names, tmp_path)
    assert registered == list(TOOLS)
    result = run_cli(capsys, "mcp", "--help")
    assert result.code == 0, result.err
    for name in registered:
        assert name in result.out, name
    assert "canon approve METRIC --proposal ID" in result.out
    for writer in ("request_signoff", "build"):  # the help says which tools write
        assert any(line.split()[:2] == [writer, "(writes)"] for line in result.out.splitlines()), writer


async def _tool_names(root: Path) -> list[str]:
    return [t.name for t in await create_server(root).list_tools()]


def test_no_tool_can_sign(tmp_path: Path) -> None:
    names = anyio.run(_tool_names, tmp_path)
    assert not [n for n in names if "approve" in n or (n.startswith("sign") and n != "signoff_status")]


def test_without_a_project_it_refuses_before_serving(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "mcp", "-p", str(tmp_path))
    assert result.code == 2 and "canon.yml" in result.err


def test_nothing_in_the_agent_package_signs() -> None:
    import canon.agent

    package = Path(canon.agent.__file__).parent
    callers = [p.name for p in package.glob("*.py") if "approve(" in p.read_text()]
    assert callers == [], f"the MCP layer must never sign: {callers}"

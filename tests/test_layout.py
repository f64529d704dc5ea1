"""Who may import whom: the package never imports tests or benchmarks, tests never import bench/.

Benchmarks are scripts run by hand or by `make bench`; a test that imports them breaks when
a benchmark is reshaped, and ties the unit tier to code nobody runs in CI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_roots(path: Path, names: set[str]) -> set[str]:
    """The top-level packages among `names` that `path` imports (absolute imports, any depth)."""
    text = path.read_text()
    if not any(name in text for name in names):  # parse only the candidates: keeps this test cheap
        return set()
    roots = set()
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots & names


@pytest.mark.parametrize(("folder", "forbidden"), [("tests", {"bench"}), ("src/canon", {"bench", "tests"})])
def test_no_import_across_the_line(folder: str, forbidden: set[str]) -> None:
    offenders = sorted(
        f"{p.relative_to(ROOT)} imports {', '.join(sorted(found))}"
        for p in (ROOT / folder).rglob("*.py")
        if (found := imported_roots(p, forbidden))
    )
    assert offenders == []

"""Engine facts live on the engine classes: no code outside `canon.engines` tests an engine's name.

Read from the syntax trees of src/canon: a comparison (`==`, `!=`, `in`, `not in`, `is`) or
a `case` pattern between some expression and an engine name ("duckdb", "postgres", "spark")
is a dialect branch, and belongs on the engine as a class attribute or a hook (see
`canon.engines.base`). A new one fails here with the file and line to move.
"""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

from canon.engines import ENGINE_NAMES

SRC = Path(__file__).resolve().parents[2] / "src" / "canon"
ENGINES_DIR = SRC / "engines"

# Deliberate exceptions, as (path under src/canon, line text stripped), each with its reason.
# (load/types.py's `for dialect in (None, "postgres", …)` tries each dialect's parser on a
# declared type spelling; it is parsing, not an engine fact, and is not a comparison.)
ALLOWED: dict[tuple[str, str], str] = {}

_OPS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)


def _engine_names(node: ast.expr) -> bool:
    """A string constant naming an engine, or a tuple/list/set holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in ENGINE_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_engine_names(e) for e in node.elts)
    return False


def _name_checks(tree: ast.AST) -> list[int]:
    """Lines comparing something to an engine name."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, (left, right) in zip(node.ops, pairwise(sides), strict=True):
                if isinstance(op, _OPS) and (_engine_names(left) or _engine_names(right)):
                    lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and _engine_names(node.value):
            lines.append(node.lineno)
    return sorted(set(lines))


def _offenders() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(ENGINES_DIR):
            continue
        rel = path.relative_to(SRC).as_posix()
        source = path.read_text()
        text = source.splitlines()
        for line in _name_checks(ast.parse(source)):
            if (rel, text[line - 1].strip()) not in ALLOWED:
                found.append(f"src/canon/{rel}:{line}: {text[line - 1].strip()}")
    return found


def test_no_code_outside_engines_branches_on_an_engine_name() -> None:
    bad = _offenders()
    assert not bad, (
        "these compare a dialect or engine name to a literal; give the engine class an attribute "
        "or hook for the difference (canon.engines.base) and ask it instead:\n" + "\n".join(bad)
    )


def test_the_scan_sees_each_kind_of_name_check() -> None:
    sample = ast.parse(
        "a = dialect == 'duckdb'\n"
        "b = 'postgres' != self.dialect\n"
        "c = engine.name in ('spark', 'x')\n"
        "match kind:\n"
        "    case 'duckdb':\n"
        "        pass\n"
        "d = dialect == 'snowflake'\n"
        "e = exp.DataType.build('INT', dialect='duckdb')\n"
    )
    assert _name_checks(sample) == [1, 2, 3, 5]


def test_every_allowed_exception_still_exists() -> None:
    for rel, line in ALLOWED:
        assert line in [t.strip() for t in (SRC / rel).read_text().splitlines()], f"stale allowance: {rel}: {line}"

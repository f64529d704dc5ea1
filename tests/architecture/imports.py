"""Who imports whom inside canon, read from the syntax trees (type-checking-only imports excluded)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "canon"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted (canon.cli.query_cmd)
    target: str  # the imported module, dotted (canon.project)
    line: int
    top_level: bool  # at module level (run at import time) rather than inside a function


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, top: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for sub in child.orelse:
                yield from _walk(sub, top)
            continue
        inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield child, inner
        yield from _walk(child, inner)


def imports_of(path: Path) -> list[Import]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node, top in _walk(ast.parse(path.read_text()), True):
        if isinstance(node, ast.Import):
            found += [Import(name, a.name, node.lineno, top) for a in node.names if a.name.startswith("canon")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("canon"):
                # `from canon.x import y` may import the submodule canon.x.y
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    is_module = (SRC.parent / Path(*sub.split("."))).with_suffix(".py").exists() or (
                        SRC.parent / Path(*sub.split(".")) / "__init__.py"
                    ).exists()
                    found.append(Import(name, sub if is_module else target, node.lineno, top))
    return found


def all_imports() -> list[Import]:
    return [imp for path in sorted(SRC.rglob("*.py")) for imp in imports_of(path)]

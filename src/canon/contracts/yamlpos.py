"""Read YAML keeping where every key and value sits, so errors can name file:line:column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError

from canon.errors import ContractError, Location, Problem

PathKey = tuple[str | int, ...]


@dataclass
class PositionedDoc:
    """Plain Python data plus a map from each key path to its (line, column), 1-based."""

    data: Any
    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> Location:
        """The position of the longest prefix of `path` that exists in the document."""
        key = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        line, col = self.positions.get(key, (1, 1))
        dotted = ".".join(str(p) for p in path) or None
        return Location(file=self.file, line=line, column=col, field=dotted)


def _walk(node: Any, path: PathKey, positions: dict[PathKey, tuple[int, int]]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            try:
                line, col = node.lc.key(key)
                positions[(*path, str(key))] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            out[str(key) if key is not None else "null"] = _walk(value, (*path, str(key)), positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                positions[(*path, i)] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            items.append(_walk(value, (*path, i), positions))
        return items
    return node


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    return y


def load_positioned(path: Path, text: str | None = None) -> PositionedDoc:
    """Parse a YAML file; a syntax error becomes a ContractError at its line and column."""
    try:
        source = path.read_text(encoding="utf-8") if text is None else text
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})",
            location=Location(file=str(path)),
            fix="save the file as UTF-8",
        ) from None
    if "\x00" in source:  # ruamel's reader error names no line; say where the byte is
        offset = source.index("\x00")
        line = source.count("\n", 0, offset) + 1
        column = offset - (source.rfind("\n", 0, offset) + 1) + 1
        raise ContractError(
            "the file contains a NUL byte, which YAML does not allow",
            location=Location(file=str(path), line=line, column=column),
            fix="remove it (an editor or a copy from a binary file put it there)",
        )
    try:
        root = _yaml().load(source)
    except ReaderError as exc:
        raise ContractError(
            f"invalid YAML: {exc.reason} (character {exc.character!r})",
            location=Location(file=str(path)),
            fix="remove control characters from the file",
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = Location(
            file=str(path), line=(mark.line + 1) if mark else None, column=(mark.column + 1) if mark else None
        )
        raise ContractError(
            f"invalid YAML: {exc.problem}",
            location=loc,
            fix="check indentation and quoting near this position",
        ) from None
    except RecursionError:
        raise _too_deep(path) from None
    positions: dict[PathKey, tuple[int, int]] = {}
    try:
        data = _walk(root, (), positions)
    except RecursionError:
        raise _too_deep(path) from None
    return PositionedDoc(data=data if data is not None else {}, file=str(path), positions=positions)


def _too_deep(path: Path) -> ContractError:
    """Thousands of nested `[`/`{` exhaust the recursive YAML reader: an input error, not a crash."""
    return ContractError(
        "the YAML nests too deep to read",
        location=Location(file=str(path)),
        fix="flatten the nested lists or mappings (no contract needs more than a few levels)",
    )


def problem_at(doc: PositionedDoc, path: Sequence[str | int], message: str, fix: str | None = None) -> Problem:
    return Problem(message=message, location=doc.locate(path), fix=fix)


def round_trip_load(path: Path) -> Any:
    """Load keeping comments and order, for edits (approve, build) that must not clobber."""
    return _yaml().load(path.read_text(encoding="utf-8"))


def round_trip_dump(data: Any, path: Path) -> None:
    """Write YAML atomically: to a temp file beside the target, then rename over it."""
    from io import StringIO

    from canon.fsutil import atomic_write_text

    buf = StringIO()
    y = _yaml()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.dump(data, buf)
    atomic_write_text(path, buf.getvalue())

"""Marked blocks: canon owns the text between `-- canon:begin NAME` and `-- canon:end NAME`.

Rebuilding replaces only what is inside a block, so a person's edits outside survive, and
writing the same content twice changes nothing (builds are idempotent).
"""

from __future__ import annotations

import re
from pathlib import Path

from canon.fsutil import write_if_changed


def _pattern(name: str, comment: str) -> re.Pattern[str]:
    c = re.escape(comment)
    return re.compile(rf"{c} canon:begin {re.escape(name)}\n.*?{c} canon:end {re.escape(name)}\n?", re.DOTALL)


def block(name: str, body: str, comment: str = "--") -> str:
    return f"{comment} canon:begin {name}\n{body.rstrip()}\n{comment} canon:end {name}\n"


def upsert_block(text: str, name: str, body: str, comment: str = "--", at_top: bool = False) -> str:
    """Replace block `name` in `text`, or add it (at the top or the end) when absent."""
    new = block(name, body, comment)
    pattern = _pattern(name, comment)
    if pattern.search(text):
        return pattern.sub(lambda _: new, text, count=1)
    if at_top:
        return new + text
    sep = "" if not text or text.endswith("\n") else "\n"
    return text + sep + new


def has_block(text: str, name: str, comment: str = "--") -> bool:
    return bool(_pattern(name, comment).search(text))


def write_block(path: Path, name: str, body: str, comment: str = "--", at_top: bool = False) -> bool:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return write_if_changed(path, upsert_block(text, name, body, comment, at_top))

"""Definition archaeology: which commit introduced each line a decision comes from.

A decision's provenance points at lines of a model's *compiled* SQL; blame needs lines of
the file in git (for dbt, the Jinja template). Compiled and raw lines usually align 1:1, but
Jinja can shift them (loops, macros expanding to several lines), so each compiled line is
mapped to the raw line whose literal text (everything outside `{{ }}`, `{% %}`, `{# #}`)
it contains, nearest first, falling back to the same number.

"Author inactive" compares an author's latest commit in the repository with a reference
date: `now` when the caller gives one, otherwise the latest commit date in the repository
(so the same repository always yields the same flags, whenever the audit runs). Dates are
author dates, the moment the work was done.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from canon.audit.result import Commit, Definition
from canon.audit.sources import ModelSet

log = logging.getLogger(__name__)

INACTIVE_AFTER = timedelta(days=90)
ZERO_SHA = "0" * 40
NO_TICKET = "no ticket"
AUTHOR_INACTIVE = "author inactive"
UNCOMMITTED = "uncommitted"

_TICKET_RE = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9]+-\d+)(?![A-Za-z0-9_])")
_ISSUE_RE = re.compile(r"(?<![\w&/#])(#\d+)(?![\w])")
# Upper-case word-number pairs that are standards or encodings, not tickets.
_NOT_TICKETS = {"UTF", "ISO", "SHA", "MD", "RFC", "COVID", "X", "TLS", "SSL", "HTTP", "IPV", "ANSI", "ECMA", "IEEE"}
_JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARK = "\x00"


class GitUnavailable(Exception):
    """The project is not in a git work tree, or git cannot be run."""


def parse_tickets(message: str) -> list[str]:
    """Ticket references in a commit message: `FIN-142`-style keys and `#123` issue numbers."""
    found: list[str] = []
    for m in _TICKET_RE.finditer(message):
        key = m.group(1)
        if key.split("-")[0] in _NOT_TICKETS:
            continue
        if key not in found:
            found.append(key)
    for m in _ISSUE_RE.finditer(message):
        if m.group(1) not in found:
            found.append(m.group(1))
    return found


# ---------------------------------------------------------------- compiled → raw lines


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _raw_lines_with_marks(raw: str) -> list[str]:
    """Raw lines with each Jinja span replaced by a marker; newlines inside spans are kept."""
    marked = _JINJA_RE.sub(lambda m: _MARK + "\n" * m.group(0).count("\n"), raw)
    return marked.split("\n")


def _matches(raw_line: str, compiled_line: str) -> bool:
    """Whether a compiled line is what a raw (possibly templated) line renders to."""
    target = _normalize(compiled_line)
    if not target:
        return False
    if _MARK not in raw_line:
        return _normalize(raw_line) == target
    pieces = raw_line.split(_MARK)
    literals = [_normalize(p) for p in pieces]
    if not any(literals):
        return False
    pos = 0
    for i, lit in enumerate(literals):
        if not lit:
            continue
        at = target.find(lit, pos)
        if at < 0 or (i == 0 and at != 0):
            return False
        pos = at + len(lit)
    return not (literals[-1] and pos != len(target))


def map_lines(compiled: str, raw: str, lines: Iterable[int]) -> dict[int, int]:
    """Compiled line number → raw line number (1-based), nearest matching text first."""
    compiled_lines = compiled.split("\n")
    raw_lines = _raw_lines_with_marks(raw)
    n_raw = max(1, len(raw_lines) - (1 if raw_lines and raw_lines[-1] == "" else 0))
    out: dict[int, int] = {}
    for line in lines:
        text = compiled_lines[line - 1] if 0 < line <= len(compiled_lines) else ""
        same = min(max(line, 1), n_raw)
        if text.strip() and not _matches(raw_lines[same - 1], text):
            candidates = [i + 1 for i, r in enumerate(raw_lines[:n_raw]) if _matches(r, text)]
            if candidates:
                same = min(candidates, key=lambda c: (abs(c - line), c))
        out[line] = same
    return out


# ---------------------------------------------------------------- git


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False, errors="replace"
        )
    except FileNotFoundError as exc:
        raise GitUnavailable("git is not installed") from exc
    if proc.returncode != 0:
        raise GitUnavailable(proc.stderr.strip() or f"git {args[0]} failed")
    return proc.stdout


def repo_root(path: Path) -> Path:
    out = _git(path, "rev-parse", "--show-toplevel").strip()
    return Path(out).resolve()


@dataclass
class BlameLine:
    sha: str
    line: int


@dataclass
class CommitInfo:
    sha: str
    author: str
    email: str
    date: str  # ISO 8601 with offset
    timestamp: int
    message: str


@dataclass
class RepoHistory:
    """Latest authored date per author and the repository's latest commit (one `git log`)."""

    last_by_author: dict[str, int] = field(default_factory=dict)
    latest: int | None = None

    @classmethod
    def read(cls, repo: Path) -> RepoHistory:
        hist = cls()
        try:
            out = _git(repo, "log", "--format=%at%x1f%ae%x1f%an", "HEAD")
        except GitUnavailable as exc:  # an empty repository has no HEAD
            log.info("no commit history in %s: %s", repo, exc)
            return hist
        for row in out.splitlines():
            parts = row.split("\x1f")
            if len(parts) != 3:
                continue
            ts = int(parts[0])
            for key in _author_keys(parts[1], parts[2]):
                hist.last_by_author[key] = max(ts, hist.last_by_author.get(key, ts))
            hist.latest = ts if hist.latest is None else max(hist.latest, ts)
        return hist

    def inactive(self, email: str, name: str, reference: int) -> bool:
        last = max((self.last_by_author.get(k, 0) for k in _author_keys(email, name)), default=0)
        return last > 0 and reference - last > INACTIVE_AFTER.total_seconds()


@lru_cache(maxsize=8)
def _repo_history(repo: Path, head: str) -> RepoHistory:
    """One `git log` per repository state, however many definitions an audit digs into."""
    return RepoHistory.read(repo)


def _author_keys(email: str, name: str) -> list[str]:
    keys = []
    if email.strip():
        keys.append("e:" + email.strip().lower())
    if name.strip():
        keys.append("n:" + name.strip().lower())
    return keys[:1]  # email identifies an author; the name only when there is no email


def blame(repo: Path, file: Path, lines: Iterable[int]) -> list[BlameLine]:
    """The commit of each requested line (`git blame --porcelain -w -M`, one run per file)."""
    wanted = sorted(set(lines))
    if not wanted:
        return []
    args = ["blame", "--porcelain", "-w", "-M"]
    for a, b in _ranges(wanted):
        args += ["-L", f"{a},{b}"]
    out = _git(repo, *args, "--", str(file.relative_to(repo)))
    result: list[BlameLine] = []
    header = re.compile(r"^([0-9a-f]{40}) (\d+) (\d+)(?: (\d+))?$")
    want = set(wanted)
    for row in out.split("\n"):
        m = header.match(row)
        if m and int(m.group(3)) in want:
            result.append(BlameLine(m.group(1), int(m.group(3))))
    return result


def _ranges(lines: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for n in lines:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def commit_infos(repo: Path, shas: Iterable[str]) -> dict[str, CommitInfo]:
    """Author, date and full message (subject + body) of each commit, in one `git log`."""
    todo = sorted({s for s in shas if s != ZERO_SHA})
    if not todo:
        return {}
    out = _git(repo, "log", "--no-walk=unsorted", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%at%x1f%B%x1e", *todo)
    infos: dict[str, CommitInfo] = {}
    for rec in out.split("\x1e"):
        parts = rec.strip("\n").split("\x1f")
        if len(parts) != 6:
            continue
        sha, name, email, iso, ts, body = parts
        infos[sha] = CommitInfo(sha, name, email, iso, int(ts), body.strip())
    return infos


# ---------------------------------------------------------------- dig


def dig(project_root: Path, models: ModelSet, definition: Definition, now: datetime | None = None) -> list[Commit]:
    """One Commit per (decision, commit, file) for every line a decision comes from.

    Returns [] (and logs why) when the project is not in a git work tree. Lines changed but
    not committed are reported with the zero sha and the flag "uncommitted".
    """
    try:
        repo = repo_root(project_root)
    except GitUnavailable as exc:
        log.warning("no history for %s: %s is not in a git work tree (%s)", definition.model, project_root, exc)
        return []
    history: RepoHistory | None = None
    blamed: dict[tuple[Path, int], str] = {}  # (file, raw line) → sha
    wanted: dict[Path, set[int]] = {}
    plan: list[tuple[str, Path, str, int]] = []  # (decision, file, shown path, raw line)
    raw_text: dict[Path, str] = {}

    for decision, origin in definition.provenance.items():
        if decision == "no_effect":  # conditions true for every row decide nothing
            continue
        for model_name, line in origin:
            source = models.models.get(model_name)
            if source is None or not source.path:
                log.info("no file for model %s (decision %s)", model_name, decision)
                continue
            file = (project_root / source.path).resolve()
            if not file.is_file():
                log.info("%s (model %s) does not exist; skipping its history", file, model_name)
                continue
            if not file.is_relative_to(repo):
                log.info("%s is outside the git repository %s; skipping its history", file, repo)
                continue
            if file not in raw_text:
                raw_text[file] = file.read_text(encoding="utf-8", errors="replace")
            raw_line = map_lines(source.sql, raw_text[file], [line])[line]
            plan.append((decision, file, source.path, raw_line))
            wanted.setdefault(file, set()).add(raw_line)

    for file, lines in wanted.items():
        try:
            for b in blame(repo, file, lines):
                blamed[(file, b.line)] = b.sha
        except GitUnavailable as exc:  # e.g. a file never added to git
            log.info("cannot blame %s: %s; its lines count as uncommitted", file, exc)
            for n in lines:
                blamed[(file, n)] = ZERO_SHA

    infos = commit_infos(repo, blamed.values())
    if any(s != ZERO_SHA for s in blamed.values()):
        history = _repo_history(repo, _git(repo, "rev-parse", "HEAD").strip())
    reference = int(now.timestamp()) if now is not None else (history.latest if history else None)

    grouped: dict[tuple[str, str, str], Commit] = {}
    for decision, file, shown, raw_line in plan:
        sha = blamed.get((file, raw_line), ZERO_SHA)
        key = (decision, sha, shown)
        commit = grouped.get(key)
        if commit is None:
            commit = _commit(decision, sha, infos.get(sha), history, reference)
            commit.file = shown
            grouped[key] = commit
        if raw_line not in commit.lines:
            commit.lines.append(raw_line)
            commit.lines.sort()
    order = {d: i for i, d in enumerate(definition.provenance)}
    return sorted(grouped.values(), key=lambda c: (order.get(c.decision, 0), c.date, c.file, c.sha))


def _commit(
    decision: str, sha: str, info: CommitInfo | None, history: RepoHistory | None, reference: int | None
) -> Commit:
    if sha == ZERO_SHA or info is None:
        return Commit(decision, ZERO_SHA, "Not Committed Yet", "", "", "", [], [UNCOMMITTED])
    tickets = parse_tickets(info.message)
    flags = [] if tickets else [NO_TICKET]
    if history is not None and reference is not None and history.inactive(info.email, info.author, reference):
        flags.append(AUTHOR_INACTIVE)
    return Commit(decision, sha, info.author, info.email, info.date, info.message, tickets, flags)


def reference_date(project_root: Path, now: datetime | None = None) -> str | None:
    """The date "author inactive" is measured from (ISO), for reports to state."""
    if now is not None:
        return now.isoformat()
    try:
        hist = RepoHistory.read(repo_root(project_root))
    except GitUnavailable:
        return None
    return None if hist.latest is None else datetime.fromtimestamp(hist.latest, UTC).isoformat()

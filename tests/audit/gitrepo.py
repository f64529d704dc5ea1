"""A git repository written commit by commit with chosen authors and dates (no global config)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ALICE = ("Alice Analyst", "alice@acme.test")
BOB = ("Bob Contractor", "bob@acme.test")


def git(repo: Path, *args: str, who: tuple[str, str] = ALICE, when: str = "2026-01-01T10:00:00+00:00") -> str:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(repo.parent),  # no global git config
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": who[0],
        "GIT_AUTHOR_EMAIL": who[1],
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": who[0],
        "GIT_COMMITTER_EMAIL": who[1],
        "GIT_COMMITTER_DATE": when,
    }
    proc = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str, who: tuple[str, str], when: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
        git(repo, "add", rel, who=who, when=when)
    git(repo, "commit", "-q", "-m", message, who=who, when=when)
    return git(repo, "rev-parse", "HEAD")

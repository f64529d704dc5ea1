"""Write a git history with fixed authors and dates, whatever the machine's git configuration.

Global and system configuration are ignored (GIT_CONFIG_GLOBAL=/dev/null, GIT_CONFIG_NOSYSTEM),
identity, dates, branch name and signing are passed explicitly, so the same files and
commits give the same commit hashes on any machine, including one where git was never set up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from canon.errors import UserError


def _git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise UserError(
            "git is not installed; the example project is written as a git repository",
            fix="install git (Debian: `apt-get install git`) and run the command again",
        )
    return found


class GitRepo:
    """A repository being written commit by commit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git = _git_binary()

    def _run(self, args: list[str], env: dict[str, str] | None = None) -> str:
        base = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
        for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            base.pop(var, None)
        command = [
            self.git,
            "-c", "init.defaultBranch=main",
            "-c", "commit.gpgsign=false",
            "-c", "core.autocrlf=false",
            "-c", "core.hooksPath=/dev/null",
            *args,
        ]  # fmt: skip
        done = subprocess.run(command, cwd=self.root, env={**base, **(env or {})}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def init(self) -> None:
        self._run(["init", "--quiet", "--template=", "--initial-branch=main"])

    def commit(self, message: str, name: str, email: str, when: datetime) -> str:
        """Stage everything and commit it as `name <email>` at `when`; returns the commit hash."""
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S%z") or when.isoformat()
        identity = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }
        self._run(["add", "--all"])
        self._run(
            ["-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "--no-verify",
             "--allow-empty", "-m", message],
            identity,
        )  # fmt: skip
        return self._run(["rev-parse", "HEAD"]).strip()

"""Run a command as a child process and measure it from outside: wall seconds and peak RSS.

Peak RSS comes from `os.wait4` on the child: the kernel's `ru_maxrss` of that process and
of the descendants it waited for (a `canon audit` that runs dbt in process is counted whole).
A command past its timeout is killed with its whole process group and reported as such.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    seconds: float
    peak_mib: float
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_measured(
    argv: Sequence[str],
    cwd: str | Path | None = None,
    *,
    timeout: float = 600.0,
    env: Mapping[str, str] | None = None,
) -> Measured:
    """Run `argv` to the end (or kill it at `timeout` seconds) and return its measurements."""
    child_env = dict(os.environ if env is None else env)
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err, env=child_env, start_new_session=True)
        returncode: int | None = None
        peak_kib = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                peak_kib = usage.ru_maxrss
                break
            if time.perf_counter() - t0 > timeout:
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own group (start_new_session)
                _, _, usage = os.wait4(proc.pid, 0)
                peak_kib = usage.ru_maxrss
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - t0
        proc.returncode = returncode if returncode is not None else -9  # already reaped: keep Popen quiet
        out.seek(0)
        err.seek(0)
        return Measured(
            list(argv),
            returncode,
            seconds,
            peak_kib / 1024,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )

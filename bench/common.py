"""Shared helpers for benchmark scripts: timing, peak memory, table printing, machine line."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def machine() -> str:
    cores = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()} Linux, {cores} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time over `repeat` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def median_ms(fn: Callable[[], Any], n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Print and return a Markdown table (pasted into bench/RESULTS.md)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    text = "\n".join(lines)
    print(text)
    return text


def canon_exe() -> str:
    """The `canon` console script of the running interpreter's environment (whatever venv runs the bench)."""
    import shutil
    import sys
    from pathlib import Path

    beside = Path(sys.executable).parent / "canon"
    if beside.exists():
        return str(beside)
    found = shutil.which("canon")
    if found is None:
        raise SystemExit("the `canon` command is not installed next to this Python (run `make venv`)")
    return found


def load_average() -> str:
    """1/5/15-minute load average: wall times on a shared machine are only read with it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def process_medians(
    commands: dict[str, tuple[Sequence[str], str | None]], runs: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Wall seconds of each command as a whole process, `runs` times, interleaved round-robin.

    Interleaving spreads a shared machine's load over every command alike, so the ratios
    between them hold even when the absolute times drift. The warm-up runs (page cache,
    .pyc files) are not counted. A command that fails stops the benchmark with its stderr.
    PYTHONDONTWRITEBYTECODE is dropped for the children: an installed package has its .pyc
    files, and a shell that sets it would otherwise time recompiling canon on every run.
    """
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + runs):
        for name, (argv, cwd) in commands.items():
            t0 = time.perf_counter()
            proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False, env=env)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
            if i >= warmup:
                samples[name].append(elapsed)
    return samples


def absolute_pythonpath() -> None:
    """Make PYTHONPATH entries absolute, so child processes run in another folder import the same canon.

    `PYTHONPATH=src python bench/...` is how a worktree runs its own code with a shared venv; a
    child started with `cwd=` elsewhere would otherwise resolve `src` there and silently fall
    back to whatever canon the venv has installed.
    """
    from pathlib import Path

    entries = os.environ.get("PYTHONPATH")
    if entries:
        os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(e).resolve()) for e in entries.split(os.pathsep) if e)


def canon_under_test(cwd: str | None = None) -> str:
    """The canon package a child process started in `cwd` imports (printed beside the timings)."""
    import subprocess
    import sys

    code = "import canon, os; print(os.path.dirname(canon.__file__))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()

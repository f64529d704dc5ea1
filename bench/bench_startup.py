"""Startup: how long a canon command takes as a whole process, and where the import time goes.

Whole-process medians (interleaved runs) of `python -c "import canon"`, `canon version` and
`canon query mrr --sql` (in the ACME example after `canon load`), against `python -c pass`
(the interpreter alone) and `python -c "import duckdb"` (the least a DuckDB tool imports),
measured in the same run. Then `python -X importtime` of the CLI with every command
registered and of `canon query mrr --sql`: the top modules by cumulative import time, and
which canon module first pulls in each heavy library.

    python bench/bench_startup.py [--runs 9] [--top 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    absolute_pythonpath,
    canon_exe,
    canon_under_test,
    load_average,
    machine,
    print_table,
    process_medians,
)

# Libraries whose import cost matters for startup; a module counts under the first prefix it matches.
HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "polars",
    "pydantic",
    "pydantic_core",
    "sqlglot.dialects",
    "sqlglot",
    "rich",
    "typer",
    "click",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "duckdb",
    "ruamel",
    "yaml",
    "jinja2",
    "dbt",
    "psycopg",
    "pyspark",
    "plotly",
    "importlib.metadata",
)


@dataclass
class Node:
    """One line of `-X importtime`: a module, its own and cumulative microseconds, its imports."""

    name: str
    self_us: int
    cum_us: int
    depth: int
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[Node]:
    """Lines in the order Python printed them (children before their parent), parents linked.

    The name column is indented two spaces per nesting level; a module at depth d adopts the
    not-yet-adopted modules at depth d+1 printed just before it.
    """
    nodes: list[Node] = []
    pending: list[Node] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_part, cum_part, name_part = line.split(":", 1)[1].split("|", 2)
        stripped = name_part.lstrip(" ")
        depth = (len(name_part) - len(stripped) - 1) // 2
        node = Node(stripped.strip(), int(self_part), int(cum_part), depth)
        while pending and pending[-1].depth == depth + 1:
            child = pending.pop()
            child.parent = node
            node.children.insert(0, child)
        pending.append(node)
        nodes.append(node)
    return nodes


def importtime(argv: list[str], cwd: str | None = None) -> list[Node]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return parse_importtime(proc.stderr)


def median_runs(argv: list[str], cwd: str | None, runs: int) -> dict[str, Node]:
    """Per module, the run whose cumulative time is the median over `runs` runs (one run is noisy)."""
    per_run = [importtime(argv, cwd) for _ in range(runs)]
    by_name: dict[str, list[Node]] = {}
    for nodes in per_run:
        for n in nodes:
            by_name.setdefault(n.name, []).append(n)
    return {name: sorted(ns, key=lambda n: n.cum_us)[len(ns) // 2] for name, ns in by_name.items()}


def heavy_root(name: str) -> str | None:
    for prefix in HEAVY:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def canon_chain(node: Node) -> list[str]:
    """The canon modules on the import path to `node`, outermost first (who imported whom)."""
    chain = []
    up = node.parent
    while up is not None:
        if up.name == "canon" or up.name.startswith("canon."):
            chain.append(up.name)
        up = up.parent
    return chain[::-1]


def attributions(nodes: dict[str, Node]) -> list[list[str]]:
    """Each heavy library at its first import: the canon module whose import pulled it in, and its cost.

    The first import of a package pays for it; later imports are free, so the module listed is
    the one to make lazy (or to stop importing from a hot path) to save that time.
    """
    rows: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    for node in nodes.values():
        root = heavy_root(node.name)
        if root is None or root in seen:
            continue
        # the outermost module of this library in this chain (e.g. pandas, not pandas.core.frame)
        top = node
        while top.parent is not None and heavy_root(top.parent.name) == root:
            top = top.parent
        if root == "sqlglot.dialects":  # every dialect module loaded, not just the package
            names = sorted(n.name.rsplit(".", 1)[-1] for n in nodes.values() if n.name.startswith("sqlglot.dialects."))
            label = f"sqlglot.dialects ({', '.join(names)})"
        else:
            label = root
        seen.add(root)
        chain = canon_chain(top)
        via = chain[-1] if chain else "(interpreter / another library)"
        rows.append((top.cum_us, [label, via, f"{top.cum_us / 1000:.0f}", " › ".join(chain[:-1])]))
    rows.sort(key=lambda r: -r[0])
    return [r for _, r in rows]


def top_cumulative(nodes: dict[str, Node], n: int) -> list[list[str]]:
    ranked = sorted(nodes.values(), key=lambda x: -x.cum_us)[:n]
    return [[x.name, f"{x.cum_us / 1000:.0f}", f"{x.self_us / 1000:.1f}"] for x in ranked]


def acme_project(base: Path) -> Path:
    """The ACME example, loaded into its DuckDB warehouse (setup: not timed)."""
    root = base / "acme"
    canon = canon_exe()
    for argv, cwd in (([canon, "init", "--example", "acme", str(root)], None), ([canon, "load"], str(root))):
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command (median kept; at least 7)")
    parser.add_argument("--top", type=int, default=15, help="modules listed by cumulative import time")
    parser.add_argument("--importtime-runs", type=int, default=3)
    args = parser.parse_args()
    absolute_pythonpath()
    runs = max(args.runs, 7)
    py, canon = sys.executable, canon_exe()
    project = acme_project(Path(tempfile.mkdtemp(prefix="canon-bench-startup-")))
    commands: dict[str, tuple[list[str], str | None]] = {
        'python -c "pass"': ([py, "-c", "pass"], None),
        'python -c "import duckdb"': ([py, "-c", "import duckdb"], None),
        'python -c "import canon"': ([py, "-c", "import canon"], None),
        "canon version": ([canon, "version"], None),
        "canon query mrr --sql": ([canon, "query", "mrr", "--sql"], str(project)),
    }
    print(f"machine: {machine()}; {runs} runs each, interleaved; {load_average()} before")
    print(f"canon under test: {canon_under_test(str(project))}")
    samples = process_medians(commands, runs)
    med = {name: statistics.median(s) for name, s in samples.items()}
    base, duck = med['python -c "pass"'], med['python -c "import duckdb"']
    rows = [
        [
            name,
            f"{med[name] * 1000:.0f}",
            f"{min(s) * 1000:.0f}",
            f"{med[name] / base:.1f}×",
            f"{med[name] / duck:.1f}×",
        ]
        for name, s in samples.items()
    ]
    print_table(["process", "median ms", "min ms", 'vs python -c "pass"', "vs import duckdb"], rows)
    print(f"{load_average()} after")

    register = ["-c", "import canon.cli; canon.cli._register_commands()"]
    for title, argv, cwd in (
        ("import canon.cli + every command registered", register, None),
        ("canon query mrr --sql", [canon, "query", "mrr", "--sql"], str(project)),
    ):
        nodes = median_runs(argv, cwd, args.importtime_runs)
        print(f"\n-X importtime, {title} (median of {args.importtime_runs} runs): top {args.top} by cumulative")
        print_table(["module", "cumulative ms", "self ms"], top_cumulative(nodes, args.top))
        print(f"\nheavy libraries at first import ({title}): who pulls them in")
        print_table(["library", "first imported by", "cumulative ms", "imported via"], attributions(nodes))


if __name__ == "__main__":
    main()

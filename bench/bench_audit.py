"""Audit speed.

1. A generated 500-model dbt project (20 definitions among pass-through and count models):
   `dbt compile` (dbt's own parser and Jinja) plus canon's stages, end to end; ratio against
   `dbt compile` alone, the floor any audit reading dbt's manifest pays.
2. Bridges on the 10M-invoice ACME data: the three team definitions (extracted from the ACME
   example by the audit itself) bridged to the canonical MRR on DuckDB views over the Parquet
   files; ratio against one canonical MRR query on the same data.

    python bench/bench_audit.py [--models 500] [--rows 10000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, print_table  # noqa: E402


def project_500(n_models: int) -> list[list[str]]:
    from canon.audit.load import load_models
    from canon.audit.runner import AuditOptions, run_audit
    from canon.compiler.periods import parse_period
    from canon.dbt import run_dbt
    from canon.examples.generated.project import generate_project
    from canon.project import load_project

    root = Path(tempfile.mkdtemp(prefix="canon-bench-audit-")) / "project"
    generate_project(root, n_models=n_models, n_definitions=20, seed=1)
    run_dbt(root, ["parse"])  # warm dbt's partial parse, as in a project people work in
    t0 = time.perf_counter()
    run_dbt(root, ["compile"])
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    project = load_project(root)
    models = load_models(project)  # runs dbt compile itself, then reads the manifest
    project = load_project(root)
    result = run_audit(project, AuditOptions("mrr", parse_period("2026-10"), models, with_history=True))
    total = time.perf_counter() - t0
    stages = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
    shutil.rmtree(root.parent, ignore_errors=True)
    return [
        [f"{n_models} models, 20 definitions", "dbt compile alone", f"{compile_s:.1f}", "1.00×", ""],
        [
            f"{n_models} models, 20 definitions",
            f"canon audit end to end ({len(result.definitions)} found, "
            f"{sum(d.reproduced for d in result.definitions)} reproduced)",
            f"{total:.1f}",
            f"{total / compile_s:.2f}×",
            stages,
        ],
    ]


def bridges(rows: int) -> list[list[str]]:
    from bench.bench_mrr import dataset, project_dir
    from canon.audit.bridge import build_bridge, rows_of
    from canon.audit.domains import Domains
    from canon.audit.figures import Evaluator
    from canon.compiler.periods import parse_period
    from canon.dbt import run_dbt
    from canon.examples import ExampleOptions, init_example
    from canon.project import load_project
    from canon.workflow.session import audit_session

    small = Path(tempfile.mkdtemp(prefix="canon-bench-acme-")) / "acme"
    init_example("acme", small, ExampleOptions())
    run_dbt(small, ["build"])
    acme = load_project(small)
    definitions = audit_session(acme, "mrr", with_history=False).audit.definitions
    acme.close()

    big = load_project(project_dir(dataset(rows)))
    period = parse_period("2026-10")
    graph = big.join_graph()
    relations = big.relations(big.engine)
    evaluator = Evaluator(big.engine, graph, relations, period)
    domains = Domains(big.engine, relations)
    canonical = big.metric("mrr").decisions
    t0 = time.perf_counter()
    target = evaluator(canonical)
    one_query = time.perf_counter() - t0
    t0 = time.perf_counter()
    steps = 0
    for d in definitions:
        bridge = build_bridge(  # from the canonical figure to the definition, as the audit bridges
            canonical,
            d.vector,
            evaluator,
            domains,
            "canonical",
            d.model,
            start_cents=target,
            compiles=evaluator.compiles,
            prefetch=partial(evaluator.many, checked=True),
            per_row=rows_of(graph),
            by_values=evaluator.by_values,
        )
        steps += len(bridge.steps)
    total = time.perf_counter() - t0
    shutil.rmtree(small.parent, ignore_errors=True)
    return [
        [f"{rows:,} invoices", "one canonical MRR query", f"{one_query:.2f}", "1.00×", ""],
        [
            f"{rows:,} invoices",
            f"3 bridges ({steps} steps, Shapley prices over every combination)",
            f"{total:.2f}",
            f"{total / one_query:.1f}×",
            "",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print_table(["project", "what", "seconds", "ratio", "stages (s)"], [*project_500(args.models), *bridges(args.rows)])


if __name__ == "__main__":
    main()

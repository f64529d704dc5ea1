"""The 500-model package-style project (issue 11, "Never hang"): audit vs `dbt compile`, memory, init.

The project is `canon.examples.generated.package_style`: the generated 500-model project with
200 of its models in a vendor-package style (40-level CTE chains whose every step re-selects
its columns through a Jinja loop, Jinja-generated pivot columns, `var()` toggles, models
stacked on package models). Steps, all as child processes measured from outside (wall
seconds, peak RSS from `os.wait4`), one at a time:

1. `dbt build` with dbt-duckdb (setup, not compared), then `dbt parse` to warm partial parse
   as in a project people work in;
2. `dbt compile` alone: the floor any audit reading dbt's compiled SQL pays;
3. `canon init` on the project without its canon.yml (the user's first command);
4. `canon audit --metric mrr --period 2026-10 --format json` end to end, killed at 10 minutes,
   three times: as the user has it after `canon init` (no contract: the standard MRR); with
   `canon init`'s canon.yml (no relationships: the project has no relationships tests) and the
   generator's contract `metrics/mrr.yml`, whose joins then come from the models' SQL; then with
   the generator's own canon.yml (its relationships) and contract (bridges too).

Targets: audit < 2x `dbt compile` alone and < 2 GiB peak; `canon init` < 10 s.

    python bench/bench_package_audit.py [--models 500] [--package 200] [--depth 40] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import absolute_pythonpath, canon_exe, load_average, machine, print_table  # noqa: E402
from bench.measure import Measured, run_measured  # noqa: E402


def ok(run: Measured, what: str) -> None:
    if run.timed_out or run.returncode != 0:
        tail = (run.stderr or run.stdout)[-2000:]
        raise SystemExit(f"{what} failed (exit {run.returncode}, {run.seconds:.0f} s):\n{tail}")


def audit_row(label: str, audit: Measured, compile_run: Measured, timeout: float) -> list[str]:
    if audit.timed_out:
        what, detail = f"{label}: killed after {timeout:.0f} s", "hung"
    else:
        try:
            report = json.loads(audit.stdout)
            detail = ", ".join(f"{k} {v:.1f}" for k, v in (report.get("timings") or {}).items())
            defs = report.get("definitions") or []
            what = (
                f"{label}: exit {audit.returncode}, {len(defs)} found, "
                f"{sum(bool(d.get('reproduced')) for d in defs)} reproduced, "
                f"{len(report.get('failed') or [])} failed, {len(report.get('skipped') or [])} skipped"
            )
        except json.JSONDecodeError:
            what = f"{label}: exit {audit.returncode}, no report"
            detail = " ".join(audit.stderr.split()).split(" Fix:")[0][:200]
    fast = audit.seconds < 2 * compile_run.seconds and not audit.timed_out
    small = audit.peak_mib < 2048
    return [
        what,
        f"{audit.seconds:.1f}",
        f"{audit.seconds / compile_run.seconds:.2f}×",
        f"{audit.peak_mib:.0f}",
        "< 2× " + ("✓" if fast else "✗") + ", < 2 GiB " + ("✓" if small else "✗"),
        detail,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--package", type=int, default=200, help="how many of the models are package-style")
    parser.add_argument("--depth", type=int, default=40, help="CTE levels of a chain model")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before the audit is killed")
    parser.add_argument("--keep", type=Path, help="generate here and keep the project")
    args = parser.parse_args()
    absolute_pythonpath()
    from canon.examples.generated.package_style import generate_package_project

    canon = canon_exe()
    dbt = str(Path(sys.executable).parent / "dbt")
    root = args.keep or Path(tempfile.mkdtemp(prefix="canon-bench-package-")) / "project"
    ground = generate_package_project(root, args.models, args.package, args.depth, seed=1)
    # As on a project canon never saw: no canon.yml, no contract (kept aside for the second audit).
    (root / "canon.yml").rename(root / "canon.generated.yml")
    (root / "metrics").rename(root / "metrics.generated")
    print(f"machine: {machine()}; {load_average()} at start")
    print(f"{root}: {ground['n_models']} models, {len(ground['package_models'])} package-style, depth {args.depth}")

    build = run_measured([dbt, "build", "--profiles-dir", "."], root, timeout=3600)
    ok(build, "dbt build")
    print(f"dbt build: {build.seconds:.1f} s")
    ok(run_measured([dbt, "parse", "--profiles-dir", "."], root, timeout=1800), "dbt parse")
    compile_run = run_measured([dbt, "compile", "--profiles-dir", "."], root, timeout=1800)
    ok(compile_run, "dbt compile")
    print(f"dbt compile: {compile_run.seconds:.1f} s")
    init = run_measured([canon, "init"], root, timeout=600)
    ok(init, "canon init")
    print(f"canon init: {init.seconds:.1f} s")
    argv = [canon, "audit", "--metric", "mrr", "--period", "2026-10", "--format", "json"]
    user = run_measured(argv, root, timeout=args.timeout)
    print(f"canon audit (after canon init, no contract): {user.seconds:.1f} s, exit {user.returncode}")
    (root / "metrics.generated").rename(root / "metrics")
    mixed = run_measured(argv, root, timeout=args.timeout)
    print(f"canon audit (init's canon.yml + contract): {mixed.seconds:.1f} s, exit {mixed.returncode}")
    (root / "canon.yml").rename(root / "canon.init.yml")
    (root / "canon.generated.yml").rename(root / "canon.yml")
    full = run_measured(argv, root, timeout=args.timeout)
    print(f"canon audit (generated canon.yml + contract): {full.seconds:.1f} s, exit {full.returncode}")
    print(f"{load_average()} at end")

    rows = [
        ["dbt build (setup)", f"{build.seconds:.1f}", "", f"{build.peak_mib:.0f}", "", ""],
        ["dbt compile alone", f"{compile_run.seconds:.1f}", "1.00×", f"{compile_run.peak_mib:.0f}", "", ""],
        [
            "canon init",
            f"{init.seconds:.1f}",
            f"{init.seconds / compile_run.seconds:.2f}×",
            f"{init.peak_mib:.0f}",
            "< 10 s " + ("✓" if init.seconds < 10 else "✗"),
            "",
        ],
        audit_row("canon audit --metric mrr, after canon init (no contract)", user, compile_run, args.timeout),
        audit_row("canon audit --metric mrr, init's canon.yml + contract", mixed, compile_run, args.timeout),
        audit_row("canon audit --metric mrr, generated canon.yml + contract", full, compile_run, args.timeout),
    ]
    print_table(["step", "seconds", "vs dbt compile", "peak RSS MiB", "target", "audit stages (s)"], rows)
    if args.keep is None:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()

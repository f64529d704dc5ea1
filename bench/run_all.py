"""Run every benchmark scenario at its default (CI-sized) settings; see each script for more.

python bench/run_all.py   # compile, startup, query process, generation 1M, MRR 1M/10M, audit,
                          # corpus scorecard, package-style audit, load, usage, mart, serve
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = [
    ["bench_compile.py"],
    ["bench_startup.py"],
    ["bench_query_process.py", "--rows", "1000000", "10000000"],
    ["bench_generate.py"],
    ["bench_mrr.py", "--rows", "1000000", "10000000"],
    ["bench_audit.py"],
    ["bench_corpus.py"],
    ["bench_package_audit.py"],
    ["bench_load.py"],
    ["bench_usage.py"],
    ["bench_mart.py"],
    ["bench_serve.py"],
]


def main() -> int:
    failed = 0
    for args in SCENARIOS:
        script = HERE / args[0]
        if not script.exists():
            continue
        print(f"\n== {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(script), *args[1:]], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

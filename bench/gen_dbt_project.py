"""Generate the 500-model dbt project used by the audit benchmark (`canon.examples.generated`).

    python bench/gen_dbt_project.py DEST [--models 500] [--definitions 20] [--seed 1]

Run dbt from DEST (the DuckDB path in profiles.yml is relative):
    cd DEST && dbt parse --profiles-dir .   (or compile / run)
The same seed always yields byte-identical files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from canon.examples.generated.project import PERIOD, generate_project


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--definitions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    ground = generate_project(args.dest, args.models, args.definitions, args.seed)
    print(f"{args.dest}: {ground['n_models']} models, {len(ground['definitions'])} definitions")
    for name, d in ground["definitions"].items():
        print(f"  {name:32} {d['measure']['column']:28} {d['figures'][PERIOD]:>14,}c  {', '.join(d['features'])}")


if __name__ == "__main__":
    main()

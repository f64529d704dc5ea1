"""Generate a dbt (dbt-duckdb) project with money-metric definitions hidden among decoys.

    generate_project(DEST, n_models=500, n_definitions=20, seed=1)
    python bench/gen_dbt_project.py DEST [--models 500] [--definitions 20] [--seed 1]

Writes DEST/dbt_project.yml, profiles.yml, models/**.sql (+ sources and exposures),
canon.yml, metrics/mrr.yml (the canonical contract), warehouse.duckdb (ACME's four raw
tables, small and deterministic) and DEST/ground_truth.json: for every definition its
decision vector in the audit's DECISIONS form, stated by the generator from its own
parameters (never from canon), plus its figures for two months computed in plain Python.

Run dbt from DEST (the DuckDB path in profiles.yml is relative):
    cd DEST && dbt parse --profiles-dir .   (or compile / run)
The same seed always yields byte-identical files.
"""

from __future__ import annotations

import json
import random
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

from canon.examples.generated.data import COLUMNS, DOMAINS, RELATIONSHIPS, figure_cents, make_dataset
from canon.examples.generated.decoys import decoy
from canon.examples.generated.models import Ctx, GenModel, shared_models, truth
from canon.examples.generated.recipes import RECIPES

PERIOD = "2026-10"
PREVIOUS = "2026-09"
PROJECT = "generated"
TRUTH_FILE = "ground_truth.json"

CANONICAL = truth(
    "raw_invoices.amount",
    Fraction(1),
    ["raw_invoices.invoice_date"],
    {
        "raw_invoices.type": ["subscription"],
        "raw_invoices.status": ["paid"],
        "raw_contracts.type": ["recurring"],
        "raw_contracts.status": ["active"],
    },
    "mrr",
    {"kind": "date", "column": "period_start"},
    ["canonical contract"],
)

DBT_PROJECT = f"""\
name: {PROJECT}
version: "1.0.0"
config-version: 2
profile: {PROJECT}
model-paths: ["models"]
target-path: target
clean-targets: [target]
flags:
  send_anonymous_usage_stats: false
  use_colors: false
models:
  {PROJECT}:
    +materialized: view
"""

PROFILES = f"""\
{PROJECT}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: warehouse.duckdb
      schema: main
      threads: 2
"""

METRIC = """\
name: mrr
label: MRR
description: Paid subscription invoices of active recurring contracts, by invoice month.
owner: finance
dimensions:
  segment: {column: raw_accounts.segment}
composition:
  type: declarative
  measure: {column: raw_invoices.amount}
  time_basis: {column: raw_invoices.invoice_date}
  filters:
    raw_invoices.type: [subscription]
    raw_invoices.status: [paid]
    raw_contracts.type: [recurring]
    raw_contracts.status: [active]
"""


def generate_project(dest: Path, n_models: int = 500, n_definitions: int = 20, seed: int = 1) -> dict[str, Any]:
    """Write the project into `dest` (its generated parts replaced) and return the ground truth."""
    shared, rels = shared_models()
    if n_definitions < 1 or n_models < len(shared) + n_definitions:
        raise ValueError(f"n_models must be at least {len(shared)} shared models + n_definitions")
    rng = random.Random(seed)
    ctx = Ctx(rng, used={m.name for m in shared})

    definitions: list[GenModel] = []
    for k in range(n_definitions):
        ctx.first_pass = k < len(RECIPES)
        definitions.append(RECIPES[k % len(RECIPES)](ctx))
    accounts = next(r for r in rels if r.name == "stg_accounts")
    decoys: list[GenModel] = []
    for _ in range(n_models - len(shared) - n_definitions):
        model, rel = decoy(ctx, rels, accounts)
        decoys.append(model)
        if rel is not None:
            rels.append(rel)

    dataset = make_dataset(seed)
    _prepare(dest)
    models = [*shared, *definitions, *decoys]
    for m in models:
        path = dest / "models" / m.folder / f"{m.name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(m.sql)
    _write_yaml(dest, definitions, decoys)
    dataset.write_duckdb(dest / "warehouse.duckdb")

    out_defs: dict[str, Any] = {}
    for m in definitions:
        assert m.truth is not None
        t = dict(m.truth)
        t["path"] = f"models/{m.folder}/{m.name}.sql"
        t["figures"] = {p: figure_cents(dataset, m.truth, p) for p in (PREVIOUS, PERIOD)}
        t["decisions"] = decisions(t)
        out_defs[m.name] = t
    ground = {
        "seed": seed,
        "n_models": n_models,
        "n_definitions": n_definitions,
        "period": PERIOD,
        "metric": "mrr",
        "domains": {k: v for k, v in DOMAINS.items()},
        "raw_tables": sorted(COLUMNS),
        "canonical": {
            **{k: CANONICAL[k] for k in ("measure", "time_basis", "filters", "slices")},
            "decisions": decisions(CANONICAL),
            "figures": {p: figure_cents(dataset, CANONICAL, p) for p in (PREVIOUS, PERIOD)},
        },
        "definitions": out_defs,
        "decoys": {m.name: m.kind for m in [*shared, *decoys]},
    }
    (dest / TRUTH_FILE).write_text(json.dumps(ground, indent=2, sort_keys=True) + "\n")
    return ground


def decisions(entry: dict[str, Any]) -> dict[str, Any]:
    """A ground-truth entry in the audit JSON's DECISIONS form (issue 4)."""
    return {
        "measure": {"column": entry["measure"]["column"], "scale": entry["measure"]["scale"]},
        "time_basis": entry["time_basis"],
        "filters": entry["filters"],
    }


def _prepare(dest: Path) -> None:
    """Start from a clean slate for the generated parts; refuse to clobber an unrelated folder."""
    dest.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in dest.iterdir() if p.name not in _OWNED]
    if foreign and not (dest / TRUTH_FILE).exists():
        raise FileExistsError(f"{dest} is not empty and was not generated here ({', '.join(sorted(foreign)[:5])})")
    for name in ("models", "target", "metrics", "logs"):
        shutil.rmtree(dest / name, ignore_errors=True)


_OWNED = {
    "models",
    "target",
    "logs",
    "metrics",
    "dbt_project.yml",
    "profiles.yml",
    "canon.yml",
    "warehouse.duckdb",
    "warehouse.duckdb.wal",
    TRUTH_FILE,
    ".gitignore",
    ".user.yml",
    "dbt_packages",
}


def _write_yaml(dest: Path, definitions: list[GenModel], decoys: list[GenModel]) -> None:
    (dest / "dbt_project.yml").write_text(DBT_PROJECT)
    (dest / "profiles.yml").write_text(PROFILES)
    (dest / ".gitignore").write_text("target/\nlogs/\n*.duckdb.wal\n")
    tables = "\n".join(f"      - name: {t}" for t in sorted(COLUMNS))
    (dest / "models" / "sources.yml").write_text(
        f"version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n{tables}\n"
    )
    exposures = [
        ("board_deck", "dashboard", "CFO", definitions[0].name),
        ("pipeline_review", "dashboard", "CRO", definitions[min(1, len(definitions) - 1)].name),
        ("growth_weekly", "notebook", "Growth", definitions[min(2, len(definitions) - 1)].name),
    ]
    if decoys:
        exposures.append(("ops_monitor", "application", "Ops", decoys[0].name))
    lines = ["version: 2", "exposures:"]
    for name, kind, owner, model in exposures:
        lines += [
            f"  - name: {name}",
            f"    type: {kind}",
            f"    owner: {{name: {owner}, email: {owner.lower()}@example.com}}",
            f"    depends_on: [\"ref('{model}')\"]",
        ]
    (dest / "models" / "exposures.yml").write_text("\n".join(lines) + "\n")
    rels = "\n".join(f"  - {{from: {a}, to: {b}}}" for a, b in RELATIONSHIPS)
    (dest / "canon.yml").write_text(
        f"name: {PROJECT}\n"
        "warehouse: {engine: duckdb, path: warehouse.duckdb, schema: main}\n"
        f'current_period: "{PERIOD}"\n'
        'dbt: {project_dir: ".", profiles_dir: "."}\n'
        f"relationships:\n{rels}\n"
    )
    (dest / "metrics").mkdir(exist_ok=True)
    (dest / "metrics" / "mrr.yml").write_text(METRIC)

"""A project of many derived metrics over a few base metrics, on the tiny warehouse.

Ten base metrics (sums of invoice and payment amounts under different filters, one contract
range metric) and eighty derived metrics, each `x + b1 - b2` or `2 * x - b1` over an earlier
metric `x` and base metrics `b1`, `b2`, chosen by a seeded generator. `DEPENDS` states which
metrics each derived one reads, so a test can compute which bases a question reaches and the
figures from the bases alone.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

BASE_FILTERS = [
    ("raw_invoices", "invoice_date", {"raw_invoices.status": ["paid"]}),
    ("raw_invoices", "invoice_date", {"raw_invoices.type": ["subscription"]}),
    ("raw_invoices", "invoice_date", {"raw_invoices.status": ["paid"], "raw_invoices.type": ["subscription"]}),
    ("raw_invoices", "invoice_date", {"raw_accounts.segment": ["enterprise"]}),
    ("raw_invoices", "invoice_date", {"raw_accounts.segment": ["smb", "mid-market"]}),
    ("raw_invoices", "invoice_date", {"raw_contracts.type": ["recurring"]}),
    ("raw_payments", "payment_date", {"raw_payments.refunded": [False]}),
    ("raw_payments", "payment_date", {"raw_payments.refunded": [True]}),
    ("raw_payments", "payment_date", {"raw_accounts.segment": ["enterprise"]}),
    ("raw_invoices", "invoice_date", {}),
]
N_BASE = len(BASE_FILTERS)


def plan(n_derived: int = 80, seed: int = 14) -> dict[str, tuple[str, list[str]]]:
    """Derived metric name → (expression, the metrics it reads), in definition order."""
    rng = random.Random(seed)
    bases = [f"b{i}" for i in range(N_BASE)]
    names: list[str] = list(bases)
    out: dict[str, tuple[str, list[str]]] = {}
    for k in range(n_derived):
        # half the time the previous derived metric (long chains), else any earlier one
        x = names[-1] if k and rng.random() < 0.5 else rng.choice(names)
        b1, b2 = rng.sample(bases, 2)
        if rng.random() < 0.2:
            expr, reads = f"2 * {x} - {b1}", [x, b1]
        else:
            expr, reads = f"{x} + {b1} - {b2}", [x, b1, b2]
        name = f"d{k}"
        out[name] = (expr, list(dict.fromkeys(reads)))
        names.append(name)
    return out


def write_derived_project(tiny_root: Path, root: Path, n_derived: int = 80) -> Path:
    """The tiny project's canon.yml and warehouse with 10 base and `n_derived` derived contracts."""
    root.mkdir(parents=True, exist_ok=True)
    text = (tiny_root / "canon.yml").read_text()
    (root / "canon.yml").write_text(text.replace("warehouse.duckdb", str(tiny_root / "warehouse.duckdb")))
    metrics = root / "metrics"
    if metrics.exists():
        shutil.rmtree(metrics)
    metrics.mkdir()
    for i, (table, date_column, filters) in enumerate(BASE_FILTERS):
        lines = [
            f"name: b{i}",
            "owner: finance",
            "composition:",
            "  type: declarative",
            f"  measure: {{column: {table}.amount}}",
            f"  time_basis: {{column: {table}.{date_column}}}",
        ]
        if filters:
            lines.append("  filters:")
            for column, values in filters.items():
                shown = ", ".join(str(v).lower() if isinstance(v, bool) else v for v in values)
                lines.append(f"    {column}: [{shown}]")
        (metrics / f"b{i}.yml").write_text("\n".join(lines) + "\n")
    for name, (expr, reads) in plan(n_derived).items():
        (metrics / f"{name}.yml").write_text(
            f"name: {name}\nowner: finance\ncomposition:\n  type: derived\n"
            f"  expression: {expr}\n  metrics: [{', '.join(reads)}]\n  unit: minor\n"
        )
    return root

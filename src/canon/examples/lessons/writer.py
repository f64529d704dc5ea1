"""Write the lessons example project: warehouse, canon.yml, contracts, injected-fault record.

The warehouse is generated into a temporary file beside the target and renamed over it only
when complete, so an interrupted run never leaves a half-written warehouse behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import duckdb

from canon.contracts.loader import load_contract_spec
from canon.contracts.model import definition_hash
from canon.examples.lessons.generate import generate
from canon.fsutil import atomic_write_text

WAREHOUSE = "warehouse.duckdb"
SECTION = "finance"
SIGNED_AT = "2026-05-19T00:00:00Z"  # the manifests' date; fixed so the files are byte-identical per run

CANON_YML = """\
# canon project: the lessons marketplace example (`canon init --example lessons DIR`).
name: lessons
warehouse:
  engine: duckdb
  path: warehouse.duckdb
metrics_dir: metrics
current_period: "2026-05"
sources:
  recognition: {relation: revenue.recognition, primary_key: [recognition_id]}
  person: {relation: spine.person, primary_key: [person_id]}
  org_market: {relation: spine.org_market, primary_key: [org_market_id]}
relationships:
  - {from: recognition.person_id, to: person.person_id}
  - {from: person.org_market_id, to: org_market.org_market_id}
serve:
  domains:
    growth:
      schema: growth
      tables:
        lead_intake: {primary_key: id, date_column: createdAt, description: One row per form submission.}
        campaign: {primary_key: id, date_column: createdAt, description: One row per campaign.}
        campaign_spend_daily:
          primary_key: id
          date_column: date
          description: One row per (campaign, date, source).
          columns: {spendCents: {type: bigint_string, description: Spend in cents (int8).}}
        subscriber: {primary_key: id, date_column: createdAt, description: One row per email signup.}
        acquisition_suppression:
          {primary_key: person_id, date_column: archived_at, description: One row per archived person.}
"""

GROSS_REVENUE_YML = """\
# A metric (not a mart grouping): gross recognized revenue, for `canon query` and the catalog.
name: gross_recognized_revenue
label: Gross recognized revenue
description: >-
  Revenue recognized from lessons delivered, before refunds and reversals (non-contra
  recognition rows, exception rows included at face value), by the month the recognition occurred.
owner: finance
status: draft
dimensions:
  org_market_id: {column: org_market.org_market_id}
  organization_id: {column: org_market.organization_id}
composition:
  type: declarative
  measure: {column: recognition.recognized_amount_cents, aggregation: sum, unit: minor}
  time_basis: {column: recognition.occurred_at}
  filters:
    recognition.is_contra: [false]
"""


def contract_texts() -> dict[str, str]:
    """The finance contracts shipped with canon, by file name, signed off with their hash."""
    folder = resources.files("canon.examples.lessons") / "contracts"
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        text = entry.read_text(encoding="utf-8")
        spec, _ = load_contract_spec(Path(entry.name), text)
        out[entry.name] = text.rstrip("\n") + (
            "\nsignoff:\n"
            "  by: finance-lead\n"
            "  role: owner of the finance-mart manifests\n"
            f"  at: {SIGNED_AT}\n"
            f'  definition_hash: "{definition_hash(spec)}"\n'
            "  note: Implements the authoritative finance-mart manifest named in `meta.manifest`.\n"
        )
    return out


def write_contracts(dest: Path) -> list[Path]:
    folder = dest / "metrics" / SECTION
    written = []
    for name, text in contract_texts().items():
        path = folder / name
        atomic_write_text(path, text)
        written.append(path)
    return written


def write_example(dest: Path, *, scale: int = 1, seed: int = 7, progress: Callable[[str], None] | None = None) -> None:
    """Write the whole example into `dest` (created if needed; an existing warehouse is replaced)."""
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / WAREHOUSE
    tmp = dest / f".{WAREHOUSE}.tmp"
    for stale in (tmp, Path(f"{tmp}.wal")):
        stale.unlink(missing_ok=True)
    conn = duckdb.connect(str(tmp))
    try:
        injected = generate(conn, scale=scale, seed=seed, progress=progress)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    Path(f"{final}.wal").unlink(missing_ok=True)
    os.replace(tmp, final)
    atomic_write_text(dest / "canon.yml", CANON_YML)
    atomic_write_text(dest / "metrics" / "gross_recognized_revenue.yml", GROSS_REVENUE_YML)
    write_contracts(dest)
    atomic_write_text(dest / ".canon" / "injected.json", injected.to_json())

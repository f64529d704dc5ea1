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
    write_contracts(dest)
    atomic_write_text(dest / ".canon" / "injected.json", injected.to_json())

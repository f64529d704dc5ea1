"""Where the last audit of each metric is kept for the catalog page: `.canon/audit/<metric>.json`.

The file is the `canon audit --format json` document (AuditResult.to_json()), written
atomically so the page never reads half of one.
"""

from __future__ import annotations

from pathlib import Path

from canon.contracts.names import metric_key
from canon.fsutil import atomic_write_text

AUDIT_DIR = ".canon/audit"


def audit_path(root: Path, metric: str) -> Path:
    """One file per metric whatever its spelling: `MRR` and `mrr` share `mrr.json`."""
    return root / AUDIT_DIR / f"{metric_key(metric)}.json"


def store_audit(root: Path, metric: str, json_text: str) -> Path:
    path = audit_path(root, metric)
    atomic_write_text(path, json_text if json_text.endswith("\n") else json_text + "\n")
    return path

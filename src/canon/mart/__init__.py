"""The finance mart: contracts materialized atomically as validated tables, and read back.

build_mart(engine, contracts) -> MartReport      build, validate, swap in one transaction
read_grouping(engine, name, filters=..., level=..., contracts=...) -> pyarrow.Table
load_section(metrics_dir, "finance") -> [Metric]  the section's contracts
"""

from __future__ import annotations

from canon.mart.build import build_mart
from canon.mart.contracts import Grouping, load_section
from canon.mart.reader import read_grouping
from canon.mart.report import GroupingReport, MartReport, MartValidationError

__all__ = [
    "Grouping",
    "GroupingReport",
    "MartReport",
    "MartValidationError",
    "build_mart",
    "load_section",
    "read_grouping",
]

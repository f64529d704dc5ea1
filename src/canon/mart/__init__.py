"""The finance mart: contracts materialized atomically as validated tables, and read back.

build_mart(engine, contracts, section=...) -> MartReport    build, validate, swap in one transaction
load_section(metrics_dir, "finance") -> [Metric]           the section's contracts
section_models(contracts) -> {section: MartSection}        what each grouping serves (levels, key, columns)
read_grouping(engine, grouping_or_name, contracts=..., level=..., key=..., period_from=..., period_to=...,
              filters=..., limit=...) -> pyarrow.Table     the one read path (`canon mart show` and the API)
"""

from __future__ import annotations

from canon.mart.build import build_mart
from canon.mart.contracts import Grouping, load_section
from canon.mart.model import MartGrouping, MartSection, find_grouping, grouping_model, read_grouping, section_models
from canon.mart.report import GroupingReport, MartReport, MartValidationError

__all__ = [
    "Grouping",
    "GroupingReport",
    "MartGrouping",
    "MartReport",
    "MartSection",
    "MartValidationError",
    "build_mart",
    "find_grouping",
    "grouping_model",
    "load_section",
    "read_grouping",
    "section_models",
]

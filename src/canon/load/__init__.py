"""Loading source files into the warehouse, with a quarantine for rows that break the schema.

`load_sources()` reads the declared schema (dbt source YAML, `canon.yml` sources), stages
each CSV/Parquet file as text, checks every rule in SQL on the engine, writes rejected rows
to `canon_quarantine` and replaces the tables atomically. See `canon.load.pipeline`.
"""

from __future__ import annotations

from canon.load.pipeline import load_sources
from canon.load.quarantine import QUARANTINE_TABLE
from canon.load.report import LoadReport, ReasonCount, TableReport

__all__ = ["QUARANTINE_TABLE", "LoadReport", "ReasonCount", "TableReport", "load_sources"]

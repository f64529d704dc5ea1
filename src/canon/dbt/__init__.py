"""dbt integration: run dbt in-process (`runner.run_dbt`) and read what it produces."""

from __future__ import annotations

from canon.dbt.runner import DbtRun, NodeResult, run_dbt

__all__ = ["DbtRun", "NodeResult", "run_dbt"]

"""The ACME project built by real dbt, shared with tests/workflow (one build per worker, a copy per test)."""

from __future__ import annotations

from tests.workflow.conftest import acme, acme_template

__all__ = ["acme", "acme_template"]

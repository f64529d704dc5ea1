"""canon: one definition per metric.

The Python API is the `Project` facade, the same front door the CLI and the HTTP API use.
Every method returns a typed result (Arrow tables, `AuditResult`, `Proposal`, `SignOff`,
`BuildReport`, `VerifyReport`, `LoadReport`, `MartReport`):

>>> import tempfile
>>> from canon import init_example, load_project
>>> folder = init_example("acme", tempfile.mkdtemp() + "/acme")   # a dbt project with seeds
>>> project = load_project(folder)
>>> project.load().quarantined                                      # seeds → warehouse.duckdb
0
>>> board = project.query("mrr", period_from="2026-10", period_to="2026-10")
>>> board.column("mrr_cents").to_pylist()                           # money is integer cents
[126000000]
>>> by_segment = project.query("mrr", by=["segment"], period_from="2026-10", period_to="2026-10")
>>> sum(by_segment.column("mrr_cents").to_pylist())
126000000
>>> print(project.sql("mrr", "snowflake").splitlines()[0])
SELECT
>>> project.query("mrr", grain="fortnight")
Traceback (most recent call last):
canon.errors.QueryError: parameter `grain`: unknown grain `fortnight` Fix: use one of: day, week, month, ...year, ...
>>> project.close()

Names are imported lazily so `import canon` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Project", "__version__", "contract_schema", "init_example", "load_project"]

if TYPE_CHECKING:
    from canon.project import Project, contract_schema, init_example, load_project


def __getattr__(name: str) -> Any:
    if name in ("Project", "load_project", "init_example", "contract_schema"):
        from canon import project

        return getattr(project, name)
    raise AttributeError(name)

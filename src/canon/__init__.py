"""canon: one definition per metric.

`canon.load_project(path)` returns the Project facade that the CLI and the HTTP API are
thin shells over. Imported lazily so `import canon` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_project"]

if TYPE_CHECKING:
    from canon.project import load_project


def __getattr__(name: str) -> Any:
    if name == "load_project":
        from canon.project import load_project

        return load_project
    raise AttributeError(name)

"""canon: one definition per metric.

`canon.load_project(path)` returns the Project facade that the CLI and the HTTP API are
thin shells over.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]

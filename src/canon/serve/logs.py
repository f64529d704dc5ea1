"""Server logging and the uvicorn factory for multi-worker runs.

Kept apart from the app so `canon serve` configures logging before anything heavy is
imported, and each uvicorn worker process rebuilds the same app from settings passed in an
environment variable.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

SETTINGS_ENV = "CANON_SERVE_SETTINGS"


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (not the one at start-up, which may be gone)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str) -> None:
    """One line per record on stderr for canon's server loggers, at `level`."""
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("canon.serve.access", "canon.serve"):
        lg = logging.getLogger(name)
        lg.handlers = [handler]
        lg.setLevel(level.upper())
        lg.propagate = False


def app_from_env() -> FastAPI:
    """uvicorn factory for multi-worker runs: settings travel in an environment variable."""
    from canon.serve.app import create_app
    from canon.serve.settings import ServeSettings

    configure_logging(os.environ.get("CANON_SERVE_LOG_LEVEL", "info"))
    return create_app(ServeSettings.model_validate_json(os.environ[SETTINGS_ENV]))

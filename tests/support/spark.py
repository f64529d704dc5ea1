"""One local-mode SparkSession per test process (starting Spark costs seconds)."""

from __future__ import annotations

import os
import shutil
from typing import Any

_session: Any = None


def local_spark() -> Any:
    """Return a shared local[2] SparkSession; fail with what to install when Java is missing."""
    global _session
    if _session is not None:
        return _session
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("Spark tests need Java 17 (Debian: `apt-get install openjdk-17-jre-headless`).")
    from canon.engines.spark import build_local_session

    _session = build_local_session()
    return _session

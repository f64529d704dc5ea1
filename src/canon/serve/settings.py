"""Run-time settings of one API process: which project, where tokens come from, limits.

Settings are a value passed to `create_app`, never module globals, so tests build several
differently configured apps side by side. `from_env()` reads the documented variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

TOKENS_ENV = "CANON_TOKENS"
TOKENS_FILE_ENV = "CANON_TOKENS_FILE"
CURSOR_SECRET_ENV = "CANON_CURSOR_SECRET"


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: Path = Field(default=Path("."), description="Project folder holding canon.yml.")
    tokens_file: Path | None = Field(default=None, description="`CONSUMER=token` lines; re-read when it changes.")
    tokens_env: str = Field(default=TOKENS_ENV, description="Variable holding `consumer=token,consumer=token`.")
    rate: float | None = Field(default=None, ge=0, description="Requests/second per token (overrides canon.yml).")
    burst: int | None = Field(default=None, ge=1, description="Bucket size per token (overrides canon.yml).")
    cursor_secret: str | None = Field(
        default=None, description="Key signing pagination cursors; default: CANON_CURSOR_SECRET or a project key file."
    )
    metric_cache_seconds: float = Field(default=300.0, ge=0, description="How long current metric values are reused.")
    manifest_cache_seconds: float = Field(default=300.0, ge=0, description="How long a domain manifest is reused.")
    read_only: bool = Field(default=True, description="Open an embedded DuckDB warehouse read-only.")
    signer_tokens_env: str = Field(
        default="CANON_SIGNER_TOKENS",
        description="Variable holding `NAME|ROLE=token` entries of the people who may sign from the catalog page.",
    )
    mcp: bool = Field(
        default=False, description="Also answer MCP (canon's agent tools) over streamable HTTP at /mcp, same tokens."
    )
    engine_threads: int = Field(
        default=1,
        ge=0,
        description=(
            "DuckDB threads per query. Serving is many small concurrent reads: one thread each keeps "
            "them from contending (measured: 8.4 vs 12.2 ms CPU per 1000-row page); 0 = every core."
        ),
    )

    @classmethod
    def from_env(cls, **overrides: object) -> ServeSettings:
        """Settings from `CANON_TOKENS_FILE` / `CANON_CURSOR_SECRET`, then explicit overrides."""
        values: dict[str, object] = {}
        if os.environ.get(TOKENS_FILE_ENV):
            values["tokens_file"] = Path(os.environ[TOKENS_FILE_ENV])
        if os.environ.get(CURSOR_SECRET_ENV):
            values["cursor_secret"] = os.environ[CURSOR_SECRET_ENV]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

"""`canon serve`: the HTTP API and the catalog page of a project, on uvicorn.

The app is built (and the whitelist checked against the warehouse) before the server starts,
so a configuration mistake is one clear error and exit 2, never a traceback from a worker.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

from canon.cli import app
from canon.cli.options import ProjectOption
from canon.errors import ConfigError, Location
from canon.serve.logs import SETTINGS_ENV, configure_logging


@app.command("serve")
def serve_cmd(
    project: Path = ProjectOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    tokens_file: Path | None = typer.Option(
        None, "--tokens-file", help="File of CONSUMER=token lines (re-read when it changes)."
    ),
    rate: float | None = typer.Option(None, "--rate", help="Requests/second per token (0: no limit)."),
    burst: int | None = typer.Option(None, "--burst", help="Requests a token may make at once."),
    workers: int = typer.Option(1, "--workers", help="Server processes (rate limits apply per process)."),
    engine_threads: int = typer.Option(
        1,
        "--engine-threads",
        help="DuckDB threads per query; 1 (default) suits many concurrent small pages, 0 uses every core.",
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
    mcp: bool = typer.Option(
        False, "--mcp", help="Also serve MCP (the agent tools of `canon mcp`) at /mcp, behind the same tokens."
    ),
) -> None:
    """Serve the metric catalog, the finance mart and the warehouse API over HTTP (FastAPI on uvicorn)."""
    import uvicorn

    from canon.project import load_project

    if port <= 0 or port > 65535:
        raise ConfigError(f"port {port} is out of range", location=Location(parameter="--port"), fix="use 1..65535")
    if workers < 1:
        raise ConfigError("--workers must be at least 1", location=Location(parameter="--workers"))
    configure_logging(log_level)
    application = load_project(project).serve_app(
        tokens_file=tokens_file.resolve() if tokens_file else None,
        rate=rate,
        burst=burst,
        engine_threads=engine_threads,
        mcp=mcp,
    )
    ctx = application.state.ctx
    if len(ctx.tokens) == 0:
        ctx.close()
        raise ConfigError(
            "no API tokens are configured, so every request would be refused",
            location=Location(parameter="--tokens-file"),
            fix="set CANON_TOKENS='consumer=token', pass --tokens-file FILE, or add serve.consumers to canon.yml",
        )
    log = logging.getLogger("canon.serve")
    log.info(
        f"canon serve: project {ctx.project.config.name} on http://{host}:{port} "
        f"for consumers {', '.join(ctx.tokens.consumers)}"
    )
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=False)
        return
    ctx.close()
    os.environ[SETTINGS_ENV] = ctx.settings.model_dump_json()
    os.environ["CANON_SERVE_LOG_LEVEL"] = log_level
    uvicorn.run(
        "canon.serve.logs:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )

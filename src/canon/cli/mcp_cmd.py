"""`canon mcp`: serve the project's workflow to an MCP client (an agent) over stdio."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from canon.cli import app
from canon.cli.options import ProjectOption
from canon.errors import Location, UserError
from canon.project import load_project

HELP = """Serve canon to an agent over MCP (stdio): audit, explain, propose, request a sign-off, build, verify.

\b
Tools (read-only unless marked):
  list_metrics      the contracts: status, owner, sign-off matching
  describe_metric   one contract: decisions, grain, sign-off, hash
  audit             definitions, decision points, bridges, history
  explain_decision  one decision across models: SQL lines, commits
  propose           canonical definition, precedent, priced calls
  request_signoff   (writes) a sign-off request bound to the hash
  signoff_status    signed or not, requests pending or stale
  build             (writes) the dbt model, docs, tests; once signed
  verify            (runs dbt build) tests, board number, drift
  query_metric      values per period: integer cents and text
  compile_sql       the SQL a question runs, in any dialect

\b
Resources: canon://contracts/{metric}, canon://audits/{metric}/latest,
canon://postmortems/{metric}. Prompt: investigate_metric.

\b
No tool signs. A person signs the request the agent made:
  canon approve METRIC --proposal ID --by NAME --role ROLE
Each tool call is logged on stderr as one JSON line (who, tool, duration, outcome).
"""


@app.command("mcp", help=HELP)
def mcp_cmd(
    project: Path = ProjectOption,
    log_file: Path | None = typer.Option(
        None, "--log-file", help="Also append each tool call's log line (JSON) to this file."
    ),
    transport: str = typer.Option("stdio", "--transport", help="stdio (the client starts `canon mcp`)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error (stderr)."),
) -> None:
    if transport != "stdio":
        raise UserError(
            f"unknown transport `{transport}`",
            location=Location(parameter="--transport"),
            fix="use stdio; over HTTP, MCP clients reach canon through `canon serve`",
        )
    root = load_project(project).root  # a missing canon.yml is exit 2 here, before any client waits
    logging.basicConfig(level=log_level.upper(), format="%(message)s")  # stderr: stdout is the protocol
    from canon.agent.server import run_stdio

    run_stdio(root, log_file=log_file.resolve() if log_file else None)

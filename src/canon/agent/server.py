"""`canon mcp`: canon's workflow as MCP tools, resources and a prompt, on the official SDK's `MCPServer`.

An agent drives the investigation (list → audit → explain_decision → propose), asks a person
for the one decision (`request_signoff`), waits (`signoff_status`), then builds and verifies.
No tool signs: the sign-off is `canon approve METRIC --proposal ID`, typed by a person.

Around every tool call, in one place (`CanonServer.call_tool`): calls run one at a time (one
`Project`, one warehouse connection), a canon error becomes a tool error whose structured
content is `canon.present.errors.error_json` (location and fix), an argument that does not fit
the input schema becomes the same envelope naming the parameter, and one JSON line is logged
per call — who, tool, duration, outcome — like `canon serve` logs a request. Long tools
(audit, build, verify) report progress notifications when the client asked for them.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
import orjson
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from canon.agent import views as v
from canon.agent.tools import Toolbox
from canon.errors import CanonError, Location, UserError
from canon.present.errors import error_json

log = logging.getLogger("canon.agent.calls")
#: set by `canon serve`'s gate (agent/http.py) to the consumer its bearer token names; never a client's own
CONSUMER_HEADER = "x-canon-consumer"

INSTRUCTIONS = """\
canon finds every definition of a metric in a dbt project, prices each disagreement to the cent,
and carries one human sign-off through to a verified build. Walk it in order: list_metrics,
audit (definitions, decision points, history), explain_decision on the decisions with red flags,
propose (the canonical definition with precedent and priced judgment calls), request_signoff
(returns a request id and a paragraph for the person). You cannot sign: ask the person to run the
`canon approve … --proposal ID` command it returns, poll signoff_status, then build, verify and
query_metric. Figures are integer cents with formatted text beside them."""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

#: tool name → one line for `canon mcp --help` and the README (kept in the order of the walk)
TOOLS: dict[str, str] = {
    "list_metrics": "every metric contract: status, owner, whether its sign-off matches",
    "describe_metric": "one contract: description, grain, dimensions, decisions, sign-off, definition hash",
    "audit": "every definition of a metric: figures, decision points, bridges, history, usage",
    "explain_decision": "one decision point across the models: what each says, its SQL lines, its commits, its price",
    "propose": "the canonical definition with precedent, models scored, judgment calls priced (writes nothing)",
    "request_signoff": "record a pending sign-off request bound to the definition hash; returns its id and a summary",
    "signoff_status": "signed or not, requests pending or stale, the next step",
    "build": "write the canonical dbt model, docs, semantic layer and tests (refused until signed); lists each file",
    "verify": "dbt build, contract tests, board number, baseline, drift",
    "query_metric": "values per period (and dimensions) in integer cents and formatted text",
    "compile_sql": "the SQL a question runs, in any dialect",
}

MetricArg = Annotated[str, Field(description="Metric name, e.g. `mrr` (case-insensitive).", min_length=1)]
PeriodArg = Annotated[
    str | None, Field(description="Period such as 2026-10, 2026-Q4 or 2026 (default: canon.yml's current period).")
]
MetricsArg = Annotated[list[str], Field(description='Metric names, e.g. ["mrr"].', min_length=1)]
GrainArg = Annotated[
    Literal["day", "week", "month", "quarter", "year"], Field(description="Time grain of the periods.")
]
ByArg = Annotated[list[str], Field(description='Dimensions to break the values down by, e.g. ["segment"].')]
WhereArg = Annotated[str | None, Field(description="A filter on dimensions, e.g. `segment = 'Enterprise'`.")]
FromArg = Annotated[str | None, Field(description="First period, e.g. 2026-01.")]
ToArg = Annotated[str | None, Field(description="Last period, e.g. 2026-10.")]


class CanonServer(MCPServer[Any]):
    """The SDK's server with canon's envelope around every tool call: one at a time, errors, a log line."""

    def __init__(
        self, toolbox: Toolbox, *, who: str | None = None, log_file: Path | None = None, logger: str | None = None
    ) -> None:
        super().__init__(
            "canon",
            title="canon metrics layer",
            instructions=INSTRUCTIONS,
            version=_version(),
            log_level="WARNING",
        )
        self.toolbox = toolbox
        self.who = who
        self.log_file = log_file
        self.log = logging.getLogger(logger) if logger else log
        self.lock = anyio.Lock()

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None) -> Any:
        start = time.perf_counter()
        try:
            async with self.lock:
                result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # the SDK's own check of the arguments against the input schema (a crash inside a tool is
            # an UnexpectedToolError, whatever it wraps): said as canon says a bad parameter
            if isinstance(exc, UnexpectedToolError) or not isinstance(exc.__cause__, ValidationError):
                self._log_call(name, context, start, "error", str(exc))
                raise
            tool = self._tool_manager.get_tool(name)
            schema = tool.parameters if tool is not None else {}
            result = _error_result(_argument_error(name, exc.__cause__, schema))
        except Exception as exc:
            self._log_call(name, context, start, "error", str(exc))
            raise
        self._log_call(name, context, start, *_outcome(result))
        return result

    def _who(self, context: Context[Any, Any] | None) -> str:
        """The person or client behind a call: the bearer token's consumer over HTTP, else the client's
        name and the user running the server (stdio is a local pipe)."""
        if self.who:
            return self.who
        try:
            headers = context.headers if context is not None else None
        except ValueError:
            headers = None
        if headers is not None and headers.get(CONSUMER_HEADER):
            return f"{headers[CONSUMER_HEADER]} (bearer token)"
        client = None
        try:
            params = context.request_context.session.client_params if context is not None else None
            client = params.client_info.name if params is not None else None
        except (ValueError, AttributeError):
            client = None
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a bare container)
            user = "unknown user"
        return f"{client} ({user})" if client else user

    def _log_call(
        self, tool: str, context: Context[Any, Any] | None, start: float, outcome: str, detail: str | None
    ) -> None:
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": "tool_call",
            "who": self._who(context),
            "tool": tool,
            "outcome": outcome,
            "duration_ms": round((time.perf_counter() - start) * 1000, 2),
            "error": (detail or "").splitlines()[0][:300] if detail else None,
        }
        line = orjson.dumps(record).decode()
        self.log.info(line)
        if self.log_file is not None:
            with self.log_file.open("a", encoding="utf-8") as fh:  # append-only: one line per call
                fh.write(line + "\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("canon")
    except PackageNotFoundError:
        return "0"


def _error_result(envelope: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text="error: " + envelope["error"]["text"])],
        structured_content=envelope,
        is_error=True,
    )


def _argument_error(tool: str, exc: ValidationError, schema: dict[str, Any]) -> dict[str, Any]:
    """An argument that does not fit the input schema, as canon's error: the parameter and what it takes."""
    first = exc.errors()[0]
    parameter = ".".join(str(p) for p in first["loc"]) or "arguments"
    top = str(first["loc"][0]) if first["loc"] else parameter
    prop = schema.get("properties", {}).get(top, {})
    accepted = first.get("ctx", {}).get("expected")
    if accepted:
        fix = f"`{parameter}` must be one of {accepted}"
    elif first["type"] == "missing":
        fix = f"add `{top}`: {prop.get('description', 'it is required')}"
    elif first["type"] == "extra_forbidden":
        fix = f"remove `{top}`: `{tool}` takes {', '.join(schema.get('properties', {})) or 'no argument'}"
    else:
        fix = f"`{top}` takes {_schema_words(prop)}" + (f": {prop['description']}" if prop.get("description") else "")
    message = f"`{tool}`: {first['msg'][:1].lower()}{first['msg'][1:]} at `{parameter}`"
    return error_json(UserError(message, location=Location(parameter=parameter), fix=fix))


def _schema_words(prop: dict[str, Any]) -> str:
    """`{"type": "array", "items": {"type": "string"}}` → "an array of string"."""
    kinds = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    words = []
    for kind in kinds:
        t = kind.get("type", "a value")
        words.append(f"an array of {kind.get('items', {}).get('type', 'values')}" if t == "array" else f"a {t}")
    return " or ".join(words) or "a value"


def _outcome(result: Any) -> tuple[str, str | None]:
    """ok, refused (bad input: the caller can fix it) or error, with the error's message."""
    if not getattr(result, "is_error", False):
        return "ok", None
    err = (getattr(result, "structured_content", None) or {}).get("error", {})
    return ("refused" if err.get("kind") == "user_error" else "error"), err.get("message")


async def _run(ctx: Context[Any, Any], work: Callable[[Callable[[str, int, int], None]], BaseModel]) -> CallToolResult:
    """Run a tool body on a worker thread, progress relayed as notifications, canon errors as tool errors."""

    def progress(step: str, index: int, total: int) -> None:
        # progress is a courtesy: a client gone or without a progress token never stops the work
        with contextlib.suppress(Exception):
            anyio.from_thread.run(ctx.report_progress, float(index), float(total or 1), step)

    try:
        view = await anyio.to_thread.run_sync(work, progress)
    except CanonError as exc:
        return _error_result(error_json(exc))
    data = view.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=data["summary"])], structured_content=data)


def create_server(
    root: Path,
    *,
    who: str | None = None,
    log_file: Path | None = None,
    read_only: bool = False,
    logger: str | None = None,
) -> CanonServer:
    """The MCP server over the project at `root` (opened on the first call); `read_only` opens its
    warehouse read-only (inside `canon serve`, which holds it so)."""
    box = Toolbox(root, read_only=read_only)
    server = CanonServer(box, who=who, log_file=log_file, logger=logger)

    @server.tool(description=TOOLS["list_metrics"], annotations=READ_ONLY)
    async def list_metrics(ctx: Context) -> Annotated[CallToolResult, v.MetricList]:
        return await _run(ctx, lambda p: box.list_metrics())

    @server.tool(description=TOOLS["describe_metric"], annotations=READ_ONLY)
    async def describe_metric(metric: MetricArg, ctx: Context) -> Annotated[CallToolResult, v.MetricDescription]:
        return await _run(ctx, lambda p: box.describe_metric(metric))

    @server.tool(description=TOOLS["audit"], annotations=READ_ONLY)
    async def audit(
        metric: MetricArg, ctx: Context, period: PeriodArg = None
    ) -> Annotated[CallToolResult, v.AuditView]:
        return await _run(ctx, lambda p: box.audit(metric, period, p))

    @server.tool(description=TOOLS["explain_decision"], annotations=READ_ONLY)
    async def explain_decision(
        metric: MetricArg,
        decision: Annotated[
            str, Field(description="A decision point from the audit: time_basis, measure, filter:<table.column>…")
        ],
        ctx: Context,
        period: PeriodArg = None,
    ) -> Annotated[CallToolResult, v.DecisionExplanation]:
        return await _run(ctx, lambda p: box.explain_decision(metric, decision, period))

    @server.tool(description=TOOLS["propose"], annotations=READ_ONLY)
    async def propose(
        metric: MetricArg, ctx: Context, period: PeriodArg = None
    ) -> Annotated[CallToolResult, v.ProposalView]:
        return await _run(ctx, lambda p: box.propose(metric, period))

    @server.tool(description=TOOLS["request_signoff"], annotations=WRITES)
    async def request_signoff(
        metric: MetricArg,
        ctx: Context,
        decisions: Annotated[
            dict[str, Literal["yes", "no"]],
            Field(description="Your recommendation per judgment call of the proposal: yes adopts, no keeps."),
        ] = {},  # noqa: B006 - read, never mutated; the schema shows the default
        period: PeriodArg = None,
    ) -> Annotated[CallToolResult, v.SignoffRequestView]:
        requester = server._who(ctx)
        return await _run(ctx, lambda p: box.request_signoff(metric, decisions, period, requester))

    @server.tool(description=TOOLS["signoff_status"], annotations=READ_ONLY)
    async def signoff_status(metric: MetricArg, ctx: Context) -> Annotated[CallToolResult, v.SignoffStatusView]:
        return await _run(ctx, lambda p: box.signoff_status(metric))

    @server.tool(description=TOOLS["build"], annotations=WRITES)
    async def build(
        metric: MetricArg,
        ctx: Context,
        rewire: Annotated[list[str], Field(description="Team models to rewrite to read the canonical one.")] = [],  # noqa: B006
    ) -> Annotated[CallToolResult, v.BuildView]:
        return await _run(ctx, lambda p: box.build(metric, rewire, p))

    @server.tool(
        description=TOOLS["verify"],
        # dbt build materializes the project's models in its own warehouse: not read-only, never destructive
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    async def verify(
        ctx: Context,
        metrics: Annotated[list[str], Field(description="Metrics to verify (default: every signed one).")] = [],  # noqa: B006
        expect: Annotated[
            dict[str, str], Field(description='Board numbers to confirm, in dollars: {"mrr": "1260000.00"}.')
        ] = {},  # noqa: B006
        run_dbt: Annotated[bool, Field(description="Run dbt build (models and tests) first.")] = True,
    ) -> Annotated[CallToolResult, v.VerifyView]:
        return await _run(ctx, lambda p: box.verify(metrics, expect, run_dbt, p))

    @server.tool(description=TOOLS["query_metric"], annotations=READ_ONLY)
    async def query_metric(
        metrics: MetricsArg,
        ctx: Context,
        grain: GrainArg = "month",
        by: ByArg = [],  # noqa: B006
        where: WhereArg = None,
        period_from: FromArg = None,
        period_to: ToArg = None,
        limit: Annotated[int, Field(ge=1, le=10_000, description="Rows returned at most.")] = 200,
    ) -> Annotated[CallToolResult, v.QueryView]:
        return await _run(ctx, lambda p: box.query_metric(metrics, grain, by, where, period_from, period_to, limit))

    @server.tool(description=TOOLS["compile_sql"], annotations=READ_ONLY)
    async def compile_sql(
        metrics: MetricsArg,
        ctx: Context,
        dialect: Annotated[
            str | None,
            Field(description="duckdb, postgres, spark, snowflake, bigquery, trino… (default: the warehouse's)."),
        ] = None,
        grain: GrainArg = "month",
        by: ByArg = [],  # noqa: B006
        where: WhereArg = None,
        period_from: FromArg = None,
        period_to: ToArg = None,
    ) -> Annotated[CallToolResult, v.SqlView]:
        return await _run(ctx, lambda p: box.compile_sql(metrics, dialect, grain, by, where, period_from, period_to))

    _resources(server, box)
    _prompt(server)
    return server


def _resources(server: CanonServer, box: Toolbox) -> None:
    def read(work: Callable[[], str]) -> str:
        try:
            return work()
        except CanonError as exc:
            raise ResourceError(exc.render()) from None

    @server.resource(
        "canon://contracts/{metric}",
        name="contract",
        description="A metric contract (metrics/<metric>.yml).",
        mime_type="application/yaml",
    )
    def contract(metric: str) -> str:
        return read(lambda: box.contract_text(metric))

    @server.resource(
        "canon://audits/{metric}/latest",
        name="latest audit",
        description="The last audit of a metric, as `canon audit --format json` writes it.",
        mime_type="application/json",
    )
    def latest_audit(metric: str) -> str:
        return read(lambda: box.latest_audit(metric))

    @server.resource(
        "canon://postmortems/{metric}",
        name="postmortem",
        description="The postmortem of a metric: what diverged, why, what was decided (rendered, not written).",
        mime_type="text/markdown",
    )
    def postmortem(metric: str) -> str:
        return read(lambda: box.postmortem(metric))

    try:  # each contract as a resource of its own, so a client lists them
        names = sorted(box.project.metrics)
    except CanonError:
        names = []
    for name in names:
        server.resource(
            f"canon://contracts/{name}/yaml",
            name=f"{name} contract",
            mime_type="application/yaml",
            description=f"The contract of {name}.",
        )(_contract_reader(box, name))


def _contract_reader(box: Toolbox, name: str) -> Callable[[], str]:
    def reader() -> str:
        try:
            return box.contract_text(name)
        except CanonError as exc:
            raise ResourceError(exc.render()) from None

    return reader


def _prompt(server: CanonServer) -> None:
    @server.prompt(
        name="investigate_metric", description="Walk a metric from its definitions to one signed, built number."
    )
    def investigate_metric(metric: str) -> str:
        return (
            f"Investigate the metric `{metric}` with canon's tools, in order, and report as you go.\n"
            f"1. list_metrics and describe_metric `{metric}`: what the contract says and its status.\n"
            f"2. audit `{metric}`: how many definitions, each model's figure, and the gap to the canonical one.\n"
            "3. For each decision point with red flags (no ticket, author inactive) or the largest bridge step, "
            "explain_decision: the SQL lines, who introduced them, why, and what they cost.\n"
            f"4. propose `{metric}`: the canonical definition, its precedent and the judgment calls with prices.\n"
            "5. request_signoff with your recommendation on each judgment call. Show the person the summary and "
            "the `canon approve … --proposal ID` command. You cannot sign; do not try to build before they do.\n"
            f"6. signoff_status `{metric}` until it is signed, then build, verify (expect the board number), and "
            "query_metric for the current period. Quote figures exactly as the tools give them."
        )


def run_stdio(root: Path, *, log_file: Path | None = None) -> None:
    """Serve MCP on stdin/stdout until the client closes the pipe."""
    server = create_server(root, log_file=log_file)
    try:
        anyio.run(server.run_stdio_async)
    finally:
        server.toolbox.close()

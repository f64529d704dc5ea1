"""An agent drives the ACME story through `canon mcp` with the official SDK's client over stdio:
list → audit → explain the pilot exclusion → propose → request_signoff → (a person signs with the
CLI) → build → verify → query the board number. Figures are checked against SQL written here, on
the warehouse of the untouched template; schemas are validated with jsonschema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import duckdb
import jsonschema
import pytest
from mcp.client.stdio import StdioServerParameters
from ruamel.yaml import YAML

import canon
from mcp import Client
from tests.support.cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_workflow")]

OCTOBER = "i.invoice_date >= date '2026-10-01' and i.invoice_date < date '2026-11-01'"
CANONICAL_SQL = f"""
select sum(i.amount) from raw_invoices i join raw_contracts c using (contract_id)
where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring' and c.status = 'active' and {OCTOBER}
"""
PILOTS_SQL = f"""
select sum(i.amount) from raw_invoices i join raw_contracts c using (contract_id)
where i.type = 'subscription' and i.status = 'paid' and c.type = 'pilot' and c.status = 'active' and {OCTOBER}
"""
MODEL_SQL = {
    "fct_revenue_monthly": "select sum(revenue) from fct_revenue_monthly where revenue_month = date '2026-10-01'",
    "fct_arr_by_account": "select sum(mrr) from fct_arr_by_account where arr_month = date '2026-10-01'",
    "fct_marketing_revenue": "select sum(revenue) from fct_marketing_revenue where payment_month = date '2026-10-01'",
}
TOOLS = {
    "list_metrics",
    "describe_metric",
    "audit",
    "explain_decision",
    "propose",
    "request_signoff",
    "signoff_status",
    "build",
    "verify",
    "query_metric",
    "compile_sql",
}
WRITING = {"request_signoff", "build", "verify"}  # verify runs dbt build: it materializes models
CLI = [sys.executable, "-c", "from canon.cli import main; main()"]
IGNORED = (".canon", "target", "logs", ".git", "warehouse.duckdb", "dbt_packages")


# the subprocesses import the canon this test imports, whatever their working folder
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(Path(canon.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]),
}


def cents(template: Path, sql: str) -> int:
    """A figure by hand-written SQL on the template's warehouse (never touched by the server)."""
    con = duckdb.connect(str(template / "warehouse.duckdb"), read_only=True)
    value = con.execute(sql).fetchone()[0]
    con.close()
    return round(value * 100)


@asynccontextmanager
async def agent(root: Path, log_file: Path) -> AsyncIterator[Client]:
    """`canon mcp` as an MCP client starts it: a subprocess talking over its stdin and stdout."""
    params = StdioServerParameters(
        command=sys.executable,
        args=[*CLI[1:], "mcp", "-p", str(root), "--log-file", str(log_file)],
        env=ENV,
        cwd=str(root),
    )
    async with Client(params, read_timeout_seconds=600) as client:
        yield client


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not str(p.relative_to(root)).startswith(IGNORED)
    }


class Session:
    """Calls a tool and checks what comes back against the schema the server published for it."""

    def __init__(self, client: Client, schemas: dict[str, dict[str, Any]]) -> None:
        self.client = client
        self.schemas = schemas

    async def ok(self, tool: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
        result = await self.client.call_tool(tool, args, **kw)
        assert not result.is_error, (tool, result.content)
        data = result.structured_content
        jsonschema.validate(data, self.schemas[tool])
        assert result.content[0].text == data["summary"]  # type: ignore[union-attr]
        return data  # type: ignore[no-any-return]

    async def error(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(tool, args)
        assert result.is_error, (tool, result.content)
        err = result.structured_content["error"]  # type: ignore[index]
        assert err["message"] and err["text"] in result.content[0].text  # type: ignore[union-attr]
        return err  # type: ignore[no-any-return]


def test_an_agent_drives_the_story_with_one_human_action(acme: Path, acme_template: Path) -> None:
    board = cents(acme_template, CANONICAL_SQL)
    assert board == 126_000_000  # the seed's promise, by hand-written SQL
    log_file = acme.parent / "mcp-calls.jsonl"
    anyio.run(_story, acme, acme_template, board, log_file)

    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert {line["tool"] for line in lines} >= TOOLS - {"describe_metric", "compile_sql"}
    for line in lines:
        assert line["event"] == "tool_call" and line["who"] and line["duration_ms"] >= 0
        assert line["outcome"] in ("ok", "refused", "error")
    refused = [line for line in lines if line["tool"] == "build" and line["outcome"] == "refused"]
    assert len(refused) == 3 and "not signed" in refused[0]["error"]


async def _story(root: Path, template: Path, board: int, log_file: Path) -> None:
    async with agent(root, log_file) as client:
        listed = (await client.list_tools()).tools
        assert {t.name for t in listed} == TOOLS  # no tool signs
        for tool in listed:
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            assert tool.input_schema["type"] == "object" and tool.output_schema is not None
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            assert tool.annotations is not None and tool.annotations.read_only_hint is (tool.name not in WRITING)
        s = Session(client, {t.name: t.output_schema for t in listed})  # type: ignore[misc]

        metrics = await s.ok("list_metrics", {})
        listed_mrr = {m["name"]: m for m in metrics["metrics"]}["mrr"]
        assert (listed_mrr["status"], listed_mrr["signed"], listed_mrr["value_kind"]) == ("draft", False, "money")

        # audit: three definitions reproduced to the cent, each figure as the SQL here computes it
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        audit = await s.ok("audit", {"metric": "mrr"}, progress_callback=on_progress)
        assert progress and all(total for _, total, _ in progress)  # the audit's stages, as notifications
        assert audit["canonical_cents"] == board and audit["canonical"] == "$1,260,000.00"
        figures = {d["model"]: d["value_cents"] for d in audit["definitions"]}
        assert figures == {model: cents(template, sql) for model, sql in MODEL_SQL.items()}
        assert all(d["reproduced"] for d in audit["definitions"])
        for d in audit["definitions"]:  # each bridge's prices (definition − board number) sum to its gap
            assert (
                board + sum(step["impact_cents"] for step in d["bridge"]) == d["value_cents"] == board + d["gap_cents"]
            )
        point = {p["decision"]: p for p in audit["decision_points"]}["filter:raw_contracts.type"]
        assert "fct_arr_by_account" in point["diverging"] and "no ticket" in point["flags"]

        # explain the pilot exclusion: its SQL line, as the file reads, and the commit with no ticket
        explained = await s.ok("explain_decision", {"metric": "mrr", "decision": "filter:raw_contracts.type"})
        arr = {m["model"]: m for m in explained["models"]}["fct_arr_by_account"]
        [commit] = arr["commits"]
        assert commit["subject"] == "per Mike's request" and commit["tickets"] == [] and "no ticket" in commit["flags"]
        model_file = (root / "models" / "marts" / "fct_arr_by_account.sql").read_text().splitlines()
        assert arr["sql"] and all(model_file[line["line"] - 1].rstrip() == line["text"] for line in arr["sql"])
        assert any("pilot" in line["text"] for line in arr["sql"])
        assert "per Mike's request" in explained["summary"]

        # bad arguments: an MCP tool error naming the parameter and the fix
        err = await s.error("explain_decision", {"metric": "mrr", "decision": "filter:raw_contract.type"})
        assert err["location"]["parameter"] == "decision" and "filter:raw_contracts.type" in err["fix"]
        err = await s.error("query_metric", {"metrics": ["mrr"], "grain": "fortnight"})
        assert err["location"]["parameter"] == "grain" and "'month'" in err["fix"]
        err = await s.error("audit", {"metric": "mrrr"})
        assert err["location"]["parameter"] == "metric" and "mrr" in err["fix"]

        # build before any sign-off is refused
        err = await s.error("build", {"metric": "mrr"})
        assert "not signed" in err["message"] and "request_signoff" in err["fix"]

        # propose writes nothing; its pilot call is priced as the SQL here prices it
        before = snapshot(root)
        proposal = await s.ok("propose", {"metric": "mrr"})
        assert snapshot(root) == before
        assert proposal["value_cents"] == board and proposal["closest_model"] == "fct_revenue_monthly"
        calls = {c["key"]: c for c in proposal["judgment_calls"]}
        assert calls["pilots"]["options"][0]["impact_cents"] == cents(template, PILOTS_SQL)

        # request the sign-off: a pending request bound to a hash, a paragraph for the person, nothing signed
        request = await s.ok(
            "request_signoff", {"metric": "mrr", "decisions": {"pending": "no", "expansion": "no", "pilots": "no"}}
        )
        rid = request["id"]
        assert f"canon approve mrr --proposal {rid}" in request["summary"]
        assert "$1,260,000.00" in request["summary"] and "pilots" in request["summary"]
        assert f".canon/signoff-requests/{rid}.json" in request["written"]
        contract = YAML(typ="safe").load((root / "metrics" / "mrr.yml").read_text())
        assert contract["status"] == "proposed" and "signoff" not in contract
        status = await s.ok("signoff_status", {"metric": "mrr"})
        assert not status["buildable"] and [r["state"] for r in status["requests"]] == ["pending"]
        err = await s.error("build", {"metric": "mrr"})
        assert f"--proposal {rid}" in err["fix"]

        # the one human action: a person signs the request from the command line
        signed = subprocess.run(
            [
                *CLI,
                "approve",
                "mrr",
                "--proposal",
                rid,
                "--by",
                "Dana Whitfield",
                "--role",
                "CFO",
                "-f",
                "json",
                "-p",
                str(root),
            ],
            env=ENV,
            capture_output=True,
            text=True,
        )
        assert signed.returncode == 0, signed.stderr
        record = json.loads(signed.stdout)
        assert record["proposal"] == rid and record["definition_hash"] == request["definition_hash"]
        assert record["by"] == "Dana Whitfield" and record["role"] == "CFO"
        status = await s.ok("signoff_status", {"metric": "mrr"})
        assert status["buildable"] and status["signoff"]["proposal"] == rid
        assert [r["state"] for r in status["requests"]] == ["signed"]

        # build: every file it wrote is reported, and nothing else changed
        before = snapshot(root)
        built = await s.ok("build", {"metric": "mrr", "rewire": ["fct_revenue_monthly"]})
        after = snapshot(root)
        changed = {p for p in after if before.get(p) != after[p]}
        assert changed == set(built["written"]) and "models/marts/fct_mrr_canonical.sql" in changed
        assert built["deprecated"] and built["rewired"] == ["fct_revenue_monthly"]

        verified = await s.ok("verify", {"expect": {"mrr": "1260000.00"}}, progress_callback=on_progress)
        assert verified["passed"], verified["summary"]
        assert {c["check"] for c in verified["checks"]} >= {"sign-off", "dbt build", "board number", "drift"}
        assert [(b["metric"], b["value_cents"]) for b in verified["board"]] == [("mrr", board)]

        answer = await s.ok("query_metric", {"metrics": ["mrr"], "period_from": "2026-10", "period_to": "2026-10"})
        assert answer["rows"] == [{"period": "2026-10", "mrr_cents": board, "mrr": "$1,260,000.00"}]

        text = (await client.read_resource("canon://contracts/mrr")).contents[0].text  # type: ignore[union-attr]
        assert f"proposal: {rid}" in text

        # any edit after the sign-off voids it: build is refused again
        path = root / "metrics" / "mrr.yml"
        path.write_text(path.read_text().replace("admit: [paid]", "admit: [paid, pending]"))
        err = await s.error("build", {"metric": "mrr"})
        assert "edited after sign-off" in err["message"]


def test_approve_build_baseline_speak_json(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = ["-p", str(acme)]
    res = run_cli(capsys, "build", "mrr", "-f", "json", *p)
    assert res.code == 2
    err = json.loads(res.out)["error"]
    assert err["location"]["field"] == "status" and err["location"]["file"].endswith("mrr.yml")
    assert "canon approve mrr" in err["fix"] and err["exit_code"] == 2

    res = run_cli(capsys, "approve", "mrr", "--proposal", "mrr-nope", "--by", "X", "--role", "Y", "-f", "json", *p)
    assert res.code == 2 and json.loads(res.out)["error"]["location"]["parameter"] == "--proposal"

    res = run_cli(capsys, "approve", "mrr", "--by", "Dana Whitfield", "--role", "CFO", "-f", "json", *p)
    assert res.code == 0, res.err
    record = json.loads(res.out)
    assert set(record) == {"metric", "by", "role", "at", "definition_hash", "decisions", "note", "proposal"}
    assert record["proposal"] is None and record["definition_hash"].startswith("sha256:")

    res = run_cli(capsys, "build", "mrr", "-f", "json", *p)
    assert res.code == 0, res.err
    built = json.loads(res.out)
    assert set(built) == {"metric", "canonical_model", "written", "unchanged", "deprecated", "rewired"}
    assert all((acme / f).is_file() for f in built["written"]) and built["canonical_model"] == "fct_mrr_canonical"

    res = run_cli(capsys, "baseline", "-f", "json", *p)
    assert res.code == 0, res.err
    baseline = json.loads(res.out)
    stored = json.loads((acme / baseline["path"]).read_text())
    assert baseline["metrics"]["mrr"]["values_cents"] == stored["metrics"]["mrr"]
    assert baseline["metrics"]["mrr"]["values_cents"]["2026-10"] == 126_000_000


def test_a_request_edited_under_it_cannot_be_signed(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The person signs what the agent asked for or nothing: an edit after the request makes it stale."""
    from canon.project import load_project

    project = load_project(acme)
    request = project.request_signoff("mrr", {"pilots": "no"}, by="test agent")
    project.close()
    assert request.decisions["pilots"] == "no" and request.definition_hash == request.base_hash  # "no" keeps it
    p = ["-p", str(acme)]
    res = run_cli(
        capsys, "approve", "mrr", "--proposal", request.id, "--decide", "pilots=yes", "--by", "D", "--role", "CFO", *p
    )
    assert (
        res.code == 2 and "--decide" in res.err
    )  # the request states its decisions; a signature takes them as they are

    path = acme / "metrics" / "mrr.yml"
    path.write_text(path.read_text().replace("admit: [paid]", "admit: [paid, pending]"))
    res = run_cli(capsys, "approve", "mrr", "--proposal", request.id, "--by", "D", "--role", "CFO", "-f", "json", *p)
    err = json.loads(res.out)["error"]
    assert res.code == 2 and err["location"]["parameter"] == "--proposal" and "changed since" in err["message"]
    assert "signoff" not in YAML(typ="safe").load(path.read_text())
    status = load_project(acme).signoff_status("mrr").to_json()
    assert [r["state"] for r in status["requests"]] == ["stale"] and not status["buildable"]

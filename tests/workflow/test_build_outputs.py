"""What `canon build` writes, read as dbt and MetricFlow read it: byte-identical across
processes, deprecations with a window and `access: protected`, the exposures still reading a
deprecated model, a rewired model that keeps every column, and a semantic layer with real
entities that `mf` validates and queries. Expected figures come from SQL written here."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from canon.dbt import run_dbt
from tests.support.cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_workflow")]

ADMITTED = """
from raw_invoices i join raw_contracts c using (contract_id) left join raw_accounts a on a.account_id = i.account_id
where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring' and c.status = 'active'
"""


@pytest.fixture(scope="module")
def signed(acme_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACME with MRR proposed and signed (once per module; each test builds in its own copy)."""
    root = tmp_path_factory.mktemp("signed") / "acme"
    shutil.copytree(acme_template, root, symlinks=True)
    for args in (
        ["propose", "mrr"],
        ["approve", "mrr", "--by", "Dana Whitfield", "--role", "CFO", "--decide", "pending=no"],
    ):
        from canon.cli import main

        try:
            main([*args, "-p", str(root)])
        except SystemExit as exc:
            assert not exc.code, (args, exc.code)
    return root


def _copy(signed: Path, tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(signed, dest, symlinks=True)
    return dest


def _written(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the dbt project canon may write (models, tests, YAML), with its mode."""
    out: dict[str, tuple[bytes, int]] = {}
    for folder in ("models", "tests", "metrics"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                out[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return out


def test_build_is_byte_identical_across_processes(signed: Path, tmp_path: Path) -> None:
    """Three processes with different string hashing; the third reads a contract spelling its
    name `MRR`: the same metric, so the same files under the same (folded) names."""
    results = []
    for seed in ("1", "2", "3"):
        root = _copy(signed, tmp_path, f"seed{seed}")
        if seed == "3":
            contract = root / "metrics" / "mrr.yml"
            text = contract.read_text()
            assert "\nname: mrr\n" in text
            contract.write_text(text.replace("\nname: mrr\n", "\nname: MRR\n"))
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("canon")),
                "build",
                "mrr",
                "--rewire",
                "fct_revenue_monthly",
                "-p",
                str(root),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        results.append(_written(root))
    first = results[0]
    assert any(p.endswith("fct_mrr_canonical.sql") for p in first)
    for other in results[1:]:
        assert sorted(other) == sorted(first)
        differ = [p for p in first if other[p] != first[p] and p != "metrics/mrr.yml"]
        assert differ == [], differ
    # no two files canon wrote differ only by case (they would collide on macOS and Windows)
    assert len({p.casefold() for p in first}) == len(first)
    # files keep the umask's mode, not mkstemp's private 0600
    assert {mode for _, mode in first.values()} == {0o666 & ~_umask()}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _exposures(root: Path) -> dict[str, list[tuple[str, str, str]]]:
    """model → [(exposure, type, owner)] read from the project's own exposures YAML."""
    doc = yaml.safe_load((root / "models" / "exposures.yml").read_text())
    out: dict[str, list[tuple[str, str, str]]] = {}
    for e in doc["exposures"]:
        for dep in e["depends_on"]:
            model = dep.split("'")[1]
            out.setdefault(model, []).append((e["name"], e["type"], e["owner"]["name"]))
    return out


def test_dbt_idiomatic_outputs_and_the_semantic_layer(
    signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(signed, tmp_path, "acme")
    res = run_cli(capsys, "build", "mrr", "--rewire", "fct_revenue_monthly", "-p", str(root))
    assert res.code == 0, res.err
    today = datetime.now(UTC).date()
    until = (today + timedelta(days=90)).isoformat()
    marts = root / "models" / "marts"
    deprecations = yaml.safe_load((marts / "_canon_deprecations.yml").read_text())
    entries = {m["name"]: m for m in deprecations["models"]}
    assert set(entries) == {"fct_arr_by_account", "fct_marketing_revenue"}
    for entry in entries.values():
        assert entry["deprecation_date"] == until
        assert entry["config"]["access"] == "protected"
    # the exposures still reading a deprecated model: in the CLI output and the build record
    users = _exposures(root)
    record = json.loads((root / ".canon" / "build" / "mrr.json").read_text())
    assert record["deprecation_date"] == until
    for model in entries:
        expected = sorted(users.get(model, []))
        assert expected, model  # ACME has a dashboard or report on each orphan model
        got = sorted((u["exposure"], u["type"], u["owner"]) for u in record["still_used"][model])
        assert got == expected
        for name, _, owner in expected:
            assert name in res.out and owner in res.out
    from canon.workflow.build import deprecation_markdown

    section = "\n".join(deprecation_markdown(record))
    assert "sales_pipeline_arr" in section and "RevOps" in section and until in section
    res = run_cli(capsys, "postmortem", "mrr", "-o", str(tmp_path / "pm.md"), "-p", str(root))
    assert res.code == 0, res.err
    postmortem = (tmp_path / "pm.md").read_text()
    assert "## Deprecated models and who still depends on them" in postmortem
    for model, expected in ((m, users.get(m, [])) for m in entries):
        for name, _, owner in expected:
            assert f"| `{model}` | {name} |" in postmortem and owner in postmortem

    # dbt reads what canon wrote: parse (deprecation, access) and build (the rewired model)
    run_dbt(root, ["parse"])
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for model in entries:
        assert nodes[model]["access"] == "protected"
        assert nodes[model]["deprecation_date"].startswith(until)
    semantic = {m["name"]: m for m in manifest["semantic_models"].values()}
    entities = {(e["name"], e["type"]) for m in semantic.values() for e in m["entities"]}
    assert {("account", "foreign"), ("contract", "foreign"), ("account", "primary")} <= entities
    run_dbt(root, ["build"])

    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        kinds = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns where table_name = 'fct_revenue_monthly'"
            ).fetchall()
        )
        assert kinds["invoiced_accounts"] == "BIGINT"  # a count stays a count, not CAST(NULL AS TEXT)
        got = {
            (m, s): n
            for m, s, n in con.execute(
                "select revenue_month, segment, invoiced_accounts from fct_revenue_monthly"
            ).fetchall()
        }
        hand = {
            (m, s): n
            for m, s, n in con.execute(
                "select cast(date_trunc('month', i.invoice_date) as date), a.segment, count(distinct c.account_id)"
                + ADMITTED
                + "group by 1, 2"
            ).fetchall()
        }
        board = con.execute(
            "select a.segment, round(sum(i.amount) * 100)"
            + ADMITTED
            + "and i.invoice_date >= date '2026-10-01' and i.invoice_date < date '2026-11-01' group by 1"
        ).fetchall()
    finally:
        con.close()
    assert got == hand and all(n > 0 for n in got.values())
    by_segment = {s: int(c) for s, c in board}
    assert sum(by_segment.values()) == 126_000_000

    # MetricFlow: the configs validate and the board number comes back by account segment
    mf = Path(sys.executable).with_name("mf")
    if not mf.exists():
        pytest.fail("MetricFlow's CLI is not installed: `pip install -c constraints.txt dbt-metricflow`")
    env = {**os.environ, "DBT_PROFILES_DIR": str(root)}
    done = subprocess.run([str(mf), "validate-configs"], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "ERRORS: 0" in done.stdout, done.stdout + done.stderr
    out = root / "mf.csv"
    query = [
        str(mf),
        "query",
        "--metrics",
        "mrr",
        "--group-by",
        "metric_time__month,account__segment",
        "--start-time",
        "2026-10-01",
        "--end-time",
        "2026-10-31",
        "--csv",
        str(out),
    ]
    done = subprocess.run(query, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(out.open()))
    from decimal import Decimal

    cents = {
        r["account__segment"]: int(Decimal(r["mrr"]) * 100)
        for r in rows
        if r["metric_time__month"].startswith("2026-10")
    }
    assert cents == by_segment
    assert sum(cents.values()) == 126_000_000  # $1,260,000.00, the board number


def test_deprecation_window_is_configurable(signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy(signed, tmp_path, "acme")
    config = root / "canon.yml"
    config.write_text(config.read_text().replace('profiles_dir: "."}', 'profiles_dir: ".", deprecation_days: 30}'))
    res = run_cli(capsys, "build", "mrr", "-p", str(root))
    assert res.code == 0, res.err
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    doc = yaml.safe_load((root / "models" / "marts" / "_canon_deprecations.yml").read_text())
    assert {m["deprecation_date"] for m in doc["models"]} == {until}
    assert f"deprecation date {until}" in res.out


def test_rewire_refuses_a_column_it_cannot_compute(
    signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(signed, tmp_path, "acme")
    model = root / "models" / "marts" / "fct_revenue_monthly.sql"
    before = model.read_text().replace(
        "    sum(invoices.amount) as revenue",
        "    max(invoices.invoice_id) as last_invoice,\n    sum(invoices.amount) as revenue",
    )
    assert "last_invoice" in before
    model.write_text(before)
    res = run_cli(capsys, "build", "mrr", "--rewire", "fct_revenue_monthly", "-p", str(root))
    assert res.code == 2, res.out + res.err
    assert "`last_invoice`" in res.err and "fct_revenue_monthly" in res.err and "Traceback" not in res.err
    assert model.read_text() == before  # refused before anything of the model was touched

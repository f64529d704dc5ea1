"""Every bad input found by the hostile run: one paragraph naming where, exit 2, never a traceback.

Each case writes the tiny project (tests/compiler/fixture.py), breaks one thing the way a
person would, runs the real CLI in-process and reads what it printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.compiler.fixture import write_project
from tests.support.cli import CliResult, run_cli

Edit = Callable[[Path], None]


def _replace(file: str, old: str, new: str) -> Edit:
    def edit(root: Path) -> None:
        path = root / file
        text = path.read_text()
        assert old in text, (file, old)
        path.write_text(text.replace(old, new))

    return edit


def _write(file: str, text: str) -> Edit:
    def edit(root: Path) -> None:
        (root / file).write_text(text)

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(root: Path) -> None:
        for e in edits:
            e(root)

    return edit


DERIVED = "name: {name}\nowner: finance\ncomposition:\n  type: derived\n  expression: {expr}\n  metrics: [{refs}]\n"

CASES: dict[str, tuple[Edit | None, list[str], str]] = {
    "self-reference": (
        _write("metrics/arr.yml", DERIVED.format(name="arr", expr="arr * 12", refs="arr")),
        ["query", "arr"],
        r"metrics/arr\.yml:6:\d+.*derived metric `arr` refers to itself",
    ),
    "cycle": (
        _both(
            _write("metrics/a.yml", DERIVED.format(name="a", expr="b * 2", refs="b")),
            _write("metrics/b.yml", DERIVED.format(name="b", expr="a / 2", refs="a")),
        ),
        ["query", "a"],
        r"metrics/b\.yml:6:\d+.*found a cycle: a → b → a",
    ),
    "scale 1/0": (
        _replace("metrics/contract_mrr.yml", 'scale: "1/12"', 'scale: "1/0"'),
        ["query", "contract_mrr"],
        r"contract_mrr\.yml:7:\d+.*scale `1/0` divides by zero",
    ),
    "assertion that does not parse": (
        _replace(
            "metrics/mrr.yml",
            "condition: raw_invoices.amount * 12 = raw_contracts.annual_value",
            'condition: "raw_invoices.amount * = ("',
        ),
        ["test", "mrr"],
        r"mrr\.yml:20:\d+, field `assertions\.0\.condition`: the condition does not parse",
    ),
    "NUL byte": (
        _replace("metrics/cash.yml", "owner: growth", "owner: gro\x00wth"),
        ["query", "cash"],
        r"cash\.yml:2:11: the file contains a NUL byte",
    ),
    "--to 9999-12": (None, ["query", "mrr", "--to", "9999-12"], r"parameter `--to`: period `9999-12` ends past"),
    "3,000 nested parentheses in --where": (
        None,
        ["query", "mrr", "--where", "(" * 3000 + "segment = 'smb'" + ")" * 3000],
        r"parameter `--where`: the filter nests 3000 parentheses deep",
    ),
    "3,000 nested parentheses in a contract": (
        _replace("metrics/arr.yml", "expression: mrr * 12", "expression: " + "(" * 3000 + "mrr" + ")" * 3000),
        ["query", "arr"],
        r"arr\.yml:5:\d+, field `composition\.expression`: the expression nests deeper than",
    ),
    "3,000 nested brackets in YAML": (
        _replace("metrics/cash.yml", "owner: growth", "owner: growth\nmeta: {x: " + "[" * 3000 + "]" * 3000 + "}"),
        ["query", "cash"],
        r"cash\.yml: the YAML nests too deep to read",
    ),
    "engine error from contract SQL": (
        _replace("metrics/collected_by_sql.yml", "where not p.refunded", "where not p.refundd"),
        ["query", "collected_by_sql"],
        r"collected_by_sql\.yml:6:\d+, field `composition\.sql`: the SQL of `collected_by_sql` failed in the "
        r"warehouse: .*refundd",
    ),
    "file reader in a SQL composition": (
        _replace("metrics/collected_by_sql.yml", "from raw_payments p", "from read_csv('/etc/passwd') p"),
        ["query", "collected_by_sql"],
        r"collected_by_sql\.yml:6:\d+.*the SQL calls `read_csv`",
    ),
    "undeclared table in a SQL composition": (
        _replace("metrics/collected_by_sql.yml", "  unit: major\n", "  unit: major\n  sources: [raw_payments]\n"),
        ["query", "collected_by_sql"],
        r"collected_by_sql\.yml:6:\d+.*reads `raw_accounts`, which is not among the composition's declared sources",
    ),
    "misspelled relationship table": (
        _replace("canon.yml", "to: raw_contracts.contract_id}", "to: raw_contract.contract_id}"),
        ["query", "mrr"],
        r"canon\.yml:5:\d+, field `relationships\.0\.to`: relationship table `raw_contract` does not exist.*"
        r"did you mean `raw_contracts`",
    ),
    "verify --expect an unknown metric": (
        None,
        ["verify", "mrr", "--no-dbt", "--expect", "mrrr=100"],
        r"parameter `--expect`: --expect names `mrrr`, which is not a metric Fix: did you mean `mrr`\?",
    ),
    "rich markup in a message": (
        _write("metrics/x.yml", DERIVED.format(name='"[bold]x[/bold]"', expr="mrr", refs="mrr")),
        ["query", "mrr"],
        r"\(got '\[bold\]x\[/bold\]'\)",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_paragraph_exit_2(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, args, expected = CASES[case]
    root = write_project(tmp_path / "p")
    if edit is not None:
        edit(root)
    res: CliResult = run_cli(capsys, *args, "-p", str(root))
    assert res.code == 2, res.err
    assert "Traceback" not in res.err and res.err.startswith("error: ")
    assert re.search(expected, res.err, flags=re.DOTALL), res.err


@pytest.mark.parametrize(("limit", "message"), [("lots", "is not an amount"), ("1MB", "is too small")])
def test_memory_limit_is_checked_before_anything_opens(
    limit: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "p")
    res = run_cli(capsys, "load", "--memory-limit", limit, "--project", str(root))
    assert res.code == 2 and "Traceback" not in res.err
    assert f"parameter `--memory-limit`: memory limit `{limit}` {message}" in res.err

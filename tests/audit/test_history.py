"""Definition archaeology on a git repository built here, commit by commit, with known dates."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from canon.audit.history import dig, map_lines, parse_tickets
from canon.audit.sources import ModelSet, ModelSource
from tests.audit.factories import definition
from tests.audit.gitrepo import ALICE, BOB, commit, git

# Raw dbt model; the Jinja loop expands to one line per status, so compiled lines after it
# sit two lines lower than their raw counterparts.
RAW_V1 = """\
{{ config(materialized='table') }}
{% set statuses = ['paid', 'settled', 'closed'] %}
select
    date_trunc('month', invoice_date) as month,
    sum(amount) as mrr
from {{ ref('stg_invoices') }}
where status in (
{% for s in statuses %}
    '{{ s }}'{% if not loop.last %},{% endif %}
{% endfor %}
)
group by 1
"""
# Bob adds the pilot exclusion (raw line 12) — no ticket in his message.
RAW_V2 = RAW_V1.replace(")\ngroup by 1", ")\n  and type <> 'pilot'\ngroup by 1")
# Alice later changes the measure line, citing a ticket and an issue.
RAW_V3 = RAW_V2.replace("sum(amount) as mrr", "sum(amount_usd) as mrr")

COMPILED = """\


select
    date_trunc('month', invoice_date) as month,
    sum(amount_usd) as mrr
from "warehouse"."main"."stg_invoices"
where status in (

    'paid',

    'settled',

    'closed'

)
  and type <> 'pilot'
group by 1
"""


@pytest.fixture()
def repo(tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas = {
        "v1": commit(
            root,
            {"models/fct_mrr.sql": RAW_V1},
            "Revenue model\n\nBuilt for FIN-142.",
            ALICE,
            "2026-01-10T09:00:00+00:00",
        ),
        "v2": commit(
            root, {"models/fct_mrr.sql": RAW_V2}, "Exclude pilots per Mike's request", BOB, "2026-02-01T09:00:00+00:00"
        ),
        "v3": commit(
            root,
            {"models/fct_mrr.sql": RAW_V3},
            "Measure in USD (FIN-201, fixes #57)",
            ALICE,
            "2026-06-15T09:00:00+00:00",
        ),
    }
    shas["root"] = str(root)
    return shas


def models(sql: str = COMPILED, path: str = "models/fct_mrr.sql") -> ModelSet:
    return ModelSet({"fct_mrr": ModelSource("fct_mrr", sql, path, ("fct_mrr",))}, {})


def test_ticket_parsing() -> None:
    assert parse_tickets("Fix FIN-142 and REV-7; see #57 and UTF-8 / ISO-8601") == ["FIN-142", "REV-7", "#57"]
    assert parse_tickets("per Mike's request") == []
    assert parse_tickets("color &#123; and a#5") == []


def test_compiled_lines_map_to_raw_lines_through_jinja() -> None:
    # compiled 16 ("and type <> 'pilot'") is raw 12; compiled 5 (measure) is raw 5;
    # compiled 6 (`from "warehouse"...`) is raw 6 (`from {{ ref(...) }}`); every expanded status line is raw 9.
    assert map_lines(COMPILED, RAW_V3, [5, 6, 9, 11, 16, 17]) == {5: 5, 6: 6, 9: 9, 11: 9, 16: 12, 17: 13}


def test_dig_finds_author_date_message_tickets_and_flags(repo: dict[str, str]) -> None:
    root = Path(repo["root"])
    d = definition(
        "fct_mrr",
        {"measure": [("fct_mrr", 5)], "time_basis": [("fct_mrr", 4)], "filter:raw_invoices.type": [("fct_mrr", 16)]},
    )
    commits = {c.decision: c for c in dig(root, models(), d)}
    assert set(commits) == {"measure", "time_basis", "filter:raw_invoices.type"}

    pilots = commits["filter:raw_invoices.type"]
    assert pilots.sha == repo["v2"]
    assert (pilots.author, pilots.email) == BOB
    assert pilots.date == "2026-02-01T09:00:00+00:00"
    assert pilots.message == "Exclude pilots per Mike's request"
    assert pilots.tickets == []
    # Bob's last commit (Feb 1) is 134 days before the repository's latest (Jun 15).
    assert pilots.flags == ["no ticket", "author inactive"]
    assert pilots.lines == [12] and pilots.file == "models/fct_mrr.sql"

    measure = commits["measure"]
    assert measure.sha == repo["v3"] and measure.tickets == ["FIN-201", "#57"] and measure.flags == []
    basis = commits["time_basis"]
    assert basis.sha == repo["v1"] and basis.tickets == ["FIN-142"] and basis.flags == []
    assert basis.message == "Revenue model\n\nBuilt for FIN-142."


def test_reference_date_can_be_given(repo: dict[str, str]) -> None:
    root = Path(repo["root"])
    d = definition("fct_mrr", {"time_basis": [("fct_mrr", 4)]})
    # Alice's last commit (Jun 15) is within 90 days of Aug 1 but not of Dec 1.
    (aug,) = dig(root, models(), d, now=datetime(2026, 8, 1, tzinfo=UTC))
    (dec,) = dig(root, models(), d, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert aug.flags == [] and dec.flags == ["author inactive"]


def test_one_commit_per_decision_and_commit(repo: dict[str, str]) -> None:
    root = Path(repo["root"])
    # Lines 3, 4 and 6 all come from v1; line 5 from v3.
    d = definition("fct_mrr", {"measure": [("fct_mrr", 3), ("fct_mrr", 4), ("fct_mrr", 5), ("fct_mrr", 6)]})
    commits = dig(root, models(), d)
    assert [(c.sha, c.lines) for c in commits] == [(repo["v1"], [3, 4, 6]), (repo["v3"], [5])]


def test_uncommitted_lines_are_flagged(repo: dict[str, str]) -> None:
    root = Path(repo["root"])
    (root / "models/fct_mrr.sql").write_text(RAW_V3.replace("group by 1", "group by month"))
    d = definition("fct_mrr", {"measure": [("fct_mrr", 17)]})
    (c,) = dig(root, models(COMPILED.replace("group by 1", "group by month")), d)
    assert c.sha == "0" * 40 and c.flags == ["uncommitted"] and c.lines == [13]

    (root / "models/new.sql").write_text("select 1 as x\n")  # never added to git
    new = ModelSet({"new": ModelSource("new", "select 1 as x\n", "models/new.sql", ("new",))}, {})
    (c,) = dig(root, new, definition("new", {"measure": [("new", 1)]}))
    assert c.flags == ["uncommitted"]


def test_not_a_repository_and_files_outside(
    tmp_path: Path, repo: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    plain = tmp_path / "plain"
    (plain / "models").mkdir(parents=True)
    (plain / "models/fct_mrr.sql").write_text(RAW_V3)
    with caplog.at_level(logging.INFO, logger="canon.audit.history"):
        assert dig(plain, models(), definition("fct_mrr", {"measure": [("fct_mrr", 5)]})) == []
    assert "not in a git work tree" in caplog.text

    root = Path(repo["root"])
    outside = ModelSet({"fct_mrr": ModelSource("fct_mrr", COMPILED, "../plain/models/fct_mrr.sql", ("fct_mrr",))}, {})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="canon.audit.history"):
        assert dig(root, outside, definition("fct_mrr", {"measure": [("fct_mrr", 5)]})) == []
    assert "outside the git repository" in caplog.text

"""The git history of the example: authors, tickets, and the commit behind each decision line."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

FINANCE = "models/marts/fct_revenue_monthly.sql"
SALES = "models/marts/fct_arr_by_account.sql"
MARKETING = "models/marts/fct_marketing_revenue.sql"
TICKET = re.compile(r"\b[A-Z]+-\d+\b")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def commits(root: Path) -> list[dict[str, str]]:
    out = git(root, "log", "--reverse", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%s%x1e")
    fields = ("sha", "author", "email", "authored", "committed", "subject")
    return [dict(zip(fields, rec.strip().split("\x1f"), strict=True)) for rec in out.split("\x1e") if rec.strip()]


def blame(root: Path, path: str, line_text: str) -> dict[str, str]:
    """Who last touched the one line of `path` equal to `line_text` (stripped)."""
    lines = (root / path).read_text().splitlines()
    numbers = [n for n, line in enumerate(lines, 1) if line.strip() == line_text]
    assert len(numbers) == 1, (path, line_text, numbers)
    porcelain = git(root, "blame", "--porcelain", "-L", f"{numbers[0]},{numbers[0]}", "--", path)
    sha = porcelain.split()[0]
    return next(c for c in commits(root) if c["sha"] == sha)


def test_working_tree_is_clean_on_main(acme_dir: Path) -> None:
    assert git(acme_dir, "status", "--porcelain") == ""
    assert git(acme_dir, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    tracked = set(git(acme_dir, "ls-files").split())
    assert {"seeds/raw_invoices.csv", "logs/query_log.csv", "canon.yml", "metrics/mrr.yml", SALES} <= tracked


def test_history_spans_april_2025_to_the_end_of_the_current_month(acme_dir: Path) -> None:
    log = commits(acme_dir)
    first, last = datetime.fromisoformat(log[0]["authored"]), datetime.fromisoformat(log[-1]["authored"])
    assert first.strftime("%Y-%m") == "2025-04"
    assert last.strftime("%Y-%m") == "2026-10"
    assert all(c["authored"] == c["committed"] for c in log)
    stamps = [datetime.fromisoformat(c["authored"]) for c in log]
    assert stamps == sorted(stamps)


def test_several_authors_and_every_commit_but_one_cites_a_ticket(acme_dir: Path) -> None:
    log = commits(acme_dir)
    assert len({c["email"] for c in log}) >= 4
    without_ticket = [c for c in log if not TICKET.search(c["subject"])]
    assert [c["subject"] for c in without_ticket] == ["per Mike's request"]
    assert any("FIN-142" in c["subject"] for c in log)


@pytest.mark.parametrize(
    ("path", "line", "ticket"),
    [
        (FINANCE, "cast(date_trunc('month', invoices.invoice_date) as date) as revenue_month,", "FIN-"),
        (FINANCE, "or invoices.is_setup", "FIN-"),
        (FINANCE, "or invoices.is_credit", "FIN-142"),
        (FINANCE, "and invoices.status != 'void'", "FIN-"),
        (SALES, "and contracts.end_date >= month_spine.month_start", "REVOPS-"),
        (SALES, "where contracts.is_active", "REVOPS-"),
        (SALES, "on contracts.start_date <= month_spine.month_end", "REVOPS-"),
        (MARKETING, "cast(date_trunc('month', payments.payment_date) as date) as payment_month,", "GROWTH-"),
        (MARKETING, "sum(payments.net_amount) as revenue", "GROWTH-"),
        (MARKETING, "or invoices.is_setup", "GROWTH-"),
    ],
)
def test_each_decision_line_is_blamed_on_its_own_ticketed_commit(
    acme_dir: Path, path: str, line: str, ticket: str
) -> None:
    commit = blame(acme_dir, path, line)
    assert ticket in commit["subject"]
    # the commit changed only this model, and only a line or two of it
    stat = git(acme_dir, "show", "--numstat", "--format=", commit["sha"]).split()
    assert stat[2::3] == [path]
    first_commit_of_file = git(acme_dir, "log", "--reverse", "--format=%H", "--", path).split()[0]
    assert commit["sha"] != first_commit_of_file


def test_decision_lines_come_from_distinct_commits(acme_dir: Path) -> None:
    lines = {
        FINANCE: ["or invoices.is_setup", "or invoices.is_credit", "and invoices.status != 'void'"],
        SALES: [
            "where contracts.is_active",
            "and not contracts.is_pilot",
            "on contracts.start_date <= month_spine.month_end",
        ],
    }
    for path, texts in lines.items():
        shas = [blame(acme_dir, path, text)["sha"] for text in texts]
        assert len(set(shas)) == len(shas), path


def test_pilot_exclusion_is_the_contractors_per_mikes_request(acme_dir: Path) -> None:
    commit = blame(acme_dir, SALES, "and not contracts.is_pilot")
    assert commit["subject"] == "per Mike's request"
    body = git(acme_dir, "show", "-s", "--format=%B", commit["sha"]).strip()
    assert body == "per Mike's request" and not TICKET.search(body)
    contractor = commit["email"]
    assert contractor.split("@")[1] != "acme-analytics.example"  # not an employee
    # `git log -L` follows the line to that one commit
    number = next(n for n, t in enumerate((acme_dir / SALES).read_text().splitlines(), 1) if "is_pilot" in t)
    follow = git(acme_dir, "log", "--format=%s", "-L", f"{number},{number}:{SALES}")
    subjects = [
        line
        for line in follow.splitlines()
        if line and not line.startswith(("diff", "---", "+++", "@@", "+", "-", " "))
    ]
    assert subjects == ["per Mike's request"]
    log = commits(acme_dir)
    contractor_last = max(datetime.fromisoformat(c["authored"]) for c in log if c["email"] == contractor)
    repo_last = datetime.fromisoformat(log[-1]["authored"])
    assert repo_last - contractor_last > timedelta(days=90)
    assert {c["author"] for c in log if c["email"] == contractor} == {commit["author"]}


def test_team_models_have_their_own_authors(acme_dir: Path) -> None:
    def authors(path: str) -> set[str]:
        return set(git(acme_dir, "log", "--format=%ae", "--", path).split())

    finance, sales, marketing = authors(FINANCE), authors(SALES), authors(MARKETING)
    assert len(finance) == len(sales) == len(marketing) == 1
    assert len(finance | sales | marketing) == 3


def test_every_version_of_the_team_models_is_a_query(acme_dir: Path) -> None:
    """Intermediate versions are complete SQL: each parses once dbt's refs are replaced."""
    import sqlglot

    for path in (FINANCE, SALES, MARKETING):
        for sha in git(acme_dir, "log", "--format=%H", "--", path).split():
            text = git(acme_dir, "show", f"{sha}:{path}")
            sql = re.sub(r"\{\{\s*ref\('(\w+)'\)\s*\}\}", r"\1", text)
            assert sqlglot.parse_one(sql, read="duckdb") is not None, (path, sha)


def test_history_moves_with_the_current_period(tmp_path: Path) -> None:
    from canon.examples import ExampleOptions, init_example

    root = tmp_path / "later"
    init_example("acme", root, ExampleOptions(current_period="2027-03"))
    log = commits(root)
    assert log[0]["authored"].startswith("2025-09") and log[-1]["authored"].startswith("2027-03")

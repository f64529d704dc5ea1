import subprocess
import sys
from pathlib import Path

import pytest

from canon.engines.duckdb import DuckDBEngine
from canon.errors import ContractError, EngineError, Location, Problem, UserError, did_you_mean, hint_or_list


def test_user_error_renders_where_what_and_fix() -> None:
    err = UserError("unknown dialect `duckbd`", location=Location(parameter="--dialect"), fix="use duckdb")
    assert err.render() == "parameter `--dialect`: unknown dialect `duckbd` Fix: use duckdb"
    assert err.exit_code == 2


def test_contract_error_lists_every_problem_with_position() -> None:
    problems = [
        Problem("unknown key `filtres`", Location(file="m.yml", line=3, column=1), fix="did you mean `filters`?"),
        Problem("required key `owner` is missing", Location(file="m.yml", line=1, column=1)),
    ]
    text = ContractError("contract m.yml has 2 problems", problems=problems).render()
    assert "m.yml:3:1: unknown key `filtres` Fix: did you mean `filters`?" in text
    assert "m.yml:1:1: required key `owner` is missing" in text


def test_did_you_mean() -> None:
    assert did_you_mean("segmnt", ["segment", "industry"]) == "did you mean `segment`?"
    assert did_you_mean("zzz", ["segment"]) is None


def test_a_duckdb_file_held_by_another_process_says_what_to_do(tmp_path: Path) -> None:
    """A file another process holds for writing: the lock error names the way out.

    (A file another process only reads, as `canon serve` does, is opened read-only instead:
    reading commands work beside a server, and writers write a new version beside the file.)
    """
    import duckdb

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('open', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(EngineError) as err:
            DuckDBEngine(db)
        assert "Fix:" in str(err.value) and "stop that process" in str(err.value)
        assert err.value.exit_code == 2
    finally:
        holder.kill()
        holder.wait()


def test_engine_settings_are_literals_not_sql() -> None:
    """A --memory-limit value is a quoted literal: text after a quote cannot become a statement."""
    with pytest.raises(EngineError) as err:
        DuckDBEngine(":memory:", memory_limit="1GB'; CREATE TABLE pwned AS SELECT 1; --")
    assert "memory_limit" in str(err.value)
    engine = DuckDBEngine(":memory:", memory_limit="512MB", threads=1)
    assert engine.scalar("SELECT current_setting('threads')") == 1


def test_hint_or_list_prefers_the_close_match_else_lists_every_name() -> None:
    assert hint_or_list("segmnt", ["segment", "industry"]) == "did you mean `segment`?"
    assert hint_or_list("zzz", ["month", "week"]) == "use one of: month, week"
    assert hint_or_list("zzz", [], "columns", empty="(none declared)") == "columns: (none declared)"

"""A mart build killed with `kill -9` on PostgreSQL: its lock dies with it, its staging does not last.

A build subprocess is paused after it staged its first grouping (the staging schema holds
tables, the advisory lock is held), then killed with SIGKILL. The next build must succeed
within 10 s, leave no staging schema, and serve exactly what the killed build would have.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from canon.errors import BusyError
from canon.mart import build_mart
from tests.mart.conftest import AS_OF, BuiltMart, World

SRC = str(Path(__file__).resolve().parents[2] / "src")

PAUSED_BUILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from pathlib import Path
    from canon.engines import connect
    from canon.mart import build_mart, load_section
    from canon.mart import build as b
    def paused(engine, grouping, target):
        print("READY", flush=True)
        time.sleep(600)
    b.validate = paused
    engine = connect("postgres", dsn=sys.argv[2])
    contracts = load_section(Path(sys.argv[1]) / "metrics", "finance")
    build_mart(engine, contracts, section="finance", as_of=datetime.fromisoformat(sys.argv[3]))
    """
)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.xdist_group("lessons_pg")
def test_a_killed_build_frees_the_schema_within_10_seconds_and_leaves_no_staging(pg_mart: BuiltMart) -> None:
    engine = pg_mart.engine
    served = [t for t in engine.tables("mart") if t != "canon_mart_builds"]  # the build log grows by design
    before = {t: engine.execute(f"SELECT * FROM mart.{t} ORDER BY 1, 2, 3") for t in served}
    env = {**os.environ, "PYTHONPATH": SRC}
    dsn = engine.dsn  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, str(pg_mart.world.root), dsn, AS_OF.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "READY" in line, proc.stderr.read() if proc.stderr else line
    assert engine.tables("mart__canon_staging")  # the killed build has staged something
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed = time.perf_counter()
    while True:  # time until a build is let in (the build itself then takes as long as it takes)
        attempt = time.perf_counter()
        assert attempt - killed < 10, "a killed build's lock outlived it by 10 s"
        try:
            build_mart(engine, pg_mart.world.contracts(), section="finance", as_of=AS_OF)
            print(f"\nnext build let in {attempt - killed:.2f} s after kill -9")
            break
        except BusyError:
            time.sleep(0.2)
    assert engine.tables("mart__canon_staging") == []
    for name, table in before.items():
        assert engine.execute(f"SELECT * FROM mart.{name} ORDER BY 1, 2, 3").equals(table), name


@pytest.mark.slow
@pytest.mark.xdist_group("lessons_duckdb")
def test_a_duckdb_mart_build_publishes_beside_a_reader_and_a_failed_one_leaves_the_file(
    world: World, tmp_path: Path
) -> None:
    """A reader (as `canon serve` holds the file) does not stop a build; it keeps its version whole."""
    import hashlib
    import shutil

    import duckdb

    root = tmp_path / "lessons"
    shutil.copytree(world.root, root)
    live = root / "warehouse.duckdb"
    reader = duckdb.connect(str(live), read_only=True)
    try:
        env = {**os.environ, "PYTHONPATH": SRC}
        build = [sys.executable, "-c", "import sys; from canon.cli import main; main(sys.argv[1:])"]
        res = subprocess.run([*build, "mart", "build", "--project", str(root)], env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        # the reader still has the version it opened: no mart schema in it
        assert reader.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'mart'").fetchall() == [(0,)]
    finally:
        reader.close()
    with duckdb.connect(str(live), read_only=True) as fresh:
        served = fresh.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'mart'").fetchall()[0][0]
    assert served >= 4
    assert not (root / "warehouse.duckdb.canon-next").exists()
    # a build that fails validation changes nothing, not even the file's bytes
    digest = hashlib.sha256(live.read_bytes()).hexdigest()
    contract = root / "metrics" / "finance" / "pnl_summary.yml"
    line = "{name: net_income_cents, type: integer, nullable: true,"
    text = contract.read_text()
    assert line in text
    contract.write_text(text.replace(line, line.replace("nullable: true", "nullable: false")))
    res = subprocess.run([*build, "mart", "build", "--project", str(root)], env=env, capture_output=True, text=True)
    assert res.returncode == 1 and "net_income_cents" in res.stderr
    assert hashlib.sha256(live.read_bytes()).hexdigest() == digest

"""Serving: warehouse paging of a 10M-row table, and 32 concurrent clients (loopback only).

1. One client walks every page of `growth.lead_intake` at limit 5000 through `canon serve`
   (its own process): rows/s, and the time of pages near the end against the first pages
   (keyset stays flat: target ≤ 1.5×, ≥ 50,000 rows/s).
2. Beside it, in this process on the same DuckDB file: the page query the API runs (keyset)
   against the obvious alternative, `ORDER BY id LIMIT 5000 OFFSET k`, at growing depths.
3. 32 concurrent connections on 1000-row pages with `wrk` (Debian package) and a Lua script
   that sets the bearer header and follows `next_cursor`: throughput, p50/p99 latency
   (target p99 < 150 ms).

The table is generated in DuckDB directly (time-ordered `fsm_<uuidv7>` ids, as the growth
contract's tables have), so the script does not depend on the lessons example generator.

    python bench/bench_serve.py [--rows 10000000] [--duration 20] [--workers 2] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
import httpx
import orjson
from sqlglot import exp

from bench.common import machine, print_table

TOKEN = "bench-token-0123456789abcdef"
CANON_YML = """\
name: serve-bench
warehouse: {engine: duckdb, path: warehouse.duckdb}
serve:
  domains:
    growth:
      schema: growth
      tables:
        lead_intake:
          description: One row per form submission.
          primary_key: id
          date_column: createdAt
          columns: {formData: {type: json}}
"""

GENERATE = """
CREATE SCHEMA IF NOT EXISTS growth;
CREATE OR REPLACE TABLE growth.lead_intake AS
SELECT
  'fsm_' || lpad(lower(to_hex(1735689600000 + i * 6307)), 12, '0') || '-7' || substr(md5(i::VARCHAR), 1, 3)
    || '-8' || substr(md5(i::VARCHAR), 4, 15) AS id,
  ['Ava', 'Liam', 'Mia', 'Noah', 'Zoe', 'Ethan'][1 + i % 6] AS "firstName",
  ['Garcia', 'Smith', 'Chen', 'Okafor', 'Novak'][1 + i % 5] AS "lastName",
  'lead' || i || '@example.com' AS email,
  ['paid_social', 'paid_search', 'organic', 'referral'][1 + i % 4] AS source,
  CAST(TIMESTAMP '2025-01-01' + to_milliseconds(i * 6307) AS TIMESTAMP(3)) AS "createdAt",
  ('{"discipline":"piano","market":"berlin","utmSource":"paid_social","n":' || i || '}')::JSON AS "formData"
FROM range(?) t(i)
ORDER BY id;
"""

DAYS_SQL = (
    'SELECT epoch(min("createdAt"))::BIGINT // 86400, epoch(max("createdAt"))::BIGINT // 86400 FROM growth.lead_intake'
)
WRK_LUA = """
-- One wrk thread per connection, so each connection is one client walking its own cursor.
-- Clients start at different points of the table (`since` spread over its date range) and
-- follow next_cursor; at the end of the table a client starts over.
local token = os.getenv("BENCH_TOKEN")
local base = os.getenv("BENCH_PATH")
local first_day = tonumber(os.getenv("BENCH_FIRST_DAY"))
local days = tonumber(os.getenv("BENCH_DAYS"))
local counter = 0

setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end

init = function(args)
  local day = first_day + math.floor(days * id / 32)
  start = base .. "&since=" .. os.date("!%Y-%m-%d", day * 86400)
  cursor = nil
end

request = function()
  local path = start
  if cursor then path = start .. "&cursor=" .. cursor end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

response = function(status, headers, body)
  if status ~= 200 then return end
  cursor = string.match(body, '"next_cursor":"([^"]+)"')
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(dest: Path, rows: int) -> Path:
    db = dest / "warehouse.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        con = duckdb.connect(str(db))
        con.execute("SET enable_progress_bar = false")
        for statement in GENERATE.strip().split(";\n"):
            if statement.strip():
                con.execute(statement, [rows] if "range(?)" in statement else [])
        con.execute("CHECKPOINT")
        con.close()
        print(f"generated {rows:,} rows in {time.perf_counter() - t0:.1f} s")
    (dest / "canon.yml").write_text(CANON_YML)
    return dest


def start_server(
    root: Path, port: int, workers: int, log: Path | None = None, threads: int | None = None
) -> subprocess.Popen[bytes]:
    """`canon serve` as its own process; with `log`, its access log (one JSON line per request)."""
    canon = Path(sys.executable).with_name("canon")
    env = {**os.environ, "CANON_TOKENS": f"bench={TOKEN}"}
    args = [str(canon), "serve", "--project", str(root), "--port", str(port), "--rate", "0"]
    args += ["--workers", str(workers), "--log-level", "info" if log else "warning"]
    if threads:
        args += ["--engine-threads", str(threads)]
    err = log.open("wb") if log else subprocess.PIPE
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read().decode() if proc.stderr else (log.read_text() if log else "")
            raise SystemExit(f"canon serve exited: {detail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("canon serve did not start")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its direct children (uvicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def walk(port: int, limit: int) -> tuple[int, float, list[float], list[str | None]]:
    """Every page in order; returns (rows, seconds, per-page latencies in ms, cursor of each page)."""
    url = f"http://127.0.0.1:{port}/api/warehouse/growth/lead_intake"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    cursors: list[str | None] = []
    rows = 0
    cursor = None
    with httpx.Client(headers=headers, timeout=60) as client:
        t0 = time.perf_counter()
        while True:
            params: dict[str, str | int] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            cursors.append(cursor)
            s = time.perf_counter()
            resp = client.get(url, params=params)
            body = orjson.loads(resp.content)
            latencies.append((time.perf_counter() - s) * 1000)
            rows += body["row_count"]
            if not body["has_more"]:
                break
            cursor = body["next_cursor"]
        return rows, time.perf_counter() - t0, latencies, cursors


def depth_probe(port: int, limit: int, cursors: dict[str, str | None], rounds: int = 15) -> dict[str, float]:
    """Median time of the same pages requested in interleaved rounds (machine load hits all alike)."""
    url = f"http://127.0.0.1:{port}/api/warehouse/growth/lead_intake"
    samples: dict[str, list[float]] = {name: [] for name in cursors}
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        for _ in range(rounds):
            for name, cursor in cursors.items():
                params: dict[str, str | int] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
                s = time.perf_counter()
                orjson.loads(client.get(url, params=params).content)
                samples[name].append((time.perf_counter() - s) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def keyset_vs_offset(db: Path, rows: int, limit: int) -> list[list[str]]:
    """Page queries at depths through the table: the API's keyset seek vs LIMIT/OFFSET."""
    con = duckdb.connect(str(db), read_only=True)
    out = []
    for fraction in (0.0, 0.25, 0.5, 0.75, 0.999):
        offset = int((rows - limit) * fraction)
        found = con.execute("SELECT id FROM growth.lead_intake ORDER BY id LIMIT 1 OFFSET ?", [max(offset - 1, 0)])
        key = found.fetchall()[0][0]
        table = exp.table_("lead_intake", db="growth")
        base = exp.select("*").from_(table).order_by(exp.column("id"))
        keyset = base.where(exp.GT(this=exp.column("id"), expression=exp.Literal.string(key))).limit(limit)
        keyset = keyset.sql("duckdb", identify=True)
        paged = base.limit(limit).offset(offset).sql("duckdb", identify=True)
        t_key = _median_ms(con, keyset)
        t_off = _median_ms(con, paged)
        out.append([f"{offset:,}", f"{t_key:.1f}", f"{t_off:.1f}", f"{t_off / t_key:.1f}×"])
    con.close()
    return out


def _median_ms(con: duckdb.DuckDBPyConnection, sql: str, n: int = 5) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        con.sql(sql).to_arrow_table()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def run_wrk(port: int, connections: int, duration: int, days: tuple[int, int]) -> dict[str, str]:
    """wrk with one thread per connection; `days` is the createdAt range (days since 1970)."""
    threads = connections
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA)
        script = fh.name
    env = {
        **os.environ,
        "BENCH_TOKEN": TOKEN,
        "BENCH_PATH": "/api/warehouse/growth/lead_intake?limit=1000",
        "BENCH_FIRST_DAY": str(days[0]),
        "BENCH_DAYS": str(days[1] - days[0]),
    }
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, check=True)
    os.unlink(script)
    text = out.stdout
    dist = text.split("Latency Distribution", 1)[-1]
    stats = {
        "p50": re.search(r"^\s+50%\s+(\S+)", dist, re.M),
        "p75": re.search(r"^\s+75%\s+(\S+)", dist, re.M),
        "p90": re.search(r"^\s+90%\s+(\S+)", dist, re.M),
        "p99": re.search(r"^\s+99%\s+(\S+)", dist, re.M),
        "rps": re.search(r"Requests/sec:\s+(\S+)", text),
        "requests": re.search(r"(\d+) requests in", text),
        "non2xx": re.search(r"Non-2xx or 3xx responses: (\d+)", text),
    }
    return {k: (m.group(1) if m else "0") for k, m in stats.items()}


def date_range(db: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    lo, hi = con.sql(DAYS_SQL).fetchall()[0]
    con.close()
    return int(lo), int(hi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--duration", type=int, default=20, help="seconds of wrk load")
    ap.add_argument("--workers", type=int, default=2, help="canon serve processes for the concurrent run")
    ap.add_argument("--dir", type=Path, default=None, help="keep the generated warehouse here")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="canon-bench-serve-"))
    root.mkdir(parents=True, exist_ok=True)
    build(root, args.rows)
    print(f"machine: {machine()}; load average at start {load_average()}")

    port = free_port()
    log = root / "access.log"
    proc = start_server(root, port, 1, log)
    try:
        rows, seconds, lat, cursors = walk(port, 5000)
        n = len(cursors)
        depths = {"first page": cursors[0], "middle page": cursors[n // 2], "page near the end": cursors[n - 2]}
        probe = depth_probe(port, 5000, depths)
    finally:
        stop(proc)
    served = [
        orjson.loads(line)["latency_ms"]
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"table":"lead_intake"' in line
    ]
    print(f"\nsingle client, limit 5000, every page ({len(lat)} pages); client ms include reading the JSON:")
    print(f"{rows:,} rows in {seconds:.1f} s: {rows / seconds:,.0f} rows/s")
    table = []
    for label, series in (("client", lat), ("server", served)):
        first, last = statistics.median(series[:10]), statistics.median(series[-11:-1])
        table.append([label, f"{statistics.median(series):.1f}", f"{first:.1f}", f"{last:.1f}", f"{last / first:.2f}×"])
    print_table(["page time", "median ms", "first 10 pages ms", "last 10 pages ms", "last/first"], table)
    print("\nthe same pages re-requested in 15 interleaved rounds (client ms, median):")
    base = probe["first page"]
    print_table(["page", "ms", "vs first page"], [[k, f"{v:.1f}", f"{v / base:.2f}×"] for k, v in probe.items()])

    print("\npage query in-process (DuckDB, limit 5000): keyset seek vs LIMIT/OFFSET")
    print_table(
        ["rows skipped", "keyset ms", "OFFSET ms", "OFFSET/keyset"],
        keyset_vs_offset(root / "warehouse.duckdb", rows, 5000),
    )

    days = date_range(root / "warehouse.duckdb")
    print(f"\n32 concurrent connections, limit 1000, wrk {args.duration} s, canon serve --workers {args.workers}:")
    results = []
    for workers in sorted({1, args.workers}):
        port = free_port()
        proc = start_server(root, port, workers)
        try:
            run_wrk(port, 32, 3, days)  # warm-up: connections, caches
            cpu0 = cpu_seconds(proc.pid)
            stats = run_wrk(port, 32, args.duration, days)
            cpu_ms = (cpu_seconds(proc.pid) - cpu0) * 1000 / max(int(stats["requests"]), 1)
            load = load_average()
        finally:
            stop(proc)
        rps = float(stats["rps"])
        results.append(
            [
                workers,
                stats["requests"],
                f"{rps:,.0f}",
                f"{rps * 1000:,.0f}",
                stats["p50"],
                stats["p90"],
                stats["p99"],
                stats["non2xx"],
                f"{cpu_ms:.1f}",
                load,
            ]
        )
    print_table(
        ["workers", "requests", "req/s", "rows/s", "p50", "p90", "p99", "non-2xx", "server CPU ms/req", "load avg"],
        results,
    )


if __name__ == "__main__":
    main()

"""Who uses each model: queries per month and team from a query log, plus dbt exposures.

Models are found by parsing each logged query with sqlglot and matching its table references
(not CTE names) to models the way the audit matches refs, so quoting, schema qualification,
aliases and joins all count, and a model name inside a string or a comment does not.

Parsing is cached per query *shape*: the text with literals replaced, so a dashboard that
runs the same query with a thousand different dates is parsed once. Two texts of the same
shape differ only in literal values and therefore read the same tables.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from canon.audit.result import Usage
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.periods import Period
from canon.errors import Location, UserError

UNKNOWN_TEAM = "(unknown)"
_STATEMENTS = (
    exp.Query,
    exp.DML,
    exp.DDL,
    exp.Drop,
    exp.Alter,
    exp.Show,
    exp.Describe,
    exp.Use,
    exp.Set,
    exp.Pragma,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)
_SHAPE_RE = re.compile(r"(\"(?:[^\"]|\"\")*\"|`[^`]*`)|'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


@dataclass
class LogStats:
    """What reading the log found, for the report and for honesty about what was skipped."""

    records: int = 0
    counted: int = 0  # records with a timestamp and a parseable query
    matched: int = 0  # counted records that read at least one model
    unparseable: int = 0  # records whose query sqlglot could not parse
    bad_records: int = 0  # records without a readable timestamp or query
    distinct_queries: int = 0
    parsed_shapes: int = 0  # sqlglot parses actually run (cache misses)
    first: str | None = None
    last: str | None = None
    window: list[str] = field(default_factory=list)  # the months averaged over
    unparseable_examples: list[str] = field(default_factory=list)
    bad_examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "counted": self.counted,
            "matched": self.matched,
            "unparseable": self.unparseable,
            "bad_records": self.bad_records,
            "distinct_queries": self.distinct_queries,
            "first": self.first,
            "last": self.last,
            "window": self.window,
        }


def months_window(period: Period, months: int) -> list[str]:
    """The `months` calendar months ending with the month the audit period ends in."""
    end = period.last_day
    y, m = end.year, end.month
    out = []
    for _ in range(months):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return sorted(out)


def usage_from_exposures(models: ModelSet) -> dict[str, list[str]]:
    """Exposure names (dashboards, notebooks, apps) per model, sorted."""
    out: dict[str, set[str]] = {}
    for e in models.exposures:
        for m in e.models:
            out.setdefault(m, set()).add(e.name)
    return {m: sorted(names) for m, names in sorted(out.items())}


def usage_from_log(
    path: Path, models: ModelSet, period: Period, window_months: int = 3, dialect: str = "duckdb"
) -> tuple[dict[str, Usage], LogStats]:
    """Usage of every model in `models` from a CSV or JSONL query log (plus exposures)."""
    if window_months < 1:
        raise UserError("the usage window must be at least one month", location=Location(parameter="window_months"))
    if not path.is_file():
        raise UserError(
            f"query log {path} does not exist",
            location=Location(file=str(path), parameter="--query-log"),
            fix="pass a CSV or JSONL file with timestamp, user, team and query columns",
        )
    stats = LogStats()
    tally = _tally(_read_log(path), stats, path.name)
    window = months_window(period, window_months)
    stats.window = window
    per_model = _per_model(tally, _Parser(models, dialect), set(window), stats)

    exposures = usage_from_exposures(models)
    all_months = sorted(tally.months)
    result: dict[str, Usage] = {}
    for name in models.models:
        by_month = per_model.months.get(name, Counter())
        teams = per_model.teams.get(name, Counter())
        seen = per_model.last.get(name)
        result[name] = Usage(
            queries_per_month=round(sum(by_month.get(m, 0) for m in window) / window_months, 2),
            last_queried=seen[1].isoformat() if seen else None,
            by_team={t: round(c / window_months, 2) for t, c in sorted(teams.items())},
            by_month={m: by_month.get(m, 0) for m in all_months},
            exposures=exposures.get(name, []),
        )
    return result, stats


Instant = tuple[datetime, datetime]  # (comparable key, timestamp as written)


@dataclass
class _Tally:
    counts: Counter[tuple[str, str, str]]  # (query text, month, team) → records
    latest: dict[str, Instant]  # query text → its latest record
    months: set[str]


@dataclass
class _PerModel:
    months: dict[str, Counter[str]] = field(default_factory=dict)  # model → month → queries
    teams: dict[str, Counter[str]] = field(default_factory=dict)  # model → team → queries in the window
    last: dict[str, Instant] = field(default_factory=dict)


def _tally(rows: _Rows, stats: LogStats, file_name: str) -> _Tally:
    """Count records per (query text, month, team): one pass, no parsing yet."""
    tally = _Tally(Counter(), {}, set())
    earliest: Instant | None = None
    stats.records = len(rows.queries)
    for i, (ts_value, query, team) in enumerate(zip(rows.timestamps, rows.queries, rows.teams, strict=True)):
        ts = _parse_ts(ts_value)
        if ts is None or not isinstance(query, str) or not query.strip():
            stats.bad_records += 1
            if len(stats.bad_examples) < 5:
                stats.bad_examples.append(f"{file_name}:{rows.lines[i]}")
            continue
        month = f"{ts.year:04d}-{ts.month:02d}"
        tally.months.add(month)
        team_name = str(team).strip() if team not in (None, "") else UNKNOWN_TEAM
        tally.counts[(query, month, team_name)] += 1
        key = ts if ts.tzinfo is None else _sort_key(ts)
        if earliest is None or key < earliest[0]:
            earliest = (key, ts)
        prev = tally.latest.get(query)
        if prev is None or key > prev[0]:
            tally.latest[query] = (key, ts)
    if earliest is not None:
        stats.first = earliest[1].isoformat()
        stats.last = max(tally.latest.values(), key=lambda kv: kv[0])[1].isoformat()
    return tally


def _per_model(tally: _Tally, parser: _Parser, window: set[str], stats: LogStats) -> _PerModel:
    """Parse each distinct query (cached per shape) and credit the models it reads."""
    out = _PerModel()
    model_sets = {query: parser.models_in(query) for query in tally.latest}
    by_set: Counter[tuple[tuple[str, ...], str, str]] = Counter()  # (models read, month, team) → count
    for (query, month, team), n in tally.counts.items():
        names = model_sets[query]
        if names is None:
            stats.unparseable += n
            if len(stats.unparseable_examples) < 5 and query[:200] not in stats.unparseable_examples:
                stats.unparseable_examples.append(query[:200])
            continue
        stats.counted += n
        if names:
            stats.matched += n
            by_set[(names, month, team)] += n
    for (names, month, team), n in by_set.items():
        for name in names:
            out.months.setdefault(name, Counter())[month] += n
            if month in window:
                out.teams.setdefault(name, Counter())[team] += n
    for query, names in model_sets.items():
        for name in names or ():
            last = tally.latest[query]
            if name not in out.last or last[0] > out.last[name][0]:
                out.last[name] = last
    stats.distinct_queries = len(model_sets)
    stats.parsed_shapes = parser.parses
    return out


class _Parser:
    """Model names read by a query, cached per query shape (None: unparseable)."""

    def __init__(self, models: ModelSet, dialect: str) -> None:
        self.models = models
        self.dialect = dialect
        self.cache: dict[str, tuple[str, ...] | None] = {}
        self.parses = 0

    def models_in(self, query: str) -> tuple[str, ...] | None:
        shape = _SHAPE_RE.sub(lambda m: m.group(1) or "?", query)
        if shape in self.cache:
            return self.cache[shape]
        self.parses += 1
        found = self._parse(query)
        self.cache[shape] = found
        return found

    def _parse(self, query: str) -> tuple[str, ...] | None:
        try:
            with _quiet_sqlglot():
                trees = [t for t in sqlglot.parse(query, read=self.dialect) if t is not None]
        except SqlglotError:
            return None
        if not trees:
            return None
        names: set[str] = set()
        for tree in trees:
            # exp.Command is sqlglot's fallback for text it does not understand; a bare
            # expression ("hello world" parses as an alias) is not a statement either.
            if isinstance(tree, exp.Command) or not isinstance(tree, _STATEMENTS):
                return None
            ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
            for table in tree.find_all(exp.Table):
                if not table.name:
                    continue
                if not table.db and not table.catalog and table.name.lower() in ctes:
                    continue
                hit = self.models.match(table)
                if isinstance(hit, ModelSource):
                    names.add(hit.name)
        return tuple(sorted(names))


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot warns on every query it falls back on; the log stats already count those."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- reading the log


@dataclass
class _Rows:
    timestamps: list[Any]
    teams: list[Any]
    queries: list[Any]
    lines: list[int]  # line number of each record in the file


def _read_log(path: Path) -> _Rows:
    """The log's records as columns, from CSV (header names any case) or JSONL (keys any case)."""
    with path.open(encoding="utf-8-sig") as fh:
        first = fh.read(4096).lstrip()[:1]
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or first in ("{", "["):
        return _read_jsonl(path)
    return _read_csv(path)


def _read_jsonl(path: Path) -> _Rows:
    rows = _Rows([], [], [], [])
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = None
            rec = {str(k).strip().lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}
            rows.timestamps.append(rec.get("timestamp"))
            rows.teams.append(rec.get("team"))
            rows.queries.append(rec.get("query"))
            rows.lines.append(lineno)
    return rows


def _read_csv(path: Path) -> _Rows:
    """CSV through polars (all columns as text): a 100k-line log reads in a fraction of a second."""
    import polars as pl

    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UserError(
            f"query log {path} is not a readable CSV file: {exc}",
            location=Location(file=str(path), parameter="--query-log"),
            fix="write the log as CSV with a header row, or as JSONL (one JSON object per line)",
        ) from exc
    names = {c.strip().lower(): c for c in df.columns}
    missing = [k for k in ("timestamp", "query") if k not in names]
    if missing:
        raise UserError(
            f"query log {path} has no {' or '.join(missing)} column (header: {', '.join(df.columns)})",
            location=Location(file=str(path), line=1, parameter="--query-log"),
            fix="the log needs columns timestamp, user, team and query (CSV header or JSONL keys)",
        )
    n = df.height
    teams = df[names["team"]].to_list() if "team" in names else [None] * n
    return _Rows(df[names["timestamp"]].to_list(), teams, df[names["query"]].to_list(), list(range(2, n + 2)))


def _parse_ts(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
    except ValueError:
        return None


def _sort_key(ts: datetime) -> datetime:
    """Comparable instants: aware timestamps in UTC, naive ones as written."""
    if ts.tzinfo is not None:
        return ts.astimezone(UTC).replace(tzinfo=None)
    return ts

"""A warehouse small enough to compute every time basis by hand (period 2026-10).

subs (subscription periods; end_date is the first day no longer paid, NULL while running):
  S1 c1 active    100.00  2026-09-01 .. NULL        live on Oct 1, open
  S2 c1 active     50.00  2026-10-15 .. 2026-12-01  starts mid-October
  S3 c2 active     30.00  2026-08-01 .. 2026-10-01  ends on Oct 1 (live on Oct 1 only if the end is inclusive)
  S4 c2 canceled   20.00  2026-06-01 .. 2026-10-31
  S5 c3 trialing  999.00  2026-10-01 .. NULL        a trial: every model below leaves it out
  S6 c3 active      7.00  2026-11-01 .. NULL        starts after October
  S7 c4 active      5.00  2026-10-31 .. 2026-11-01  live on Oct 31 only

October 2026, trials left out, by hand:
  live on Oct 1, end exclusive, NULL open  (start <= 10-01 < end):       S1 + S4           = 120.00
  live on Oct 1, end inclusive             (start <= 10-01 <= end):      S1 + S3 + S4      = 150.00
  live on Oct 1, end exclusive, NULL ends not counted:                   S4                =  20.00
  live on any day of October, end inclusive (start <= 10-31, end >= 10-01):
                                                                  S1 + S2 + S3 + S4 + S7   = 205.00
  live on any day of October, end exclusive (start <= 10-31, end > 10-01):
                                                                  S1 + S2 + S4 + S7        = 175.00

payments (paid_at is UTC wall-clock time; date_key is paid_at's UTC day as YYYYMMDD):
  P1 2026-10-01 02:30  100.00  20261001   New York: 2026-09-30 22:30
  P2 2026-10-15 12:00   40.00  20261015
  P3 2026-11-01 03:00   25.00  20261101   New York: 2026-10-31 23:00
  P4 2026-10-31 23:30   10.00  20261031   New York: 2026-10-31 19:30
  P5 2026-09-30 12:00    7.00  20260930
October 2026: by UTC day (paid_at or date_key) P1 + P2 + P4 = 150.00; New York time P2 + P3 + P4 = 75.00.

budgets (one planned amount per month, a table that is not a calendar): 2026-10-01 1000.00, 2026-09-01 900.00.

calendar_days (a date dimension loaded as a table: one row per day of 2026, its YYYYMMDD key, its month).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from canon.audit.domains import Domains
from canon.audit.extract import Catalog, Extraction, Extractor
from canon.audit.figures import Evaluator, model_figure
from canon.audit.inline import Inliner
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.joins import JoinGraph
from canon.compiler.periods import parse_period
from canon.compiler.relations import Relations
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.engines.duckdb import DuckDBEngine

OCTOBER = parse_period("2026-10")

Rows = list[tuple[object, ...]]
TABLES: dict[str, tuple[str, Rows]] = {
    "subs": (
        "id VARCHAR, customer_id VARCHAR, status VARCHAR, amount DECIMAL(12,2), start_date DATE, end_date DATE",
        [
            ("S1", "c1", "active", "100.00", "2026-09-01", None),
            ("S2", "c1", "active", "50.00", "2026-10-15", "2026-12-01"),
            ("S3", "c2", "active", "30.00", "2026-08-01", "2026-10-01"),
            ("S4", "c2", "canceled", "20.00", "2026-06-01", "2026-10-31"),
            ("S5", "c3", "trialing", "999.00", "2026-10-01", None),
            ("S6", "c3", "active", "7.00", "2026-11-01", None),
            ("S7", "c4", "active", "5.00", "2026-10-31", "2026-11-01"),
        ],
    ),
    "customers": (
        "customer_id VARCHAR, segment VARCHAR",
        [("c1", "smb"), ("c2", "smb"), ("c3", "enterprise"), ("c4", "enterprise")],
    ),
    "payments": (
        "id VARCHAR, paid_at TIMESTAMP, amount DECIMAL(12,2), date_key INTEGER, status VARCHAR",
        [
            ("P1", "2026-10-01 02:30:00", "100.00", 20261001, "paid"),
            ("P2", "2026-10-15 12:00:00", "40.00", 20261015, "paid"),
            ("P3", "2026-11-01 03:00:00", "25.00", 20261101, "paid"),
            ("P4", "2026-10-31 23:30:00", "10.00", 20261031, "paid"),
            ("P5", "2026-09-30 12:00:00", "7.00", 20260930, "paid"),
        ],
    ),
    "budgets": ("budget_month DATE, planned DECIMAL(12,2)", [("2026-10-01", "1000.00"), ("2026-09-01", "900.00")]),
}


CALENDAR = (
    "CREATE TABLE calendar_days AS SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key, d AS day,"
    " CAST(date_trunc('month', d) AS DATE) AS month_start"
    " FROM (SELECT CAST(unnest(generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL 1 DAY)) AS DATE) AS d)"
)
RAW_TABLES = [*TABLES, "calendar_days"]


def warehouse() -> DuckDBEngine:
    engine = DuckDBEngine()
    engine.conn.execute("SET TimeZone = 'UTC'")
    for name, (ddl, rows) in TABLES.items():
        engine.conn.execute(f"CREATE TABLE {name} ({ddl})")
        width = len(rows[0])
        engine.conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * width)})", rows)
    engine.conn.execute(CALENDAR)
    return engine


@dataclass
class World:
    engine: DuckDBEngine

    def models(self, sql: dict[str, str], dialect: str) -> ModelSet:
        return ModelSet(
            {n: ModelSource(n, text, f"models/{n}.sql", (n,), dialect) for n, text in sql.items()},
            {t: (t,) for t in RAW_TABLES},
        )

    def extractor(self, models: ModelSet) -> Extractor:
        schema = {t: self.engine.columns(t) for t in RAW_TABLES}
        catalog = Catalog(schema, [])
        return Extractor(Inliner(models), catalog, Domains(self.engine, Relations()), is_unique=self.unique)

    def unique(self, column: ColumnRef) -> bool:
        """Whether a raw column is unique in its table (as the audit asks the warehouse)."""
        sql = f"select count(*) = count(distinct {column.column}) from {column.table}"
        return bool(self.engine.scalar(sql))

    def extract(self, sql: str, dialect: str = "duckdb", upstream: dict[str, str] | None = None) -> Extraction:
        """The decisions of model `m` (its first money output), `upstream` models inlined."""
        models = self.models({**(upstream or {}), "m": sql}, dialect)
        extractor = self.extractor(models)
        tree, lineage = extractor.prepare(models.models["m"])
        candidates, notes = extractor.candidates(lineage)
        assert candidates, f"no money output: {[n.reason for n in notes]}"
        return extractor.extract(models.models["m"], tree, lineage, candidates[0], [])

    def model_cents(self, extraction: Extraction) -> int:
        """The model's own figure for October, read through its period keys."""
        return model_figure(self.engine, extraction, OCTOBER, Relations(), RAW_TABLES, None)

    def compiled_cents(self, vector: DecisionVector, edges: tuple[JoinEdge, ...] = ()) -> int:
        return Evaluator(self.engine, JoinGraph([]), Relations(), OCTOBER)(vector, edges)


def ref(text: str) -> ColumnRef:
    return ColumnRef.parse(text)


def world() -> Iterator[World]:
    engine = warehouse()
    try:
        yield World(engine)
    finally:
        engine.close()

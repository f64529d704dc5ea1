"""Row decisions compiled: vectors written by hand over the ledger warehouse (tests/audit/rows/ledger.py),
each figure computed by hand there (March 2026, cents). No extraction involved."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from canon.compiler.joins import JoinGraph
from canon.compiler.periods import parse_period
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, compile_batch, compile_vector
from canon.contracts.decisions import DecisionVector, Dedup, FanOut, Measure, RowMatch, TimeBasis
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.engines.render import render
from canon.project import Project, load_project
from tests.audit.rows.ledger import write_ledger

P = ColumnRef.parse
MARCH = parse_period("2026-03")
V = "raw_invoice_versions"
LATEST = Dedup(V, (f"{V}.invoice_id",), ((f"{V}.updated_at", True), (f"{V}.version", True)))
TO_INVOICE = [
    JoinEdge(P("raw_invoice_lines.invoice_id"), P("raw_invoices.invoice_id")),
    JoinEdge(P("raw_attempts.invoice_id"), P("raw_invoices.invoice_id")),
    JoinEdge(P(f"{V}.invoice_id"), P("raw_invoices.invoice_id")),
    JoinEdge(P("raw_attempts.customer_id"), P("raw_customers.customer_id")),
]
GRAPH = JoinGraph(TO_INVOICE)

VERSIONS = DecisionVector.build(
    Measure(P(f"{V}.total")), TimeBasis((P(f"{V}.issued_on"),)), {P(f"{V}.status"): ["paid"]}
)
LINES = DecisionVector.build(
    Measure(P("raw_invoice_lines.amount")),
    TimeBasis((P("raw_invoices.issued_on"),)),
    {P("raw_invoices.status"): ["paid"]},
)
CASH = DecisionVector.build(
    Measure(P("raw_attempts.amount")),
    TimeBasis((P("raw_attempts.attempted_on"),)),
    {P("raw_attempts.outcome"): ["succeeded"]},
)
PER_ATTEMPT = FanOut(P("raw_invoices.invoice_id"), P("raw_attempts.invoice_id"))
NOT_EXCLUDED = RowMatch(P("raw_attempts.customer_id"), P("raw_excluded.customer_id"), present=False)
KNOWN_CUSTOMER = RowMatch(P("raw_attempts.customer_id"), P("raw_customers.customer_id"))


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root: Path = write_ledger(tmp_path_factory.mktemp("ledger"))
    project = load_project(root)
    yield project
    project.close()


def figure(project: Project, vector: DecisionVector, graph: JoinGraph = GRAPH) -> int:
    q = VectorQuery(vector, "v", first=MARCH, last=MARCH)
    rows = project.engine.execute(compile_vector(q, graph, project.relations(project.engine))).to_pylist()
    return sum(r["v"] for r in rows)


def batch(project: Project, vectors: list[DecisionVector], graph: JoinGraph = GRAPH) -> list[int]:
    query = compile_batch(vectors, MARCH, graph, project.relations(project.engine))
    row = project.engine.execute(query).to_pylist()[0]
    return [row[f"v{i}"] for i in range(len(vectors))]


CASES = [
    pytest.param(VERSIONS, 49_500, id="every-version"),
    pytest.param(replace(VERSIONS, dedup=(LATEST,)), 23_000, id="latest-version-then-paid"),
    pytest.param(
        replace(VERSIONS, dedup=(replace(LATEST, among=(f"{V}.status = 'paid'",)),)), 43_500, id="latest-paid"
    ),
    pytest.param(
        replace(VERSIONS, dedup=(Dedup(V, (f"{V}.invoice_id",), ((f"{V}.updated_at", True),), ties=True),)),
        29_000,
        id="rank-keeps-ties",
    ),
    # the latest version joined many-to-one from the lines: lines of I1 and I3 (I2's latest is void)
    pytest.param(
        DecisionVector.build(
            Measure(P("raw_invoice_lines.amount")),
            TimeBasis((P("raw_invoices.issued_on"),)),
            {P(f"{V}.status"): ["paid"]},
            dedup=[LATEST],
        ),
        17_000,
        id="deduplicated-parent",
    ),
    pytest.param(LINES, 44_500, id="lines"),
    pytest.param(replace(LINES, fanout=(PER_ATTEMPT,)), 70_500, id="fan-out"),
    pytest.param(
        replace(LINES.with_filter(P("raw_attempts.outcome"), ["succeeded"]), fanout=(PER_ATTEMPT,)),
        44_500,
        id="fan-out-filtered-on-the-joined-rows",
    ),
    pytest.param(
        replace(LINES.with_filter(P("raw_invoices.status"), None), fanout=(replace(PER_ATTEMPT, inner=False),)),
        73_500,
        id="left-fan-out-keeps-invoices-without-attempts",
    ),
    pytest.param(
        replace(LINES.with_filter(P("raw_invoices.status"), None), fanout=(PER_ATTEMPT,)), 70_500, id="inner-fan-out"
    ),
    pytest.param(CASH, 46_000, id="cash"),
    pytest.param(replace(CASH, matches=(NOT_EXCLUDED,)), 38_000, id="anti-join"),
    pytest.param(replace(CASH, matches=(KNOWN_CUSTOMER,)), 39_000, id="semi-join"),
    pytest.param(CASH.with_filter(P("raw_customers.country"), ["US", "CA"]), 34_000, id="left-filter-drops-unmatched"),
    pytest.param(
        CASH.with_filter(P("raw_customers.country"), ["US", "CA", None]), 41_000, id="left-filter-admitting-null"
    ),
    pytest.param(
        replace(CASH.with_filter(P("raw_customers.is_internal"), [False]), predicates=("raw_attempts.amount > 0",)),
        37_500,
        id="predicate-on-the-amount",
    ),
]


@pytest.mark.parametrize(("vector", "cents"), CASES)
def test_compiled_figure(ledger: Project, vector: DecisionVector, cents: int) -> None:
    assert figure(ledger, vector) == cents


def test_dedup_applies_inside_a_semi_join(ledger: Project) -> None:
    # attempts whose invoice has a paid version (one-to-many from raw_invoices: an EXISTS):
    # any version paid: A2 I1 + A3 I2 + A4 I3 = 375.00; the latest version paid: A2 + A4 = 170.00
    paid = CASH.with_filter(P(f"{V}.status"), ["paid"])
    assert figure(ledger, paid) == 37_500
    latest = replace(paid, dedup=(LATEST,))
    assert figure(ledger, latest) == 17_000
    void = replace(CASH.with_filter(P(f"{V}.status"), ["void"]), dedup=(LATEST,))
    assert figure(ledger, void) == 20_500  # A3: I2's latest version is void
    # one scan, semi-joins as flags of an aggregated LEFT JOIN: the dedup applies there too
    assert batch(ledger, [latest, void]) == [17_000, 20_500]


def test_matches_vary_within_one_batch(ledger: Project) -> None:
    vectors = [CASH, replace(CASH, matches=(NOT_EXCLUDED,)), replace(CASH, matches=(KNOWN_CUSTOMER,))]
    assert batch(ledger, vectors) == [46_000, 38_000, 39_000]


def test_a_batch_needs_one_dedup_and_one_fan_out() -> None:
    with pytest.raises(ValueError, match="dedup and fan-out"):
        compile_batch([VERSIONS, replace(VERSIONS, dedup=(LATEST,))], MARCH, GRAPH, Relations())


def test_the_dedup_is_portable_sql(ledger: Project) -> None:
    q = VectorQuery(replace(VERSIONS, dedup=(LATEST,)), "v", first=MARCH, last=MARCH)
    tree = compile_vector(q, GRAPH, ledger.relations(ledger.engine))
    for dialect in ("duckdb", "postgres", "spark"):
        sql = render(tree, dialect)
        assert "ROW_NUMBER() OVER" in sql and "QUALIFY" not in sql


def test_vectors_differing_by_a_row_decision_are_different_definitions() -> None:
    assert not VERSIONS.same_definition(replace(VERSIONS, dedup=(LATEST,)))
    assert not LINES.same_definition(replace(LINES, fanout=(PER_ATTEMPT,)))
    assert not CASH.same_definition(replace(CASH, matches=(NOT_EXCLUDED,)))
    built = DecisionVector.build(CASH.measure, CASH.time_basis, CASH.filters, matches=[NOT_EXCLUDED, NOT_EXCLUDED])
    assert built == replace(CASH, matches=(NOT_EXCLUDED,))  # stored once, hashable
    assert len({built, replace(CASH, matches=(NOT_EXCLUDED,))}) == 1

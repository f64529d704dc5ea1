"""One scan for many definitions must give exactly what each definition gives on its own."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.audit.figures import Evaluator
from canon.compiler.periods import parse_period
from canon.contracts.decisions import DecisionVector, Measure, TimeBasis
from canon.contracts.refs import ColumnRef
from canon.project import load_project

DOMAINS = {
    ColumnRef("raw_invoices", "type"): ["subscription", "setup", "credit"],
    ColumnRef("raw_invoices", "status"): ["paid", "pending", "void"],
    ColumnRef("raw_contracts", "type"): ["recurring", "pilot", "one-time"],
    ColumnRef("raw_contracts", "status"): ["active", "churned"],
    ColumnRef("raw_payments", "refunded"): [True, False],
    ColumnRef("raw_accounts", "segment"): ["enterprise", "smb", "mid-market"],
}
MEASURE = Measure(ColumnRef("raw_invoices", "amount"))
BASIS = TimeBasis((ColumnRef("raw_invoices", "invoice_date"),))

vectors = st.builds(
    lambda chosen: DecisionVector.build(MEASURE, BASIS, chosen),
    st.dictionaries(
        st.sampled_from(sorted(DOMAINS)),
        st.none(),
    ).flatmap(lambda keys: st.fixed_dictionaries({k: st.sets(st.sampled_from(DOMAINS[k]), min_size=1) for k in keys})),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(vectors, min_size=2, max_size=6))
def test_batch_equals_one_by_one(tiny_root: Path, batch: list[DecisionVector]) -> None:
    project = load_project(tiny_root)
    period = parse_period("2026-10")
    together = Evaluator(project.engine, project.join_graph(), project.relations(project.engine), period)
    together.many(batch)
    alone = Evaluator(project.engine, project.join_graph(), project.relations(project.engine), period)
    assert [together.cache[v] for v in batch] == [alone(v) for v in batch]
    project.close()

"""Row decisions read off each ledger model's SQL, and each model reproduced to the cent.

Every expected decision below is read off the model's SQL by hand (ledger.py); every figure is
the hand figure of ledger.py's docstring, which test_ledger_figures.py checks with DuckDB alone.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from canon.audit.runner import AuditContext, AuditOptions, Discovered, extract, reproduce
from canon.audit.sources import ModelSet, ModelSource
from canon.contracts.decisions import Dedup, FanOut, RowMatch
from canon.contracts.refs import ColumnRef
from canon.project import Project
from tests.audit.rows.conftest import MARCH
from tests.audit.rows.ledger import DDL, MODEL_CENTS

P = ColumnRef.parse
V = "raw_invoice_versions"
BY_UPDATE = ((f"{V}.updated_at", True), (f"{V}.version", True))
LATEST = Dedup(V, (f"{V}.invoice_id",), BY_UPDATE)
PER_ATTEMPT = FanOut(P("raw_invoices.invoice_id"), P("raw_attempts.invoice_id"), inner=True)
NOT_EXCLUDED = RowMatch(P("raw_attempts.customer_id"), P("raw_excluded.customer_id"), present=False)
NO_CUSTOMER = "rows with no raw_customers row dropped (3 rows of raw_attempts)"  # A5, A6, A7: customer C9

# model → (dedup, fan-out, matches)
ROW_DECISIONS: dict[str, tuple[tuple[Dedup, ...], tuple[FanOut, ...], tuple[RowMatch, ...]]] = {
    "latest_then_paid": ((LATEST,), (), ()),
    "latest_qualify": ((LATEST,), (), ()),
    "every_version_paid": ((), (), ()),
    "latest_paid_version": ((replace(LATEST, among=(f"{V}.status = 'paid'",)),), (), ()),
    "latest_with_ties": ((Dedup(V, (f"{V}.invoice_id",), ((f"{V}.updated_at", True),), ties=True),), (), ()),
    "max_version": ((Dedup(V, (f"{V}.invoice_id",), ((f"{V}.version", True),), ties=True),), (), ()),
    "billed_lines": ((), (), ()),
    "billed_lines_per_attempt": ((), (PER_ATTEMPT,), ()),
    "billed_lines_per_success": ((), (PER_ATTEMPT,), ()),
    "lines_left_attempts": ((), (replace(PER_ATTEMPT, inner=False),), ()),
    "cash": ((), (), ()),
    "north_america_cash": ((), (), ()),
    "unknown_as_us_cash": ((), (), ()),
    "external_positive_cash": ((), (), ()),
    "nonzero_cash": ((), (), ()),
    "customer_cash": ((), (), (RowMatch(P("raw_attempts.customer_id"), P("raw_customers.customer_id")),)),
    "cash_not_excluded": ((), (), (NOT_EXCLUDED,)),
    "cash_not_in_excluded": ((), (), (NOT_EXCLUDED,)),
    "cash_not_exists_excluded": ((), (), (NOT_EXCLUDED,)),
    "cash_not_test": ((), (), ()),  # excluding reason 'test' only is a value set on raw_excluded.reason
    "invoiced_cash": ((), (), (RowMatch(P("raw_attempts.invoice_id"), P("raw_invoices.invoice_id")),)),
    "cash_left_us": ((), (), ()),
    "cash_unread_cte": ((), (), ()),
}


def _definition(ctx: AuditContext, name: str):  # type: ignore[no-untyped-def]
    return next(d for d in ctx.definitions if d.model == name)


def test_every_model_is_a_definition(audited: AuditContext) -> None:
    assert ctx_models(audited) == sorted(MODEL_CENTS)
    assert audited.skipped == {"stg_attempts": "aggregates no money itself (counts, ids, or passes rows through)"}
    assert audited.failed == {}


def ctx_models(ctx: AuditContext) -> list[str]:
    return sorted(d.model for d in ctx.definitions)


@pytest.mark.parametrize("name", sorted(ROW_DECISIONS))
def test_row_decisions(audited: AuditContext, name: str) -> None:
    v = _definition(audited, name).vector
    assert (v.dedup, v.fanout, v.matches) == ROW_DECISIONS[name]


@pytest.mark.parametrize("name", sorted(MODEL_CENTS))
def test_reproduced_to_the_cent(audited: AuditContext, name: str) -> None:
    d = _definition(audited, name)
    assert (d.value_cents, d.reproduced_cents) == (MODEL_CENTS[name], MODEL_CENTS[name])
    assert d.reproduced
    assert [u.reason for u in d.unmapped] == []


def test_the_window_is_no_longer_an_unresolved_condition(audited: AuditContext) -> None:
    d = _definition(audited, "latest_then_paid")
    assert d.vector.filters == {P(f"{V}.status"): frozenset({"paid"})}
    assert d.row_decisions == [
        "latest version only: one row of raw_invoice_versions per invoice_id by updated_at desc, version desc"
    ]
    assert d.fragments[f"dedup:{V}"] == ["ranked.rn = 1"]


def test_dedup_is_the_one_difference_and_spelling_does_not_matter(audited: AuditContext) -> None:
    where, qualify, every = (
        _definition(audited, n).vector for n in ("latest_then_paid", "latest_qualify", "every_version_paid")
    )
    assert where.same_definition(qualify)  # WHERE rn = 1 over a CTE, QUALIFY inside it: one decision
    assert not where.same_definition(every)
    assert replace(where, dedup=()).same_definition(every)


def test_filters_on_the_left_joined_table(audited: AuditContext) -> None:
    north = _definition(audited, "north_america_cash")
    assert north.vector.filters[P("raw_customers.country")] == frozenset({"US", "CA"})
    assert len(north.row_notes) == 1 and north.row_notes[0].startswith(NO_CUSTOMER)
    # coalesce(country, 'US'): an attempt with no customer reads as US, so NULL is admitted and kept
    unknown = _definition(audited, "unknown_as_us_cash")
    assert unknown.vector.filters[P("raw_customers.country")] == frozenset({"US", "CA", None})
    assert unknown.row_notes == []
    external = _definition(audited, "external_positive_cash")
    assert external.vector.filters[P("raw_customers.is_internal")] == frozenset({False})
    assert external.row_notes[0].startswith(NO_CUSTOMER)


def test_conditions_on_the_amount_stay_predicates(audited: AuditContext) -> None:
    assert _definition(audited, "external_positive_cash").vector.predicates == ("raw_attempts.amount > 0",)
    nonzero = _definition(audited, "nonzero_cash").vector
    assert nonzero.predicates == ("raw_attempts.amount <> 0",)
    assert P("raw_attempts.amount") not in nonzero.filters


@pytest.mark.parametrize("name", ["cash_left_us", "cash_unread_cte"])
def test_conditions_that_decide_no_measured_row(audited: AuditContext, name: str) -> None:
    # a WHERE inside a LEFT-joined relation picks its matches; a CTE never read picks nothing
    d = _definition(audited, name)
    assert d.vector.filters == {P("raw_attempts.outcome"): frozenset({"succeeded"})}
    assert d.row_notes == []


def test_an_exclusion_with_a_condition_keeps_rows_absent_from_the_list(audited: AuditContext) -> None:
    # LEFT JOIN raw_excluded ON … AND reason = 'test' … IS NULL: kept are attempts whose exclusion row has
    # another reason (C4, 'internal') and attempts of customers not in the list at all (NULL)
    d = _definition(audited, "cash_not_test")
    assert d.vector.filters[P("raw_excluded.reason")] == frozenset({"internal", None})


def test_row_decisions_in_the_json(audited: AuditContext) -> None:
    data = _definition(audited, "billed_lines_per_attempt").to_json()["decisions"]
    assert data["fanout"] == [{"own": "raw_invoices.invoice_id", "other": "raw_attempts.invoice_id", "inner": True}]
    assert data["dedup"] == [] and data["matches"] == []
    assert data["row_decisions"] == [
        "fan-out: each raw_invoice_lines row counted once per raw_attempts row "
        "(raw_invoices.invoice_id = raw_attempts.invoice_id, not unique on raw_attempts); "
        "rows with no raw_attempts dropped"
    ]
    plain = _definition(audited, "cash").to_json()["decisions"]
    assert plain["row_decisions"] == [] and "dedup" not in plain


# -- single models written here ----------------------------------------------------------------
def audit_one(project: Project, sql: str) -> AuditContext:
    models = ModelSet({"m": ModelSource("m", sql, "models/m.sql", ("m",))}, {t: (t,) for t in DDL})
    metric = "cash" if " as cash" in sql else "revenue"  # no contract: the output's name says which metric
    ctx = AuditContext.open(project, AuditOptions(metric, MARCH, models, with_history=False))
    tree, lineage = ctx.extractor.prepare(models.models["m"])
    candidates, _ = ctx.extractor.candidates(lineage)
    ctx.candidates["m"] = Discovered(models.models["m"], tree, lineage, candidates)
    extract(ctx)
    reproduce(ctx)
    return ctx


def test_a_join_to_a_relation_grouped_by_its_key_multiplies_nothing(ledger: Project) -> None:
    ctx = audit_one(
        ledger,
        "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue\n"
        "from raw_invoice_lines l join raw_invoices i on i.invoice_id = l.invoice_id\n"
        "left join (select invoice_id, count(*) as n from raw_attempts group by 1) a on a.invoice_id = i.invoice_id\n"
        "where i.status = 'paid' group by 1",
    )
    [d] = ctx.definitions
    assert d.row_decisions == [] and d.unmapped == []
    assert (d.value_cents, d.reproduced_cents) == (44_500, 44_500)  # billed_lines


def test_a_fan_out_through_groups_is_said_not_reproduced(ledger: Project) -> None:
    # attempts grouped by (invoice, outcome): I1 has two groups, I4 two — each line once per group
    ctx = audit_one(
        ledger,
        "select date_trunc('month', i.issued_on) as m, sum(l.amount) as revenue\n"
        "from raw_invoice_lines l join raw_invoices i on i.invoice_id = l.invoice_id\n"
        "join (select invoice_id, outcome, count(*) as n from raw_attempts group by 1, 2) a\n"
        "  on a.invoice_id = i.invoice_id\n"
        "where i.status = 'paid' group by 1",
    )
    [d] = ctx.definitions
    assert d.value_cents == 120 * 2 * 100 + 20_500 + 5_000 + 70 * 2 * 100  # 635.00: I1 ×2, I2, I3, I4 ×2
    assert any(u.reason.startswith("fan-out through an aggregated relation") for u in d.unmapped)
    assert not d.reproduced


def test_a_window_over_joined_rows_is_said_why_it_is_not_a_dedup(ledger: Project) -> None:
    ctx = audit_one(
        ledger,
        "with ranked as (select l.*, i.issued_on,\n"
        "  row_number() over (partition by l.invoice_id order by l.amount desc) as rn\n"
        "  from raw_invoice_lines l join raw_invoices i on i.invoice_id = l.invoice_id)\n"
        "select date_trunc('month', issued_on) as m, sum(amount) as revenue from ranked where rn = 1 group by 1",
    )
    [d] = ctx.definitions
    assert d.vector.dedup == ()
    assert next(u.reason for u in d.unmapped) == "condition cannot be traced to raw columns"
    assert "a deduplication window over joined or aggregated rows" in d.unmapped[0].sql


def test_a_second_rank_is_not_a_dedup(ledger: Project) -> None:
    ctx = audit_one(
        ledger,
        "with ranked as (select *, row_number() over (partition by invoice_id order by version desc) as rn\n"
        "  from raw_invoice_versions)\n"
        "select date_trunc('month', issued_on) as m, sum(total) as revenue from ranked where rn = 2 group by 1",
    )
    [d] = ctx.definitions
    assert d.vector.dedup == ()
    assert next(u.reason for u in d.unmapped) == "condition cannot be traced to raw columns"

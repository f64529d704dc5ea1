"""Hand-built audit data (no extraction involved) for the history, usage and report tests."""

from __future__ import annotations

from fractions import Fraction

from canon.audit.result import AuditResult, Bridge, BridgeStep, Commit, Definition, Unmapped, Usage
from canon.compiler.periods import parse_period
from canon.contracts.decisions import DecisionVector, Measure, TimeBasis
from canon.contracts.refs import ColumnRef

R = ColumnRef.parse


def definition(
    model: str,
    provenance: dict[str, list[tuple[str, int]]] | None = None,
    *,
    value_cents: int = 0,
    reproduced_cents: int | None = None,
    vector: DecisionVector | None = None,
) -> Definition:
    return Definition(
        model=model,
        path=f"models/{model}.sql",
        measure_output="mrr",
        value_cents=value_cents,
        reproduced_cents=value_cents if reproduced_cents is None else reproduced_cents,
        vector=vector or canonical_vector(),
        unmapped=[],
        provenance=provenance or {},
        fragments={},
    )


def canonical_vector() -> DecisionVector:
    return DecisionVector.build(
        Measure(R("raw_invoices.amount")),
        TimeBasis((R("raw_invoices.invoice_date"),)),
        filters={
            R("raw_invoices.type"): ["subscription"],
            R("raw_invoices.status"): ["paid"],
            R("raw_contracts.type"): ["recurring"],
            R("raw_contracts.status"): ["active"],
        },
    )


def acme_like_result() -> AuditResult:
    """Three definitions and a canonical one, with bridges whose steps add up (checked below)."""
    canon_cents = 126_000_000
    finance = definition(
        "fct_revenue_monthly",
        value_cents=120_512_345,
        vector=DecisionVector.build(
            Measure(R("raw_invoices.amount")),
            TimeBasis((R("raw_invoices.invoice_date"),)),
            filters={R("raw_invoices.status"): ["paid"]},
        ),
    )
    finance.bridge = _bridge(
        "fct_revenue_monthly",
        finance.value_cents,
        canon_cents,
        [
            (
                "filter:raw_invoices.type",
                "counts invoices with type credit, setup (one-time)",
                ["subscription"],
                None,
                4_000_000,
            ),
            (
                "filter:raw_contracts.status",
                "counts contracts with status churned",
                ["active"],
                None,
                -9_487_655,
            ),
        ],
    )
    finance.history = [
        Commit(
            "measure",
            "a" * 40,
            "Dana Finance",
            "dana@acme.test",
            "2025-01-10T09:00:00+00:00",
            "Revenue model\n\nFIN-142",
            ["FIN-142"],
            [],
        ),
        Commit(
            "filter:raw_invoices.status",
            "b" * 40,
            "Rick Contractor",
            "rick@acme.test",
            "2025-03-02T09:00:00+00:00",
            "Only paid invoices, per Mike's request",
            [],
            ["no ticket", "author inactive"],
        ),
    ]
    finance.usage = Usage(
        847.0, "2026-10-30T17:00:00", {"finance": 800.0, "exec": 47.0}, {"2026-10": 847}, ["board_deck"]
    )

    sales = definition(
        "fct_arr_by_account",
        value_cents=141_020_000,
        reproduced_cents=141_019_990,
        vector=DecisionVector.build(
            Measure(R("raw_contracts.annual_value"), scale=Fraction(1, 12)),
            TimeBasis((R("raw_contracts.start_date"), R("raw_contracts.end_date")), kind="range"),
            filters={R("raw_contracts.type"): ["one-time", "recurring"]},
            slices={R("raw_accounts.segment"): ["enterprise"]},
        ),
    )
    sales.unmapped = [
        Unmapped("coalesce(discount, 0) > 0.5", "condition over a computed value", "fct_arr_by_account", [12])
    ]
    sales.bridge = _bridge(
        "fct_arr_by_account",
        sales.value_cents,
        canon_cents,
        [
            (
                "time_basis",
                "dates revenue while the contract is active, not by invoice date",
                ["raw_invoices.invoice_date"],
                ["raw_contracts.start_date", "raw_contracts.end_date"],
                20_000_000,
            ),
            (
                "filter:raw_contracts.type",
                "counts contracts with type one-time",
                ["recurring"],
                ["one-time", "recurring"],
                -4_980_000,
            ),
        ],
    )
    sales.usage = Usage(23.0, "2026-10-12T08:00:00", {"sales": 23.0}, {"2026-10": 23}, [])

    marketing = definition("fct_marketing_revenue", value_cents=110_000_000)
    marketing.usage = Usage(0.0, None, {}, {"2026-10": 0}, [])
    marketing.deprecated = True
    marketing.bridge = _bridge(
        "fct_marketing_revenue",
        marketing.value_cents,
        canon_cents,
        [
            (
                "measure",
                "sums payment amount, not invoice amount",
                "raw_invoices.amount",
                "raw_payments.amount",
                -16_000_000,
            )
        ],
    )

    return AuditResult(
        metric="mrr",
        label="MRR",
        period=parse_period("2026-10"),
        canonical_vector=canonical_vector(),
        canonical_cents=canon_cents,
        definitions=[finance, sales, marketing],
        skipped=[("stg_invoices", "passes rows through"), ("fct_invoice_count", "aggregates no money")],
    )


def _bridge(model: str, end: int, start: int, steps: list[tuple[str, str, object, object, int]]) -> Bridge:
    """A bridge as the audit writes it: from the canonical figure `start` to the model's `end`,
    each step a decision's price in definition − canonical; a residual row closes the gap."""
    out: list[BridgeStep] = []
    value = start
    for decision, label, frm, to, impact in steps:
        value += impact
        out.append(BridgeStep(decision, label, frm, to, impact, value))
    if value != end:
        out.append(BridgeStep("residual", f"{model}: not reproduced by its decisions", None, None, end - value, end))
    n = len(steps)
    method = f"Shapley value over {n} decision points, exact: all {1 << n} combinations computed"
    return Bridge("canonical MRR", model, start, end, out, method)

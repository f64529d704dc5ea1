"""The faults the generator plants on purpose, and what reconciliation must report for them.

`PLAN` fixes where each fault goes (org_market → fault → period); `Injected` records the
exact rows touched while generating and derives the reconciliation cells that must come out
non-reconciled, with their status. Everything else must reconcile: tests check both ways.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from canon.examples.lessons import calendar as cal
from canon.examples.lessons.world import OrgMarket

PLAN: dict[str, dict[str, Any]] = {
    # a recognition row whose credit-ledger entry never landed
    "swim-denver": {"orphan_period": "2025-03"},
    # three lessons given by a coach that coaching.coach does not know: no rate, no direct cost
    "tennis-miami": {"missing_cost_period": "2025-09"},
    # a funded reservation whose money amount is absent (reserved in the first month, closed in the last)
    "piano-boston": {"null_reservation": ("2025-10", "2025-12")},
}


@dataclass
class Injected:
    seed: int
    scale: int
    injections: list[dict[str, Any]] = field(default_factory=list)
    expected: list[dict[str, Any]] = field(default_factory=list)

    def orphan(self, om: OrgMarket, info: dict[str, Any]) -> None:
        period = str(info["reporting_period"])
        self.injections.append(
            {
                "kind": "recognition_without_ledger_entry",
                "org_market_id": om.org_market_id,
                "reporting_period": period,
                "recognition_id": info["recognition_id"],
                "missing_credit_ledger_entry_id": info["missing_credit_ledger_entry_id"],
                "amount_cents": info["amount_cents"],
            }
        )
        for figure in ("recognized_revenue", "margin_revenue", "gross_margin"):
            self._expect(om, period, figure, "variance", int(info["amount_cents"]))

    def missing_cost(self, om: OrgMarket, period: str, lesson_ids: list[str], coach_id: str) -> None:
        self.injections.append(
            {
                "kind": "lesson_without_coach_rate",
                "org_market_id": om.org_market_id,
                "reporting_period": period,
                "coach_id": coach_id,
                "lesson_event_ids": lesson_ids,
            }
        )
        for figure in ("margin_cost", "gross_margin"):
            self._expect(om, period, figure, "not_reconcilable_missing_source", None)

    def null_reservation(self, om: OrgMarket, info: dict[str, Any]) -> None:
        reserved, closed = int(info["reserved_day"]), int(info["closed_day"])
        # open at a period end: reserved before it, closed on or after it
        periods = [p for i, p in enumerate(cal.PERIODS) if reserved < cal.MONTH_START_DAYS[i + 1] <= closed]
        self.injections.append(
            {
                "kind": "reservation_without_money_amount",
                "org_market_id": om.org_market_id,
                "credit_reservation_id": info["credit_reservation_id"],
                "open_at_end_of": periods,
            }
        )
        for period in periods:
            self._expect(om, period, "reserved_credit_liability", "not_reconcilable_missing_source", None)

    def _expect(self, om: OrgMarket, period: str, figure: str, status: str, variance: int | None) -> None:
        self.expected.append(
            {
                "reporting_period": period,
                "org_market_id": om.org_market_id,
                "figure_name": figure,
                "reconciliation_status": status,
                "variance_cents": variance,
            }
        )

    def to_json(self) -> str:
        doc = {
            "seed": self.seed,
            "scale": self.scale,
            "injections": self.injections,
            "expected_reconciliation": sorted(
                self.expected, key=lambda e: (e["reporting_period"], e["org_market_id"], e["figure_name"])
            ),
        }
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

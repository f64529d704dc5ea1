"""The stage loop: order, applicability, timings and progress, and how outputs become the result."""

from __future__ import annotations

from canon.audit.result import Bridge, Unmapped
from canon.audit.runner import STAGES, AuditContext, Stage, run_stages
from canon.project import Project
from tests.audit.factories import definition
from tests.audit.stages.conftest import open_context


def test_stages_are_declared_in_audit_order() -> None:
    assert [s.name for s in STAGES] == ["canonical", "discover", "extract", "reproduce", "bridge", "history", "usage"]


def test_loop_runs_applicable_stages_in_order_timing_and_naming_each(shop: Project) -> None:
    calls: list[tuple[str, int, int]] = []
    ran: list[str] = []
    ctx = open_context(shop, progress=lambda stage, i, n: calls.append((stage, i, n)))

    def counting(name: str) -> Stage:
        def run(c: AuditContext) -> None:
            ran.append(name)
            for _ in c.each(["a", "b"]):
                pass

        return Stage(name, run, (lambda c: False) if name == "never" else (lambda c: True))

    run_stages(ctx, [counting("first"), counting("never"), counting("second")])
    assert ran == ["first", "second"]
    assert list(ctx.timings) == ["first", "second"]  # a stage that does not apply is not timed
    assert all(t >= 0 for t in ctx.timings.values())
    assert calls == [("first", 0, 2), ("first", 1, 2), ("second", 0, 2), ("second", 1, 2)]
    assert ctx.stage == ""


def test_history_is_neither_run_nor_timed_without_history(shop: Project) -> None:
    ctx = run_stages(open_context(shop))  # open_context asks for no history
    assert list(ctx.timings) == ["canonical", "discover", "extract", "reproduce", "bridge", "usage"]
    assert ctx.history == {}


def test_result_attaches_stage_outputs_and_sorts_skipped_rows(ctx: AuditContext) -> None:
    ctx.definitions = [definition("b_model", value_cents=5), definition("a_model", value_cents=7)]
    bridge = Bridge("b_model", "canonical", 5, 9, [], "")
    ctx.bridges["b_model"] = bridge
    ctx.bridge_failures["a_model"] = Unmapped("select 1", "bridge could not be computed")
    ctx.skipped.update({"z": "last", "m": "middle", "a": "first"})
    result = ctx.result()
    by = {d.model: d for d in result.definitions}
    assert [d.model for d in result.definitions] == ["b_model", "a_model"]  # reproduce's order is kept
    assert by["b_model"].bridge is bridge and by["a_model"].bridge is None
    assert [u.reason for u in by["a_model"].unmapped] == ["bridge could not be computed"]
    assert result.skipped == [("a", "first"), ("m", "middle"), ("z", "last")]
    # the result is assembled anew each time: asking twice does not repeat the bridge failure
    assert [u.reason for u in ctx.result().definitions[1].unmapped] == ["bridge could not be computed"]
    assert ctx.definitions[1].unmapped == []

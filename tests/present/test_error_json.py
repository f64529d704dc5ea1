"""The JSON of an error keeps what the paragraph says: where (file:line, field, parameter) and the fix."""

from __future__ import annotations

from canon.errors import CheckFailed, ContractError, Location, Problem, UserError
from canon.present.errors import error_json


def test_a_user_error_keeps_location_fix_and_problems() -> None:
    exc = ContractError(
        "1 problem(s) in metric contracts",
        problems=[
            Problem(
                "unknown key `stauts`", Location(file="metrics/mrr.yml", line=7, column=1), "did you mean `status`?"
            )
        ],
    )
    body = error_json(exc)["error"]
    assert body["kind"] == "user_error" and body["exit_code"] == 2
    [problem] = body["problems"]
    assert problem["location"] == {"file": "metrics/mrr.yml", "line": 7, "column": 1, "field": None, "parameter": None}
    assert problem["fix"] == "did you mean `status`?" and body["text"] == exc.render()


def test_parameters_are_spelled_for_the_interface_before_rendering() -> None:
    exc = UserError("bad period", location=Location(parameter="period_from"), fix="use 2026-10").spelled(
        {"period_from": "--from"}
    )
    body = error_json(exc)["error"]
    assert body["location"]["parameter"] == "--from" and "--from" in body["text"] and body["fix"] == "use 2026-10"


def test_a_failed_check_has_no_location() -> None:
    body = error_json(CheckFailed("drift: MRR is defined 2 ways"))["error"]
    assert body["kind"] == "check_failed" and body["exit_code"] == 1 and body["location"] is None
    assert body["message"] == "drift: MRR is defined 2 ways"

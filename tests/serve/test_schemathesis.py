"""Property-based run of schemathesis over /openapi.json: no 5xx, every response matches the schema.

Hypothesis generates valid (positive) and invalid (negative) requests for every operation,
with a bounded number of examples so the whole run stays well under a minute; schemathesis'
checks then validate each response against the published schema: no server error, status
code documented, content type, body shape (the error envelope included), invalid input
rejected with a 4xx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS

AUTH = {"Authorization": f"Bearer {TOKENS['them_os']}"}
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}


@pytest.mark.slow
@pytest.mark.xdist_group("schemathesis")
def test_api_conforms_to_its_schema(serve_root: Path, tokens_file: Path) -> None:
    # schemathesis's `ignored_auth` check sends invalid tokens on purpose, hundreds of times from
    # one address: with the failed-authentication throttle on, every later request would be a 429
    app = create_app(settings_for(serve_root, tokens_file, auth_failures_per_minute=0))
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        labels = {op.label for op in operations}
        assert "GET /api/warehouse/{domain}/{table}" in labels and "GET /api/mart/sections/finance" in labels
        calls: dict[int, int] = {}
        pages: list[int] = []
        for operation in operations:
            for mode, examples in EXAMPLES.items():

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
                def check(case: Any) -> None:
                    response = case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])
                    assert response.status_code < 500
                    calls[response.status_code // 100 * 100] = calls.get(response.status_code // 100 * 100, 0) + 1

                try:
                    check()
                except Unsatisfiable:
                    # an operation without constrained inputs has no invalid request to generate
                    assert mode is GenerationMode.NEGATIVE, operation.label
            # the documented examples (served domains and tables) reach real pages too
            for strategy in schema.get_strategies_from_examples(operation):

                @given(case=strategy)
                @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
                def example(case: Any) -> None:
                    response = case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])
                    calls[response.status_code // 100 * 100] = calls.get(response.status_code // 100 * 100, 0) + 1
                    if case.operation.label == "GET /api/warehouse/{domain}/{table}":
                        pages.append(response.status_code)

                example()
        assert pages.count(200) >= 1, pages
        # the run reached real data, not only rejections
        assert calls.get(200, 0) > 50 and calls.get(400, 0) > 20, calls


def test_a_repeated_scalar_query_parameter_is_refused(serve_root: Path, tokens_file: Path) -> None:
    """`?org_market=a&org_market=b` was answered for `b` alone (found by the schemathesis run)."""
    app = create_app(settings_for(serve_root, tokens_file))
    with TestClient(app) as client:
        once = client.get("/api/mart/sections/finance?period_to=2026-03", headers=AUTH)
        twice = client.get("/api/mart/sections/finance?period_to=2026-03&period_to=2026-04", headers=AUTH)
    assert once.status_code == 200
    assert twice.status_code == 400
    assert twice.json()["error"]["code"] == "repeated_parameter"

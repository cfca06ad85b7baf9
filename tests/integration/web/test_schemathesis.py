"""Property-based API testing with schemathesis: no generated request gets a 500.

Every operation of ``/openapi.json`` is exercised with generated (valid and invalid) input, signed
in as a user with 2FA on, so protected endpoints run their real validation and scoping.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from tests.support.web import User
from tradebind.web.server import WebServer


def test_no_generated_request_causes_a_server_error(web: WebServer, alice: User) -> None:
    schema = schemathesis.openapi.from_url(f"{web.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 14, [op.label for op in operations]
    headers = {"Authorization": f"Bearer {alice.api.token}"}
    strategy = st.one_of(*(op.as_strategy() for op in operations))
    seen: set[str] = set()

    @given(case=strategy)
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case[Any]) -> None:
        seen.add(case.operation.label)
        # Keep the user's own session alive: signing out is exercised by its own tests.
        if case.method == "DELETE" and case.path.startswith("/api/v1/sessions"):
            return
        response = case.call(headers=headers, timeout=60)
        case.validate_response(response, checks=[not_a_server_error])

    run()
    assert len(seen) >= len(operations) - 2, sorted(seen)

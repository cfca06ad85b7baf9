"""Whatever JSON arrives, the control API answers 2xx or a 4xx naming a field: never a 500."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradebind.sandbox.server import SandboxServer

from .helpers import EXCHANGES

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["NaN", "-Infinity", "1e999", "0", "-1", "0.1", "127.0.0.1/33", "2030-01-01T00:00:00"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "account", "wallet", "to_wallet", "asset", "amount", "symbol", "price", "kind", "count", "probability", "ms",
    "weight_per_minute", "trading_enabled", "frozen", "label", "permissions", "ips", "expires_at", "passphrase",
    "environment",
]  # fmt: skip
bodies = st.fixed_dictionaries(
    {"exchange": st.sampled_from([*EXCHANGES, "nope"])},
    optional={name: values for name in FIELDS} | {"account": st.just("fuzz")},
)
paths = st.sampled_from(["/keys", "/deposits", "/transfers", "/prices", "/faults", "/accounts"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths, body=bodies)
def test_no_body_makes_a_500(sandbox: SandboxServer, path: str, body: dict[str, Any]) -> None:
    resp = requests.post(f"{sandbox.url}/sandbox/v1{path}", json=body, timeout=10)
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        error = resp.json()["error"]
        assert error["field"]
        assert error["field"].split(".")[0] in error["message"]

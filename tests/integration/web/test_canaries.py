"""No secret leaks from the web layer: not into responses, logs or the database file.

Canaries: the exchange secret and OKX passphrase pasted into the cabinet, the API key id (only
its masked form may appear), the sign-in password and the TOTP secret (sealed at rest).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.integration.web.support import paste
from tests.security.canary_scan import scan
from tests.support.control import Control
from tests.support.web import Api, Authenticator, web_app
from tradebind.sandbox.server import SandboxServer

PASSWORD = "Canary-Password-7d1f0c2e9b"
PASSPHRASE = "Canary-Passphrase-41c9e87a"


def test_secrets_never_leave_in_responses_logs_or_the_database(
    sandbox: SandboxServer, control: Control, account: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses: dict[str, bytes] = {}
    with web_app(sandbox.url, tmp_path) as web:
        api = Api(web.url)
        assert api.call("POST", "/users", json={"email": "c@example.com", "password": PASSWORD}).status_code == 201
        api.token = api.call("POST", "/sessions", json={"email": "c@example.com", "password": PASSWORD}).json()["token"]
        totp_secret = api.call("POST", "/2fa/setup").json()["secret"]
        device = Authenticator(totp_secret)
        assert api.call("POST", "/2fa/confirm", json={"code": device.code()}).status_code == 200
        key = paste(control, "okx", account, passphrase=PASSPHRASE)
        added = api.call("POST", "/keys", json={**key, "markets": ["spot"], "label": "okx"})
        assert added.status_code == 201, added.text
        binding_id = added.json()["reports"][0]["binding_id"]
        wrong = {**key, "passphrase": PASSPHRASE + "x"}
        responses["refused"] = api.call("POST", "/keys", json={**wrong, "markets": ["futures"], "label": "x"}).content
        responses["added"] = added.content
        for path in ("/keys", f"/bindings/{binding_id}", "/activity", "/bots", "/me"):
            responses[path] = api.call("GET", path).content
        responses["check"] = api.call("POST", f"/bindings/{binding_id}/check").content
        db = web.ctx.store.engine.url.database
        assert db is not None
    files = {p.name: p.read_bytes() for p in Path(db).parent.iterdir() if p.is_file()}
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records).encode()
    canaries = [key["secret"], key["api_key"], PASSPHRASE, PASSWORD, totp_secret]
    assert scan({**responses, **files, "logs": logs}, canaries) == []
    # The masked key id is what the list shows.
    assert f"{key['api_key'][:4]}…{key['api_key'][-4:]}".encode() in responses["/keys"]

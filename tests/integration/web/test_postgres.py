"""The web app on PostgreSQL: the same journey over the API as on SQLite (store suites cover the rest)."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.integration.web.support import funded, paste
from tests.support.control import Control
from tests.support.web import new_user, web_app
from tradebind.sandbox.server import SandboxServer


def test_key_journey_on_postgresql(sandbox: SandboxServer, control: Control, account: str, tmp_path: Path) -> None:
    with web_app(sandbox.url, tmp_path, backend="postgresql") as web:
        assert web.ctx.store.dialect == "postgresql"
        alice, bob = new_user(web.url), new_user(web.url)
        funded(control, "okx", account, "321")
        key = paste(control, "okx", account)
        created = alice.api.call("POST", "/keys", json={**key, "markets": ["spot", "futures"], "label": "okx"})
        assert created.status_code == 201, created.text
        listed = alice.api.call("GET", "/keys")
        rows = listed.json()
        assert sorted(r["market"] for r in rows) == ["futures", "spot"]
        assert {r["verdict"] for r in rows} == {"CONNECTED"}
        assert {r["available"] for r in rows} == {"321"}
        etag = listed.headers["ETag"]
        again = alice.api.call("GET", "/keys", headers={"If-None-Match": etag})
        assert again.status_code == 304
        binding_id = rows[0]["binding_id"]
        assert bob.api.call("GET", f"/bindings/{binding_id}").status_code == 404
        new = paste(control, "okx", account)
        new.pop("exchange")
        assert alice.api.call("PUT", f"/bindings/{binding_id}/key", json=new).status_code == 200
        changed = alice.api.call("GET", "/keys", headers={"If-None-Match": etag})
        assert changed.status_code == 200, "a replaced key must change the list's ETag"
        assert {r["api_key"] for r in changed.json()} == {f"{new['api_key'][:4]}…{new['api_key'][-4:]}"}
        assert requests.get(f"{web.url}/keys", allow_redirects=False, timeout=10).status_code == 303

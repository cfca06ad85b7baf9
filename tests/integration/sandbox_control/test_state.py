"""``tradebind sandbox --state FILE``: keys, balances and orders survive a restart."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.support.clients import sync_client
from tests.support.control import Control
from tradebind.sandbox.core import Market
from tradebind.sandbox.protocols import PROTOCOLS
from tradebind.sandbox.server import SandboxNotReady, SandboxProcess

from .helpers import EXCHANGES, trading_key


def _trading_wallet(exchange: str) -> str:
    return PROTOCOLS[exchange].venue_spec().layout.wallet_for(Market.SPOT)


def test_keys_balances_and_orders_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state.json"
    before: dict[str, Any] = {}
    with SandboxProcess("--state", str(state)) as cli:
        control = Control(cli.url)
        for exchange in EXCHANGES:
            control.deposit(exchange, "keeper", _trading_wallet(exchange), "USDT", "5000")
            creds = trading_key(control, exchange, "keeper")
            client = sync_client(exchange, cli.url, creds)
            resting = client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)
            before[exchange] = {
                "creds": creds,
                "order_id": str(resting["id"]),
                "balance": client.fetch_balance()["USDT"],
                "orders": control.orders(exchange, "keeper"),
                "keys": control.keys(exchange, "keeper"),
            }
        code, err = cli.stop()
    assert code == 0, err

    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600  # it holds key secrets
    saved = orjson.loads(state.read_bytes())
    assert (saved["format"], saved["version"]) == ("tradebind-sandbox-state", 1)
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"

    with SandboxProcess("--state", str(state)) as cli:
        control = Control(cli.url)
        for exchange in EXCHANGES:
            was = before[exchange]
            client = sync_client(exchange, cli.url, was["creds"])
            assert client.fetch_balance()["USDT"] == was["balance"]  # the old key still signs
            assert [str(o["id"]) for o in client.fetch_open_orders("BTC/USDT")] == [was["order_id"]]
            assert control.orders(exchange, "keeper") == was["orders"]
            assert control.keys(exchange, "keeper") == was["keys"]
            client.cancel_order(was["order_id"], "BTC/USDT")
            newer = client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)
            assert int(newer["id"]) > int(was["order_id"])  # ids continue, never reused


def test_changes_are_saved_while_running(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with SandboxProcess("--state", str(state)) as cli:
        Control(cli.url).deposit(EXCHANGES[0], "early", "funding", "USDT", "77")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if state.exists() and b'"early"' in state.read_bytes():
                break
            time.sleep(0.2)
        else:
            pytest.fail("the deposit did not reach the state file while the sandbox ran")
        # A crash now (SIGKILL: no shutdown save) keeps what was saved.
        assert cli.proc is not None
        cli.proc.kill()
        cli.proc.wait(timeout=30)
    with SandboxProcess("--state", str(state)) as cli:
        balances = Control(cli.url).balances(EXCHANGES[0], "early")
    assert balances["wallets"]["funding"]["USDT"]["free"] == "77"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"format": "something-else"}', "not a tradebind sandbox state file"),
        (b'{"format": "tradebind-sandbox-state", "version": 99, "venues": {}}', "version 99"),
        (
            b'{"format": "tradebind-sandbox-state", "version": 1, "venues": {"%s": {"accounts": 5}}}'
            % EXCHANGES[0].encode(),
            "damaged",
        ),
    ],
)
def test_an_unusable_state_file_stops_the_start_with_a_clear_message(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    cli = SandboxProcess("--state", str(state))
    with pytest.raises(SandboxNotReady, match="did not become ready"):
        cli.start()
    assert cli.proc is not None
    assert cli.proc.returncode == 2
    assert reason in cli.stderr
    assert "Traceback" not in cli.stderr
    assert state.read_bytes() == content  # left untouched for the person to inspect


def test_a_state_file_in_a_missing_directory_is_refused_at_start(tmp_path: Path) -> None:
    cli = SandboxProcess("--state", str(tmp_path / "no-such-dir" / "state.json"))
    with pytest.raises(SandboxNotReady):
        cli.start()
    assert cli.proc is not None
    assert cli.proc.returncode == 2
    assert "does not exist" in cli.stderr


def test_the_sandbox_without_state_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SandboxProcess() as cli:
        requests.post(
            f"{cli.url}/sandbox/v1/deposits",
            json={"exchange": EXCHANGES[0], "account": "a", "wallet": "funding", "asset": "USDT", "amount": "1"},
            timeout=10,
        ).raise_for_status()
    assert list(tmp_path.iterdir()) == []

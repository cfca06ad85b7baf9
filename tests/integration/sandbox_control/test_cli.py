"""``tradebind sandbox`` as a real process: prints its URL when ready, stops cleanly on signals."""

from __future__ import annotations

import signal

import pytest
import requests

from tradebind.sandbox.server import SandboxProcess

from .helpers import EXCHANGES


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_port_zero_prints_the_real_url_and_a_signal_stops_it(sig: signal.Signals) -> None:
    cli = SandboxProcess("--host", "127.0.0.1", "--seed", "3").start()
    try:
        assert cli.url.startswith("http://127.0.0.1:")
        assert not cli.url.endswith(":0")
        health = requests.get(f"{cli.url}/sandbox/v1/health", timeout=10).json()
        assert health == {"status": "ok", "exchanges": EXCHANGES}
    finally:
        code, err = cli.stop(sig)
    assert code == 0
    assert "Traceback" not in err


def test_the_banner_lists_every_exchange_after_the_url() -> None:
    with SandboxProcess("--seed", "3") as cli:
        # The per-exchange lines follow the ready line; read them while the process runs.
        assert cli.proc is not None
        assert cli.proc.stdout is not None
        lines = [cli.proc.stdout.readline().strip() for _ in EXCHANGES]
    assert [line.split(":", 1)[0] for line in lines] == EXCHANGES
    assert all(f"{cli.url}/" in line for line in lines)

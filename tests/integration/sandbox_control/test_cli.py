"""``tradebind sandbox`` as a real process: prints its URL when ready, stops cleanly on signals,
and stops by itself when the process that started it is killed."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from tests.integration.bots.support import wait_for
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


_STARTER = """
import sys
from tests.integration.bots.support import wait_for
from tradebind.sandbox.server import SandboxProcess
sandbox = SandboxProcess("--seed", "3").start()
assert sandbox.proc is not None
print(sandbox.proc.pid, flush=True)
sys.stdin.readline()  # killed while waiting here: no stop(), no context manager exit
"""


def test_a_sandbox_stops_by_itself_when_the_process_that_started_it_is_killed() -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline())
        assert _running(pid)
        starter.kill()
        starter.wait()
        wait_for(lambda: not _running(pid), 30, "the orphaned sandbox to stop")
    finally:
        if starter.poll() is None:
            starter.kill()


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

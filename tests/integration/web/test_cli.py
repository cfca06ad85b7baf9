"""``tradebind serve`` and ``tradebind demo`` as a user runs them: separate processes, real ports."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

TRADEBIND = str(Path(sys.executable).with_name("tradebind"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _running(args: list[str], env: dict[str, str], ready: str, timeout_s: float = 60) -> Iterator[list[str]]:
    """Run ``tradebind args``; yield its stdout lines once one contains ``ready``; SIGTERM it after."""
    proc = subprocess.Popen([TRADEBIND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    out = proc.stdout
    lines: queue.Queue[str] = queue.Queue()

    # A reader thread: select() on a buffered text pipe misses lines already in Python's buffer.
    def pump() -> None:
        for line in out:
            lines.put(line.rstrip())

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not any(ready in line for line in seen):
            try:
                seen.append(lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"not ready in time (exit {proc.poll()}): {seen}") from None
        yield seen
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Traceback" not in err


def _wait_http(url: str, timeout_s: float = 30) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # waiting for the port to accept (a condition with a deadline)


def test_demo_runs_the_cabinet_with_a_funded_sandbox(tmp_path: Path) -> None:
    port, sandbox_port = _free_port(), _free_port()
    env = {**os.environ, "TRADEBIND_DATA_DIR": str(tmp_path / "data")}
    env.pop("TRADEBIND_EGRESS_IPS", None)
    args = ["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    with _running(args, env, "Stop with Ctrl+C") as banner:
        text = "\n".join(banner)
        found = re.search(r"bots worker running \(pid (\d+)", text)
        assert found, text
        worker_pid = int(found.group(1))
        assert _alive(worker_pid)
        assert f"http://127.0.0.1:{port}/signup" in text
        assert f"http://127.0.0.1:{sandbox_port}/binance/" in text
        assert _wait_http(f"http://127.0.0.1:{port}/signup").status_code == 200
        balances = requests.get(
            f"http://127.0.0.1:{sandbox_port}/sandbox/v1/balances",
            params={"exchange": "binance", "account": "demo"},
            timeout=10,
        ).json()
        assert balances["wallets"]["spot"]["USDT"]["free"] == "10000"
        page = requests.get(f"http://127.0.0.1:{sandbox_port}/binance/", timeout=10)
        assert "API Management" in page.text
        worker_log = tmp_path / "data" / "worker.log"
        deadline = time.monotonic() + 30
        while "tradebind worker" not in worker_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the worker's start line (a condition with a deadline)
        assert "tradebind worker" in worker_log.read_text()
    assert (tmp_path / "data" / "tradebind.sqlite3").exists()
    assert (tmp_path / "data" / "sandbox-state.json").exists()
    # The demo stopped its worker with it: no orphan keeps trading.
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): count it dead once it has exited.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_serve_uses_the_data_directory(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TRADEBIND_DATA_DIR": str(tmp_path / "data")}
    with _running(["serve", "--port", str(port)], env, "tradebind web cabinet at") as banner:
        assert re.search(rf"http://127\.0\.0\.1:{port}/", banner[0])
        schema = _wait_http(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/api/v1/keys" in schema["paths"]
    assert (tmp_path / "data" / "tradebind.sqlite3").exists()

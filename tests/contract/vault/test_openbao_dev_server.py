"""The OpenBao test server stays on loopback and never outlives the process that started it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.openbao import OpenBaoDevServer, wait_until

REPO = Path(__file__).resolve().parents[3]

# Started in a child interpreter that we then SIGKILL, as a killed test run would be.
CHILD = """
import sys, threading
from tests.support.openbao import OpenBaoDevServer, wait_until
bao = OpenBaoDevServer()
bao.start()
print(bao._proc.pid, bao.url, bao._dir, flush=True)
threading.Event().wait()
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it has stopped serving, which is what matters.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_server_listens_on_loopback_and_stops() -> None:
    with OpenBaoDevServer() as bao:
        assert bao.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{bao.url}/v1/sys/health", timeout=5).json()["sealed"] is False
        mounts = bao.client().sys.list_mounted_secrets_engines()["data"]
        assert mounts[f"{bao.transit_mount}/"]["type"] == "transit"
        assert bao.token not in " ".join(Path(f"/proc/{bao._proc.pid}/cmdline").read_text().split("\0"))  # type: ignore[union-attr]
    assert not bao.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{bao.url}/v1/sys/health", timeout=5)


def test_server_dies_when_its_parent_is_killed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    bao_pid, workdir = 0, ""
    try:
        assert child.stdout is not None
        pid_text, url, workdir = child.stdout.readline().split()
        bao_pid = int(pid_text)
        assert requests.get(f"{url}/v1/sys/health", timeout=5).status_code == 200
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert wait_until(lambda: _gone(bao_pid), timeout=10), "OpenBao outlived its parent"
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        if bao_pid and not _gone(bao_pid):  # the test failed: do not leave the server behind
            os.killpg(bao_pid, signal.SIGKILL)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)

"""A real OpenBao dev server for tests and benchmarks: `.venv/bin/bao server -dev` on 127.0.0.1.

The server keeps everything in memory, listens on loopback only (a free port; the dev cluster
listener takes port + 1), has the transit engine enabled and a random root token (passed through
the environment, never argv). It dies with its parent even if the test run is killed: the child
asks the kernel for SIGKILL on parent death (``PR_SET_PDEATHSIG``; `.venv/bin/bao` is a Python
shim that ``execv``s the real binary, and the setting survives exec), and it runs in its own
process group so :meth:`OpenBaoDevServer.stop` takes down everything it started. Start it from
a thread that lives as long as the server (the main thread): the kernel's "parent" is the thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import hvac
import requests

_PR_SET_PDEATHSIG = 1
_BAO = Path(sys.executable).parent / "bao"


def _free_port_pair() -> int:
    """A loopback port p with p and p + 1 free right now (OpenBao dev puts its cluster listener on p + 1)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free pair of loopback ports")


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        pause.wait(interval)


def _die_with_parent_hook() -> Callable[[], None]:
    """The child-side hook for Popen(preexec_fn=...): SIGKILL on parent death.

    libc is loaded here, in the parent: the hook runs between fork and exec, where loading a
    library could deadlock on a lock another thread held at fork time.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        # If the parent died before prctl took effect the child would be orphaned: exit instead.
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(1)

    return hook


class OpenBaoDevServer:
    """Start with ``with OpenBaoDevServer() as bao:``; ``bao.url`` and ``bao.token`` reach it.

    :meth:`stop` may be called mid-test to take the server down (the "provider is down" case);
    it is idempotent and also runs on exit.
    """

    def __init__(self, *, startup_timeout: float = 30.0, transit_mount: str = "transit") -> None:
        self.token = secrets.token_hex(16)
        self.transit_mount = transit_mount
        self._startup_timeout = startup_timeout
        self._dir = Path(tempfile.mkdtemp(prefix="tradebind-bao-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __repr__(self) -> str:
        return f"OpenBaoDevServer(url={self.url!r})"

    def __enter__(self) -> OpenBaoDevServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def client(self) -> hvac.Client:
        return hvac.Client(url=self.url, token=self.token, timeout=5)

    def start(self) -> None:
        """Start the server, wait until it answers, and enable transit. Retries a lost port race."""
        last_error = ""
        for _ in range(3):
            self.port = _free_port_pair()
            self._spawn()
            last_error = self._wait_ready()
            if not last_error:
                self.client().sys.enable_secrets_engine("transit", path=self.transit_mount)
                return
            self._terminate()
        raise RuntimeError(f"OpenBao dev server did not start: {last_error}")

    def stop(self) -> None:
        """Stop the server (its whole process group) and delete its files. Safe to call twice."""
        self._terminate()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        # HOME: the dev server writes a token helper file (~/.vault-token); keep it in our temp dir.
        env.update(HOME=str(self._dir), BAO_DEV_ROOT_TOKEN_ID=self.token)
        log = open(self._dir / "bao.log", "wb")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._proc = subprocess.Popen(
                [str(_BAO), "server", "-dev", f"-dev-listen-address=127.0.0.1:{self.port}"],
                env=env,
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        finally:
            log.close()

    def _wait_ready(self) -> str:
        """'' once /v1/sys/health says active and unsealed, else why not (process exited, deadline)."""
        if wait_until(lambda: self._healthy() or not self.running, self._startup_timeout) and self.running:
            return ""
        if not self.running:
            return "process exited: " + self._log_errors()
        return f"not healthy within {self._startup_timeout} s: " + self._log_errors()

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/v1/sys/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _log_errors(self) -> str:
        # Only error lines: the dev server prints its root token and unseal key on stdout.
        try:
            lines = (self._dir / "bao.log").read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(line for line in lines if "[ERROR]" in line or line.startswith("Error"))[-2000:]

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

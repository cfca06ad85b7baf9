"""Fixtures shared by every test: a running sandbox exchange and its control API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox for the session; tests keep apart by using their own accounts."""
    with SandboxServer(seed=7) as server:
        yield server


@pytest.fixture
def fresh_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of the test's own, for tests that change venue-wide state (faults, prices)."""
    with SandboxServer(seed=11) as server:
        yield server


@pytest.fixture
def control(sandbox: SandboxServer) -> Iterator[Control]:
    ctl = Control(sandbox.url)
    yield ctl
    ctl.clear_faults()


@pytest.fixture
def account() -> str:
    """A fresh exchange account name, so tests sharing the sandbox never see each other's funds."""
    return f"acct-{uuid.uuid4().hex[:12]}"

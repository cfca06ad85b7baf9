from __future__ import annotations

import pytest

from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer


@pytest.fixture
def fresh_control(fresh_sandbox: SandboxServer) -> Control:
    """The control API of a sandbox of the test's own (faults are venue-wide)."""
    return Control(fresh_sandbox.url)

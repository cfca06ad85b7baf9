from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.web import User, new_user, web_app
from tradebind.sandbox.server import SandboxServer
from tradebind.web.server import WebServer


@pytest.fixture
def web(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WebServer]:
    with web_app(sandbox.url, tmp_path) as server:
        yield server


@pytest.fixture
def alice(web: WebServer) -> User:
    return new_user(web.url)


@pytest.fixture
def bob(web: WebServer) -> User:
    return new_user(web.url)

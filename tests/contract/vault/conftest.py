"""The KEK provider contract runs against every provider: the local key file and real OpenBao."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.openbao import OpenBaoDevServer
from tradebind.vault import KekProvider, LocalFileKekProvider, OpenBaoKekProvider, SecretValue


@dataclass
class KekHarness:
    """One provider under test, how to open it again (a restart), and how to take it down."""

    provider: KekProvider
    reopen: Callable[[], KekProvider]
    take_down: Callable[[], None]


def _local(tmp_path: Path) -> KekHarness:
    path = tmp_path / "data" / "kek.json"
    return KekHarness(LocalFileKekProvider(path), lambda: LocalFileKekProvider(path, create=False), path.unlink)


@pytest.fixture(params=["local", "openbao"])
def kek(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KekHarness]:
    if request.param == "local":
        yield _local(tmp_path)
        return
    # A server of the test's own: tests rotate, retire and stop it. It starts in well under a second.
    with OpenBaoDevServer() as bao:

        def open_provider() -> OpenBaoKekProvider:
            return OpenBaoKekProvider(bao.url, SecretValue(bao.token), timeout=3)

        yield KekHarness(open_provider(), open_provider, bao.stop)

"""The web's exchange loop: a check is answered before its client has closed, and stopping the
loop waits for every client still closing (no close is cut off with the loop)."""

from __future__ import annotations

from tradebind.exchanges.base import ApiCredentials, Endpoint, ExchangeAdapter
from tradebind.exchanges.registry import open_adapter
from tradebind.sandbox.server import SandboxServer
from tradebind.vault.api import SecretValue
from tradebind.web.exchange_loop import ExchangeLoop

_NO_KEY = ApiCredentials(SecretValue(""), SecretValue(""))


def test_stop_waits_for_the_clients_closed_after_their_answer(sandbox: SandboxServer) -> None:
    loop = ExchangeLoop()

    async def ask(close: bool) -> tuple[ExchangeAdapter, int]:
        adapter = open_adapter("binance", _NO_KEY, Endpoint(sandbox_url=sandbox.url))
        server_time = await adapter.server_time()
        if close:
            loop.close_later(adapter)
        return adapter, server_time

    try:
        closed, server_time = loop.run(ask(close=True))
        assert server_time > 0  # answered, while its client closes in the background
        left_open, _ = loop.run(ask(close=False))
    finally:
        loop.stop()
    assert closed.closed  # its close ran to the end before the loop did
    assert not left_open.closed  # the control: a client nobody closed is not
    # A stopped loop starts again for the next check.
    loop.run(left_open.close())
    again, _ = loop.run(ask(close=True))
    loop.stop()
    assert left_open.closed
    assert again.closed

"""The latency fault on every exchange: a client that gives up still leaves its order on the exchange.

That is the unknown outcome the gateway must reconcile (query by client order id before resending),
so the sandbox has to produce it the way a slow exchange does: request received, answer late.
"""

from __future__ import annotations

import asyncio
import time

import ccxt.async_support as ccxt_async
import pytest

from tests.support.clients import async_client, close_async
from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer

# exchange -> (key permissions, extra key fields, trading wallet)
SETUP = {
    "binance": (["read", "spot"], {}, "spot"),
    "okx": (["read", "trade"], {"passphrase": "Latency-Test-1"}, "trading"),
    "bybit": (["read", "spot"], {}, "unified"),
}


@pytest.mark.parametrize("exchange", sorted(SETUP))
async def test_an_order_whose_answer_comes_too_late_is_still_placed(
    fresh_sandbox: SandboxServer, exchange: str
) -> None:
    permissions, extra, wallet = SETUP[exchange]
    control = Control(fresh_sandbox.url)
    key = control.create_key(exchange, "slowpoke", permissions, **extra)
    control.deposit(exchange, "slowpoke", wallet, "USDT", "1000")
    credentials = {"apiKey": key["api_key"], "secret": key["secret"]}
    if "passphrase" in extra:
        credentials["password"] = extra["passphrase"]
    client = async_client(exchange, fresh_sandbox.url, credentials)
    try:
        await client.load_markets()
        await client.fetch_balance()  # the private warm-up calls ccxt makes once per client
        control.fault(exchange, "latency", ms=1500, count=1)
        client.timeout = 400
        with pytest.raises(ccxt_async.RequestTimeout):
            await client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000, {"clientOrderId": "slowpoke0001"})
    finally:
        await close_async(client)

    deadline = time.monotonic() + 15
    orders = control.orders(exchange, "slowpoke")
    while not orders and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # waiting for the late handler to finish (a condition with a deadline)
        orders = control.orders(exchange, "slowpoke")
    assert [(o["client_order_id"], o["status"]) for o in orders] == [("slowpoke0001", "new")]

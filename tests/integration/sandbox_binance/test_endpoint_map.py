"""Which Binance endpoints each ccxt call reaches (the list the connection check relies on).

Each entry is a ccxt call and the exact requests an unmodified ccxt 4.5.90 sends for it, in order;
the sandbox must answer all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.drivers import Driver

from .conftest import BinanceDesk

SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
ENDPOINT_MAP: list[tuple[str, Callable[[Driver], Any], list[str]]] = [
    ("load_markets", lambda c: c.load_markets(), [
        "GET /sapi/v1/capital/config/getall", "GET /sapi/v1/margin/allPairs", "GET /api/v3/exchangeInfo",
        "GET /sapi/v1/margin/allPairs", "GET /sapi/v1/margin/isolated/allPairs", "GET /fapi/v1/exchangeInfo",
        "GET /dapi/v1/exchangeInfo"]),
    ("fetch_time", lambda c: c.fetch_time(), ["GET /api/v3/time"]),
    ("fetch_time swap", lambda c: c.fetch_time({"type": "swap"}), ["GET /fapi/v1/time"]),
    ("fetch_status", lambda c: c.fetch_status(), ["GET /sapi/v1/system/status"]),
    ("fetch_balance", lambda c: c.fetch_balance(), ["GET /api/v3/account"]),
    ("fetch_balance swap", lambda c: c.fetch_balance({"type": "swap"}), ["GET /fapi/v3/account"]),
    ("fetch_balance funding", lambda c: c.fetch_balance({"type": "funding"}),
     ["POST /sapi/v1/asset/get-funding-asset"]),
    ("create_order spot", lambda c: c.create_order(SPOT, "limit", "buy", 0.001, 10000, {"clientOrderId": "m1"}),
     ["POST /api/v3/order"]),
    ("fetch_order spot", lambda c: c.fetch_order(None, SPOT, {"origClientOrderId": "m1"}), ["GET /api/v3/order"]),
    ("fetch_open_orders spot", lambda c: c.fetch_open_orders(SPOT), ["GET /api/v3/openOrders"]),
    ("fetch_orders spot", lambda c: c.fetch_orders(SPOT), ["GET /api/v3/allOrders"]),
    ("cancel_order spot", lambda c: c.cancel_order(None, SPOT, {"origClientOrderId": "m1"}),
     ["DELETE /api/v3/order"]),
    ("fetch_my_trades spot", lambda c: c.fetch_my_trades(SPOT), ["GET /api/v3/myTrades"]),
    ("set_leverage", lambda c: c.set_leverage(5, PERP), ["POST /fapi/v1/leverage"]),
    ("create_order swap", lambda c: c.create_order(PERP, "limit", "buy", 0.01, 20000, {"clientOrderId": "m2"}),
     ["POST /fapi/v1/order"]),
    ("fetch_order swap", lambda c: c.fetch_order(None, PERP, {"origClientOrderId": "m2"}), ["GET /fapi/v1/order"]),
    ("fetch_open_orders swap", lambda c: c.fetch_open_orders(PERP), ["GET /fapi/v1/openOrders"]),
    ("cancel_order swap", lambda c: c.cancel_order(None, PERP, {"origClientOrderId": "m2"}),
     ["DELETE /fapi/v1/order"]),
    ("fetch_my_trades swap", lambda c: c.fetch_my_trades(PERP), ["GET /fapi/v1/userTrades"]),
    ("fetch_positions", lambda c: c.fetch_positions([PERP]),
     ["GET /fapi/v1/leverageBracket", "GET /fapi/v3/positionRisk"]),
    ("transfer", lambda c: c.transfer("USDT", 1, "spot", "swap"), ["POST /sapi/v1/asset/transfer"]),
    ("fetch_transfers", lambda c: c.fetch_transfers("USDT", None, None, {"type": "MAIN_UMFUTURE"}),
     ["GET /sapi/v1/asset/transfer"]),
    ("apiRestrictions", lambda c: c.sapi_get_account_apirestrictions(), ["GET /sapi/v1/account/apiRestrictions"]),
    ("account status", lambda c: c.sapi_get_account_status(), ["GET /sapi/v1/account/status"]),
    ("wallet balances", lambda c: c.sapi_get_asset_wallet_balance(), ["GET /sapi/v1/asset/wallet/balance"]),
]  # fmt: skip


def record_requests(driver: Driver, sent: list[str]) -> None:
    """Note ``METHOD /path`` of every request the ccxt client sends."""
    client = driver.client
    original = client.fetch

    def note(url: str, method: str) -> None:
        sent.append(f"{method} {url.split('/binance', 1)[1].split('?', 1)[0]}")

    if driver.mode == "sync":

        def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
            note(url, method)
            return original(url, method, headers, body)

    else:

        async def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:  # type: ignore[misc]
            note(url, method)
            return await original(url, method, headers, body)

    client.fetch = fetch


def test_each_ccxt_call_reaches_these_endpoints(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="100", futures_usdt="1000")
    sent: list[str] = []
    record_requests(client, sent)
    for name, call, expected in ENDPOINT_MAP:
        sent.clear()
        call(client)
        assert sent == expected, name

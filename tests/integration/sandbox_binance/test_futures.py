"""USDⓈ-M futures through ccxt: leverage, margin, positions, PnL, transfers and rejections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.support.drivers import Driver

from .conftest import BinanceDesk, binance_error

D = Decimal
PERP = "BTC/USDT:USDT"


def usdt_asset(client: Driver) -> dict[str, Decimal]:
    """The USDT entry of ``/fapi/v3/account`` as exact numbers."""
    info = client.fetch_balance({"type": "swap"})["info"]
    (asset,) = [a for a in info["assets"] if a["asset"] == "USDT"]
    return {k: D(v) for k, v in asset.items() if k not in ("asset", "marginAvailable", "updateTime")}


def test_a_long_loses_when_the_price_drops_and_available_shrinks_by_exactly_that(fresh_desk: BinanceDesk) -> None:
    fresh_desk.set_price("BTC/USDT", "65000")
    client = fresh_desk.trader(spot_usdt="0", futures_usdt="10000")
    assert client.set_leverage(10, PERP)["leverage"] == 10
    order = client.create_order(PERP, "market", "buy", 0.1)
    assert order["symbol"] == PERP
    assert client.fetch_order(order["id"], PERP)["status"] == "closed"
    fee = D("6500") * D("0.0005")
    opened = usdt_asset(client)
    assert opened["walletBalance"] == D(10000) - fee
    assert opened["positionInitialMargin"] == D(650)
    assert opened["availableBalance"] == D(10000) - fee - D(650)

    fresh_desk.set_price("BTC/USDT", "64000")
    dropped = usdt_asset(client)
    assert dropped["unrealizedProfit"] == D(-100)
    assert dropped["positionInitialMargin"] == D(640)  # margin follows the mark price
    assert dropped["availableBalance"] == dropped["walletBalance"] - D(100) - D(640)
    balance = client.fetch_balance({"type": "swap"})["USDT"]
    assert balance["free"] == float(dropped["availableBalance"])
    assert balance["total"] == float(dropped["walletBalance"] - 100)

    resting = client.create_order(PERP, "limit", "buy", 0.1, 60000)
    with_order = usdt_asset(client)
    assert with_order["openOrderInitialMargin"] == D(600)
    assert with_order["availableBalance"] == dropped["availableBalance"] - D(600)
    assert with_order["maxWithdrawAmount"] == with_order["availableBalance"]

    (position,) = client.fetch_positions([PERP])
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 0.1, 65000)
    assert (position["unrealizedPnl"], position["markPrice"], position["notional"]) == (-100, 64000, 6400)
    assert position["info"]["openOrderInitialMargin"] == "600"
    assert position["info"]["positionInitialMargin"] == "640"
    (risk_v2,) = client.fapiprivatev2_get_positionrisk({"symbol": "BTCUSDT"})
    assert (risk_v2["leverage"], risk_v2["unRealizedProfit"]) == ("10", "-100")
    account_v2 = client.fapiprivatev2_get_account()
    assert D(account_v2["availableBalance"]) == with_order["availableBalance"]
    assert D(account_v2["totalUnrealizedProfit"]) == D(-100)
    (btc_v2,) = [p for p in account_v2["positions"] if p["symbol"] == "BTCUSDT"]
    assert (btc_v2["leverage"], btc_v2["openOrderInitialMargin"]) == ("10", "600")
    assert [p["symbol"] for p in client.fapiprivatev3_get_account()["positions"]] == ["BTCUSDT"]

    client.cancel_order(resting["id"], PERP)
    client.create_order(PERP, "market", "sell", 0.1, None, {"reduceOnly": True})
    closed = usdt_asset(client)
    assert closed["walletBalance"] == D(10000) - fee - D(100) - D("6400") * D("0.0005")
    assert closed["availableBalance"] == closed["walletBalance"]
    assert client.fetch_positions([PERP]) == []
    trades = client.fetch_my_trades(PERP)
    assert [t["info"]["realizedPnl"] for t in trades] == ["0", "-100"]


def test_transfers_move_funds_between_spot_futures_and_funding(desk: BinanceDesk) -> None:
    desk.control.deposit("binance", desk.account, "funding", "USDT", "300")
    client = desk.client(desk.key())
    client.transfer("USDT", 100, "funding", "spot")
    client.transfer("USDT", 60, "spot", "swap")
    client.transfer("USDT", 10, "swap", "funding")
    client.transfer("USDT", 5, "funding", "swap")
    client.transfer("USDT", 20, "swap", "spot")
    assert client.fetch_balance({"type": "funding"})["USDT"]["free"] == 300 - 100 + 10 - 5
    assert client.fetch_balance()["USDT"]["free"] == 100 - 60 + 20
    assert client.fetch_balance({"type": "swap"})["USDT"]["free"] == 60 - 10 + 5 - 20
    history = client.sapi_get_asset_transfer({"type": "MAIN_UMFUTURE"})
    assert [(r["asset"], r["amount"], r["status"]) for r in history["rows"]] == [("USDT", "60", "CONFIRMED")]
    wallets = {w["walletName"]: D(w["balance"]) for w in client.sapi_get_asset_wallet_balance({"quoteAsset": "USDT"})}
    assert (wallets["Funding"], wallets["Spot"], wallets["USDⓈ-M Futures"]) == (D(205), D(60), D(35))
    with pytest.raises(ccxt.ExchangeError) as caught:
        client.transfer("USDT", 1000, "spot", "swap")
    assert binance_error(caught.value) == {"code": -5002, "msg": "You have insufficient balance."}


def test_margin_in_use_cannot_leave_the_futures_wallet(fresh_desk: BinanceDesk) -> None:
    fresh_desk.set_price("BTC/USDT", "65000")
    client = fresh_desk.trader(spot_usdt="0", futures_usdt="1000")
    client.set_leverage(10, PERP)
    client.create_order(PERP, "market", "buy", 0.1)  # 650 margin, 3.25 fee
    with pytest.raises(ccxt.ExchangeError) as caught:
        client.transfer("USDT", 400, "swap", "spot")
    assert binance_error(caught.value)["code"] == -5002
    client.transfer("USDT", 340, "swap", "spot")
    assert usdt_asset(client)["walletBalance"] == D("656.75")


REJECTIONS: dict[str, tuple[dict[str, Any], int, str]] = {
    "insufficient margin": ({"quantity": "10"}, -2019, "Margin is insufficient."),
    "reduce-only without a position": ({"reduceOnly": "true"}, -2022, "ReduceOnly Order is rejected."),
    "min notional": ({"quantity": "0.001"}, -4164,
                     "Order's notional must be no smaller than 100 (unless you choose reduce only)."),
    "lot size": ({"quantity": "0.0105"}, -1111, "Precision is over the maximum defined for this asset."),
    "tick size": ({"price": "60000.05"}, -4014, "Price not increased by tick size."),
    "bad client id": ({"newClientOrderId": "no spaces allowed"}, -4015, "Client order id is not valid."),
    "unknown symbol": ({"symbol": "DOGEUSDT"}, -1121, "Invalid symbol."),
}  # fmt: skip


@pytest.mark.parametrize("case", REJECTIONS.keys())
def test_futures_order_rejections(desk: BinanceDesk, case: str) -> None:
    change, code, msg = REJECTIONS[case]
    client = desk.trader(spot_usdt="0", futures_usdt="1000")
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
              "price": "60000", "newClientOrderId": "f-1"}  # fmt: skip
    params.update(change)
    with pytest.raises(ccxt.ExchangeError):
        client.fapiprivate_post_order(params)
    assert binance_error(ccxt.ExchangeError(), client) == {"code": code, "msg": msg}
    assert desk.control.orders("binance", desk.account) == []


def test_futures_client_ids_and_lookups(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="0", futures_usdt="1000")
    cid = "bot.7:grid/leg_1-A"  # dots, colons and slashes are legal on USDⓈ-M
    order = client.create_order(PERP, "limit", "buy", 0.01, 20000, {"clientOrderId": cid})
    assert order["clientOrderId"] == cid
    assert client.fetch_order(None, PERP, {"origClientOrderId": cid})["id"] == order["id"]
    assert [o["id"] for o in client.fetch_open_orders(PERP)] == [order["id"]]
    with pytest.raises(ccxt.ExchangeError) as caught:
        client.create_order(PERP, "limit", "buy", 0.01, 20000, {"clientOrderId": cid})
    assert binance_error(caught.value) == {"code": -4116, "msg": "ClientOrderId is duplicated."}
    assert client.cancel_order(None, PERP, {"origClientOrderId": cid})["status"] == "canceled"
    assert client.create_order(PERP, "limit", "buy", 0.01, 20000, {"clientOrderId": cid})["id"] != order["id"]
    headers = client.client.last_response_headers
    assert int(headers["X-MBX-ORDER-COUNT-1M"]) >= 3
    assert "X-MBX-ORDER-COUNT-1D" not in headers


def test_leverage_outside_the_bracket_is_refused(desk: BinanceDesk) -> None:
    client = desk.client(desk.key())
    # ccxt checks 1..125 itself, so ask the endpoint directly.
    with pytest.raises(ccxt.BadRequest) as caught:
        client.fapiprivate_post_leverage({"symbol": "BTCUSDT", "leverage": 126})
    assert binance_error(caught.value) == {"code": -4028, "msg": "Leverage 126 is not valid"}
    assert client.set_leverage(125, PERP)["leverage"] == 125

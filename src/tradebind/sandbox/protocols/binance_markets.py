"""Binance market metadata: spot / USDⓈ-M / COIN-M exchangeInfo, coin configs, leverage brackets.

Pure: instruments in, JSON-ready dicts out. Fields are those of Binance's "Exchange Information"
pages and ``/sapi/v1/capital/config/getall``; ccxt's binance.py parse_market and parse_currency
read them (precision from PRICE_FILTER / LOT_SIZE, cost minimum from NOTIONAL / MIN_NOTIONAL).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ..core import Instrument, Market
from .binance_views import plain, spot_num, wire_symbol

PERPETUAL_DELIVERY_MS = 4133404800000  # Binance's delivery date for perpetuals (2100-12-25)
ONBOARD_MS = 1569398400000


def _decimals(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def spot_symbol_info(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": wire_symbol(inst),
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": 8,
        "quoteAsset": inst.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": [
            "LIMIT",
            "LIMIT_MAKER",
            "MARKET",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "TAKE_PROFIT_LIMIT",
        ],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": spot_num(inst.tick_size),
                "maxPrice": "1000000.00000000",
                "tickSize": spot_num(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": spot_num(inst.min_qty),
                "maxQty": spot_num(inst.max_qty),
                "stepSize": spot_num(inst.lot_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": spot_num(inst.max_qty),
                "stepSize": "0.00000000",
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": spot_num(inst.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
    }


def futures_symbol_info(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": wire_symbol(inst),
        "pair": wire_symbol(inst),
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": ONBOARD_MS,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": inst.base,
        "quoteAsset": inst.quote,
        "marginAsset": inst.settle,
        "pricePrecision": _decimals(inst.tick_size),
        "quantityPrecision": _decimals(inst.lot_size),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"] if inst.base == "BTC" else ["Layer-1"],
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": plain(inst.tick_size),
                "maxPrice": "4529764",
                "tickSize": plain(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": plain(inst.min_qty),
                "maxQty": plain(inst.max_qty),
                "stepSize": plain(inst.lot_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": plain(inst.min_qty),
                "maxQty": plain(inst.max_qty),
                "stepSize": plain(inst.lot_size),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": plain(inst.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": "1.0500",
                "multiplierDown": "0.9500",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": [
            "LIMIT",
            "MARKET",
            "STOP",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TAKE_PROFIT_MARKET",
            "TRAILING_STOP_MARKET",
        ],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


def exchange_info(
    instruments: Iterable[Instrument], market: Market | None, server_ms: int, rate_limits: list[dict[str, object]]
) -> dict[str, Any]:
    """Spot (``market`` SPOT), USDⓈ-M (LINEAR) or COIN-M (None: no symbols) exchangeInfo."""
    body: dict[str, Any] = {"timezone": "UTC", "serverTime": server_ms, "rateLimits": rate_limits,
                            "exchangeFilters": []}  # fmt: skip
    chosen = [i for i in instruments if i.market is market]
    if market is Market.SPOT:
        body["symbols"] = [spot_symbol_info(i) for i in chosen]
    else:
        body["futuresType"] = "U_MARGINED" if market is Market.LINEAR else "COIN_MARGINED"
        body["assets"] = [{"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"}
                          for a in sorted({i.settle for i in chosen})]  # fmt: skip
        body["symbols"] = [futures_symbol_info(i) for i in chosen]
    return body


def coin_info(asset: str, free: Decimal, locked: Decimal) -> dict[str, Any]:
    """One entry of ``GET /sapi/v1/capital/config/getall``."""
    network = {"BTC": "BTC", "ETH": "ETH"}.get(asset, "ETH")
    return {
        "coin": asset,
        "depositAllEnable": True,
        "withdrawAllEnable": True,
        "name": {"BTC": "Bitcoin", "ETH": "Ethereum", "USDT": "TetherUS"}.get(asset, asset),
        "free": spot_num(free),
        "locked": spot_num(locked),
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "networkList": [
            {
                "network": network,
                "coin": asset,
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": True,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "specialTips": "",
                "specialWithdrawTips": "",
                "name": network,
                "resetAddressStatus": False,
                "addressRegex": "^(0x)[0-9A-Fa-f]{40}$" if network == "ETH" else "^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}$",
                "memoRegex": "",
                "withdrawFee": "0.0002" if asset == "BTC" else "1",
                "withdrawMin": "0.001" if asset == "BTC" else "10",
                "withdrawMax": "9999999999.99999999",
                "depositDust": "0.00000001",
                "minConfirm": 1,
                "unLockConfirm": 2,
                "sameAddress": False,
                "estimatedArrivalTime": 5,
                "busy": False,
                "contractAddressUrl": "",
                "contractAddress": "",
            }
        ],
    }


def leverage_bracket(inst: Instrument) -> dict[str, Any]:
    """One bracket at the core's flat 0.4% maintenance rate (margin.py), up to the max leverage."""
    return {
        "symbol": wire_symbol(inst),
        "notionalCoef": 1.0,
        "brackets": [
            {"bracket": 1, "initialLeverage": inst.max_leverage, "notionalCap": 1000000000, "notionalFloor": 0,
             "maintMarginRatio": 0.004, "cum": 0.0}
        ],
    }  # fmt: skip


# tickers ------------------------------------------------------------------------------------------
# The sandbox book has one price per pair, so last = bid = ask = open = high = low and the day's
# change is zero; volumes are zero (the sandbox keeps no trade tape for the market).


def price_ticker(inst: Instrument, price: Decimal, now_ms: int) -> dict[str, Any]:
    """``GET /api/v3/ticker/price`` (``{symbol, price}``) and ``/fapi/v1/ticker/price`` (+ ``time``)."""
    if inst.market is Market.SPOT:
        return {"symbol": wire_symbol(inst), "price": spot_num(price)}
    return {"symbol": wire_symbol(inst), "price": plain(price), "time": now_ms}


def day_ticker(inst: Instrument, price: Decimal, now_ms: int) -> dict[str, Any]:
    """``GET /api/v3/ticker/24hr`` and ``/fapi/v1/ticker/24hr`` (the fields ccxt's parse_ticker reads)."""
    num = spot_num if inst.market is Market.SPOT else plain
    body: dict[str, Any] = {
        "symbol": wire_symbol(inst),
        "priceChange": num(Decimal(0)),
        "priceChangePercent": "0.000" if inst.market is Market.SPOT else "0",
        "weightedAvgPrice": num(price),
        "lastPrice": num(price),
        "lastQty": num(Decimal(0)),
        "openPrice": num(price),
        "highPrice": num(price),
        "lowPrice": num(price),
        "volume": num(Decimal(0)),
        "quoteVolume": num(Decimal(0)),
        "openTime": now_ms - 86_400_000,
        "closeTime": now_ms,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }
    if inst.market is Market.SPOT:
        # Spot's 24hr ticker also carries the book top and the previous close; USDⓈ-M's does not.
        body.update(prevClosePrice=num(price), bidPrice=num(price), bidQty=num(Decimal(0)),
                    askPrice=num(price), askQty=num(Decimal(0)))  # fmt: skip
    return body

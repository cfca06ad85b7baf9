"""Bybit v5 response bodies (the ``result`` objects) built from the venue's state.

Field names and shapes follow Bybit's docs (docs/v5/market/instrument.mdx, order/open-order.mdx,
position/position.mdx, account/wallet-balance.mdx, asset/balance/all-balance.mdx,
user/apikey-info.mdx; summarised in exchanges.md §3) and the fields ccxt's bybit.py reads
(parse_order, parse_position, parse_balance, fetch_*_markets, fetch_currencies).
Numbers are strings, as Bybit sends them.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..core import Account, ApiKey, Fill, Instrument, Market, Order, OrderStatus, OrderType, Permission, Position, Venue

ZERO = Decimal(0)
# The sandbox's linear perpetuals share Bybit's symbol with spot; the venue keys them apart.
LINEAR_SUFFIX = "@PERP"
CATEGORIES = {"spot": Market.SPOT, "linear": Market.LINEAR}
# Bybit reports every wallet figure in USD; the sandbox's quote and settle coin stands for it.
USD_COIN = "USDT"
_STATUS = {
    OrderStatus.NEW: "New",
    OrderStatus.FILLED: "Filled",
    OrderStatus.CANCELED: "Cancelled",
    OrderStatus.REJECTED: "Rejected",
}


def num(value: Decimal) -> str:
    """A decimal as Bybit prints it: plain notation, no trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def instrument_id(category: str, symbol: str) -> str:
    return f"{symbol}{LINEAR_SUFFIX}" if category == "linear" else symbol


def symbol_of(inst: Instrument) -> str:
    return inst.exchange_id.removesuffix(LINEAR_SUFFIX)


def category_of(inst: Instrument) -> str:
    return "spot" if inst.market is Market.SPOT else "linear"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# market data ---------------------------------------------------------------------------------


def instrument(inst: Instrument, now_ms: int) -> dict[str, Any]:
    if inst.market is Market.SPOT:
        return {
            "symbol": symbol_of(inst),
            "baseCoin": inst.base,
            "quoteCoin": inst.quote,
            "innovation": "0",
            "status": "Trading",
            "marginTrading": "utaOnly",
            "stTag": "0",
            "lotSizeFilter": {
                "basePrecision": num(inst.lot_size),
                "quotePrecision": "0.00000001",
                "minOrderQty": num(inst.min_qty),
                "maxOrderQty": num(inst.max_qty),
                "minOrderAmt": num(inst.min_notional),
                "maxOrderAmt": "8000000",
            },
            "priceFilter": {"tickSize": num(inst.tick_size)},
            "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
        }
    return {
        "symbol": symbol_of(inst),
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(inst.price_precision),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": f"{inst.max_leverage}.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": num(inst.tick_size), "maxPrice": "1999999.80", "tickSize": num(inst.tick_size)},
        "lotSizeFilter": {
            "maxOrderQty": num(inst.max_qty),
            "minOrderQty": num(inst.min_qty),
            "qtyStep": num(inst.lot_size),
            "postOnlyMaxOrderQty": num(inst.max_qty),
            "maxMktOrderQty": num(inst.max_qty / 10),
            "minNotionalValue": num(inst.min_notional),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": 480,
        "settleCoin": inst.settle,
        "copyTrading": "both",
        "upperFundingRate": "0.005",
        "lowerFundingRate": "-0.005",
        "isPreListing": False,
        "preListingInfo": None,
    }


def ticker(inst: Instrument, price: Decimal, now_ms: int) -> dict[str, Any]:
    """One row of ``/v5/market/tickers``. The sandbox book has one price, so bid = ask = last."""
    row: dict[str, Any] = {
        "symbol": symbol_of(inst),
        "bid1Price": num(price),
        "bid1Size": "1",
        "ask1Price": num(price),
        "ask1Size": "1",
        "lastPrice": num(price),
        "prevPrice24h": num(price),
        "price24hPcnt": "0",
        "highPrice24h": num(price),
        "lowPrice24h": num(price),
        "turnover24h": "0",
        "volume24h": "0",
    }
    if inst.market is Market.LINEAR:
        # ccxt's parse_ticker tells contract tickers from spot ones by openInterestValue.
        row |= {
            "markPrice": num(price),
            "indexPrice": num(price),
            "openInterest": "0",
            "openInterestValue": "0",
            "fundingRate": "0.0001",
            "nextFundingTime": str(now_ms - now_ms % 28_800_000 + 28_800_000),
        }
    else:
        row["usdIndexPrice"] = num(price)
    return row


def coin_info(coin: str, precision: int) -> dict[str, Any]:
    """One row of ``/v5/asset/coin/query-info`` (ccxt's fetch_currencies reads it on load_markets)."""
    return {
        "name": coin,
        "coin": coin,
        "remainAmount": "1000000",
        "chains": [
            {
                "chainType": coin,
                "confirmation": "6",
                "withdrawFee": "0",
                "depositMin": "0",
                "withdrawMin": "0",
                "chain": coin,
                "chainDeposit": "1",
                "chainWithdraw": "1",
                "minAccuracy": str(precision),
                "withdrawPercentageFee": "0",
            }
        ],
    }


# orders and positions ------------------------------------------------------------------------


def order(o: Order, inst: Instrument) -> dict[str, Any]:
    fee = sum((f.fee for f in o.fills), ZERO)
    fee_coin = o.fills[0].fee_asset if o.fills else ""
    price = o.price if o.price is not None else ZERO
    leaves = o.qty - o.filled_qty if o.status.is_open else ZERO
    view: dict[str, Any] = {
        "orderId": str(o.order_id),
        "orderLinkId": o.client_order_id,
        "blockTradeId": "",
        "symbol": symbol_of(inst),
        "price": num(price),
        "qty": num(o.qty),
        "side": "Buy" if o.side.value == "buy" else "Sell",
        "isLeverage": "0" if inst.market is Market.SPOT else "",
        "positionIdx": 0,
        "orderStatus": _STATUS[o.status],
        "cancelType": "CancelByUser" if o.status is OrderStatus.CANCELED else "UNKNOWN",
        "rejectReason": "EC_NoError",
        "avgPrice": num(o.avg_price) if o.filled_qty else "",
        "leavesQty": num(leaves),
        "leavesValue": num(leaves * price),
        "cumExecQty": num(o.filled_qty),
        "cumExecValue": num(o.quote_filled),
        "cumExecFee": num(fee),
        "cumFeeDetail": {fee_coin: num(fee)} if fee_coin else {},
        # Bybit reports market orders as IOC.
        "timeInForce": "IOC" if o.type is OrderType.MARKET else o.time_in_force,
        "orderType": "Market" if o.type is OrderType.MARKET else "Limit",
        "stopOrderType": "",
        "orderIv": "",
        "triggerPrice": "",
        "takeProfit": "",
        "stopLoss": "",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": 0,
        "triggerBy": "",
        "lastPriceOnCreated": "",
        "reduceOnly": o.reduce_only,
        "closeOnTrigger": False,
        "placeType": "",
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "createdTime": str(o.created_ms),
        "updatedTime": str(o.updated_ms),
    }
    if inst.market is Market.LINEAR:
        # ccxt's parse_order tells contract orders from spot ones by this key alone.
        view["tpslMode"] = ""
    elif o.type is OrderType.MARKET:
        view["marketUnit"] = "baseCoin"
    return view


def execution(fill: Fill, o: Order, inst: Instrument) -> dict[str, Any]:
    """One row of ``/v5/execution/list`` (ccxt's fetch_my_trades)."""
    notional = fill.quote_qty
    row = {
        "symbol": symbol_of(inst),
        "orderId": str(o.order_id),
        "orderLinkId": o.client_order_id,
        "side": "Buy" if fill.side.value == "buy" else "Sell",
        "orderPrice": num(o.price if o.price is not None else ZERO),
        "orderQty": num(o.qty),
        "leavesQty": "0",
        "orderType": "Market" if o.type is OrderType.MARKET else "Limit",
        "stopOrderType": "",
        "execFee": num(fill.fee),
        "feeCurrency": fill.fee_asset,
        "execId": str(fill.trade_id),
        "execPrice": num(fill.price),
        "execQty": num(fill.qty),
        "execType": "Trade",
        "execValue": num(notional),
        "execTime": str(fill.time_ms),
        "isMaker": fill.is_maker,
        "feeRate": num(fill.fee / (fill.qty if fill.fee_asset == inst.base else notional)) if fill.fee else "0",
        "markPrice": num(fill.price),
        "seq": fill.trade_id,
    }
    if inst.market is Market.LINEAR:
        # ccxt's parse_trade takes rows with createType for contract executions.
        row |= {"createType": "CreateByUser", "closedSize": "0"}
    return row


def position(pos: Position, inst: Instrument, mark: Decimal, leverage: int, now_ms: int) -> dict[str, Any]:
    size = abs(pos.qty)
    value = size * inst.contract_size * mark
    upnl = (mark - pos.entry_price) * pos.qty * inst.contract_size if size else ZERO
    im = value / leverage
    return {
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": symbol_of(inst),
        "side": "" if size == 0 else ("Buy" if pos.qty > 0 else "Sell"),
        "size": num(size),
        "avgPrice": num(pos.entry_price),
        "positionValue": num(value),
        "tradeMode": 0,
        "positionStatus": "Normal",
        "autoAddMargin": 0,
        "adlRankIndicator": 2 if size else 0,
        "leverage": str(leverage),
        "positionBalance": num(im),
        "markPrice": num(mark),
        "liqPrice": "",
        "bustPrice": "",
        "positionMM": num(value * Decimal("0.004")),
        "positionIM": num(im),
        "tpslMode": "Full",
        "takeProfit": "0",
        "stopLoss": "0",
        "trailingStop": "0",
        "unrealisedPnl": num(upnl),
        "curRealisedPnl": num(pos.realised_pnl),
        "cumRealisedPnl": num(pos.realised_pnl),
        "seq": pos.updated_ms,
        "isReduceOnly": False,
        "createdTime": str(pos.updated_ms or now_ms),
        "updatedTime": str(pos.updated_ms or now_ms),
    }


# balances ------------------------------------------------------------------------------------


def _usd_price(venue: Venue, coin: str) -> Decimal:
    if coin == USD_COIN:
        return Decimal(1)
    pair = f"{coin}/{USD_COIN}"
    return venue.prices.get(pair) if pair in venue.prices.pairs() else ZERO


def unified_wallet(venue: Venue, acct: Account, wallet: str, coins: set[str] | None) -> dict[str, Any]:
    """The ``list[0]`` of ``/v5/account/wallet-balance?accountType=UNIFIED``.

    USDT is the one collateral coin (as the core's margin maths assumes), so the account's margin
    totals are its figures; ``totalEquity`` still values every coin in USD.
    """
    m = venue.margin(acct, wallet, USD_COIN)
    rows = []
    equity_usd = ZERO
    held = acct.assets(wallet)
    if USD_COIN not in held and m.unrealised_pnl:
        held = {**held, USD_COIN: acct.balance(wallet, USD_COIN)}
    for coin, bal in sorted(held.items()):
        is_usd = coin == USD_COIN
        upnl = m.unrealised_pnl if is_usd else ZERO
        equity = bal.total + upnl
        usd_value = equity * _usd_price(venue, coin)
        equity_usd += usd_value
        if coins is not None and coin not in coins:
            continue
        rows.append(
            {
                "coin": coin,
                "equity": num(equity),
                "usdValue": num(usd_value),
                "walletBalance": num(bal.total),
                "free": "",
                "locked": num(bal.locked),
                "spotHedgingQty": "0",
                "borrowAmount": "0",
                "availableToWithdraw": "",  # deprecated for UNIFIED since 9 Jan 2025
                "availableToBorrow": "",
                "accruedInterest": "0",
                "totalOrderIM": num(m.open_order_initial_margin if is_usd else ZERO),
                "totalPositionIM": num(m.position_initial_margin if is_usd else ZERO),
                "totalPositionMM": num(m.maint_margin if is_usd else ZERO),
                "unrealisedPnl": num(upnl),
                "cumRealisedPnl": num(sum((p.realised_pnl for p in acct.positions.values()), ZERO) if is_usd else ZERO),
                "bonus": "0",
                "marginCollateral": is_usd,
                "collateralSwitch": is_usd,
                "spotBorrow": "0",
            }
        )
    im, mm = m.initial_margin, m.maint_margin
    margin_balance = m.margin_balance
    return {
        "accountType": "UNIFIED",
        "accountIMRate": num((im / margin_balance).quantize(Decimal("0.0001"))) if margin_balance > 0 else "0",
        "accountMMRate": num((mm / margin_balance).quantize(Decimal("0.0001"))) if margin_balance > 0 else "0",
        "accountLTV": "0",
        "totalEquity": num(equity_usd),
        "totalWalletBalance": num(m.wallet_balance),
        "totalMarginBalance": num(margin_balance),
        "totalAvailableBalance": num(m.available),
        "totalPerpUPL": num(m.unrealised_pnl),
        "totalInitialMargin": num(im),
        "totalMaintenanceMargin": num(mm),
        "coin": rows,
    }


def fund_wallet(acct: Account, wallet: str, coins: set[str] | None) -> list[dict[str, Any]]:
    """``balance[]`` of ``/v5/asset/transfer/query-account-coins-balance``."""
    return [
        {"coin": coin, "walletBalance": num(bal.total), "transferBalance": num(bal.free), "bonus": ""}
        for coin, bal in sorted(acct.assets(wallet).items())
        if coins is None or coin in coins
    ]


# keys ----------------------------------------------------------------------------------------


def api_key_info(key: ApiKey, acct: Account, parent: Account | None, now_ms: int) -> dict[str, Any]:
    """``/v5/user/query-api``: what the key may do, where from, and until when."""
    p = key.permissions
    wallet = [
        name
        for perm, name in (
            (Permission.TRANSFER, "AccountTransfer"),
            (Permission.INTERNAL_TRANSFER, "SubMemberTransfer"),
            (Permission.WITHDRAW, "Withdraw"),
        )
        if perm in p
    ]
    writes = {Permission.SPOT_TRADE, Permission.FUTURES_TRADE, Permission.WITHDRAW, Permission.TRANSFER}
    expires_ms = int(key.expires_at.timestamp() * 1000) if key.expires_at else None
    return {
        "id": str(zlib.crc32(key.api_key.encode())),
        "note": key.label,
        "apiKey": key.api_key,
        "readOnly": 0 if p & writes else 1,
        "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"] if Permission.FUTURES_TRADE in p else [],
            "Spot": ["SpotTrade"] if Permission.SPOT_TRADE in p else [],
            "Wallet": wallet,
            "Options": [],
            "Derivatives": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
            "Affiliate": [],
            "Earn": [],
        },
        "ips": list(key.ips) or ["*"],  # "*": no IP bound
        "type": 1,
        # "remaining valid days / expiry day ... Only for those api key with no IP bound"
        "deadlineDay": max(0, -((now_ms - expires_ms) // 86_400_000)) if expires_ms is not None else -1,
        "expiredAt": iso(expires_ms) if expires_ms is not None else "",
        "createdAt": iso(key.created_ms),
        "unified": 0,
        "uta": 1,
        "userID": acct.uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": parent is None,
        "parentUid": str(parent.uid) if parent is not None else "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }

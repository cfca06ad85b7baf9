"""Binance response bodies built from core objects. Pure: values in, JSON-ready dicts out.

Field names and number formats follow Binance's documented responses (spot rest-api.md, USDⓈ-M
"Exchange Information", "New Order", "Account Information V2/V3", "Position Information V2/V3",
"Account Trade List"): spot prints decimals with 8 places, USDⓈ-M prints them plain. Everything
ccxt's binance.py reads (parse_order, parse_trade, parse_balance_custom, parse_position_risk) is
present. Market metadata lives in binance_markets.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ..core import Account, Fill, Instrument, MarginSummary, Order, OrderStatus, Position, Side

ZERO = Decimal(0)


def spot_num(value: Decimal | None) -> str:
    """Spot's fixed 8-decimal format: ``"0.01000000"``."""
    return f"{(value or ZERO):.8f}"


def plain(value: Decimal | None) -> str:
    """USDⓈ-M's plain format without exponent or trailing zeros: ``"65000.1"``."""
    text = format((value or ZERO).normalize(), "f")
    return "0" if text in ("-0", "") else text


def wire_symbol(inst: Instrument) -> str:
    """The symbol Binance shows: spot and USDⓈ-M both say ``BTCUSDT``."""
    return inst.exchange_id.split("@", 1)[0]


_STATUS = {
    OrderStatus.NEW: "NEW",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.REJECTED: "REJECTED",
}


# orders and trades -----------------------------------------------------------------------------


def spot_order(order: Order, inst: Instrument, *, full: bool = False) -> dict[str, Any]:
    """A spot order as ``GET /api/v3/order`` shows it; ``full`` adds the fills of a FULL ack."""
    body: dict[str, Any] = {
        "symbol": wire_symbol(inst),
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": spot_num(order.price),
        "origQty": spot_num(order.qty),
        "executedQty": spot_num(order.filled_qty),
        "cummulativeQuoteQty": spot_num(order.quote_filled),
        "status": _STATUS[order.status],
        "timeInForce": order.time_in_force,
        "type": order.type.name,
        "side": order.side.name,
        "stopPrice": spot_num(ZERO),
        "icebergQty": spot_num(ZERO),
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "isWorking": True,
        "workingTime": order.created_ms,
        "origQuoteOrderQty": spot_num(ZERO),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if full:
        for name in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
            del body[name]
        body["transactTime"] = order.updated_ms
        body["fills"] = [
            {
                "price": spot_num(f.price),
                "qty": spot_num(f.qty),
                "commission": spot_num(f.fee),
                "commissionAsset": f.fee_asset,
                "tradeId": f.trade_id,
            }
            for f in order.fills
        ]
    return body


def spot_cancel(order: Order, inst: Instrument, cancel_client_id: str) -> dict[str, Any]:
    """``DELETE /api/v3/order``: the order under ``origClientOrderId``, the cancel's own id as ``clientOrderId``."""
    body = spot_order(order, inst)
    for name in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime", "origQuoteOrderQty"):
        del body[name]
    body["origClientOrderId"] = order.client_order_id
    body["clientOrderId"] = cancel_client_id
    body["transactTime"] = order.updated_ms
    return body


def futures_order(order: Order, inst: Instrument) -> dict[str, Any]:
    """A USDⓈ-M order as ``POST/GET/DELETE /fapi/v1/order`` show it."""
    return {
        "orderId": order.order_id,
        "symbol": wire_symbol(inst),
        "status": _STATUS[order.status],
        "clientOrderId": order.client_order_id,
        "price": plain(order.price),
        "avgPrice": plain(order.avg_price),
        "origQty": plain(order.qty),
        "executedQty": plain(order.filled_qty),
        "cumQty": plain(order.filled_qty),
        "cumQuote": plain(order.quote_filled),
        "timeInForce": order.time_in_force,
        "type": order.type.name,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.name,
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": order.type.name,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "time": order.created_ms,
        "updateTime": order.updated_ms,
    }


def spot_trade(fill: Fill, inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": wire_symbol(inst),
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": spot_num(fill.price),
        "qty": spot_num(fill.qty),
        "quoteQty": spot_num(fill.quote_qty),
        "commission": spot_num(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": fill.time_ms,
        "isBuyer": fill.side is Side.BUY,
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def futures_trade(fill: Fill, inst: Instrument) -> dict[str, Any]:
    return {
        "buyer": fill.side is Side.BUY,
        "commission": plain(fill.fee),
        "commissionAsset": fill.fee_asset,
        "id": fill.trade_id,
        "maker": fill.is_maker,
        "orderId": fill.order_id,
        "price": plain(fill.price),
        "qty": plain(fill.qty),
        "quoteQty": plain(fill.quote_qty),
        "realizedPnl": plain(fill.realised_pnl),
        "side": fill.side.name,
        "positionSide": "BOTH",
        "symbol": wire_symbol(inst),
        "time": fill.time_ms,
    }


# balances and positions ------------------------------------------------------------------------


def spot_account(acct: Account, wallet: str, assets: Iterable[str], can_trade: bool, now_ms: int) -> dict[str, Any]:
    """``GET /api/v3/account``: every listed asset, zero balances included (Binance's default)."""
    names = sorted(set(assets) | set(acct.assets(wallet)))
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": can_trade,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": [
            {
                "asset": a,
                "free": spot_num(acct.balance(wallet, a).free),
                "locked": spot_num(acct.balance(wallet, a).locked),
            }
            for a in names
        ],
        "permissions": ["SPOT"],
        "uid": acct.uid,
    }


def funding_assets(acct: Account, wallet: str, asset: str | None) -> list[dict[str, Any]]:
    """``POST /sapi/v1/asset/get-funding-asset``: non-zero funding balances."""
    return [
        {"asset": a, "free": plain(b.free), "locked": plain(b.locked), "freeze": "0", "withdrawing": "0",
         "btcValuation": "0"}
        for a, b in sorted(acct.assets(wallet).items())
        if asset is None or a == asset
    ]  # fmt: skip


def futures_asset(m: MarginSummary, update_ms: int) -> dict[str, Any]:
    """One ``assets[]`` entry of ``/fapi/v2|v3/account`` from the core's margin figures."""
    return {
        "asset": m.asset,
        "walletBalance": plain(m.wallet_balance),
        "unrealizedProfit": plain(m.unrealised_pnl),
        "marginBalance": plain(m.margin_balance),
        "maintMargin": plain(m.maint_margin),
        "initialMargin": plain(m.initial_margin),
        "positionInitialMargin": plain(m.position_initial_margin),
        "openOrderInitialMargin": plain(m.open_order_initial_margin),
        "crossWalletBalance": plain(m.wallet_balance),
        "crossUnPnl": plain(m.unrealised_pnl),
        "availableBalance": plain(m.available),
        "maxWithdrawAmount": plain(m.transferable),
        "marginAvailable": True,
        "updateTime": update_ms,
    }


def futures_balance(m: MarginSummary, update_ms: int) -> dict[str, Any]:
    """One entry of ``GET /fapi/v2|v3/balance``."""
    return {
        "accountAlias": "SgsR",
        "asset": m.asset,
        "balance": plain(m.wallet_balance),
        "crossWalletBalance": plain(m.wallet_balance),
        "crossUnPnl": plain(m.unrealised_pnl),
        "availableBalance": plain(m.available),
        "maxWithdrawAmount": plain(m.transferable),
        "marginAvailable": True,
        "updateTime": update_ms,
    }


def futures_totals(m: MarginSummary) -> dict[str, Any]:
    """The account-level totals of ``/fapi/v2|v3/account`` (single-asset mode: the USDT figures)."""
    return {
        "totalInitialMargin": plain(m.initial_margin),
        "totalMaintMargin": plain(m.maint_margin),
        "totalWalletBalance": plain(m.wallet_balance),
        "totalUnrealizedProfit": plain(m.unrealised_pnl),
        "totalMarginBalance": plain(m.margin_balance),
        "totalPositionInitialMargin": plain(m.position_initial_margin),
        "totalOpenOrderInitialMargin": plain(m.open_order_initial_margin),
        "totalCrossWalletBalance": plain(m.wallet_balance),
        "totalCrossUnPnl": plain(m.unrealised_pnl),
        "availableBalance": plain(m.available),
        "maxWithdrawAmount": plain(m.transferable),
    }


def position_risk(
    pos: Position, inst: Instrument, mark: Decimal, leverage: int, order_margin: Decimal, *, v2: bool
) -> dict[str, Any]:
    """``/fapi/v2|v3/positionRisk`` entry. v3 dropped ``leverage``, ``marginType`` and friends."""
    notional = pos.qty * inst.contract_size * mark
    pnl = (mark - pos.entry_price) * pos.qty * inst.contract_size
    position_im = abs(notional) / leverage
    body: dict[str, Any] = {
        "symbol": wire_symbol(inst),
        "positionSide": "BOTH",
        "positionAmt": plain(pos.qty),
        "entryPrice": plain(pos.entry_price),
        "breakEvenPrice": plain(pos.entry_price),
        "markPrice": plain(mark),
        "unRealizedProfit": plain(pnl),
        "liquidationPrice": "0",
        "isolatedMargin": "0",
        "notional": plain(notional),
        "isolatedWallet": "0",
        "updateTime": pos.updated_ms,
    }
    if v2:
        body.update({"marginType": "cross", "isAutoAddMargin": "false", "leverage": str(leverage),
                     "maxNotionalValue": "1000000000"})  # fmt: skip
    else:
        body.update({
            "marginAsset": inst.settle,
            "initialMargin": plain(position_im + order_margin),
            "maintMargin": plain(abs(notional) * Decimal("0.004")),
            "positionInitialMargin": plain(position_im),
            "openOrderInitialMargin": plain(order_margin),
            "adl": 0,
            "bidNotional": "0",
            "askNotional": "0",
        })  # fmt: skip
    return body


def account_position(
    pos: Position, inst: Instrument, mark: Decimal, leverage: int, order_margin: Decimal, *, v2: bool
) -> dict[str, Any]:
    """``positions[]`` of ``/fapi/v2/account`` (every symbol, with leverage) or ``/fapi/v3/account``."""
    notional = pos.qty * inst.contract_size * mark
    position_im = abs(notional) / leverage
    body: dict[str, Any] = {
        "symbol": wire_symbol(inst),
        "positionSide": "BOTH",
        "positionAmt": plain(pos.qty),
        "unrealizedProfit": plain((mark - pos.entry_price) * pos.qty * inst.contract_size),
        "initialMargin": plain(position_im + order_margin),
        "maintMargin": plain(abs(notional) * Decimal("0.004")),
        "updateTime": pos.updated_ms,
    }
    if v2:
        body.update({
            "positionInitialMargin": plain(position_im),
            "openOrderInitialMargin": plain(order_margin),
            "leverage": str(leverage),
            "isolated": False,
            "entryPrice": plain(pos.entry_price),
            "breakEvenPrice": plain(pos.entry_price),
            "maxNotional": "1000000000",
            "bidNotional": "0",
            "askNotional": "0",
        })  # fmt: skip
    else:
        body.update({"isolatedMargin": "0", "notional": plain(notional), "isolatedWallet": "0"})
    return body

"""How OKX v5 renders instruments, accounts, balances, orders and positions (pure functions).

Field names and meanings follow OKX's docs (https://www.okx.com/docs-v5/en/) and what ccxt's
``okx.py`` reads from them (parse_market, parse_trading_balance, parse_funding_balance,
parse_order, parse_position); numbers are strings, times are epoch milliseconds as strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core import Account, ApiKey, Instrument, Market, Order, OrderStatus, OrderType, Permission, Venue
from ..core.margin import PositionFigures

ZERO = Decimal(0)
USD_STABLE = "USDT"
# OKX's account ids in transfers (https://www.okx.com/docs-v5/en/#funding-account-rest-api-funds-transfer).
ACCOUNT_IDS = {"6": "funding", "18": "trading"}
INST_TYPES = {Market.SPOT: "SPOT", Market.LINEAR: "SWAP"}
STATES = {OrderStatus.NEW: "live", OrderStatus.FILLED: "filled", OrderStatus.CANCELED: "canceled"}
# Currencies the sandbox lists in /asset/currencies, with one withdrawal chain each.
CHAINS = {
    "BTC": ("BTC-Bitcoin", "Bitcoin", "8"),
    "ETH": ("ETH-ERC20", "Ethereum", "8"),
    "USDT": ("USDT-ERC20", "Tether", "6"),
}


def num(value: Decimal) -> str:
    """A decimal as OKX prints it: plain notation, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def instrument_view(inst: Instrument, list_time_ms: int) -> dict[str, Any]:
    swap = inst.market is Market.LINEAR
    return {
        "alias": "",
        "baseCcy": "" if swap else inst.base,
        "category": "1",
        "ctMult": "1" if swap else "",
        "ctType": "linear" if swap else "",
        "ctVal": num(inst.contract_size) if swap else "",
        "ctValCcy": inst.base if swap else "",
        "expTime": "",
        "instFamily": f"{inst.base}-{inst.quote}" if swap else "",
        "instId": inst.exchange_id,
        "instType": INST_TYPES[inst.market],
        "lever": str(inst.max_leverage) if swap else "10",
        "listTime": str(list_time_ms),
        "lotSz": num(inst.lot_size),
        "maxLmtSz": num(inst.max_qty),
        "maxMktSz": num(inst.max_qty),
        "minSz": num(inst.min_qty),
        "optType": "",
        "quoteCcy": "" if swap else inst.quote,
        "settleCcy": inst.settle if swap else "",
        "state": "live",
        "stk": "",
        "tickSz": num(inst.tick_size),
        "uly": f"{inst.base}-{inst.quote}" if swap else "",
    }


def currency_views(venue: Venue) -> list[dict[str, Any]]:
    assets = sorted({i.base for i in venue.catalog} | {i.quote for i in venue.catalog})
    views = []
    for ccy in assets:
        chain, name, tick = CHAINS.get(ccy, (f"{ccy}-ERC20", ccy, "8"))
        views.append(
            {
                "canDep": True,
                "canInternal": True,
                "canWd": True,
                "ccy": ccy,
                "chain": chain,
                "mainNet": True,
                "maxFee": "0",
                "maxWd": "10000000",
                "minFee": "0",
                "minWd": "0.0001",
                "name": name,
                "wdTickSz": tick,
            }
        )
    return views


def perm_string(key: ApiKey) -> str:
    """OKX's ``perm``: comma-separated ``read_only``, ``trade``, ``withdraw``."""
    names = []
    if Permission.READ in key.permissions:
        names.append("read_only")
    if key.permissions & {Permission.SPOT_TRADE, Permission.FUTURES_TRADE}:
        names.append("trade")
    if Permission.WITHDRAW in key.permissions:
        names.append("withdraw")
    return ",".join(names)


def account_config_view(venue: Venue, key: ApiKey, acct: Account) -> dict[str, Any]:
    main = venue.account(acct.account_id.split("/", 1)[0])
    return {
        "acctLv": "2",  # unified account, Futures mode: spot and USDT swaps trade from one wallet
        "acctStpMode": "cancel_maker",
        "autoLoan": False,
        "ctIsoMode": "automatic",
        "enableSpotBorrow": False,
        "feeType": "0",
        "greeksType": "PA",
        "ip": ",".join(key.ips),
        "kycLv": "2",
        "label": key.label,
        "level": "Lv1",
        "levelTmp": "",
        "liquidationGear": "-1",
        "mainUid": str(main.uid),
        "mgnIsoMode": "automatic",
        "opAuth": "0",
        "perm": perm_string(key),
        "posMode": "net_mode",
        "roleType": "0",
        "settleCcy": USD_STABLE,
        "settleCcyList": [USD_STABLE],
        "spotBorrowAutoRepay": False,
        "spotOffsetType": "",
        "spotRoleType": "0",
        "spotTraderInsts": [],
        "traderInsts": [],
        "type": "1" if acct.is_sub_account else "0",
        "uid": str(acct.uid),
    }


def usd_price(venue: Venue, ccy: str) -> Decimal:
    """USD value of one unit, taking USDT at par (OKX's ``eqUsd`` uses index prices)."""
    if ccy == USD_STABLE:
        return Decimal(1)
    pair = f"{ccy}/{USD_STABLE}"
    return venue.prices.get(pair) if pair in venue.prices.pairs() else ZERO


def _detail(venue: Venue, acct: Account, wallet: str, ccy: str, now_ms: int) -> dict[str, Any]:
    bal = acct.balance(wallet, ccy)
    if ccy in {i.settle for i in venue.catalog.of(Market.LINEAR)}:
        m = venue.margin(acct, wallet, ccy)
        upl, imr, mmr = m.unrealised_pnl, m.position_initial_margin, m.maint_margin
        ord_frozen = m.open_order_initial_margin + m.spot_locked
        avail_eq, avail_bal = m.available, m.transferable
    else:
        upl = imr = mmr = ZERO
        ord_frozen = bal.locked
        avail_eq = avail_bal = bal.free
    eq = bal.total + upl
    eq_usd = eq * usd_price(venue, ccy)
    return {
        "availBal": num(avail_bal),
        "availEq": num(avail_eq),
        "borrowFroz": "",
        "cashBal": num(bal.total),
        "ccy": ccy,
        "crossLiab": "",
        "disEq": num(eq_usd),
        "eq": num(eq),
        "eqUsd": num(eq_usd),
        # Everything held back: position margin plus what open orders freeze (ccxt: used).
        "frozenBal": num(imr + ord_frozen),
        "imr": num(imr),
        "interest": "",
        "isoEq": "0",
        "isoUpl": "0",
        "liab": "",
        "maxLoan": "",
        "mgnRatio": "",
        "mmr": num(mmr),
        "notionalLever": "",
        "ordFrozen": num(ord_frozen),
        "twap": "0",
        "uTime": str(now_ms),
        "upl": num(upl),
        "uplLiab": "",
    }


def trading_balance_view(venue: Venue, acct: Account, wallet: str, ccys: set[str] | None) -> dict[str, Any]:
    """``/api/v5/account/balance``: account totals in USD plus one detail per currency."""
    now = venue.clock.now_ms()
    held = set(acct.assets(wallet))
    if acct.open_positions():
        held |= {i.settle for i in venue.catalog.of(Market.LINEAR)}
    details = [_detail(venue, acct, wallet, c, now) for c in sorted(held) if ccys is None or c in ccys]
    usd = {d["ccy"]: usd_price(venue, d["ccy"]) for d in details}

    def total(field: str) -> str:
        return num(sum((Decimal(d[field]) * usd[d["ccy"]] for d in details), ZERO))

    return {
        "adjEq": total("eq"),
        "availEq": total("availEq"),
        "borrowFroz": "",
        "details": details,
        "imr": total("imr"),
        "isoEq": "0",
        "mgnRatio": "",
        "mmr": total("mmr"),
        "notionalUsd": "",
        "ordFroz": total("ordFrozen"),
        "totalEq": total("eq"),
        "uTime": str(now),
        "upl": total("upl"),
    }


def funding_balance_views(acct: Account, wallet: str, ccys: set[str] | None) -> list[dict[str, Any]]:
    """``/api/v5/asset/balances``: only currencies with a balance (OKX omits zeros)."""
    return [
        {"availBal": num(b.free), "bal": num(b.total), "ccy": ccy, "frozenBal": num(b.locked)}
        for ccy, b in sorted(acct.assets(wallet).items())
        if ccys is None or ccy in ccys
    ]


def order_view(order: Order, inst: Instrument, ord_type: str, tgt_ccy: str, lever: int) -> dict[str, Any]:
    """``/api/v5/trade/order`` and ``orders-pending`` entries."""
    fill = order.fills[-1] if order.fills else None
    fee = sum((f.fee for f in order.fills), ZERO)
    swap = inst.market is Market.LINEAR
    return {
        "accFillSz": num(order.filled_qty),
        "algoClOrdId": "",
        "algoId": "",
        "attachAlgoOrds": [],
        "avgPx": num(order.avg_price) if order.fills else "",
        "cTime": str(order.created_ms),
        "cancelSource": "",
        "category": "normal",
        "ccy": "",
        "clOrdId": order.client_order_id,
        "fee": num(-fee),  # OKX reports charges as negative numbers
        "feeCcy": fill.fee_asset if fill else (inst.settle if swap else inst.base),
        "fillPx": num(fill.price) if fill else "",
        "fillSz": num(fill.qty) if fill else "0",
        "fillTime": str(fill.time_ms) if fill else "",
        "instId": inst.exchange_id,
        "instType": INST_TYPES[inst.market],
        "lever": str(lever) if swap else "",
        "ordId": str(order.order_id),
        "ordType": ord_type,
        "pnl": num(sum((f.realised_pnl for f in order.fills), ZERO)),
        "posSide": "net" if swap else "",
        "px": num(order.price) if order.price is not None and order.type is OrderType.LIMIT else "",
        "reduceOnly": "true" if order.reduce_only else "false",
        "side": order.side.value,
        "slOrdPx": "",
        "slTriggerPx": "",
        "source": "",
        "state": STATES.get(order.status, "canceled"),
        "stpMode": "cancel_maker",
        "sz": num(order.qty),
        "tag": "",
        "tdMode": "cross" if swap else "cash",
        "tgtCcy": tgt_ccy,
        "tpOrdPx": "",
        "tpTriggerPx": "",
        "tradeId": str(fill.trade_id) if fill else "",
        "uTime": str(order.updated_ms),
    }


def position_view(venue: Venue, acct: Account, inst: Instrument) -> dict[str, Any]:
    """``/api/v5/account/positions`` entry of a cross, net-mode position."""
    pos = acct.position(inst.exchange_id)
    mark = venue.prices.get(inst.pair)
    lever = venue.leverage(acct, inst)
    fig = PositionFigures(pos.qty, inst.contract_size, pos.entry_price, mark, lever)
    cost = abs(pos.qty) * inst.contract_size * pos.entry_price / lever
    return {
        "adl": "1",
        "availPos": "",
        "avgPx": num(pos.entry_price),
        "cTime": str(pos.updated_ms),
        "ccy": inst.settle,
        "instId": inst.exchange_id,
        "instType": "SWAP",
        "imr": num(fig.initial_margin),
        "last": num(mark),
        "lever": str(lever),
        "liqPx": "",
        "margin": "",
        "markPx": num(mark),
        "mgnMode": "cross",
        "mgnRatio": "",
        "mmr": num(fig.maint_margin),
        "notionalUsd": num(fig.notional),
        "pos": num(pos.qty),
        "posCcy": "",
        "posId": f"{acct.uid}{inst.exchange_id.replace('-', '')}",
        "posSide": "net",
        "realizedPnl": num(pos.realised_pnl),
        "upl": num(fig.unrealised_pnl),
        "uplRatio": num((fig.unrealised_pnl / cost).quantize(Decimal("1e-8"))) if cost else "0",
        "uTime": str(pos.updated_ms),
    }

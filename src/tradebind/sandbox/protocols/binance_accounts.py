"""Balance, position, leverage and wallet endpoints: spot ``/api/v3/account``, USDⓈ-M account,
balance, positionRisk and leverage, and the ``/sapi`` wallet and key endpoints.

USDⓈ-M figures come from the core's :class:`MarginSummary` (margin.py): ``availableBalance`` =
wallet balance + unrealised PnL - position IM - open-order IM, ``maxWithdrawAmount`` never counts
unrealised profit. Universal transfer types are Binance's (exchanges.md §1.3).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from ..core import Market, Permission, Venue
from . import binance_markets as markets
from . import binance_views as views
from .binance_errors import BinanceError, bad_value
from .binance_http import Call
from .binance_trading import Trading, decimal_param

ZERO = Decimal(0)
# The wallet names Binance's universal transfer types use, as /sapi/v1/asset/wallet/balance names them.
_WALLET_NAMES = ("Spot", "Funding", "Cross Margin", "Isolated Margin", "USDⓈ-M Futures", "COIN-M Futures",
                 "Earn", "Options", "Trading Bots", "Copy Trading")  # fmt: skip


class Accounts:
    """Handlers reading and moving an account's funds."""

    def __init__(self, venue: Venue, futures: Trading) -> None:
        self.venue = venue
        self.futures = futures
        layout = venue.layout
        self.spot_wallet = layout.wallet_for(Market.SPOT)
        self.futures_wallet = layout.wallet_for(Market.LINEAR)
        self.funding_wallet = layout.funding
        self._transfer_types = {
            f"{a}_{b}": (wa, wb)
            for (a, wa), (b, wb) in itertools.permutations(
                (("MAIN", self.spot_wallet), ("UMFUTURE", self.futures_wallet), ("FUNDING", self.funding_wallet)), 2
            )
        }
        self._tran_ids = itertools.count(13_526_853_623)
        self._transfers: dict[str, list[dict[str, Any]]] = {}
        self.assets = sorted({a for i in venue.catalog for a in (i.base, i.quote)})

    # spot -------------------------------------------------------------------------------------

    def spot_account(self, call: Call) -> dict[str, Any]:
        body = views.spot_account(call.acct, self.spot_wallet, self.assets, call.acct.may_trade, call.now_ms)
        if call.get("omitZeroBalances") == "true":
            body["balances"] = [b for b in body["balances"] if Decimal(b["free"]) or Decimal(b["locked"])]
        return body

    # USDⓈ-M -----------------------------------------------------------------------------------

    def _futures_assets(self, call: Call) -> list[tuple[Any, int]]:
        """Margin figures per asset; assets the wallet never held show ``updateTime`` 0, as on Binance."""
        held = set(call.acct.wallets[self.futures_wallet])
        names = sorted(held | {"USDT"})
        return [(self.venue.margin(call.acct, self.futures_wallet, a), call.now_ms if a in held else 0) for a in names]

    def _order_margin(self, account_id: str, instrument_id: str) -> Decimal:
        return sum((o.reserved for o in self.venue.open_orders(account_id, instrument_id)), ZERO)

    def _positions(self, call: Call, *, all_symbols: bool) -> list[tuple[Any, Any, Decimal, int, Decimal]]:
        acct = call.acct
        rows = []
        for inst in self.venue.catalog.of(Market.LINEAR):
            pos = acct.position(inst.exchange_id)
            order_margin = self._order_margin(acct.account_id, inst.exchange_id)
            if all_symbols or pos.qty != 0 or order_margin:
                mark = self.venue.prices.get(inst.pair)
                rows.append((pos, inst, mark, self.venue.leverage(acct, inst), order_margin))
        return rows

    def futures_account(self, call: Call, *, v2: bool) -> dict[str, Any]:
        """``GET /fapi/v2/account`` and ``/fapi/v3/account`` (v3 lists only open positions)."""
        assets = self._futures_assets(call)
        usdt = next(m for m, _ in assets if m.asset == "USDT")
        body: dict[str, Any] = {}
        if v2:
            body.update(feeTier=0, canTrade=call.acct.may_trade, canDeposit=True, canWithdraw=True,
                        updateTime=0, multiAssetsMargin=False, tradeGroupId=-1)  # fmt: skip
        body.update(views.futures_totals(usdt))
        body["assets"] = [views.futures_asset(m, t) for m, t in assets]
        body["positions"] = [views.account_position(*row, v2=v2) for row in self._positions(call, all_symbols=v2)]
        return body

    def futures_balance(self, call: Call) -> list[dict[str, Any]]:
        """``GET /fapi/v2/balance`` and ``/fapi/v3/balance``."""
        return [views.futures_balance(m, t) for m, t in self._futures_assets(call)]

    def position_risk(self, call: Call, *, v2: bool) -> list[dict[str, Any]]:
        """``GET /fapi/v2|v3/positionRisk``; v3 lists only symbols with a position or open orders."""
        rows = self._positions(call, all_symbols=v2)
        if call.get("symbol") is not None:
            inst = self.futures.instrument(call)
            rows = [r for r in rows if r[1] is inst]
        return [views.position_risk(*row, v2=v2) for row in rows]

    def set_leverage(self, call: Call) -> dict[str, Any]:
        """``POST /fapi/v1/leverage``."""
        inst = self.futures.instrument(call)
        raw = call.require("leverage")
        if not raw.isdigit() or not 1 <= int(raw) <= inst.max_leverage:
            raise BinanceError(400, -4028, f"Leverage {raw} is not valid")
        leverage = self.venue.set_leverage(call.acct.account_id, inst.exchange_id, int(raw))
        return {"leverage": leverage, "maxNotionalValue": "1000000000", "symbol": views.wire_symbol(inst)}

    def leverage_brackets(self, call: Call) -> list[dict[str, Any]]:
        """``GET /fapi/v1/leverageBracket``."""
        insts = [self.futures.instrument(call)] if call.get("symbol") else self.venue.catalog.of(Market.LINEAR)
        return [markets.leverage_bracket(i) for i in insts]

    def futures_account_config(self, call: Call) -> dict[str, Any]:
        """``GET /fapi/v1/accountConfig``."""
        ok = call.acct.may_trade
        return {"feeTier": 0, "canTrade": ok, "canDeposit": True, "canWithdraw": True, "dualSidePosition": False,
                "updateTime": 0, "multiAssetsMargin": False, "tradeGroupId": -1}  # fmt: skip

    # /sapi wallet -----------------------------------------------------------------------------

    def funding_assets(self, call: Call) -> list[dict[str, Any]]:
        """``POST /sapi/v1/asset/get-funding-asset``."""
        return views.funding_assets(call.acct, self.funding_wallet, call.get("asset"))

    def user_assets(self, call: Call) -> list[dict[str, Any]]:
        """``POST /sapi/v3/asset/getUserAsset``: positive spot balances."""
        asset = call.get("asset")
        return [
            {"asset": a, "free": views.plain(b.free), "locked": views.plain(b.locked), "freeze": "0",
             "withdrawing": "0", "ipoable": "0", "btcValuation": views.plain(self._value(a, b.total, "BTC"))}
            for a, b in sorted(call.acct.assets(self.spot_wallet).items())
            if asset is None or a == asset
        ]  # fmt: skip

    def wallet_balances(self, call: Call) -> list[dict[str, Any]]:
        """``GET /sapi/v1/asset/wallet/balance``: every wallet's total in ``quoteAsset`` (default BTC)."""
        quote = call.get("quoteAsset") or "BTC"
        acct = call.acct
        ours = {"Spot": self.spot_wallet, "Funding": self.funding_wallet, "USDⓈ-M Futures": self.futures_wallet}
        rows = []
        for name in _WALLET_NAMES:
            wallet = ours.get(name)
            total = ZERO
            if wallet is not None:
                total = sum((self._value(a, b.total, quote) for a, b in acct.assets(wallet).items()), ZERO)
            rows.append({"activate": True, "balance": f"{total:.8f}", "walletName": name})
        return rows

    def _value(self, asset: str, amount: Decimal, quote: str) -> Decimal:
        """``amount`` of ``asset`` in ``quote`` at the venue's prices (through USDT when needed)."""
        if asset == quote or not amount:
            return amount
        pairs = set(self.venue.prices.pairs())
        if f"{asset}/{quote}" in pairs:
            return amount * self.venue.prices.get(f"{asset}/{quote}")
        if f"{quote}/{asset}" in pairs:
            return amount / self.venue.prices.get(f"{quote}/{asset}")
        if asset != "USDT" and quote != "USDT":
            return self._value("USDT", self._value(asset, amount, "USDT"), quote)
        return ZERO

    def transfer(self, call: Call) -> dict[str, Any]:
        """``POST /sapi/v1/asset/transfer`` (universal transfer) between Spot, USDⓈ-M and Funding."""
        route = self._transfer_types.get(call.require("type"))
        if route is None:
            raise bad_value("type")
        asset = call.require("asset")
        amount = decimal_param(call, "amount", required=True)
        assert amount is not None
        if amount <= 0:
            raise bad_value("amount")
        self.venue.transfer(call.acct.account_id, asset, amount, *route)
        tran_id = next(self._tran_ids)
        self._transfers.setdefault(call.acct.account_id, []).append(
            {"asset": asset, "amount": views.plain(amount), "type": call.require("type"), "status": "CONFIRMED",
             "tranId": tran_id, "timestamp": call.now_ms}
        )  # fmt: skip
        return {"tranId": tran_id}

    def coins(self, call: Call) -> list[dict[str, Any]]:
        """``GET /sapi/v1/capital/config/getall``."""
        acct = call.acct
        return [
            markets.coin_info(a, acct.balance(self.spot_wallet, a).free, acct.balance(self.spot_wallet, a).locked)
            for a in self.assets
        ]

    # /sapi account ----------------------------------------------------------------------------

    def api_restrictions(self, call: Call) -> dict[str, Any]:
        """``GET /sapi/v1/account/apiRestrictions``: the key's own flags (exchanges.md §1.2)."""
        key = call.key
        assert key is not None
        perms = key.permissions
        body: dict[str, Any] = {
            "ipRestrict": bool(key.ips),
            "createTime": key.created_ms,
            # Binance keys always read: "the default restrictions is Enable Reading" and it cannot be removed.
            "enableReading": True,
            "enableWithdrawals": Permission.WITHDRAW in perms,
            "enableInternalTransfer": Permission.INTERNAL_TRANSFER in perms,
            "enableMargin": False,
            "enableFutures": Permission.FUTURES_TRADE in perms,
            "permitsUniversalTransfer": Permission.TRANSFER in perms,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": Permission.SPOT_TRADE in perms,
            "enablePortfolioMarginTrading": False,
        }
        if key.expires_at is not None:
            body["tradingAuthorityExpirationTime"] = int(key.expires_at.timestamp() * 1000)
        return body

    def account_status(self, call: Call) -> dict[str, Any]:
        """``GET /sapi/v1/account/status``: "Normal" unless the account is frozen or may not trade."""
        acct = call.acct
        return {"data": "Normal" if acct.may_trade else "Frozen" if acct.frozen else "Trading disabled"}

    def api_trading_status(self, call: Call) -> dict[str, Any]:
        """``GET /sapi/v1/account/apiTradingStatus``."""
        locked = not call.acct.may_trade
        return {"data": {"isLocked": locked, "plannedRecoverTime": 0,
                         "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
                         "updateTime": call.now_ms}}  # fmt: skip

    def transfer_history(self, call: Call) -> dict[str, Any]:
        """``GET /sapi/v1/asset/transfer``: the account's universal transfers of one ``type``, newest first."""
        kind = call.require("type")
        if kind not in self._transfer_types:
            raise bad_value("type")
        rows = [t for t in reversed(self._transfers.get(call.acct.account_id, [])) if t["type"] == kind]
        return {"total": len(rows), "rows": rows}

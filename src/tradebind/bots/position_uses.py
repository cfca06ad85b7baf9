"""The futures positions an owner's trading bots use, read from the store for the pure rule of
:mod:`.shared_positions`. The cabinet asks before it starts or reconfigures a bot; the runner
asks again before a bot's first action, because two starts racing each other (or a bot started
by a version without the rule) both passed the cabinet's check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..domain.credentials import Bot, BotState
from ..domain.market import Market
from ..store.bindings import BindingRepository
from ..store.bots import BotRepository
from ..store.engine import Store
from .shared_positions import PositionUse, position_conflict
from .strategies.dca import DcaParams, DcaParamsError
from .symbols import ccxt_symbol

__all__ = ["TRADING", "PositionUses"]

TRADING = (BotState.RUNNING, BotState.PAUSED)  # bots that hold (or will hold) their position


class PositionUses:
    """One owner's bots and the positions they use. Blocking store reads: call off the event loop."""

    def __init__(self, store: Store, owner_id: str) -> None:
        self._bindings = BindingRepository(store, owner_id)
        self._bots = BotRepository(store, owner_id)
        self._accounts: dict[str, str] = {}

    def conflict(
        self, bot_id: str, name: str, binding_id: str, symbol: str, params: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """``(field, message)`` if a bot run with these settings would share a futures position
        with any of the owner's trading bots that uses another leverage or direction."""
        return self._conflict(self._use(bot_id, name, binding_id, symbol, params), lambda _: True)

    def conflict_with_earlier(self, bot: Bot) -> tuple[str, str] | None:
        """The same, against the trading bots created before ``bot`` only: of two bots that
        conflict, the earlier one keeps running, whichever of them is looked at first."""
        rank = (bot.created_at, bot.id)
        mine = self._use(bot.id, bot.name, bot.binding_id, bot.symbol, bot.params)
        return self._conflict(mine, lambda other: (other.created_at, other.id) < rank)

    def _conflict(self, mine: PositionUse | None, counts: Callable[[Bot], bool]) -> tuple[str, str] | None:
        if mine is None:
            return None
        others = (
            self._use(b.id, b.name, b.binding_id, b.symbol, b.params)
            for b in self._bots.all()
            if b.state in TRADING and counts(b)
        )
        return position_conflict(mine, [u for u in others if u is not None])

    def _use(
        self, bot_id: str, name: str, binding_id: str | None, symbol: str, params: Mapping[str, Any]
    ) -> PositionUse | None:
        try:
            settings = DcaParams.parse(params)
        except DcaParamsError:
            return None  # a bot that cannot run holds no position
        if binding_id is None or settings.market is not Market.FUTURES:
            return None
        if binding_id not in self._accounts:
            self._accounts[binding_id] = self._bindings.resolve(binding_id).account_key
        symbol = ccxt_symbol(symbol, settings)
        return PositionUse(bot_id, name, self._accounts[binding_id], symbol, settings.direction, settings.leverage)

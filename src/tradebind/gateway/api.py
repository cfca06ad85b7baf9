"""The gateway's contract with the bots: intents in, results out, never secrets.

Bots (and the web cabinet) call a :class:`Gateway` with a :class:`BindingRef`. The gateway
resolves binding → current credential version → plaintext (inside itself only) → rate budget →
ccxt call → activity record, and returns plain results. Implemented by
:class:`tradebind.gateway.service.GatewayService`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Protocol

from ..domain.verdicts import Verdict
from ..store.errors import NotFound


@dataclass(frozen=True, slots=True)
class BindingRef:
    """Which owner's binding a request is for; every lookup is scoped by the owner."""

    owner_id: str
    binding_id: str


class OrderSide(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderKind(enum.StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class OrderState(enum.StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What a bot wants placed. ``(bot_id, deal_id, step)`` names the order for good: the gateway
    derives the exchange client order id from it, so retrying the same intent can never place a
    second order."""

    bot_id: str
    deal_id: str
    step: str  # e.g. "base", "so1", "tp", "sl"
    symbol: str  # ccxt unified symbol: "BTC/USDT" (spot) or "BTC/USDT:USDT" (linear)
    side: OrderSide
    kind: OrderKind
    amount: Decimal  # base units (ccxt amount)
    price: Decimal | None = None
    reduce_only: bool = False


class OrderResult(NamedTuple):
    """An order as the exchange reports it. A named tuple: immutable, and made for every order
    request, where a frozen dataclass of eleven fields costs about three times as much."""

    client_order_id: str
    exchange_order_id: str
    symbol: str
    side: OrderSide
    kind: OrderKind
    state: OrderState
    amount: Decimal
    filled: Decimal
    average_price: Decimal | None
    price: Decimal | None
    fee_quote: Decimal


@dataclass(frozen=True, slots=True)
class PositionView:
    symbol: str
    contracts: Decimal  # signed base units (ccxt contracts × contract size): negative is short
    entry_price: Decimal
    mark_price: Decimal
    unrealised_pnl: Decimal
    leverage: int


@dataclass(frozen=True, slots=True)
class BalanceView:
    """The binding's trading account in the quote currency, shared by every bot on the binding."""

    asset: str
    wallet_balance: Decimal
    available: Decimal
    fetched_at_ms: int


class GatewayError(Exception):
    """A request the gateway did not carry out. The message is safe to show; never key material."""


class BindingNotFound(GatewayError, NotFound):
    """No such binding for this owner (or it was deleted): a gateway error that is also the
    store's :class:`~tradebind.store.errors.NotFound` (field ``binding_id``), so callers that map
    store errors to 404 keep doing so."""


class BindingPaused(GatewayError):
    """The binding's circuit is open after an authentication or permission failure: every bot on it
    waits until a successful re-check. ``verdict`` and ``fix`` say what the user must do."""

    def __init__(self, verdict: Verdict, fix: str) -> None:
        super().__init__(f"binding paused: {verdict.value}")
        self.verdict = verdict
        self.fix = fix


class GuardRefused(GatewayError):
    """The binding's guards (allowed symbols, maximum order value) refused the intent."""


class OrderRejected(GatewayError):
    """The exchange rejected the order (funds, filters); retrying the same intent will not help."""


class Gateway(Protocol):
    async def place_order(self, ref: BindingRef, intent: OrderIntent) -> OrderResult:
        """Place the intent's order exactly once, whatever the network does.

        After an unknown outcome (timeout, dropped connection, 5xx, Binance -1007) the gateway
        queries by client order id before anything is retried; calling again with the same intent
        after a crash returns the existing order instead of placing another.
        """
        ...

    async def cancel_order(self, ref: BindingRef, symbol: str, client_order_id: str) -> OrderResult: ...

    async def query_order(self, ref: BindingRef, symbol: str, client_order_id: str) -> OrderResult | None:
        """The order by client id, or None when the exchange has never seen it."""
        ...

    async def open_orders(self, ref: BindingRef, symbol: str | None = None) -> list[OrderResult]:
        """Shared read: fetched once per refresh for all bots on the binding."""
        ...

    async def positions(self, ref: BindingRef) -> list[PositionView]: ...

    async def balance(self, ref: BindingRef) -> BalanceView:
        """Shared read: fetched once per refresh for all bots on the binding."""
        ...

    async def set_leverage(self, ref: BindingRef, symbol: str, leverage: int) -> int:
        """Set the account's leverage for a linear contract ``symbol`` (idempotent); returns it.

        The leverage is the account's, per symbol, on the exchange: every bot trading ``symbol``
        on the binding's key shares it.
        """
        ...

    def client_order_id(self, ref: BindingRef, intent: OrderIntent) -> str:
        """The deterministic exchange client order id of an intent (within the exchange's rules)."""
        ...

"""A desk for gateway tests: a store, a vault, an owner, and bindings to sandbox keys.

Keys are created on the sandbox through its control API, stored as credentials through the real
store and vault, and bound to a market, exactly as a user connects an exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.check.support import PASSPHRASE, VENUES
from tests.support.control import Control
from tradebind.domain.key_material import validate_key_material
from tradebind.domain.market import Market
from tradebind.exchanges.base import Endpoint
from tradebind.gateway.api import BindingRef, OrderIntent, OrderKind, OrderSide
from tradebind.gateway.request_journal import journal_directory
from tradebind.gateway.service import GatewayService
from tradebind.store import BindingRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.store.activity import ActivityEntry, ActivityRepository
from tradebind.vault import EnvelopeVault, LocalFileKekProvider

EXCHANGES = ("binance", "okx", "bybit")
SYMBOL = {Market.SPOT: "BTC/USDT", Market.FUTURES: "BTC/USDT:USDT"}
# A resting buy far below the sandbox's BTC price: it stays open, so tests can see it.
RESTING = {Market.SPOT: (Decimal("0.02"), Decimal("1000")), Market.FUTURES: (Decimal("0.01"), Decimal("20000"))}


@dataclass
class Connected:
    """One binding of the desk's owner to a sandbox key."""

    ref: BindingRef
    exchange: str
    market: Market
    account: str
    api_key: str
    credential_id: str
    secret: str = field(repr=False)  # the key's secret, for leak scans


@dataclass
class Desk:
    store: Store
    vault: EnvelopeVault
    control: Control
    base_url: str
    owner_id: str
    bindings: list[Connected] = field(default_factory=list)

    def sandbox_key(self, exchange: str, market: Market, account: str) -> dict[str, Any]:
        extra: dict[str, Any] = {"passphrase": PASSPHRASE} if VENUES[exchange].passphrase else {}
        return self.control.create_key(exchange, account, VENUES[exchange].trade[market], **extra)

    def material(self, exchange: str, key: dict[str, Any]) -> Any:
        phrase = PASSPHRASE if VENUES[exchange].passphrase else None
        return validate_key_material(exchange, key["api_key"], key["secret"], phrase)

    def connect(self, exchange: str, market: Market, account: str, usdt: str = "10000") -> Connected:
        key = self.sandbox_key(exchange, market, account)
        self.control.deposit(exchange, account, VENUES[exchange].trading[market], "USDT", usdt)
        credentials = CredentialRepository(self.store, self.vault, self.owner_id)
        credential = credentials.add(self.material(exchange, key), f"{exchange} {account}")
        binding = BindingRepository(self.store, self.owner_id).add(credential.id, market.value, f"{market.value} bots")
        connected = Connected(
            BindingRef(self.owner_id, binding.id),
            exchange,
            market,
            account,
            key["api_key"],
            credential.id,
            key["secret"],
        )
        self.bindings.append(connected)
        return connected

    def replace_key(self, connected: Connected, *, delete_old: bool = True) -> str:
        """A new sandbox key for the same account replaces the credential's material; the old
        key is deleted on the sandbox, so any later use of it fails. Returns the new key id."""
        key = self.sandbox_key(connected.exchange, connected.market, connected.account)
        credentials = CredentialRepository(self.store, self.vault, self.owner_id)
        credentials.replace_material(connected.credential_id, self.material(connected.exchange, key))
        if delete_old:
            self.control.delete_key(connected.api_key)
        connected.api_key, connected.secret = key["api_key"], key["secret"]
        return str(key["api_key"])

    def gateway(self, **kwargs: Any) -> GatewayService:
        return GatewayService(self.store, self.vault, Endpoint(sandbox_url=self.base_url), **kwargs)

    def journal_directory(self) -> Path:
        """Where the gateways' request journals of this desk's database are."""
        sqlite_file = self.store.sqlite_file
        assert sqlite_file is not None, "request journals are kept for a SQLite file only"
        return journal_directory(sqlite_file)

    def records(self, limit: int = 1000) -> list[ActivityEntry]:
        """The owner's exchange-request records, oldest first."""
        entries = ActivityRepository(self.store, self.owner_id).recent(limit=limit)
        return [e for e in reversed(entries) if e.action == "exchange.request"]

    def exchange_orders(self, connected: Connected) -> list[dict[str, Any]]:
        return self.control.orders(connected.exchange, connected.account)


def resting_intent(market: Market, bot: str = "bot-1", deal: str = "deal-1", step: str = "base") -> OrderIntent:
    amount, price = RESTING[market]
    return OrderIntent(bot, deal, step, SYMBOL[market], OrderSide.BUY, OrderKind.LIMIT, amount, price)


@contextmanager
def desk(base_url: str, tmp_path: Path, url: str | None = None) -> Iterator[Desk]:
    store = Store.open(url or f"sqlite:///{tmp_path / 'data' / 'tradebind.sqlite3'}")
    try:
        vault = EnvelopeVault(LocalFileKekProvider(tmp_path / "tradebind.kek"))
        owner = OwnerDirectory(store).create("alice")
        yield Desk(store, vault, Control(base_url), base_url, owner.id)
    finally:
        store.close()

"""The bots suite's helpers: a store with owners, keys and bots on the sandbox; the worker as a
real ``tradebind worker`` subprocess; the exchange's and tradebind's order lists side by side."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.check.support import VENUES, fund, new_key
from tests.support.control import Control
from tradebind.domain.credentials import Bot
from tradebind.domain.key_material import validate_key_material
from tradebind.domain.market import Market
from tradebind.store import BindingRepository, BotRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.store.deals import DealOrderRecord, DealRepository
from tradebind.vault import EnvelopeVault, LocalFileKekProvider

# What the sandbox's order statuses mean in tradebind's deal-order states.
EXCHANGE_STATES = {"new": "open", "filled": "filled", "canceled": "canceled", "rejected": "rejected"}


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


@dataclass
class Deployment:
    """One tradebind installation on disk (SQLite store + local KEK file) used by test and worker."""

    root: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TRADEBIND_DATA_DIR": str(self.root / "data"),
            "TRADEBIND_KEK_FILE": str(self.root / "tradebind.kek"),
            "TRADEBIND_DATABASE_URL": f"sqlite:///{self.root / 'data' / 'tradebind.sqlite3'}",
        }

    def open(self, database_url: str | None = None) -> tuple[Store, EnvelopeVault]:
        """The store (this deployment's SQLite file, or ``database_url``) and the vault."""
        store = Store.open(database_url or self.env["TRADEBIND_DATABASE_URL"])
        return store, EnvelopeVault(LocalFileKekProvider(self.root / "tradebind.kek"))


def add_bots(
    store: Store,
    vault: EnvelopeVault,
    control: Control,
    *,
    exchange: str,
    accounts: Iterable[str],
    bots_per_binding: int,
    symbol: str,
    params: Callable[[int], dict[str, Any]],
    deposit: str = "1000000",
    market: str = "spot",
) -> tuple[str, list[Bot]]:
    """An owner with one key per exchange account (read + trade), a binding each, bots running."""
    owner = OwnerDirectory(store).create(f"soak-{time.monotonic_ns()}")
    credentials = CredentialRepository(store, vault, owner.id)
    bindings, bot_repo = BindingRepository(store, owner.id), BotRepository(store, owner.id)
    bots: list[Bot] = []
    chosen = Market(market)
    for account in accounts:
        key = new_key(control, exchange, account, VENUES[exchange].trade[chosen])
        fund(control, exchange, chosen, account, deposit)
        phrase = key.passphrase.reveal() if key.passphrase is not None else None
        material = validate_key_material(exchange, key.api_key.reveal(), key.secret.reveal(), phrase)
        binding = bindings.add(credentials.add(material, f"key {account}").id, market, f"{market} {account}")
        for n in range(bots_per_binding):
            bot = bot_repo.add(f"dca {account} {n}", binding.id, symbol, "dca", params(len(bots)))
            bots.append(bot_repo.set_state(bot.id, "running"))
    return owner.id, bots


def stored_orders(store: Store, owner_id: str, bots: Iterable[Bot]) -> list[DealOrderRecord]:
    deals = DealRepository(store, owner_id)
    return [o for bot in bots for o in deals.orders(bot.id)]


def exchange_view(
    control: Control, exchange: str, accounts: Iterable[str], contract_size: Decimal = Decimal(1)
) -> dict[str, tuple[str, Decimal]]:
    """client order id → (state, filled in base units) of every order on the exchange accounts;
    fails on a duplicate. The sandbox counts contracts' quantities in contracts (``contract_size``
    base units each: 0.01 BTC on OKX swaps); tradebind in base units."""
    seen: dict[str, tuple[str, Decimal]] = {}
    for account in accounts:
        for order in control.orders(exchange, account):
            cid = order["client_order_id"]
            assert cid not in seen, f"duplicate order on the exchange: client order id {cid}"
            seen[cid] = (EXCHANGE_STATES[order["status"]], Decimal(order["filled_qty"]) * contract_size)
    return seen


def tradebind_view(orders: Iterable[DealOrderRecord]) -> dict[str, tuple[str, Decimal]]:
    """The same for tradebind's deal orders that may exist on the exchange (refused ones never do)."""
    return {o.client_order_id: (o.state, o.filled) for o in orders if o.state != "rejected"}


class Worker:
    """``tradebind worker`` as a real subprocess, its output in a log file."""

    def __init__(self, deployment: Deployment, sandbox_url: str, *args: str) -> None:
        self._deployment = deployment
        self._argv = [sys.executable, "-m", "tradebind.cli", "worker", "--sandbox-url", sandbox_url, *args]
        self.log = deployment.root / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self._argv, env=self._deployment.env, stdout=out, stderr=out)
        self.starts += 1
        wait_for(lambda: self.log.read_text().count("running (tick every") >= self.starts, 60, "the worker to start")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs in the worker."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

"""Which exchange account a binding trades on: keys of one account share one key, unknown ones stay apart."""

from __future__ import annotations

from datetime import UTC, datetime

from tradebind.domain.credentials import Binding, Exchange, ResolvedBinding
from tradebind.domain.market import Market


def resolved(exchange: str, credential: str, account: str | None) -> ResolvedBinding:
    binding = Binding("b-1", "owner-1", credential, Market.FUTURES, "label", datetime.now(UTC))
    return ResolvedBinding(binding, credential, Exchange(exchange), 1, f"v-{credential}", "abcd…wxyz", account)


def test_keys_of_one_exchange_account_are_one_account() -> None:
    assert resolved("okx", "cred-1", "100000001").account_key == resolved("okx", "cred-2", "100000001").account_key
    assert resolved("okx", "cred-1", "100000001").account_key != resolved("okx", "cred-1", "100000002").account_key


def test_account_ids_are_per_exchange_and_unknown_accounts_are_kept_apart() -> None:
    assert resolved("okx", "cred-1", "7").account_key != resolved("bybit", "cred-1", "7").account_key
    assert resolved("binance", "cred-1", None).account_key != resolved("binance", "cred-2", None).account_key

"""A frozen OKX account: every private call answers 50007 "User blocked." (exchanges.md §2.4)."""

from __future__ import annotations

import ccxt
import pytest

from tests.support.control import Control

from .conftest import DriverFactory, new_key


@pytest.mark.parametrize("call", ["fetch_balance", "account_config", "create_order"])
def test_every_private_call_of_a_frozen_account_is_50007(
    okx: DriverFactory, control: Control, account: str, call: str
) -> None:
    control.deposit("okx", account, "trading", "USDT", "1000")
    client = okx(new_key(control, account))
    control.set_account("okx", account, frozen=True)
    calls = {
        "fetch_balance": lambda: client.fetch_balance(),
        "account_config": lambda: client.privateGetAccountConfig(),
        "create_order": lambda: client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000),
    }
    with pytest.raises(ccxt.AccountSuspended, match="50007"):
        calls[call]()
    control.set_account("okx", account, frozen=False)
    assert client.fetch_balance()["USDT"]["free"] == 1000

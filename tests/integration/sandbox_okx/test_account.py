"""Account configuration, funding and trading balances, and transfers between them."""

from __future__ import annotations

import ccxt
import pytest

from tests.support.control import Control

from .conftest import DriverFactory, new_key


@pytest.mark.parametrize(
    ("permissions", "perm"),
    [
        (["read"], "read_only"),
        (["read", "trade"], "read_only,trade"),
        (["read", "trade", "withdraw"], "read_only,trade,withdraw"),
    ],
)
def test_account_config_shows_the_key(
    okx: DriverFactory, control: Control, account: str, permissions: list[str], perm: str
) -> None:
    creds = new_key(control, account, permissions, label="dca bot", ips=["127.0.0.1", "10.0.0.0/8"])
    config = okx(creds).privateGetAccountConfig()["data"][0]
    assert config["perm"] == perm
    assert config["ip"] == "127.0.0.1,10.0.0.0/8"
    assert config["label"] == "dca bot"
    assert config["acctLv"] == "2"
    assert config["posMode"] == "net_mode"
    assert config["uid"] == config["mainUid"]
    assert config["type"] == "0"


def test_sub_account_reports_its_main_uid(okx: DriverFactory, control: Control, account: str) -> None:
    main = okx(new_key(control, account)).privateGetAccountConfig()["data"][0]
    sub = okx(new_key(control, f"{account}/sub1")).privateGetAccountConfig()["data"][0]
    assert sub["mainUid"] == main["uid"] != sub["uid"]
    assert sub["type"] == "1"


def test_fetch_accounts_reads_uid_and_level(okx: DriverFactory, credentials: dict[str, str]) -> None:
    accounts = okx(credentials).fetch_accounts()
    assert len(accounts) == 1
    assert accounts[0]["type"] == "2"


def test_funding_and_trading_balances_are_apart(
    okx: DriverFactory, control: Control, account: str, credentials: dict[str, str]
) -> None:
    control.deposit("okx", account, "funding", "USDT", "1000")
    control.deposit("okx", account, "trading", "BTC", "0.5")
    client = okx(credentials)
    funding = client.fetch_balance({"type": "funding"})
    trading = client.fetch_balance()
    assert funding["USDT"] == {"free": 1000.0, "used": 0.0, "total": 1000.0}
    assert "BTC" not in funding
    assert trading["BTC"] == {"free": 0.5, "used": 0.0, "total": 0.5}
    assert "USDT" not in trading
    raw = funding["info"]["data"]
    assert raw == [{"availBal": "1000", "bal": "1000", "ccy": "USDT", "frozenBal": "0"}]


def test_transfers_move_funds_both_ways(
    okx: DriverFactory, control: Control, account: str, credentials: dict[str, str]
) -> None:
    control.deposit("okx", account, "funding", "USDT", "1000")
    client = okx(credentials)
    moved = client.transfer("USDT", 400, "funding", "trading")
    assert (moved["fromAccount"], moved["toAccount"], moved["amount"]) == ("funding", "trading", 400.0)
    assert (moved["info"]["from"], moved["info"]["to"]) == ("6", "18")
    client.transfer("USDT", 150, "trading", "funding")
    assert client.fetch_balance({"type": "funding"})["USDT"]["total"] == 750
    trading = client.fetch_balance()
    assert trading["USDT"]["total"] == 250
    detail = trading["info"]["data"][0]["details"][0]
    assert (detail["cashBal"], detail["availBal"], detail["availEq"], detail["eq"]) == ("250", "250", "250", "250")
    assert trading["info"]["data"][0]["totalEq"] == "250"


def test_transfer_beyond_the_balance_is_refused(
    okx: DriverFactory, control: Control, account: str, credentials: dict[str, str]
) -> None:
    control.deposit("okx", account, "funding", "USDT", "10")
    with pytest.raises(ccxt.InsufficientFunds, match="58350"):
        okx(credentials).transfer("USDT", 11, "funding", "trading")
    assert control.balances("okx", account)["wallets"]["funding"]["USDT"]["free"] == "10"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ccy": "USDT", "amt": "1", "from": "6", "to": "7", "type": "0"}, "to"),
        ({"ccy": "USDT", "amt": "1", "from": "1", "to": "18", "type": "0"}, "from"),
        ({"ccy": "USDT", "amt": "-1", "from": "6", "to": "18", "type": "0"}, "amt"),
        ({"ccy": "USDT", "amt": "abc", "from": "6", "to": "18", "type": "0"}, "amt"),
        ({"ccy": "USDT", "amt": "1", "from": "6", "to": "18", "type": "1"}, "type"),
    ],
)
def test_bad_transfer_parameters_are_named(
    okx: DriverFactory, credentials: dict[str, str], body: dict[str, str], field: str
) -> None:
    with pytest.raises(ccxt.BadRequest) as raised:
        okx(credentials).privatePostAssetTransfer(body)
    assert f'"code":"51000","msg":"Parameter {field} error"' in str(raised.value)


def test_asset_valuation_says_where_the_funds_are(
    okx: DriverFactory, control: Control, account: str, credentials: dict[str, str]
) -> None:
    control.deposit("okx", account, "funding", "USDT", "300")
    control.deposit("okx", account, "trading", "USDT", "100")
    data = okx(credentials).privateGetAssetAssetValuation({"ccy": "USDT"})["data"][0]
    assert data["details"]["funding"] == "300"
    assert data["details"]["trading"] == "100"
    assert data["totalBal"] == "400"

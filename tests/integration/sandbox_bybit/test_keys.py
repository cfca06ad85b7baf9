"""``/v5/user/query-api`` through ccxt: what a Bybit key may do, where from, and until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.sandbox_bybit.conftest import BybitDesk


def _info(desk: BybitDesk, creds: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    response = desk.client(creds, **kwargs).privateGetV5UserQueryApi()
    assert response["retCode"] == 0
    return response["result"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("permissions", "read_only", "expected"),
    [
        (["read"], 1, {"ContractTrade": [], "Spot": [], "Wallet": []}),
        (["read", "spot"], 0, {"ContractTrade": [], "Spot": ["SpotTrade"], "Wallet": []}),
        (["futures"], 0, {"ContractTrade": ["Order", "Position"], "Spot": [], "Wallet": []}),
        (["transfer"], 0, {"ContractTrade": [], "Spot": [], "Wallet": ["AccountTransfer"]}),
        (["withdraw", "transfer"], 0, {"ContractTrade": [], "Spot": [], "Wallet": ["AccountTransfer", "Withdraw"]}),
    ],
)
def test_permissions_in_bybit_terms(
    desk: BybitDesk, permissions: list[str], read_only: int, expected: dict[str, list[str]]
) -> None:
    creds = desk.key(permissions)
    info = _info(desk, creds)
    assert info["apiKey"] == creds["apiKey"]
    assert info["secret"] == ""
    assert info["readOnly"] == read_only
    assert {k: info["permissions"][k] for k in expected} == expected


def test_key_material_looks_like_bybit(desk: BybitDesk) -> None:
    creds = desk.key()
    assert len(creds["apiKey"]) == 18
    assert creds["apiKey"].isalnum()
    assert len(creds["secret"]) == 36
    assert creds["secret"].isalnum()


def test_key_without_ips_expires_after_90_days(desk: BybitDesk) -> None:
    info = _info(desk, desk.key())
    assert info["ips"] == ["*"]
    created = datetime.strptime(info["createdAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(info["expiredAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires - created == timedelta(days=90)
    assert info["deadlineDay"] == 90


def test_key_bound_to_ips_lists_them_and_does_not_expire(desk: BybitDesk) -> None:
    info = _info(desk, desk.key(ips=["127.0.0.2", "10.1.0.0/16"]), source_ip="127.0.0.2")
    assert info["ips"] == ["127.0.0.2", "10.1.0.0/16"]
    assert info["expiredAt"] == ""


def test_key_near_expiry_reports_its_remaining_days(desk: BybitDesk) -> None:
    expires = (datetime.now(UTC) + timedelta(days=3, hours=1)).replace(microsecond=0)
    info = _info(desk, desk.key(expires_at=expires.isoformat()))
    assert info["expiredAt"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info["deadlineDay"] == 4  # a day started counts, as "remaining valid days"


def test_master_and_sub_account_keys(desk: BybitDesk) -> None:
    master = _info(desk, desk.key())
    sub = _info(desk, desk.key(account=f"{desk.account}/sub1"))
    assert master["isMaster"] is True
    assert master["parentUid"] == "0"
    assert sub["isMaster"] is False
    assert sub["parentUid"] == str(master["userID"])
    assert sub["userID"] != master["userID"]


def test_ccxt_learns_the_account_is_unified(desk: BybitDesk) -> None:
    client = desk.client(desk.key(["read"]))
    client.fetch_balance()
    assert client.options["enableUnifiedAccount"] is True
    assert client.options["unifiedMarginStatus"] == 5

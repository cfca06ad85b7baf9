"""A thin client of the sandbox control API for tests (plain HTTP, no tradebind code involved)."""

from __future__ import annotations

from typing import Any

import requests


class ControlError(AssertionError):
    """The control API refused a request a test expected to succeed."""


class Control:
    def __init__(self, base_url: str) -> None:
        self.base = f"{base_url}/sandbox/v1"
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        if resp.status_code >= 400:
            raise ControlError(f"{method} {path} -> {resp.status_code} {resp.text}")
        return resp.json()

    def create_key(self, exchange: str, account: str, permissions: list[str], **extra: Any) -> dict[str, str]:
        body = {"exchange": exchange, "account": account, "permissions": permissions, **extra}
        return self._call("POST", "/keys", json=body)  # type: ignore[no-any-return]

    def keys(self, exchange: str, account: str | None = None) -> list[dict[str, Any]]:
        params = {"exchange": exchange, **({"account": account} if account else {})}
        return self._call("GET", "/keys", params=params)  # type: ignore[no-any-return]

    def delete_key(self, api_key: str) -> None:
        self._call("DELETE", f"/keys/{api_key}")

    def deposit(self, exchange: str, account: str, wallet: str, asset: str, amount: str) -> dict[str, Any]:
        body = {"exchange": exchange, "account": account, "wallet": wallet, "asset": asset, "amount": amount}
        return self._call("POST", "/deposits", json=body)  # type: ignore[no-any-return]

    def balances(self, exchange: str, account: str) -> dict[str, Any]:
        return self._call("GET", "/balances", params={"exchange": exchange, "account": account})  # type: ignore[no-any-return]

    def set_price(self, exchange: str, symbol: str, price: str) -> None:
        self._call("POST", "/prices", json={"exchange": exchange, "symbol": symbol, "price": price})

    def fault(self, exchange: str, kind: str, **params: Any) -> None:
        self._call("POST", "/faults", json={"exchange": exchange, "kind": kind, **params})

    def clear_faults(self, exchange: str | None = None) -> None:
        self._call("DELETE", "/faults", params={"exchange": exchange} if exchange else {})

    def set_trading(self, exchange: str, account: str, enabled: bool) -> None:
        self._call("POST", "/accounts", json={"exchange": exchange, "account": account, "trading_enabled": enabled})

    def orders(self, exchange: str, account: str) -> list[dict[str, Any]]:
        return self._call("GET", "/orders", params={"exchange": exchange, "account": account})  # type: ignore[no-any-return]

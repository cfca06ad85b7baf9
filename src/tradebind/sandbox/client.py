"""A client of the sandbox control API (``/sandbox/v1``), for tests, benchmarks and users' own CI.

Plain HTTP over ``requests``; no other tradebind code is involved, so what it exercises is the
control API as any outside program sees it::

    control = SandboxControl("http://127.0.0.1:8080")
    key = control.create_key("binance", "alice", ["read", "spot"], ips=["127.0.0.1"])
    control.deposit("binance", "alice", "spot", "USDT", "1000")
    control.set_account("binance", "alice", frozen=True)

Every refusal raises :class:`SandboxControlError` with the HTTP status and the field the control
API named. Secrets appear only in the return value of :meth:`SandboxControl.create_key`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import requests

DEFAULT_TIMEOUT_S = 30.0


class SandboxControlError(Exception):
    """The control API refused a request: ``status`` (4xx), ``field`` it named (or None), ``message``."""

    def __init__(self, method: str, path: str, status: int, field: str | None, message: str) -> None:
        super().__init__(f"{method} {path} -> {status} {message}")
        self.status, self.field, self.message = status, field, message


class SandboxControl:
    """The control API of the sandbox at ``base_url`` (``http://host:port``, no path)."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.base = f"{base_url.rstrip('/')}/sandbox/v1"
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call (``path`` under ``/sandbox/v1``); the decoded JSON answer, or raise on 4xx/5xx."""
        resp = self.http.request(method, f"{self.base}{path}", timeout=self.timeout_s, **kwargs)
        if resp.status_code >= 400:
            field, message = _error_of(resp)
            raise SandboxControlError(method, path, resp.status_code, field, message)
        return resp.json()

    # keys ---------------------------------------------------------------------------------------

    def create_key(self, exchange: str, account: str, permissions: list[str], **extra: Any) -> dict[str, str]:
        """A new key: ``{"api_key", "secret"}`` (the only time the secret is shown).

        ``extra``: ``label``, ``ips``, ``expires_at`` (ISO 8601 with zone), ``passphrase`` (OKX),
        ``environment`` ("live" or "demo").
        """
        body = {"exchange": exchange, "account": account, "permissions": permissions, **extra}
        return self.request("POST", "/keys", json=body)  # type: ignore[no-any-return]

    def keys(self, exchange: str, account: str | None = None) -> list[dict[str, Any]]:
        params = {"exchange": exchange, **({"account": account} if account else {})}
        return self.request("GET", "/keys", params=params)  # type: ignore[no-any-return]

    def delete_key(self, api_key: str) -> None:
        self.request("DELETE", f"/keys/{api_key}")

    # funds and prices ---------------------------------------------------------------------------

    def deposit(self, exchange: str, account: str, wallet: str, asset: str, amount: str) -> dict[str, Any]:
        """Credit ``amount`` of ``asset`` to ``wallet``; the account's balances after it."""
        body = {"exchange": exchange, "account": account, "wallet": wallet, "asset": asset, "amount": amount}
        return self.request("POST", "/deposits", json=body)  # type: ignore[no-any-return]

    def transfer(
        self, exchange: str, account: str, asset: str, amount: str, wallet: str, to_wallet: str
    ) -> dict[str, Any]:
        """Move funds between the account's wallets; the account's balances after it."""
        body = {"exchange": exchange, "account": account, "asset": asset, "amount": amount}
        return self.request("POST", "/transfers", json={**body, "wallet": wallet, "to_wallet": to_wallet})  # type: ignore[no-any-return]

    def balances(self, exchange: str, account: str) -> dict[str, Any]:
        return self.request("GET", "/balances", params={"exchange": exchange, "account": account})  # type: ignore[no-any-return]

    def set_price(self, exchange: str, symbol: str, price: str) -> None:
        """Set the price of ``symbol`` ("BTC/USDT"); resting orders it crosses fill."""
        self.request("POST", "/prices", json={"exchange": exchange, "symbol": symbol, "price": price})

    def prices(self, exchange: str) -> dict[str, str]:
        return self.request("GET", "/prices", params={"exchange": exchange})  # type: ignore[no-any-return]

    # faults -------------------------------------------------------------------------------------

    def fault(self, exchange: str, kind: str, **params: Any) -> None:
        """Add a fault (``latency``, ``rate_limit``, ``maintenance``, ...) with its params and ``count``."""
        self.request("POST", "/faults", json={"exchange": exchange, "kind": kind, **params})

    def faults(self, exchange: str) -> list[dict[str, Any]]:
        """The active faults with their remaining ``count`` (a counted fault is gone once used up)."""
        return self.request("GET", "/faults", params={"exchange": exchange})["faults"]  # type: ignore[no-any-return]

    def clear_faults(self, exchange: str | None = None) -> None:
        self.request("DELETE", "/faults", params={"exchange": exchange} if exchange else {})

    # accounts and orders ------------------------------------------------------------------------

    def set_account(
        self, exchange: str, account: str, *, trading_enabled: bool | None = None, frozen: bool | None = None
    ) -> dict[str, Any]:
        """Disable or enable trading, freeze or unfreeze the account; its flags after the change."""
        body: dict[str, Any] = {"exchange": exchange, "account": account}
        if trading_enabled is not None:
            body["trading_enabled"] = trading_enabled
        if frozen is not None:
            body["frozen"] = frozen
        return self.request("POST", "/accounts", json=body)  # type: ignore[no-any-return]

    def set_trading(self, exchange: str, account: str, enabled: bool) -> None:
        self.set_account(exchange, account, trading_enabled=enabled)

    def orders(self, exchange: str, account: str) -> list[dict[str, Any]]:
        return self.request("GET", "/orders", params={"exchange": exchange, "account": account})  # type: ignore[no-any-return]


def _error_of(resp: requests.Response) -> tuple[str | None, str]:
    """The control API's ``{"error": {"field", "message"}}``, or the status text for anything else."""
    try:
        error = resp.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        field = error.get("field")
        return (field if isinstance(field, str) else None), error["message"]
    return None, resp.reason or f"HTTP {resp.status_code}"

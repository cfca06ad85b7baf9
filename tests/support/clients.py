"""ccxt clients pointed at the sandbox, optionally bound to a source address (127.0.0.x).

Binding the client's source address is how tests play different client IPs against keys with an
IP allow-list: the sandbox sees the peer address of the TCP connection, as an exchange does.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import requests
from requests.adapters import HTTPAdapter

from tradebind.exchanges.registry import ADAPTERS
from tradebind.sandbox.protocols import PROTOCOLS


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source_ip: str) -> None:
        self._source = (source_ip, 0)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = self._source
        super().init_poolmanager(*args, **kwargs)


def _config(
    exchange: str,
    base_url: str,
    credentials: dict[str, str] | None,
    options: dict[str, Any] | None,
    environment: str = "live",
) -> dict[str, Any]:
    # The sandbox's URL layout is the adapter's; "demo" is the exchange's testnet / demo path where it
    # has one (OKX: the same path, demo is a header ccxt sends in sandbox mode).
    path = (PROTOCOLS[exchange].demo_path if environment == "demo" else None) or exchange
    config: dict[str, Any] = {"urls": {"api": ADAPTERS[exchange].sandbox_api_urls(f"{base_url}/{path}")}}
    config.update(credentials or {})
    if options:
        config["options"] = options
    return config


def sync_client(
    exchange: str,
    base_url: str,
    credentials: dict[str, str] | None = None,
    *,
    source_ip: str | None = None,
    options: dict[str, Any] | None = None,
    environment: str = "live",
) -> Any:
    """An unmodified sync ccxt client whose only change is its ``urls['api']`` (``environment``: "demo"
    for the exchange's testnet / demo path)."""
    client = getattr(ccxt, exchange)(_config(exchange, base_url, credentials, options, environment))
    if source_ip is not None:
        session = requests.Session()
        session.mount("http://", _SourceAddressAdapter(source_ip))
        client.session = session
    return client


def async_client(
    exchange: str,
    base_url: str,
    credentials: dict[str, str] | None = None,
    *,
    source_ip: str | None = None,
    options: dict[str, Any] | None = None,
    environment: str = "live",
) -> Any:
    """An unmodified async ccxt client; with ``source_ip`` its aiohttp session binds to it.

    Call inside a running event loop and ``await client.close()`` when done.
    """
    config = _config(exchange, base_url, credentials, options, environment)
    if source_ip is not None:
        connector = aiohttp.TCPConnector(local_addr=(source_ip, 0))
        config["session"] = aiohttp.ClientSession(connector=connector)
    return getattr(ccxt_async, exchange)(config)


async def close_async(client: Any) -> None:
    """Close an async client and the session we may have given it."""
    # ccxt's close() forgets a session it does not own (sets it to None), so keep hold of it first.
    given = None if client.own_session else client.session
    await client.close()
    if given is not None and not given.closed:
        await given.close()

"""The contract every exchange protocol module fulfils.

The ccxt ``urls['api']`` that reach a protocol are the client's business: see
:meth:`tradebind.exchanges.base.ExchangeAdapter.sandbox_api_urls`.

A protocol is a thin layer: it parses and authenticates wire requests, calls the
:class:`~tradebind.sandbox.core.Venue`, and renders results and errors exactly as its exchange
does. Exchange-specific facts (key formats, permission names, instrument specs, error codes, rate
limits) live in the protocol module and nowhere else. Adding an exchange means adding a module
and registering it in :data:`tradebind.sandbox.protocols.PROTOCOLS`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar

from aiohttp import web

from ..core import Permission, Venue, VenueSpec


class ExchangeProtocol(abc.ABC):
    """One exchange's wire protocol, served under ``/<name>/`` on the sandbox port."""

    name: ClassVar[str]
    # Control-API permission names (``POST /sandbox/v1/keys``) and what each grants.
    permission_names: ClassVar[Mapping[str, frozenset[Permission]]]
    requires_passphrase: ClassVar[bool] = False
    # Where the exchange's testnet / demo environment is served, when it has its own host
    # (Binance testnet, Bybit demo): ``/<demo_path>`` on the same venue, authenticating keys created
    # with ``"environment": "demo"``. None when the exchange tells environments apart otherwise
    # (OKX: the ``x-simulated-trading: 1`` header on the same host).
    demo_path: ClassVar[str | None] = None

    @classmethod
    @abc.abstractmethod
    def venue_spec(cls) -> VenueSpec:
        """Instruments with the real exchange's specs, wallet layout and starting prices."""

    @abc.abstractmethod
    def new_key_material(self) -> tuple[str, str]:
        """A fresh (api key, secret) pair shaped as the exchange issues them."""

    @abc.abstractmethod
    def build_app(self, venue: Venue, environment: str = "live") -> web.Application:
        """The sub-application answering this exchange's REST API.

        Mounted at ``/<name>`` with ``environment`` "live", and at ``/<demo_path>`` with "demo"
        where :attr:`demo_path` is set; requests are authenticated as that environment.
        """

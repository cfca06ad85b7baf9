"""The exchange adapter protocol: what the check (and later the gateway) asks of an exchange.

One adapter per exchange (binance.py, okx.py, bybit.py) on an unmodified ``ccxt.async_support``
client. It adds what ccxt does not unify, through ccxt's implicit endpoint methods: the key's
rights, the trading and Funding balances in the exchange's own figures, the server clock, and
the mapping of the exchange's error codes to verdicts (:class:`~.errors.ErrorTable`).
Exchange quirks live in the exchange's module only.

Key material stays a :class:`SecretValue` until the ccxt client is built, the moment ccxt needs
it. Every call is recorded as :class:`Evidence` with key material scrubbed out.
"""

from __future__ import annotations

import abc
import enum
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import aiohttp
import ccxt.async_support as ccxt_async

from ..domain.balance import Figures
from ..domain.credentials import mask_key_id
from ..domain.market import Market
from ..domain.policy import ExchangeTerms, KeyFacts
from ..domain.verdicts import Verdict
from ..vault.api import SecretValue
from .errors import ErrorTable, Failure

EVIDENCE_LIMIT = 600  # characters of a response kept as evidence; enough for support, not a dump


class Environment(enum.StrEnum):
    """Which of the exchange's environments to talk to."""

    LIVE = "live"
    TESTNET = "testnet"  # the exchange's testnet or demo-trading endpoints, where ccxt has them


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the adapter connects: the real exchange (default) or a tradebind sandbox by URL.

    ``source_ip`` binds outgoing connections to one local address (multi-homed hosts; tests use
    it to play a client IP against an allow-list).
    """

    environment: Environment = Environment.LIVE
    sandbox_url: str | None = None
    source_ip: str | None = None


@dataclass(frozen=True, slots=True)
class OtherEnvironment:
    """Another environment of the exchange where a key refused here may have been made.

    ``name`` as the fix text says it ("Binance testnet"); ``api_urls`` the ccxt ``urls['api']``
    that reach it (ccxt's own test / demo URLs, or a sandbox's demo path).
    """

    name: str
    api_urls: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """One API key's material as the check receives it; the repr shows the masked key id only."""

    api_key: SecretValue
    secret: SecretValue
    passphrase: SecretValue | None = None

    @property
    def key_id_masked(self) -> str:
        return mask_key_id(self.api_key.reveal())

    def __repr__(self) -> str:
        return f"ApiCredentials(api_key={self.key_id_masked!r})"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One exchange call and what it returned, for support staff."""

    call: str
    ok: bool
    result: str
    elapsed_ms: int


class CallFailed(Exception):
    """An exchange call failed; ``failure`` says how. The message never holds key material."""

    def __init__(self, call: str, failure: Failure) -> None:
        super().__init__(f"{call}: {failure.code or ''} {failure.message}".strip())
        self.call = call
        self.failure = failure


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    """The exchange's own status endpoint: ``ok`` False means maintenance or down."""

    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ClockReading:
    """Server time against ours: ``offset_ms`` = server - local at the round trip's midpoint."""

    offset_ms: int
    rtt_ms: int


def decimal(value: object, default: str = "0") -> Decimal:
    """An exchange number (sent as a string, possibly empty) as a Decimal."""
    if value is None or value == "":
        return Decimal(default)
    return Decimal(str(value))


class _ScrubbedLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """ccxt's logger, with key material scrubbed from every record.

    ccxt logs each request's headers (API key, OKX passphrase) at DEBUG from its base ``fetch``,
    whatever ``verbose`` says; handing it this logger keeps them out of any log sink.
    """

    def __init__(self, logger: logging.Logger, scrub: Callable[[str], str]) -> None:
        super().__init__(logger, {})
        self._scrub = scrub

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, "%s", self._scrub(text), **kwargs)


class ExchangeAdapter(abc.ABC):
    """One exchange, one API key, one endpoint. Use as an async context manager.

    Subclasses set the class attributes and implement the abstract methods with ccxt implicit
    endpoint calls made through :meth:`call`, which records evidence and raises
    :class:`CallFailed` with the failure classified by :attr:`errors`.
    """

    name: ClassVar[str]  # tradebind's and ccxt's id
    terms: ClassVar[ExchangeTerms]
    errors: ClassVar[ErrorTable]
    # The exchange's timestamp tolerance, for the clock-skew fix text.
    timestamp_window_ms: ClassVar[int]
    # Where a tradebind sandbox serves this exchange's testnet / demo environment (the sandbox
    # protocol's ``demo_path``); None: on the live path (OKX tells them apart by a header).
    sandbox_demo_path: ClassVar[str | None] = None

    def __init__(self, credentials: ApiCredentials, endpoint: Endpoint | None = None) -> None:
        self.endpoint = endpoint or Endpoint()
        self.evidence: list[Evidence] = []
        self._masks = self._mask_table(credentials)
        self.key_id_masked = credentials.key_id_masked
        self._credentials = credentials
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        # The environment that accepted the key (other_environment_accepts_key), once probed.
        self._environment_probed = False
        self._accepting_environment: OtherEnvironment | None = None
        config: dict[str, Any] = {
            "apiKey": credentials.api_key.reveal(),
            "secret": credentials.secret.reveal(),
            # A check makes a handful of calls far below any exchange limit; ccxt's client-side
            # throttle would only serialise the concurrent ones.
            "enableRateLimit": False,
            "timeout": 15_000,  # ms per call; past it the check reports NETWORK_ERROR
            "options": dict(self.ccxt_options()),
            "logger": _ScrubbedLog(logging.getLogger("tradebind.exchanges.ccxt"), self.scrub),
        }
        if credentials.passphrase is not None:
            config["password"] = credentials.passphrase.reveal()
        if self.endpoint.source_ip is not None:
            connector = aiohttp.TCPConnector(local_addr=(self.endpoint.source_ip, 0))
            self._session = config["session"] = aiohttp.ClientSession(connector=connector)
        self.client: Any = getattr(ccxt_async, self.name)(config)
        if self.endpoint.environment is Environment.TESTNET:
            self.use_testnet()
        if self.endpoint.sandbox_url is not None:
            # After use_testnet: ccxt's set_sandbox_mode swaps urls['api'] for its own test URLs.
            self.client.urls["api"] = self.sandbox_api_urls(self.sandbox_base_url(self.endpoint.environment))

    async def __aenter__(self) -> ExchangeAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.client.close()
        if self._session is not None:
            await self._session.close()
        self._closed = True

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has finished (ccxt's close waits 250 ms before it returns)."""
        return self._closed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r})"

    # what each exchange module provides ---------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def sandbox_api_urls(cls, base_url: str) -> dict[str, str]:
        """ccxt's ``urls['api']`` for a tradebind sandbox serving this exchange at ``base_url``."""

    def sandbox_base_url(self, environment: Environment) -> str:
        """The sandbox URL serving this exchange's ``environment`` (``<sandbox>/<exchange>``)."""
        if self.endpoint.sandbox_url is None:
            raise ValueError("sandbox_base_url: the endpoint is not a sandbox")
        path = self.name
        if environment is Environment.TESTNET and self.sandbox_demo_path is not None:
            path = self.sandbox_demo_path
        return f"{self.endpoint.sandbox_url.rstrip('/')}/{path}"

    def ccxt_options(self) -> Mapping[str, Any]:
        """ccxt ``options`` this adapter relies on."""
        return {}

    def gateway_options(self) -> Mapping[str, Any]:
        """ccxt ``options`` of the gateway's long-lived trading clients (on top of
        :meth:`ccxt_options`): which markets to load, and what the account is."""
        return {}

    async def set_leverage(self, leverage: int, symbol: str) -> None:
        """Set the account's leverage for the linear contract ``symbol``; setting the leverage
        already in force succeeds. ccxt errors propagate (the caller classifies them)."""
        await self.client.set_leverage(leverage, symbol, {})

    def position_params(self) -> dict[str, Any]:
        """Extra ccxt params for ``fetch_positions`` of linear contracts."""
        return {}

    def use_testnet(self) -> None:
        """Switch the client to the exchange's testnet / demo endpoints."""
        self.client.set_sandbox_mode(True)

    @abc.abstractmethod
    def account_name(self, market: Market) -> str:
        """The exchange's name for the trading account of ``market`` (e.g. "Spot")."""

    @abc.abstractmethod
    def transfer_route(self, market: Market) -> str:
        """Where in the exchange's UI to move funds from Funding to the trading account."""

    @abc.abstractmethod
    async def server_time(self) -> int:
        """The exchange's clock, ms since the epoch."""

    @abc.abstractmethod
    async def status(self) -> ExchangeStatus:
        """The exchange's system status (maintenance, down)."""

    @abc.abstractmethod
    async def key_facts(self) -> KeyFacts:
        """The key's rights, IP allow-list and dates from the exchange's key-permission endpoint."""

    @abc.abstractmethod
    async def trading_figures(self, market: Market) -> dict[str, Figures]:
        """Asset → breakdown figures of the trading account of ``market``."""

    @abc.abstractmethod
    async def funding_holdings(self) -> dict[str, Decimal]:
        """Asset → amount in the Funding account."""

    @abc.abstractmethod
    async def prices(self, assets: list[str], quote: str) -> dict[str, Decimal]:
        """Asset → last price in ``quote``, for those the exchange lists against it."""

    async def trade_probe(self, market: Market) -> None:
        """Show that the key may trade ``market`` without trading, if the exchange needs that.

        Raises :class:`CallFailed` when the exchange refuses. The default makes no call: the key's
        rights are read from the permission endpoint.
        """
        return None

    def failure_detail(self, verdict: Verdict, failure: Failure) -> str:
        """What the fix text quotes of a failure: by default the exchange's code and message.

        A wrong environment found by :meth:`other_environment_accepts_key` names both environments.
        """
        if verdict is Verdict.WRONG_ENVIRONMENT and self._accepting_environment is not None:
            here = self.environment_name(self.endpoint.environment)
            return f"this key was made on {self._accepting_environment.name}; create one on {here}"
        return f"{failure.code}: {failure.message}" if failure.code else failure.message

    async def resolve(
        self, failure: Failure, market: Market, facts: KeyFacts | None, egress_ips: tuple[str, ...]
    ) -> Verdict:
        """The verdict of a failure the error table left open (``failure.verdict`` is None).

        Called once the concurrent calls are done, with the key's rights if they could be read
        and tradebind's egress IPs. Adapters whose exchange has ambiguous codes override this;
        the default is ``INVALID_KEY``.
        """
        return failure.verdict or Verdict.INVALID_KEY

    def sibling(self, source_ip: str) -> ExchangeAdapter:
        """The same key and endpoint, connecting from ``source_ip``; close it after use."""
        endpoint = Endpoint(self.endpoint.environment, self.endpoint.sandbox_url, source_ip)
        return type(self)(self._credentials, endpoint)

    def environment_name(self, environment: Environment) -> str:
        """``environment`` as the fix text names it (e.g. "binance.com", "Binance testnet")."""
        return f"{self.terms.exchange} {environment.value}"

    def other_environments(self) -> Sequence[OtherEnvironment]:
        """Where else a key this environment refuses may live, in the order to try them.

        Default: on a sandbox that serves the exchange's other environment on a path of its own,
        that path; nothing otherwise. Adapters add the real exchange's test / demo hosts.
        """
        if self.sandbox_demo_path is None or self.endpoint.sandbox_url is None:
            return ()
        other = Environment.LIVE if self.endpoint.environment is Environment.TESTNET else Environment.TESTNET
        return (OtherEnvironment(self.environment_name(other), self.sandbox_api_urls(self.sandbox_base_url(other))),)

    async def environment_probe(self) -> None:
        """One signed read every environment of the exchange answers; raises :class:`CallFailed`."""
        await self.key_facts()

    async def other_environment_accepts_key(self) -> bool:
        """True when the key authenticates on another of the exchange's environments (demo vs live).

        Used to tell ``WRONG_ENVIRONMENT`` from ``INVALID_KEY`` where the exchange answers both
        the same way (Binance -2015, Bybit 10003). Probes :meth:`other_environments` once per
        adapter; their calls join this adapter's evidence, labelled with the environment.
        """
        if not self._environment_probed:
            self._environment_probed = True
            self._accepting_environment = await self._probe_other_environments()
        return self._accepting_environment is not None

    async def _probe_other_environments(self) -> OtherEnvironment | None:
        for env in self.other_environments():
            other = type(self)(self._credentials, self.endpoint)
            other.client.urls["api"] = dict(env.api_urls)
            other.client.options["timeDifference"] = self.client.options.get("timeDifference", 0)
            try:
                await other.environment_probe()
            except (CallFailed, OSError):
                continue
            finally:
                await other.close()
                self.evidence.extend(
                    Evidence(f"{env.name}: {e.call}", e.ok, e.result, e.elapsed_ms) for e in other.evidence
                )
            return env
        return None

    # the clock ----------------------------------------------------------------------------------

    async def read_clock(self) -> ClockReading:
        """Measure the server clock against ours."""
        before = time.time() * 1000
        server_ms = await self.server_time()
        after = time.time() * 1000
        return ClockReading(offset_ms=round(server_ms - (before + after) / 2), rtt_ms=round(after - before))

    def compensate_clock(self, offset_ms: int) -> None:
        """Sign requests with timestamps on the server's clock (ccxt's ``timeDifference``)."""
        # ccxt's nonce() is ``milliseconds() - options['timeDifference']`` for all three exchanges.
        self.client.options["timeDifference"] = -offset_ms

    # calling ccxt --------------------------------------------------------------------------------

    async def call(
        self, label: str, method: Callable[..., Awaitable[Any]], params: dict[str, Any] | None = None
    ) -> Any:
        """Run one implicit-endpoint call; record it; raise :class:`CallFailed` on failure."""
        started = time.monotonic()
        try:
            response = await method(params or {})
        except Exception as exc:
            failure = self.errors.classify(exc)
            scrubbed = Failure(failure.verdict, failure.code, self.scrub(failure.message))
            self._record(label, False, f"{failure.code or type(exc).__name__}: {scrubbed.message}", started)
            raise CallFailed(label, scrubbed) from None
        self._record(label, True, json.dumps(response, separators=(",", ":"), default=str), started)
        return response

    def _record(self, label: str, ok: bool, result: str, started: float) -> None:
        text = self.scrub(result)
        if len(text) > EVIDENCE_LIMIT:
            text = text[:EVIDENCE_LIMIT] + "…"
        self.evidence.append(Evidence(label, ok, text, round((time.monotonic() - started) * 1000)))

    def scrub(self, text: str) -> str:
        """``text`` with any key material replaced (the key id by its masked form)."""
        for value, mask in self._masks:
            text = text.replace(value, mask)
        return text

    @staticmethod
    def _mask_table(credentials: ApiCredentials) -> list[tuple[str, str]]:
        masks = [(credentials.api_key.reveal(), credentials.key_id_masked)]
        masks += [(v.reveal(), "<redacted>") for v in (credentials.secret, credentials.passphrase) if v is not None]
        # Longest first, so a value containing another is replaced whole.
        return sorted((m for m in masks if m[0]), key=lambda m: -len(m[0]))

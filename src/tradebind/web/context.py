"""What every request handler of the web app shares: the store, the vault, and operator settings.

One :class:`WebContext` per app (``app.state.ctx``); no module-level state, so several apps (tests)
and, later, several processes behind a load balancer each hold their own. State that several
processes would have to share (login throttle, exchange health) sits behind small classes with
in-process implementations (:mod:`tradebind.web.throttle`, :mod:`tradebind.web.health`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tradebind.domain.policy import CheckPolicy
from tradebind.exchanges.base import Endpoint
from tradebind.store import Store
from tradebind.vault.api import Vault
from tradebind.web.exchange_loop import ExchangeLoop
from tradebind.web.health import ExchangeHealth
from tradebind.web.keylist_cache import KeyListCache
from tradebind.web.throttle import LoginThrottle

__all__ = ["WebContext"]


@dataclass(slots=True)
class WebContext:
    """Dependencies and settings of one web app.

    ``endpoint`` says where checks connect (a sandbox URL in the demo and tests, the real exchanges
    otherwise); ``secure_cookies`` marks cookies ``Secure`` (off only for plain-HTTP loopback use).
    """

    store: Store
    vault: Vault
    policy: CheckPolicy = field(default_factory=CheckPolicy)
    endpoint: Endpoint = field(default_factory=Endpoint)
    secure_cookies: bool = True
    session_ttl: timedelta = timedelta(hours=12)
    api_token_ttl: timedelta = timedelta(days=30)
    # How long a proved second factor authorises adding, replacing or deleting keys.
    step_up_window: timedelta = timedelta(minutes=5)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    health: ExchangeHealth = field(default_factory=ExchangeHealth)
    key_lists: KeyListCache = field(default_factory=KeyListCache)
    # Where checks talk to the exchanges; whoever ends the app stops it (WebServer, the web command).
    exchanges: ExchangeLoop = field(default_factory=ExchangeLoop)
    sandbox_pages_url: str | None = None

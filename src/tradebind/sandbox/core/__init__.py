"""The exchange-neutral core of the sandbox: accounts, keys, permissions, matching, margin, faults."""

from .accounts import Account, Balance, Position, WalletLayout
from .errors import ErrorKind, SandboxError
from .faults import Fault, FaultKind, Faults
from .instruments import Catalog, Instrument, Market
from .keys import ApiKey, KeyRing
from .limits import WindowCounter
from .margin import MarginSummary
from .orders import Fill, Order, OrderStatus, OrderType, Side
from .permissions import Permission
from .venue import Venue, VenueSpec

__all__ = [
    "Account",
    "ApiKey",
    "Balance",
    "Catalog",
    "ErrorKind",
    "Fault",
    "FaultKind",
    "Faults",
    "Fill",
    "Instrument",
    "KeyRing",
    "MarginSummary",
    "Market",
    "Order",
    "OrderStatus",
    "OrderType",
    "Permission",
    "Position",
    "SandboxError",
    "Side",
    "Venue",
    "VenueSpec",
    "WalletLayout",
    "WindowCounter",
]

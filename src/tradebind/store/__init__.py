"""The store: owners, credentials, bindings, bots and the activity log (SQLAlchemy 2 + Alembic).

``Store.open(url)`` connects and applies migrations. Everything an owner owns goes through an
owner-scoped repository built with that owner's id; a record of another owner is never returned
(it raises :class:`NotFound`, exactly like a missing one). ``OWNER_SCOPED_REPOSITORIES`` lists
them all (a test walks every public method of each with another owner's ids).
"""

from tradebind.store.activity import ActivityEntry, ActivityRepository, ChainBreak, verify
from tradebind.store.binding_checks import BindingCheckRepository
from tradebind.store.binding_controls import BindingControls
from tradebind.store.bindings import BindingRepository
from tradebind.store.bots import BotRepository
from tradebind.store.credentials import CredentialRepository
from tradebind.store.deals import DealRepository
from tradebind.store.engine import Store
from tradebind.store.errors import Conflict, InUse, Invalid, KeyAlreadyConnected, NotFound, StoreError
from tradebind.store.owners import OwnerDirectory
from tradebind.store.rotation import KekStatus, RotatingVault, kek_status, retire, rewrap_pending, rotate

OWNER_SCOPED_REPOSITORIES = (
    ActivityRepository,
    BindingCheckRepository,
    BindingControls,
    BindingRepository,
    BotRepository,
    CredentialRepository,
    DealRepository,
)

__all__ = [
    "OWNER_SCOPED_REPOSITORIES",
    "ActivityEntry",
    "ActivityRepository",
    "BindingCheckRepository",
    "BindingControls",
    "BindingRepository",
    "BotRepository",
    "ChainBreak",
    "Conflict",
    "CredentialRepository",
    "DealRepository",
    "InUse",
    "Invalid",
    "KekStatus",
    "KeyAlreadyConnected",
    "NotFound",
    "OwnerDirectory",
    "RotatingVault",
    "Store",
    "StoreError",
    "kek_status",
    "retire",
    "rewrap_pending",
    "rotate",
    "verify",
]

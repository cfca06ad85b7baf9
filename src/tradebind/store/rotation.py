"""KEK rotation for the store: rewrap every data key under the current KEK version, then retire.

Rotation never touches payloads (``secret_values``): only ``data_keys`` rows change. It runs in
batches, each its own short transaction, in primary-key order; a batch updates a row only if it
still has the KEK version it was read with (compare-and-set), so a credential replaced or deleted
meanwhile is simply skipped. Rerunning picks up whatever still has an older version, which makes
the job resumable after a crash or Ctrl-C. Reads keep working throughout: rows not yet rewrapped
still open with their old KEK version until that version is retired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Table, bindparam, func, select, update

from tradebind.store import activity
from tradebind.store.engine import Store
from tradebind.store.errors import Conflict
from tradebind.store.tables import DataKeyRow, utcnow
from tradebind.vault.api import Vault, WrappedKey

__all__ = ["KekStatus", "RotatingVault", "kek_status", "retire", "rewrap_pending", "rotate"]

_SYSTEM_ACTOR = "operator"


class RotatingVault(Vault, Protocol):
    """A vault whose KEK can be rotated and retired (``EnvelopeVault`` is one)."""

    @property
    def provider_name(self) -> str: ...

    def rotate(self) -> int: ...

    def retire(self, version: int) -> None: ...

    def current_version(self) -> int: ...


@dataclass(frozen=True, slots=True)
class KekStatus:
    """How many data keys each (provider, KEK version) wraps, and the provider's current version."""

    provider: str
    current_version: int
    counts: dict[tuple[str, int], int]

    @property
    def pending(self) -> int:
        """Data keys of this provider still wrapped under an older version."""
        return sum(n for (p, v), n in self.counts.items() if p == self.provider and v < self.current_version)


def _web_totp_counts(store: Store) -> dict[tuple[str, int], int]:
    from tradebind.store.web_accounts import totp_kek_counts

    return totp_kek_counts(store)


def kek_status(store: Store, vault: RotatingVault) -> KekStatus:
    with store.read() as session:
        rows = session.execute(
            select(DataKeyRow.provider, DataKeyRow.kek_version, func.count()).group_by(
                DataKeyRow.provider, DataKeyRow.kek_version
            )
        )
        counts = {(p, v): n for p, v, n in rows}
    for key, n in _web_totp_counts(store).items():  # web users' sealed TOTP secrets wrap data keys too
        counts[key] = counts.get(key, 0) + n
    return KekStatus(vault.provider_name, vault.current_version(), counts)


def rotate(store: Store, vault: RotatingVault) -> int:
    """Add a KEK version (new data keys are wrapped with it at once); returns its number.

    Follow with :func:`rewrap_pending` to move existing data keys.
    """
    version = vault.rotate()
    with store.write() as session:
        activity.append(
            session,
            activity.SYSTEM_CHAIN,
            actor=_SYSTEM_ACTOR,
            action="kek.rotate",
            result="ok",
            details={"provider": vault.provider_name, "version": version},
        )
    return version


def rewrap_pending(
    store: Store,
    vault: RotatingVault,
    *,
    batch_size: int = 1000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Rewrap every data key of the vault's provider wrapped under an older KEK version.

    Returns how many rows were rewrapped; ``on_batch`` is called with each batch's size.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    target = vault.current_version()
    provider = vault.provider_name
    table = DataKeyRow.__table__
    if not isinstance(table, Table):
        raise TypeError("data_keys is not a table")
    cas = (
        update(table)
        .where(table.c.secret_value_id == bindparam("k_id"), table.c.kek_version == bindparam("k_old"))
        .values(kek_version=bindparam("k_new"), blob=bindparam("k_blob"), rewrapped_at=bindparam("k_at"))
    )
    done, after = 0, ""
    while True:
        with store.read() as session:
            batch = session.execute(
                select(DataKeyRow.secret_value_id, DataKeyRow.owner_id, DataKeyRow.kek_version, DataKeyRow.blob)
                .where(
                    DataKeyRow.provider == provider,
                    DataKeyRow.kek_version < target,
                    DataKeyRow.secret_value_id > after,
                )
                .order_by(DataKeyRow.secret_value_id)
                .limit(batch_size)
            ).all()
        if not batch:
            break
        now = utcnow()
        params = []
        for value_id, owner, old_version, blob in batch:
            new = vault.rewrap(WrappedKey(provider, old_version, blob), owner)
            params.append(
                {"k_id": value_id, "k_old": old_version, "k_new": new.kek_version, "k_blob": new.blob, "k_at": now}
            )
        with store.write() as session:
            session.connection().execute(cas, params)
        done += len(batch)
        after = batch[-1][0]
        if on_batch is not None:
            on_batch(len(batch))
    from tradebind.store.web_accounts import rewrap_totp_secrets

    moved = rewrap_totp_secrets(store, vault, provider, target)
    done += moved
    if on_batch is not None and moved:
        on_batch(moved)
    with store.write() as session:
        activity.append(
            session,
            activity.SYSTEM_CHAIN,
            actor=_SYSTEM_ACTOR,
            action="kek.rewrap",
            result="ok",
            details={"provider": provider, "version": target, "rewrapped": done},
        )
    return done


def retire(store: Store, vault: RotatingVault, version: int) -> None:
    """Retire KEK ``version`` (and older): refused with :class:`Conflict` (field ``version``)
    while any data key of this provider is still wrapped under it or older, or if it is current."""
    current = vault.current_version()
    if version >= current:
        raise Conflict(f"version: {version} is the current KEK version ({current}); rotate first", field="version")
    with store.read() as session:
        left = session.scalar(
            select(func.count())
            .select_from(DataKeyRow)
            .where(DataKeyRow.provider == vault.provider_name, DataKeyRow.kek_version <= version)
        )
    left = (left or 0) + sum(
        n for (p, v), n in _web_totp_counts(store).items() if p == vault.provider_name and v <= version
    )
    if left:
        raise Conflict(
            f"version: {left} data keys still use KEK version {version} or older; "
            "run `tradebind vault rotate --resume` first",
            field="version",
        )
    vault.retire(version)
    with store.write() as session:
        activity.append(
            session,
            activity.SYSTEM_CHAIN,
            actor=_SYSTEM_ACTOR,
            action="kek.retire",
            result="ok",
            details={"provider": vault.provider_name, "version": version},
        )

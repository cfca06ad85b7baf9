"""Where tradebind keeps its data and which KEK provider guards it, read from the environment.

==============================  =============================================================
variable                        meaning (default)
==============================  =============================================================
``TRADEBIND_DATA_DIR``          data directory (platformdirs user data dir for "tradebind")
``TRADEBIND_DATABASE_URL``      SQLAlchemy URL (SQLite file ``tradebind.sqlite3`` in the data
                                dir); PostgreSQL: ``postgresql+psycopg://user@host/db``, a
                                schema via ``?options=-csearch_path%3Dname``
``TRADEBIND_KEK_PROVIDER``      ``local_file`` (default) or ``openbao``
``TRADEBIND_KEK_FILE``          local KEK keyset file, created 0600 *beside* the data dir,
                                never inside it or the database (``<data dir>.kek``)
``TRADEBIND_OPENBAO_ADDR``      OpenBao / Vault address (``http://127.0.0.1:8200``)
``TRADEBIND_OPENBAO_TOKEN``     OpenBao token (required for ``openbao``; never shown in reprs)
``TRADEBIND_OPENBAO_KEY``       transit key name (``tradebind-kek``)
``TRADEBIND_OPENBAO_MOUNT``     transit mount point (``transit``)
==============================  =============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import platformdirs

__all__ = ["KekProviderKind", "OpenBaoSettings", "Settings", "SettingsError"]


class SettingsError(ValueError):
    """A setting has a value tradebind cannot use; the message names the variable."""


class KekProviderKind(StrEnum):
    LOCAL_FILE = "local_file"
    OPENBAO = "openbao"


@dataclass(frozen=True, slots=True)
class OpenBaoSettings:
    """How to reach the OpenBao / Vault transit engine. The token never appears in a repr."""

    addr: str
    token: str = field(repr=False)
    key: str
    mount: str


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings. Build with :meth:`from_env`; pure apart from reading the mapping given."""

    data_dir: Path
    database_url: str
    kek_provider: KekProviderKind
    kek_file: Path
    openbao: OpenBaoSettings | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``TRADEBIND_*`` variables from ``environ`` (default ``os.environ``).

        Creates nothing on disk: the store creates the data directory, the vault the KEK file.
        """
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("TRADEBIND_DATA_DIR") or platformdirs.user_data_dir("tradebind")).expanduser()
        database_url = env.get("TRADEBIND_DATABASE_URL") or f"sqlite:///{data_dir / 'tradebind.sqlite3'}"
        raw_kind = env.get("TRADEBIND_KEK_PROVIDER") or KekProviderKind.LOCAL_FILE.value
        try:
            kind = KekProviderKind(raw_kind)
        except ValueError:
            choices = ", ".join(k.value for k in KekProviderKind)
            raise SettingsError(f"TRADEBIND_KEK_PROVIDER: must be one of {choices}") from None
        kek_file = Path(env.get("TRADEBIND_KEK_FILE") or data_dir.with_name(data_dir.name + ".kek")).expanduser()
        if kek_file.resolve().is_relative_to(data_dir.resolve()):
            # The KEK must not travel with the data it protects (backups of the data dir).
            raise SettingsError("TRADEBIND_KEK_FILE: must be outside TRADEBIND_DATA_DIR")
        openbao = None
        if kind is KekProviderKind.OPENBAO:
            token = env.get("TRADEBIND_OPENBAO_TOKEN", "")
            if not token:
                raise SettingsError("TRADEBIND_OPENBAO_TOKEN: is required when TRADEBIND_KEK_PROVIDER=openbao")
            openbao = OpenBaoSettings(
                addr=env.get("TRADEBIND_OPENBAO_ADDR") or "http://127.0.0.1:8200",
                token=token,
                key=env.get("TRADEBIND_OPENBAO_KEY") or "tradebind-kek",
                mount=env.get("TRADEBIND_OPENBAO_MOUNT") or "transit",
            )
        return cls(data_dir, database_url, kind, kek_file, openbao)

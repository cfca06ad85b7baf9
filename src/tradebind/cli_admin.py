"""Operator commands: ``tradebind vault status|rotate|retire`` and ``tradebind audit verify``.

They act on the store and vault named by the ``TRADEBIND_*`` settings (see
:mod:`tradebind.settings`). Nothing here prints key material: only counts, versions and ids.
Failures print one line to stderr and exit 1; the activity log verification exits 1 naming the
first bad entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from tradebind.settings import KekProviderKind, Settings, SettingsError

if TYPE_CHECKING:
    from tradebind.store import Store
    from tradebind.vault import EnvelopeVault

__all__ = ["admin_app", "audit_app", "build_vault", "vault_app"]

vault_app = typer.Typer(no_args_is_help=True, help="Manage the key-encryption key (KEK) of stored secrets.")
audit_app = typer.Typer(no_args_is_help=True, help="Check the activity log.")
admin_app = typer.Typer(add_completion=False)
admin_app.add_typer(vault_app, name="vault")
admin_app.add_typer(audit_app, name="audit")


def build_vault(settings: Settings) -> EnvelopeVault:
    """The vault of these settings: the local key file (created 0600 on first use) or OpenBao transit."""
    from tradebind.vault import EnvelopeVault, LocalFileKekProvider, OpenBaoKekProvider, SecretValue

    if settings.kek_provider is KekProviderKind.LOCAL_FILE:
        return EnvelopeVault(LocalFileKekProvider(settings.kek_file))
    if settings.openbao is None:
        raise SettingsError("TRADEBIND_OPENBAO_TOKEN: is required when TRADEBIND_KEK_PROVIDER=openbao")
    bao = settings.openbao
    provider = OpenBaoKekProvider(bao.addr, SecretValue(bao.token), key_name=bao.key, mount_point=bao.mount)
    return EnvelopeVault(provider)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def _opened() -> Iterator[tuple[Store, Settings]]:
    """The store of the settings; store, vault and settings errors become one line and exit 1."""
    from tradebind.store import Store, StoreError
    from tradebind.vault import VaultError

    try:
        settings = Settings.from_env()
        store = Store.open(settings.database_url)
    except (SettingsError, StoreError) as exc:
        raise _fail(str(exc)) from None
    try:
        yield store, settings
    except (SettingsError, StoreError, VaultError) as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


@vault_app.command()
def status() -> None:
    """Show the current KEK version and how many data keys each version wraps."""
    from tradebind.store import kek_status

    with _opened() as (store, settings):
        vault = build_vault(settings)
        st = kek_status(store, vault)
        typer.echo(f"provider {st.provider}, current KEK version {st.current_version}")
        for (provider, version), count in sorted(st.counts.items()):
            typer.echo(f"  {provider} v{version}: {count} data keys")
        typer.echo(f"pending rewrap: {st.pending}")


@vault_app.command()
def rotate(
    resume: Annotated[bool, typer.Option(help="Only rewrap what an earlier rotation left; add no version.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Data keys per transaction.")] = 1000,
) -> None:
    """Add a KEK version and rewrap every data key under it (payloads are not re-encrypted).

    Resumable: after an interruption run ``tradebind vault rotate --resume``. Reads keep working
    throughout, since older versions still unwrap until retired.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from tradebind import store as st

    with _opened() as (store, settings):
        vault = build_vault(settings)
        if resume:
            version = vault.current_version()
        else:
            version = st.rotate(store, vault)
            typer.echo(f"added KEK version {version}")
        total = st.kek_status(store, vault).pending
        columns = (TextColumn("rewrapping"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("rewrap", total=total)
            done = st.rewrap_pending(store, vault, batch_size=batch_size, on_batch=lambda n: progress.advance(task, n))
        typer.echo(f"rewrapped {done} data keys to KEK version {version}")


@vault_app.command()
def retire(version: Annotated[int, typer.Argument(min=1, help="Retire this KEK version and older.")]) -> None:
    """Retire a KEK version: refused while any data key still uses it (rotate first)."""
    from tradebind import store as st

    with _opened() as (store, settings):
        vault = build_vault(settings)
        st.retire(store, vault, version)
        typer.echo(f"retired KEK version {version} and older")


@audit_app.command()
def verify() -> None:
    """Verify every hash chain of the activity log; exit 1 naming the first bad entry."""
    from tradebind import store as st

    with _opened() as (store, _):
        checked, broken = st.verify(store)
    if broken is not None:
        raise _fail(f"activity log tampered: {broken}")
    typer.echo(f"activity log intact: {checked} entries verified")

"""API-key checks in the order exchanges apply them: key, environment, expiry, IP, passphrase, signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradebind.sandbox.core import ApiKey, ErrorKind, Permission, SandboxError, Venue

from .venues import make_venue


def _venue_with(**fields: Any) -> Venue:
    venue = make_venue()
    venue.add_key(
        ApiKey(
            api_key="k1",
            secret="canary-secret",
            account_id="alice",
            label="bot",
            permissions=frozenset({Permission.READ, Permission.SPOT_TRADE}),
            **fields,
        )
    )
    return venue


def _kind(venue: Venue, ip: str = "127.0.0.1", *, signature_ok: bool = True, **kwargs: Any) -> ErrorKind | None:
    try:
        venue.authenticate("k1", ip, lambda key: signature_ok, **kwargs)
    except SandboxError as exc:
        return exc.kind
    return None


def test_a_good_key_authenticates_to_its_account() -> None:
    venue = _venue_with()
    key, acct = venue.authenticate("k1", "10.0.0.1", lambda k: True)
    assert (key.api_key, acct.account_id) == ("k1", "alice")


def test_unknown_key() -> None:
    assert _kind(_venue_with(), signature_ok=True) is None
    venue = _venue_with()
    with pytest.raises(SandboxError) as err:
        venue.authenticate("nope", "127.0.0.1", lambda k: True)
    assert err.value.kind is ErrorKind.UNKNOWN_KEY


@pytest.mark.parametrize(
    ("ips", "client", "allowed"),
    [
        (("127.0.0.1",), "127.0.0.1", True),
        (("127.0.0.1",), "127.0.0.2", False),
        (("10.1.0.0/16",), "10.1.200.7", True),
        (("10.1.0.0/16",), "10.2.0.1", False),
        (("192.0.2.1", "2001:db8::/32"), "2001:db8::5", True),
        (("127.0.0.1",), "not-an-ip", False),
    ],
)
def test_ip_allow_list_with_cidr(ips: tuple[str, ...], client: str, allowed: bool) -> None:
    kind = _kind(_venue_with(ips=ips), client)
    assert kind is (None if allowed else ErrorKind.IP_NOT_ALLOWED)


def test_expired_key_is_refused_and_a_future_expiry_is_not() -> None:
    now = datetime.now(UTC)
    assert _kind(_venue_with(expires_at=now - timedelta(seconds=1))) is ErrorKind.KEY_EXPIRED
    assert _kind(_venue_with(expires_at=now + timedelta(hours=1))) is None


def test_expiry_follows_the_venue_clock() -> None:
    venue = _venue_with(expires_at=datetime.now(UTC) + timedelta(hours=1))
    venue.clock.offset_ms = 2 * 3600 * 1000
    assert _kind(venue) is ErrorKind.KEY_EXPIRED


def test_passphrase_must_match_exactly() -> None:
    venue = _venue_with(passphrase="Correct-Horse")
    assert _kind(venue, passphrase="Correct-Horse") is None
    assert _kind(venue, passphrase="correct-horse") is ErrorKind.BAD_PASSPHRASE
    assert _kind(venue) is ErrorKind.BAD_PASSPHRASE


def test_environment_must_match() -> None:
    demo = _venue_with(environment="demo")
    assert _kind(demo) is ErrorKind.WRONG_ENVIRONMENT
    assert _kind(demo, environment="demo") is None


def test_bad_signature_is_checked_last() -> None:
    venue = _venue_with(ips=("127.0.0.1",), passphrase="pp")
    assert _kind(venue, signature_ok=False, passphrase="pp") is ErrorKind.BAD_SIGNATURE
    # A wrong IP is reported before the bad signature, as the exchanges do.
    assert _kind(venue, "127.0.0.9", signature_ok=False, passphrase="pp") is ErrorKind.IP_NOT_ALLOWED


def test_require_names_the_missing_permission() -> None:
    venue = _venue_with()
    key, _ = venue.authenticate("k1", "127.0.0.1", lambda k: True)
    Venue.require(key, Permission.READ, Permission.SPOT_TRADE)
    with pytest.raises(SandboxError) as err:
        Venue.require(key, Permission.READ, Permission.FUTURES_TRADE)
    assert err.value.kind is ErrorKind.PERMISSION_DENIED
    assert "futures_trade" in err.value.detail


def test_secret_and_passphrase_stay_out_of_repr_and_public_view() -> None:
    venue = _venue_with(passphrase="canary-passphrase")
    key = venue.keys.find("k1")
    assert key is not None
    shown = repr(key) + repr(key.public_view())
    assert "canary-secret" not in shown
    assert "canary-passphrase" not in shown


def test_deleting_a_key_stops_it_authenticating() -> None:
    venue = _venue_with()
    venue.keys.delete("k1")
    assert _kind(venue) is ErrorKind.UNKNOWN_KEY
    with pytest.raises(SandboxError) as err:
        venue.keys.delete("k1")
    assert err.value.kind is ErrorKind.NOT_FOUND

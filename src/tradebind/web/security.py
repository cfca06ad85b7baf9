"""Security helpers of the web layer: passwords, tokens, TOTP, recovery codes, CSRF, headers.

Pure functions over their inputs (plus the OS random source); no I/O. Passwords are hashed with
argon2id (argon2-cffi defaults, RFC 9106 low-memory profile); session tokens and recovery codes
are random and stored only as SHA-256 digests (they carry 128+ / 50+ bits, so a fast digest is
enough, unlike a password). TOTP follows RFC 6238 (pyotp: SHA-1, 6 digits, 30 s steps).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "SECURITY_HEADERS",
    "check_password_rules",
    "digest",
    "hash_password",
    "new_recovery_codes",
    "new_token",
    "new_totp_secret",
    "normalise_recovery_code",
    "same",
    "totp_step",
    "totp_uri",
    "verify_password",
]

_HASHER = PasswordHasher()
# A hash to verify against when the email is unknown, so a wrong email costs as long as a wrong
# password (no account enumeration by timing).
_DUMMY_HASH = _HASHER.hash("tradebind-no-such-account")

# Scripts and styles only from our own origin (no inline script), no framing, forms post to us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-write=(self)",
}

MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """``True`` if ``password`` matches; with ``password_hash=None`` burns the same time and says no."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str, email: str) -> str | None:
    """Why ``password`` is not acceptable (message naming the field), or ``None`` if it is."""
    if len(password) < MIN_PASSWORD:
        return f"password: must be at least {MIN_PASSWORD} characters"
    if len(password) > 1024:
        return "password: must be at most 1024 characters"
    if password.strip().lower() == email.strip().lower():
        return "password: must not be your email"
    return None


def new_token() -> str:
    """A fresh random token (session, CSRF): 256 bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 hex of ``value``: how session tokens and recovery codes are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode(), b.encode())


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports (shown once, during setup)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="tradebind")


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step ``code`` is valid for (current step ±1, for clock drift), or ``None``.

    The caller claims the step (:meth:`WebAccounts.accept_step`) so a code works once.
    """
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    at = time.time() if now is None else now
    current = int(at // totp.interval)
    for step in (current, current - 1, current + 1):
        if same(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(n: int = 10) -> list[str]:
    """``n`` single-use recovery codes like ``k3f9-2mqd-x7pa`` (60 bits each)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(n)]


def normalise_recovery_code(code: str) -> str:
    return code.strip().lower().replace(" ", "")

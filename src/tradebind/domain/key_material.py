"""Input rules for pasted key material: clean it, check its shape, say exactly what is wrong.

Pure functions; nothing here does I/O. Messages name the field (``api_key``, ``secret``,
``passphrase``) and never contain the pasted value, only its length at most.

Format facts come from shared/reference/exchanges.md:

- Binance §1.8: every official key and HMAC secret example is 64 characters of [A-Za-z0-9]; no
  formal rule is published (UNCONFIRMED), so lengths are checked leniently. RSA / Ed25519 keys use
  the user's own PEM private key as the "secret" (ccxt ``binance.sign`` switches on
  ``'PRIVATE KEY' in secret``).
- OKX §2.8: the key is a UUID, the secret 32 upper-case hex in the docs (length rule UNCONFIRMED),
  the passphrase is user-chosen and always required.
- Bybit §3.8: community-observed 18-character key and 36-character secret, alphanumeric
  (UNCONFIRMED, so lenient); RSA keys use a PEM private key (ccxt ``bybit.sign`` checks
  ``'PRIVATE KEY' in secret``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tradebind.domain.credentials import Exchange, mask_key_id
from tradebind.vault.api import SecretValue

__all__ = ["FieldProblem", "KeyMaterial", "KeyMaterialError", "clean", "validate_key_material"]

# Characters that survive a copy from a web page or a PDF but are never part of a key:
# zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_LINE_BREAKS = dict.fromkeys(map(ord, "\r\n\u2028\u2029\x0b\x0c\x85"))

_ALNUM = re.compile(r"[A-Za-z0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\n(?:.+\n)+?-----END \1-----", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with one field; ``message`` starts with the field name."""

    field: str
    message: str


class KeyMaterialError(ValueError):
    """Pasted material that cannot be a key of this exchange. ``problems`` has one entry per field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in problems))


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    """Cleaned, shape-checked material of one API key. The repr shows the masked key id only."""

    exchange: Exchange
    api_key: str = field(repr=False)
    secret: SecretValue = field(repr=False)
    passphrase: SecretValue | None = field(repr=False)

    @property
    def key_id_masked(self) -> str:
        return mask_key_id(self.api_key)

    def __repr__(self) -> str:
        return f"KeyMaterial(exchange={self.exchange.value!r}, api_key={self.key_id_masked!r})"


@dataclass(frozen=True, slots=True)
class _Shape:
    """Accepted shape of a key id or an HMAC secret: alphabet + lenient length range + typical length."""

    alphabet: re.Pattern[str]
    alphabet_name: str
    min_len: int
    max_len: int
    typical: int
    uuid: bool = False

    def describe(self) -> str:
        if self.uuid:
            return "a UUID such as 37c541a1-xxxx-xxxx-xxxx-10fe7a038418"
        return f"{self.typical} {self.alphabet_name}"

    def fits(self, value: str) -> bool:
        if self.uuid:
            return _UUID.fullmatch(value) is not None
        return self.min_len <= len(value) <= self.max_len and self.alphabet.fullmatch(value) is not None

    def typical_fit(self, value: str) -> bool:
        return self.fits(value) and (self.uuid or len(value) == self.typical)


@dataclass(frozen=True, slots=True)
class _Rules:
    name: str
    key: _Shape
    secret: _Shape
    pem_secret: bool  # the exchange accepts a PEM private key (RSA / Ed25519) as the secret
    passphrase: bool


_ALNUM_NAME = "letters and digits"
_RULES: dict[Exchange, _Rules] = {
    Exchange.BINANCE: _Rules(
        "Binance",
        key=_Shape(_ALNUM, _ALNUM_NAME, 32, 128, 64),
        secret=_Shape(_ALNUM, _ALNUM_NAME, 32, 128, 64),
        pem_secret=True,
        passphrase=False,
    ),
    Exchange.OKX: _Rules(
        "OKX",
        key=_Shape(_HEX, "hexadecimal characters", 36, 36, 36, uuid=True),
        secret=_Shape(_HEX, "hexadecimal characters", 16, 128, 32),
        pem_secret=False,
        passphrase=True,
    ),
    Exchange.BYBIT: _Rules(
        "Bybit",
        key=_Shape(_ALNUM, _ALNUM_NAME, 10, 64, 18),
        secret=_Shape(_ALNUM, _ALNUM_NAME, 20, 128, 36),
        pem_secret=True,
        passphrase=False,
    ),
}


def clean(value: str, *, multiline: bool = False) -> str:
    """Strip what pasting adds: surrounding whitespace, zero-width characters, line breaks.

    ``multiline`` keeps inner line breaks (normalised to ``\\n``) for PEM blocks, whose lines
    matter; single-line values lose every line break, wherever it is.
    """
    value = value.translate(_INVISIBLE)
    if multiline:
        lines = re.split(r"\r\n|[\r\n\u2028\u2029\x85]", value)
        return "\n".join(line.strip() for line in lines).strip()
    return value.translate(_LINE_BREAKS).strip()


def _looks_like_pem(value: str) -> bool:
    return "-----BEGIN" in value


def validate_key_material(exchange: str, api_key: str, secret: str, passphrase: str | None = None) -> KeyMaterial:
    """Clean pasted key / secret / passphrase and check they can be a key of ``exchange``.

    Raises :class:`KeyMaterialError` naming every bad field (unknown exchange: field ``exchange``).
    Detects a key and secret pasted into each other's fields. A passphrase is required for OKX and
    refused for Binance and Bybit, whose keys have none.
    """
    try:
        ex = Exchange(exchange.strip().lower())
    except ValueError:
        names = ", ".join(e.value for e in Exchange)
        raise KeyMaterialError([FieldProblem("exchange", f"exchange: must be one of {names}")]) from None
    rules = _RULES[ex]
    key = clean(api_key)
    sec = clean(secret, multiline=_looks_like_pem(secret))
    phrase = clean(passphrase) if passphrase is not None else ""

    swapped = _swap_problems(rules, key, sec)
    checked = [
        swapped.get("api_key") or _key_problem(rules, key),
        swapped.get("secret") or _secret_problem(rules, sec),
    ]
    problems = [p for p in checked if p is not None]
    phrase_problem = _passphrase_problem(rules, phrase, key, sec)
    if phrase_problem is not None:
        problems.append(phrase_problem)
    if problems:
        raise KeyMaterialError(problems)
    return KeyMaterial(ex, key, SecretValue(sec), SecretValue(phrase) if rules.passphrase else None)


def _swap_problems(rules: _Rules, key: str, sec: str) -> dict[str, FieldProblem]:
    """Problems of fields that hold the other field's value; empty when nothing looks swapped."""
    if key and key == sec:
        return {
            "secret": FieldProblem("secret", "secret: it is the same as the API key; paste the secret shown beside it")
        }
    key_is_secret = _looks_like_pem(key) or (not rules.key.fits(key) and rules.secret.typical_fit(key))
    secret_is_key = not _looks_like_pem(sec) and not rules.secret.fits(sec) and rules.key.typical_fit(sec)
    if rules.key.typical != rules.secret.typical and not rules.key.uuid:
        # Lenient lengths let both fit; the typical lengths crossed over still tell (Bybit 18 / 36).
        crossed = rules.secret.typical_fit(key) and rules.key.typical_fit(sec)
        key_is_secret, secret_is_key = key_is_secret or crossed, secret_is_key or crossed
    found = {}
    if key_is_secret:
        found["api_key"] = FieldProblem("api_key", "api_key: looks like you pasted the secret into the API key field")
    if secret_is_key:
        found["secret"] = FieldProblem("secret", "secret: looks like you pasted the API key into the secret field")
    return found


def _key_problem(rules: _Rules, key: str) -> FieldProblem | None:
    if not key:
        return FieldProblem("api_key", "api_key: is required")
    if rules.key.fits(key):
        return None
    return FieldProblem(
        "api_key", f"api_key: {rules.name} API keys are {rules.key.describe()}; got {len(key)} characters"
    )


def _secret_problem(rules: _Rules, sec: str) -> FieldProblem | None:
    if not sec:
        return FieldProblem("secret", "secret: is required")
    if _looks_like_pem(sec):
        return _pem_problem(rules, sec)
    if rules.secret.fits(sec):
        return None
    return FieldProblem(
        "secret", f"secret: {rules.name} secrets are {rules.secret.describe()}; got {len(sec)} characters"
    )


def _pem_problem(rules: _Rules, sec: str) -> FieldProblem | None:
    if not rules.pem_secret:
        return FieldProblem("secret", f"secret: {rules.name} secrets are not PEM keys; paste the secret string")
    block = _PEM.search(sec)
    if block is None:
        return FieldProblem("secret", "secret: the PEM block is incomplete; paste it from BEGIN to END")
    if "PUBLIC KEY" in block.group(1):
        return FieldProblem(
            "secret", "secret: this is a public key; paste the private key whose public half you gave the exchange"
        )
    if "ENCRYPTED" in block.group(1):
        return FieldProblem("secret", "secret: the private key is encrypted; export it without a password")
    try:
        load_pem_private_key(block.group(0).encode(), password=None)
    except (ValueError, TypeError):
        return FieldProblem("secret", "secret: the PEM private key cannot be read; paste it again from BEGIN to END")
    return None


def _passphrase_problem(rules: _Rules, phrase: str, key: str, sec: str) -> FieldProblem | None:
    if not rules.passphrase:
        if phrase:
            return FieldProblem(
                "passphrase", f"passphrase: {rules.name} API keys have no passphrase; leave the field empty"
            )
        return None
    if not phrase:
        return FieldProblem(
            "passphrase", f"passphrase: is required for {rules.name} (the one you chose when creating the key)"
        )
    if phrase in (key, sec):
        return FieldProblem(
            "passphrase", "passphrase: it is the same as the API key or secret; enter the passphrase you chose"
        )
    return None

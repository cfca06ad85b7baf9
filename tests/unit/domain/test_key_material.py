"""Input rules for pasted key material: cleaning, per-exchange shapes, swapped fields, passphrases."""

from __future__ import annotations

import secrets
import string
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from tradebind.domain.credentials import Exchange, mask_key_id
from tradebind.domain.key_material import KeyMaterialError, clean, validate_key_material

ALNUM = string.ascii_letters + string.digits


def alnum(n: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def okx_key() -> str:
    return str(uuid.uuid4())


def okx_secret() -> str:
    # The OKX docs example is 32 upper-case hex (exchanges.md §2.8).
    return secrets.token_hex(16).upper()


def fields(err: pytest.ExceptionInfo[KeyMaterialError]) -> dict[str, str]:
    return {p.field: p.message for p in err.value.problems}


def pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


# -- cleaning --------------------------------------------------------------------------------


def test_paste_artifacts_are_stripped() -> None:
    key, secret = alnum(64), alnum(64)
    m = validate_key_material("binance", f"  \u200b{key[:30]}\n{key[30:]}\ufeff\t\r\n", f"\u00a0{secret}\u200d ")
    assert m.api_key == key
    assert m.secret.reveal() == secret
    assert m.exchange is Exchange.BINANCE
    assert m.passphrase is None


def test_exchange_name_is_forgiving_about_case_and_refuses_unknown_ones() -> None:
    assert validate_key_material(" Bybit ", alnum(18), alnum(36)).exchange is Exchange.BYBIT
    with pytest.raises(KeyMaterialError, match="exchange: must be one of binance, okx, bybit"):
        validate_key_material("kraken", alnum(18), alnum(36))


@given(st.text(alphabet=ALNUM, min_size=1, max_size=80), st.sampled_from(["", " ", "\n", "\u200b", "\r\n", "\ufeff "]))
def test_cleaning_removes_what_pasting_adds_and_is_idempotent(core: str, junk: str) -> None:
    dirty = junk + core[: len(core) // 2] + junk.strip(" ") + core[len(core) // 2 :] + junk
    assert clean(dirty) == core
    assert clean(clean(dirty)) == clean(dirty)


# -- shapes ----------------------------------------------------------------------------------


def test_valid_keys_of_each_exchange_pass() -> None:
    validate_key_material("binance", alnum(64), alnum(64))
    m = validate_key_material("okx", okx_key(), okx_secret(), "my pass-phrase 1")
    assert m.passphrase is not None
    assert m.passphrase.reveal() == "my pass-phrase 1"
    validate_key_material("bybit", alnum(18), alnum(36))


def test_unconfirmed_lengths_are_accepted_leniently() -> None:
    # exchanges.md marks Binance/Bybit/OKX lengths UNCONFIRMED: near-typical lengths pass.
    validate_key_material("binance", alnum(60), alnum(70))
    validate_key_material("bybit", alnum(20), alnum(40))
    validate_key_material("okx", okx_key(), secrets.token_hex(20), "pw")


@pytest.mark.parametrize(
    ("exchange", "key", "secret", "passphrase", "field", "message"),
    [
        ("binance", "short", alnum(64), None, "api_key", "api_key: Binance API keys are 64 letters and digits; got 5"),
        ("binance", alnum(63) + "!", alnum(64), None, "api_key", "api_key: Binance API keys are 64 letters"),
        ("binance", alnum(64), alnum(10), None, "secret", "secret: Binance secrets are 64 letters and digits; got 10"),
        ("okx", alnum(36), okx_secret(), "pw", "api_key", "api_key: OKX API keys are a UUID"),
        ("okx", okx_key(), "zz" * 16, "pw", "secret", "secret: OKX secrets are 32 hexadecimal characters"),
        ("bybit", alnum(18), "ab-" * 12, None, "secret", "secret: Bybit secrets are 36 letters and digits"),
        ("bybit", "", alnum(36), None, "api_key", "api_key: is required"),
        ("bybit", alnum(18), " \n", None, "secret", "secret: is required"),
    ],
    ids=[
        "binance-short-key",
        "binance-key-symbol",
        "binance-short-secret",
        "okx-key-not-uuid",
        "okx-secret-not-hex",
        "bybit-secret-dashes",
        "bybit-no-key",
        "bybit-blank-secret",
    ],
)
def test_what_cannot_be_a_key_is_refused_naming_the_field(
    exchange: str, key: str, secret: str, passphrase: str | None, field: str, message: str
) -> None:
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material(exchange, key, secret, passphrase)
    assert fields(err)[field].startswith(message)


# -- swapped fields --------------------------------------------------------------------------


def test_okx_key_and_secret_swapped_are_detected() -> None:
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("okx", okx_secret(), okx_key(), "pw")
    assert fields(err) == {
        "api_key": "api_key: looks like you pasted the secret into the API key field",
        "secret": "secret: looks like you pasted the API key into the secret field",
    }


def test_bybit_key_and_secret_swapped_are_detected_by_their_typical_lengths() -> None:
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("bybit", alnum(36), alnum(18))
    assert "api_key: looks like you pasted the secret into the API key field" in str(err.value)


def test_secret_pasted_into_both_fields_is_detected() -> None:
    okx_s = okx_secret()
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("okx", okx_s, okx_s, "pw")
    assert "secret: it is the same as the API key" in str(err.value)
    with pytest.raises(KeyMaterialError, match="api_key: looks like you pasted the secret into the API key field"):
        validate_key_material("okx", okx_secret(), okx_secret(), "pw")


def test_api_key_pasted_into_the_secret_field_is_detected() -> None:
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("okx", okx_key(), okx_key(), "pw")
    assert fields(err) == {"secret": "secret: looks like you pasted the API key into the secret field"}


def test_pem_private_key_in_the_key_field_is_the_secret_in_the_wrong_place() -> None:
    with pytest.raises(KeyMaterialError, match="api_key: looks like you pasted the secret"):
        validate_key_material("binance", pem(ed25519.Ed25519PrivateKey.generate()), alnum(64))


# -- passphrase ------------------------------------------------------------------------------


def test_passphrase_is_required_exactly_where_the_exchange_needs_one() -> None:
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("okx", okx_key(), okx_secret(), "  ")
    assert fields(err) == {"passphrase": "passphrase: is required for OKX (the one you chose when creating the key)"}
    for exchange, key, secret in (("binance", alnum(64), alnum(64)), ("bybit", alnum(18), alnum(36))):
        with pytest.raises(KeyMaterialError) as err:
            validate_key_material(exchange, key, secret, "hunter2")
        assert set(fields(err)) == {"passphrase"}
        assert "have no passphrase" in str(err.value)
        assert validate_key_material(exchange, key, secret, "").passphrase is None


def test_passphrase_equal_to_the_secret_is_refused() -> None:
    s = okx_secret()
    with pytest.raises(KeyMaterialError, match="passphrase: it is the same as the API key or secret"):
        validate_key_material("okx", okx_key(), s, s)


# -- PEM secrets (RSA / Ed25519) -------------------------------------------------------------


def test_binance_accepts_ed25519_and_rsa_private_keys_keeping_their_lines() -> None:
    for key in (ed25519.Ed25519PrivateKey.generate(), rsa.generate_private_key(public_exponent=65537, key_size=2048)):
        text = pem(key)
        m = validate_key_material("binance", alnum(64), "\n  " + text.replace("\n", "\r\n") + "  \n")
        assert m.secret.reveal() == text.strip()


def test_bybit_accepts_rsa_and_okx_refuses_pem() -> None:
    text = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert validate_key_material("bybit", alnum(18), text).secret.reveal() == text.strip()
    with pytest.raises(KeyMaterialError, match="secret: OKX secrets are not PEM keys"):
        validate_key_material("okx", okx_key(), text, "pw")


def test_public_key_truncated_or_garbled_pem_is_refused_with_a_fix() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    text = pem(private)
    cases = {
        public: "secret: this is a public key",
        text[: len(text) // 2]: "secret: the PEM block is incomplete",
        text.replace(
            text.splitlines()[1], "A" * len(text.splitlines()[1])
        ): "secret: the PEM private key cannot be read",
    }
    for secret, message in cases.items():
        with pytest.raises(KeyMaterialError) as err:
            validate_key_material("binance", alnum(64), secret)
        assert str(err.value).startswith(message)


# -- nothing secret in messages or reprs -----------------------------------------------------


def test_errors_and_reprs_never_contain_the_pasted_values() -> None:
    key, secret, phrase = okx_key(), okx_secret(), "CANARY-passphrase-77"
    m = validate_key_material("okx", key, secret, phrase)
    for shown in (repr(m), str(m), f"{m}"):
        assert secret not in shown
        assert phrase not in shown
        assert key not in shown
        assert mask_key_id(key) in shown
    bad_secret = "CANARY" + secret[6:] + "zz"
    with pytest.raises(KeyMaterialError) as err:
        validate_key_material("okx", key, bad_secret, phrase)
    assert bad_secret not in str(err.value)
    assert phrase not in str(err.value)


def test_mask_shows_first_and_last_four_only() -> None:
    assert mask_key_id("abcdEFGHijklMNOP") == "abcd…MNOP"
    assert mask_key_id("short") == "…"
    assert mask_key_id("") == ""

"""Associated data and wrap contexts are canonical: different inputs never encode alike."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradebind.vault import Aad, wrap_context


def test_aad_parts_cannot_be_shifted() -> None:
    assert Aad("ab", "c", "f").encode() != Aad("a", "bc", "f").encode()
    assert Aad("o", "r", "api_secret").encode() != Aad("o", "r", "passphrase").encode()


@given(st.tuples(st.text(), st.text(), st.text()), st.tuples(st.text(), st.text(), st.text()))
def test_aad_encoding_is_injective(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    assert (Aad(*a).encode() == Aad(*b).encode()) == (a == b)


@given(st.text(), st.text())
def test_wrap_context_is_injective(a: str, b: str) -> None:
    assert (wrap_context(a) == wrap_context(b)) == (a == b)


def test_aad_encoding_is_stable() -> None:
    # Stored ciphertexts depend on these exact bytes: a change here makes every secret unreadable.
    expected = b"".join(len(p).to_bytes(4, "big") + p for p in (b"tradebind/v1", b"o", b"rec", b"api_secret"))
    assert Aad("o", "rec", "api_secret").encode() == expected

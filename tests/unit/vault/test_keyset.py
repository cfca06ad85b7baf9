"""The key file's keyset: versions, rotation, retirement and strict parsing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from tradebind.vault import DecryptionFailed, KekVersionRetired, VaultError
from tradebind.vault.keyset import Keyset, KeysetFormatError


def test_generated_keyset_has_one_kek_and_a_separate_lookup_key() -> None:
    ks = Keyset.generate()
    assert ks.current == 1
    assert len(ks.kek(1)) == 32
    assert len(ks.lookup_key) == 32
    assert ks.lookup_key != ks.kek(1)
    assert Keyset.generate().kek(1) != ks.kek(1)


def test_json_round_trip_keeps_every_version() -> None:
    ks = Keyset.generate().rotated().rotated().retired(1)
    back = Keyset.from_json(ks.to_json())
    assert back == ks
    assert sorted(back.keks) == [2, 3]
    assert back.current == 3


def test_rotation_keeps_older_versions_until_retired() -> None:
    ks = Keyset.generate()
    rotated = ks.rotated()
    assert rotated.current == 2
    assert rotated.kek(1) == ks.kek(1)
    assert rotated.kek(2) != ks.kek(1)
    assert rotated.lookup_key == ks.lookup_key


def test_retired_version_gives_a_clear_error_and_is_deleted() -> None:
    ks = Keyset.generate().rotated().retired(1)
    assert 1 not in ks.keks
    with pytest.raises(KekVersionRetired, match="version 1 is retired"):
        ks.kek(1)


def test_current_version_cannot_be_retired() -> None:
    with pytest.raises(VaultError, match="rotate first"):
        Keyset.generate().retired(1)


def test_unknown_version_fails_decryption() -> None:
    with pytest.raises(DecryptionFailed, match="version 7"):
        Keyset.generate().kek(7)


def test_repr_hides_key_material() -> None:
    ks = Keyset.generate()
    for key in (ks.kek(1), ks.lookup_key):
        assert base64.b64encode(key).decode() not in repr(ks)
        assert repr(key) not in repr(ks)


def _doc() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(Keyset.generate().rotated().to_json())
    return loaded


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(format="other"), "tradebind keyset"),
        (lambda d: d.update(format_version=2), "format_version"),
        (lambda d: d.update(keks={}), "keks"),
        (lambda d: d.update(keks={"1": "not base64!"}), "keks"),
        (lambda d: d.update(keks={"x": base64.b64encode(b"k" * 32).decode()}), "keks"),
        (lambda d: d.update(keks={"1": base64.b64encode(b"short").decode()}), "keks"),
        (lambda d: d.update(current=9), "current"),
        (lambda d: d.update(current=True), "current"),
        (lambda d: d.update(retired_through=-1), "retired_through"),
        (lambda d: d.update(retired_through=1), "keks"),
        (lambda d: d.pop("lookup_key"), "lookup_key"),
    ],
)
def test_malformed_key_file_names_the_field_without_quoting_keys(
    change: Callable[[dict[str, object]], object], field: str
) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(KeysetFormatError, match=field) as info:
        Keyset.from_json(json.dumps(doc).encode())
    keks = doc.get("keks")
    for value in keks.values() if isinstance(keks, dict) else ():
        assert str(value) not in str(info.value)


def test_not_json_is_refused() -> None:
    with pytest.raises(KeysetFormatError, match="not valid JSON"):
        Keyset.from_json(b"\xff\x00garbage")

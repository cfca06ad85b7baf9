"""The local key file: created safely, refused when unsafe, shared safely between processes."""

from __future__ import annotations

import base64
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tradebind.vault import InsecureKeyFile, KekUnavailable, LocalFileKekProvider

CONTEXT = b"owner-1"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_run_creates_key_file_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "kek.json"
    provider = LocalFileKekProvider(path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert provider.current_version() == 1
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")] == ["kek.json"]


def test_second_start_reuses_the_same_keys(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    wrapped = LocalFileKekProvider(path).wrap(b"d" * 32, CONTEXT)
    again = LocalFileKekProvider(path)
    assert again.unwrap(wrapped, CONTEXT) == b"d" * 32


def test_missing_file_without_create_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(KekUnavailable, match="not accessible"):
        LocalFileKekProvider(tmp_path / "absent.json", create=False)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o602, 0o644])
def test_group_or_other_permissions_are_refused_at_start(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kek.json"
    LocalFileKekProvider(path)
    path.chmod(mode)
    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        LocalFileKekProvider(path)


def test_permissions_loosened_while_running_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    provider = LocalFileKekProvider(path)
    wrapped = provider.wrap(b"d" * 32, CONTEXT)
    path.chmod(0o644)
    with pytest.raises(InsecureKeyFile):
        provider.unwrap(wrapped, CONTEXT)
    with pytest.raises(InsecureKeyFile):
        provider.wrap(b"d" * 32, CONTEXT)


def test_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    LocalFileKekProvider(real)
    link = tmp_path / "kek.json"
    link.symlink_to(real)
    with pytest.raises(InsecureKeyFile, match="symlink"):
        LocalFileKekProvider(link, create=False)


def test_deleted_key_file_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    provider = LocalFileKekProvider(path)
    wrapped = provider.wrap(b"d" * 32, CONTEXT)
    path.unlink()
    with pytest.raises(KekUnavailable):
        provider.unwrap(wrapped, CONTEXT)
    with pytest.raises(KekUnavailable):
        provider.lookup_key()


def test_corrupt_key_file_is_unavailable_and_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    LocalFileKekProvider(path)
    path.write_bytes(b'{"format": "tradebind-keyset", "format_version": 1}')
    with pytest.raises(KekUnavailable, match="keks"):
        LocalFileKekProvider(path)


def test_rotation_by_another_process_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    first, second = LocalFileKekProvider(path), LocalFileKekProvider(path)
    assert second.rotate() == 2
    assert _mode(path) == 0o600
    assert first.current_version() == 2
    wrapped = first.wrap(b"d" * 32, CONTEXT)
    assert wrapped.kek_version == 2
    assert second.unwrap(wrapped, CONTEXT) == b"d" * 32


def test_retired_key_is_gone_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    provider = LocalFileKekProvider(path)
    old_file = path.read_text()
    provider.rotate()
    provider.retire(1)
    old_key = json.loads(old_file)["keks"]["1"]
    assert old_key not in path.read_text()
    assert base64.b64decode(old_key) not in path.read_bytes()


def test_repr_shows_path_only(tmp_path: Path) -> None:
    provider = LocalFileKekProvider(tmp_path / "kek.json")
    assert repr(provider) == f"LocalFileKekProvider(path={str(tmp_path / 'kek.json')!r})"


def test_concurrent_rotations_lose_no_version(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    providers = [LocalFileKekProvider(path), LocalFileKekProvider(path)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda p: [p.rotate() for _ in range(5)], providers))
    keys = json.loads(path.read_text())["keks"]
    assert sorted(int(v) for v in keys) == list(range(1, 12))
    assert providers[0].current_version() == providers[1].current_version() == 11

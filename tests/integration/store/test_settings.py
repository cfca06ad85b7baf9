"""Settings: data directory, database URL and KEK provider from TRADEBIND_* variables."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from tradebind.settings import KekProviderKind, Settings, SettingsError


def test_defaults_put_sqlite_in_the_user_data_dir_and_the_kek_beside_it() -> None:
    s = Settings.from_env({})
    data = Path(platformdirs.user_data_dir("tradebind"))
    assert s.data_dir == data
    assert s.database_url == f"sqlite:///{data / 'tradebind.sqlite3'}"
    assert s.kek_provider is KekProviderKind.LOCAL_FILE
    assert s.kek_file.parent == data.parent
    assert not s.kek_file.is_relative_to(data)
    assert s.openbao is None


def test_data_dir_and_database_url_come_from_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env({"TRADEBIND_DATA_DIR": str(tmp_path / "d")})
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'tradebind.sqlite3'}"
    assert s.kek_file == tmp_path / "d.kek"
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert Settings.from_env({"TRADEBIND_DATABASE_URL": pg}).database_url == pg


def test_kek_file_inside_the_data_dir_is_refused(tmp_path: Path) -> None:
    env = {"TRADEBIND_DATA_DIR": str(tmp_path), "TRADEBIND_KEK_FILE": str(tmp_path / "kek")}
    with pytest.raises(SettingsError, match="TRADEBIND_KEK_FILE"):
        Settings.from_env(env)


def test_unknown_provider_is_named_in_the_error() -> None:
    with pytest.raises(SettingsError, match="TRADEBIND_KEK_PROVIDER: must be one of local_file, openbao"):
        Settings.from_env({"TRADEBIND_KEK_PROVIDER": "kms"})


def test_openbao_needs_a_token_and_never_shows_it() -> None:
    with pytest.raises(SettingsError, match="TRADEBIND_OPENBAO_TOKEN"):
        Settings.from_env({"TRADEBIND_KEK_PROVIDER": "openbao"})
    s = Settings.from_env({"TRADEBIND_KEK_PROVIDER": "openbao", "TRADEBIND_OPENBAO_TOKEN": "hvs.canary-token-1234"})
    assert s.openbao is not None
    assert s.openbao.token == "hvs.canary-token-1234"
    assert "canary-token" not in repr(s)

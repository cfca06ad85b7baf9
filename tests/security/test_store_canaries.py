"""Canary secrets planted through the public functions appear nowhere at rest or in logs.

Scanned: the SQLite file (with its WAL), a plain ``pg_dump`` of the test schema, the application
log (every logger at DEBUG, SQLAlchemy echoing statements, parameters and rows), the activity log,
and the operator CLI's output. A positive control plants a canary in text, binary and JSON columns,
in base64, and in the log, and proves the scanner finds each. The KEK and every unwrapped data key
must not appear either.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.integration.store.support import BACKENDS, PG_DSN, Database, database
from tests.security.canary_scan import forms, scan
from tradebind.cli import app
from tradebind.domain.key_material import KeyMaterialError, validate_key_material
from tradebind.store import (
    BindingRepository,
    BotRepository,
    CredentialRepository,
    OwnerDirectory,
    Store,
    StoreError,
    rewrap_pending,
    rotate,
)
from tradebind.store.tables import ActivityRow, DataKeyRow
from tradebind.vault import EnvelopeVault, LocalFileKekProvider, WrappedKey, wrap_context

ALNUM = string.ascii_letters + string.digits


def _alnum(n: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


@dataclass
class Planted:
    """Canaries that went in through the public functions, by kind."""

    secrets: list[str] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return self.secrets + self.key_ids


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as d:
        yield d


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """Everything logged (root at DEBUG, SQLAlchemy echoing SQL, parameters and rows) into a file."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root, engine_log = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = (root.level, engine_log.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(levels[0])
    engine_log.setLevel(levels[1])


def _plant(store: Store, vault: EnvelopeVault) -> Planted:
    """Drive the public functions with canary material; log what an application would log."""
    planted = Planted()
    log = logging.getLogger("tradebind.app")
    owners = OwnerDirectory(store)
    alice, bob = owners.create("alice"), owners.create("bob")
    creds = CredentialRepository(store, vault, alice.id, actor="web")

    binance_key, binance_secret = _alnum(64), "CANARYbinance" + _alnum(51)
    okx_key, okx_secret = str(uuid.uuid4()), "CA11AB1E" + secrets.token_hex(12).upper()
    okx_phrase = "CANARY-okx-passphrase-" + secrets.token_hex(8)
    bybit_key, bybit_secret = _alnum(18), "CANARYbybit" + _alnum(25)
    planted.secrets += [binance_secret, okx_secret, okx_phrase, bybit_secret]
    planted.key_ids += [binance_key, okx_key]  # Bybit key ids (18) are too short to scan specifically

    b = creds.add(validate_key_material("binance", f" {binance_key}\n", binance_secret), "binance main")
    o = creds.add(validate_key_material("okx", okx_key, okx_secret, okx_phrase), "okx main")
    y = creds.add(validate_key_material("bybit", bybit_key, bybit_secret), "bybit main")
    for cred in (b, o, y):
        opened = creds.open(cred.id, purpose="check")
        log.info("opened %r for the check: %s", opened, opened.secret)
        creds.record_check(cred.id, verdict="CONNECTED", permissions=["read", "trade"], ips=["203.0.113.9"])
    binding = BindingRepository(store, alice.id).add(o.id, "spot", "okx spot")
    bot = BotRepository(store, alice.id).add("dca", binding.id, "BTC/USDT", "dca", {"base_order": "10"})
    BotRepository(store, alice.id).set_state(bot.id, "running")

    # Replacing material: the new canaries in, the old ones shredded.
    new_secret = "CANARYreplaced" + _alnum(50)
    planted.secrets.append(new_secret)
    creds.replace_material(b.id, validate_key_material("binance", binance_key, new_secret))

    # Errors an application would log: a bad paste, a key another owner holds, a delete in use.
    bad_secret = "CANARYbad-" + secrets.token_hex(12)
    planted.secrets.append(bad_secret)
    try:
        validate_key_material("okx", okx_key, bad_secret, okx_phrase)
    except KeyMaterialError as exc:
        log.warning("rejected key material: %s (%r)", exc, exc.problems)
    try:
        CredentialRepository(store, vault, bob.id).add(
            validate_key_material("okx", okx_key, okx_secret, okx_phrase), "x"
        )
    except StoreError as exc:
        log.warning("refused: %s", exc)
    try:
        creds.delete(o.id)
    except StoreError as exc:
        log.warning("refused: %s", exc)
    creds.delete(y.id)

    rotate(store, vault)
    rewrap_pending(store, vault, batch_size=2)
    return planted


def _dump(db: Database, store: Store) -> dict[str, bytes]:
    store.close()
    if db.sqlite_path is not None:
        return {p.name: p.read_bytes() for p in db.sqlite_path.parent.glob(db.sqlite_path.name + "*")}
    assert db.schema is not None
    out = subprocess.run(
        ["pg_dump", "--dbname", PG_DSN, "--schema", db.schema, "--format", "plain", "--no-owner"],
        check=True,
        capture_output=True,
    ).stdout
    assert b"CREATE TABLE" in out
    return {"pg_dump": out}


def _activity(store: Store) -> bytes:
    with store.read() as session:
        rows = session.scalars(select(ActivityRow).order_by(ActivityRow.id)).all()
        names = [c.name for c in ActivityRow.__table__.columns]
        return "\n".join(repr({n: getattr(r, n) for n in names}) for r in rows).encode()


def _key_material(store: Store, kek_file: Path, vault_provider: LocalFileKekProvider) -> list[bytes]:
    """The KEKs in the key file and every data key, unwrapped through the provider (test hook)."""
    keyset = json.loads(kek_file.read_bytes())
    material = [base64.b64decode(v) for v in keyset["keks"].values()] + [base64.b64decode(keyset["lookup_key"])]
    with store.read() as session:
        for row in session.scalars(select(DataKeyRow)):
            wrapped = WrappedKey(row.provider, row.kek_version, row.blob)
            material.append(vault_provider.unwrap(wrapped, wrap_context(row.owner_id)))
    return material


def test_no_canary_anywhere_at_rest_or_in_logs(db: Database, tmp_path: Path, app_log: Path) -> None:
    kek_file = tmp_path / "tradebind.kek"
    provider = LocalFileKekProvider(kek_file)
    vault = EnvelopeVault(provider)
    store = Store.open(db.url)
    planted = _plant(store, vault)

    env = {
        "TRADEBIND_DATABASE_URL": db.url,
        "TRADEBIND_KEK_FILE": str(kek_file),
        "TRADEBIND_DATA_DIR": str(tmp_path / "d"),
    }
    cli = CliRunner()
    cli_out = "".join(cli.invoke(app, args, env=env).output for args in (["vault", "status"], ["audit", "verify"]))
    assert "activity log intact" in cli_out

    keys = _key_material(store, kek_file, provider)
    blobs = {
        **_dump(db, Store.open(db.url)),
        "activity": _activity(Store.open(db.url)),
        "app.log": app_log.read_bytes(),
        "cli": cli_out.encode(),
    }
    assert b"credential.add" in blobs["activity"]
    assert b"INSERT INTO secret_values" in blobs["app.log"]  # the log really saw the statements

    assert scan(blobs, planted.all()) == []
    assert [(h.form, h.where) for h in scan(blobs, keys)] == []
    store.close()


def test_positive_control_the_scanner_finds_planted_leaks(db: Database, tmp_path: Path, app_log: Path) -> None:
    control = "CANARY-control-" + secrets.token_hex(10)
    encoded = base64.b64encode(b"x" + control.encode()).decode()
    store = Store.open(db.url)
    binary = "BYTEA" if db.backend == "postgresql" else "BLOB"
    with store.write() as session:
        session.execute(text(f"CREATE TABLE scratch (t TEXT, b {binary}, j TEXT, e TEXT)"))
        session.execute(
            text("INSERT INTO scratch VALUES (:t, :b, :j, :e)"),
            {"t": control, "b": control.encode(), "j": json.dumps({"s": control}), "e": encoded},
        )
    logging.getLogger("tradebind.app").info("oops: %s", control)
    blobs = {**_dump(db, store), "app.log": app_log.read_bytes()}

    hits = {(h.form, h.where) for h in scan(blobs, [control])}
    where = next(iter(blobs)) if db.backend == "postgresql" else db.sqlite_path.name if db.sqlite_path else ""
    assert ("raw", "app.log") in hits
    assert any(form.startswith("base64@") for form, _ in hits)
    if db.backend == "postgresql":
        # pg_dump writes bytea as \x<hex>: only the hex form finds the binary column's copy.
        assert ("hex", where) in hits
    assert ("raw", where) in hits
    assert all(f in forms(control.encode()) for f, _ in hits)


def _server_log() -> Path | None:
    """The Debian cluster log (``/var/log/postgresql/postgresql-<major>-<cluster>.log``) if readable."""
    import psycopg

    with psycopg.connect(PG_DSN) as conn:
        major = str(conn.execute("SHOW server_version_num").fetchone()[0])[:2]  # type: ignore[index]
        cluster = str(conn.execute("SHOW cluster_name").fetchone()[0])  # type: ignore[index]
    path = Path(f"/var/log/postgresql/postgresql-{cluster.replace('/', '-') or major + '-main'}.log")
    try:
        with path.open("rb"):
            return path
    except OSError:
        return None


def test_postgresql_server_log_with_every_statement_logged_holds_no_canary(tmp_path: Path) -> None:
    log_path = _server_log()
    if log_path is None:
        pytest.skip("the PostgreSQL server log is not readable on this machine")
    start = log_path.stat().st_size
    control = "CANARY-server-log-control-" + secrets.token_hex(8)
    with database("postgresql", tmp_path, extra_options=" -clog_statement=all") as db:
        store = Store.open(db.url)
        vault = EnvelopeVault(LocalFileKekProvider(tmp_path / "tradebind.kek"))
        planted = _plant(store, vault)
        with store.read() as session:
            session.execute(text("SELECT CAST(:c AS text)"), {"c": control})
        store.close()

    deadline = time.monotonic() + 10
    while True:
        with log_path.open("rb") as f:
            f.seek(start)
            logged = f.read()
        if control.encode() in logged or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert control.encode() in logged, "positive control: bind parameters are in the server log"
    assert b"INSERT INTO secret_values" in logged
    assert scan({"postgresql.log": logged}, planted.all()) == []

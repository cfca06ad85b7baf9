"""Fixtures of the bots suite: the store suite's databases (SQLite and PostgreSQL) reused as is."""

from tests.integration.store.conftest import alice, bob, db, kek_file, store, vault

__all__ = ["alice", "bob", "db", "kek_file", "store", "vault"]

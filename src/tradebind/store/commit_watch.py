"""Whether anyone may have committed to a SQLite database since a look, without asking SQLite.

A database in WAL mode has a shared-memory file next to it, ``<database>-shm``, that every
connection of every process maps: the WAL-index. Its first 96 bytes are the WAL-index header,
two copies of one 48-byte record (``iVersion`` 3007000, ``iChange``, ``isInit``, the page size,
``mxFrame``, ``nPage``, the frame checksum, the salts and a checksum over all of it). Every commit
ends by rewriting that header (the second copy first, then the first), and a reader learns of a
commit only from it: a commit that has not rewritten the header is not yet visible to anyone.
Restarting the WAL after a checkpoint rewrites it too (new salts). So if those 96 bytes are what
they were at a look, no transaction has committed since, whoever wrote it. Sources: SQLite's
"WAL-mode File Format" (walformat.html §2.1, the WAL-index header, for the unix VFS) and wal.c
(``walIndexWriteHdr``).

What it costs: a read of 96 bytes from a read-only mapping, about 0.2 µs, where the cheapest
SQL statement is 5–20 µs. It is only ever a "nothing changed" shortcut: whoever sees the bytes
differ reads the database as before.

:meth:`CommitWatch.open` refuses (returns None) anything it cannot vouch for: a database not in
WAL mode, a missing or short ``-shm`` file, or a header that is not a live WAL-index of this page
size (another VFS, a future format). The mapping stays valid while the caller's connection is
open: SQLite removes the ``-shm`` file only when the last connection closes.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import struct
from pathlib import Path

__all__ = ["CommitWatch"]

HEADER_BYTES = 96  # two copies of the 48-byte WalIndexHdr
_HEADER = struct.Struct("=IIIBBHIIIIIIII")  # native order, as SQLite writes shared memory
_WALINDEX_VERSION = 3007000


class CommitWatch:
    """The WAL-index header of one database, mapped read-only. Use :meth:`open`."""

    def __init__(self, fd: int, mapping: mmap.mmap) -> None:
        self._fd = fd
        self._map = mapping

    @classmethod
    def open(cls, sqlite_file: Path, connection: sqlite3.Connection) -> CommitWatch | None:
        """A watch on ``sqlite_file``'s commits, or None where one cannot be trusted.

        ``connection`` is an open connection to the file that the caller keeps open at least as
        long as the watch (it keeps the ``-shm`` file in place)."""
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            return None
        page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # a read maps the WAL-index
        try:
            fd = os.open(f"{sqlite_file}-shm", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            if os.fstat(fd).st_size < HEADER_BYTES:
                raise ValueError("too short for a WAL-index")
            mapping = mmap.mmap(fd, HEADER_BYTES, prot=mmap.PROT_READ)
        except (OSError, ValueError):
            os.close(fd)
            return None
        watch = cls(fd, mapping)
        if not watch._is_wal_index(page_size):
            watch.close()
            return None
        return watch

    def token(self) -> bytes:
        """The header as it is now: equal to an earlier token only if nothing committed between
        the two looks (a change in either copy counts, so a header being rewritten is seen)."""
        return self._map[:HEADER_BYTES]

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

    def _is_wal_index(self, page_size: int) -> bool:
        for copy in (0, 1):
            version, _, _, is_init, _, size, *_ = _HEADER.unpack_from(self._map, copy * _HEADER.size)
            # WalIndexHdr.szPage holds the page size, with 65536 written as 1.
            if version != _WALINDEX_VERSION or is_init != 1 or (65536 if size == 1 else size) != page_size:
                return False
        return True

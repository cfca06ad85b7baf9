"""The request journal: a gateway's file of request records and sent order ids, each written
before its result is used (a record) or before its order leaves (an order id).

Why a file. A request's result must not be used before its record is durable. Committing the
record to the activity log on SQLite costs 0.2–0.4 ms on the event loop per request (a hash-chain
append: five statements, four pages), more than the gateway's whole budget on a fast exchange;
one line in a file costs a few microseconds. The two are equally durable here: the log commits
records with ``synchronous=NORMAL`` under WAL, so both survive a crash of the process and
neither is fsynced before a power loss (see :class:`tradebind.gateway.records.ActivityRequestSink`).
The sink's writer thread copies the lines into the store within moments (at most 0.5 s).

Why a mapping. A line is stored into a shared mapping of the file: it is in the kernel's page
cache once the copy is done, exactly as a ``write`` would leave it (a crash of the process keeps
it), without a system call and the inode update each ``write`` makes (most of what a record
cost on the loop right after a wait for the network, on this 2-core VM). Space is
reserved ahead, 1 MiB at a time, with ``posix_fallocate``: a full disk (or a file size limit)
refuses the reservation, before any byte of the line is stored, so a record that cannot be
journaled fails whole, and a store into reserved blocks cannot meet a full disk (which a sparse
mapping would answer with SIGBUS). The reserved rest of the file reads as zero bytes; a line never
holds one (JSON escapes it), so a reader stops at the first.

Layout. Next to the SQLite file, a directory ``<file>-requests/`` (mode 0700) holds the journals
of gateways: ``<random>.jsonl`` (mode 0600), one JSON object per line (as
:mod:`tradebind.gateway.records` writes them), each exclusively locked (``flock``) while its
gateway lives. A gateway starts a new journal once its current one holds :data:`ROTATE_BYTES`;
its writer thread removes the full one once all of it is copied. Lines carry no key material
(the key id is masked), like the activity log itself.

Exactly once. The copy mark of a journal (``request_journals``: how many of its bytes are in the
store) moves in the same transaction as the entries it covers
(:class:`tradebind.store.activity_writer.ActivityWriter`). A journal whose lock can be taken
belongs to a gateway that ended before copying all of it (killed, crashed, or its database was
unwritable at close): :func:`orphans` hands it to whoever asks, who copies it from its mark and
removes it. A torn last line (a store cut short by a crash of the process or a power loss) is
skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "RESERVE_BYTES",
    "ROTATE_BYTES",
    "OrphanJournal",
    "RequestJournal",
    "any_journal",
    "journal_directory",
    "journal_exists",
    "orphans",
]

log = logging.getLogger(__name__)

_SUFFIX = ".jsonl"


def journal_directory(sqlite_file: Path) -> Path:
    """Where the journals of gateways writing to ``sqlite_file`` live."""
    return sqlite_file.with_name(sqlite_file.name + "-requests")


def journal_exists(directory: Path, name: str) -> bool:
    """Whether journal ``name`` (live or left behind) is still in ``directory``."""
    return (directory / (name + _SUFFIX)).exists()


def any_journal(directory: Path) -> bool:
    """Whether ``directory`` holds any journal (one may have been left behind)."""
    return directory.is_dir() and any(directory.glob("*" + _SUFFIX))


ROTATE_BYTES = 64 << 20  # a gateway's journal is replaced by a new one once it holds this much
RESERVE_BYTES = 1 << 20  # disk space reserved ahead, a step at a time


class RequestJournal:
    """A new journal of this gateway, locked until :meth:`close`. Append from one thread (the
    loop); the writer thread closes it once it is done with it."""

    def __init__(self, directory: Path, *, reserve: int = RESERVE_BYTES) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.name = secrets.token_hex(16)
        path = directory / (self.name + _SUFFIX)
        # Locked under a name orphans() does not look at, then renamed: a journal is never seen
        # unlocked, so no other gateway can take it for an orphan and remove it under us.
        hidden = directory / f".{self.name}.new"
        self._fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, path)
        except OSError:
            os.close(self._fd)
            hidden.unlink(missing_ok=True)
            raise
        self._path = path
        self._reserve = reserve
        self._map: mmap.mmap | None = None
        self._reserved = 0
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes of lines in the journal."""
        return self._size

    def append(self, fields: Mapping[str, Any]) -> int:
        """Store ``fields`` as one line; the journal's size after it. Raises OSError if the space
        for it cannot be reserved (a full disk): then nothing of it is in the journal."""
        line = orjson.dumps(fields, option=orjson.OPT_APPEND_NEWLINE)
        start = self._size
        end = start + len(line)
        if end > self._reserved:
            self._grow(end)
        assert self._map is not None  # mapped by _grow
        self._map[start:end] = line
        self._size = end
        return end

    def _grow(self, end: int) -> None:
        reserved = -(-end // self._reserve) * self._reserve
        os.posix_fallocate(self._fd, self._reserved, reserved - self._reserved)
        mapping = mmap.mmap(self._fd, reserved)  # shared, read and write: stores reach the file
        if self._map is not None:
            self._map.close()
        self._map, self._reserved = mapping, reserved

    def close(self, *, remove: bool) -> None:
        """Release the journal; ``remove`` deletes it first (every line is copied), else the
        reserved rest is given back and the lines stay for whoever copies them."""
        if self._map is not None:
            self._map.close()
            self._map = None
        if remove:
            self._path.unlink(missing_ok=True)
        else:
            with contextlib.suppress(OSError):  # the zeros after the lines are harmless if left
                os.ftruncate(self._fd, self._size)
        os.close(self._fd)


class OrphanJournal:
    """A journal of a gateway that ended before copying all of it; locked by us until released."""

    def __init__(self, path: Path, fd: int) -> None:
        self.name = path.name.removesuffix(_SUFFIX)
        self._path = path
        self._fd = fd

    def lines(self, start: int) -> Iterator[tuple[dict[str, Any], int]]:
        """The complete lines after byte ``start``, in order, as objects, each with the byte
        it ends at (a line that is not a JSON object is skipped)."""
        with os.fdopen(os.dup(self._fd), "rb") as f:
            f.seek(start)
            end = start
            for line in f:
                if not line.endswith(b"\n") or b"\0" in line:  # the last line, or the reserved rest
                    torn = line.split(b"\0", 1)[0]
                    if torn:
                        log.warning("request journal %s: a torn last line (%s bytes) skipped", self.name, len(torn))
                    return
                end += len(line)
                try:
                    fields = orjson.loads(line)
                except ValueError:
                    fields = None
                if not isinstance(fields, dict):
                    log.warning("request journal %s: a line that is not an object skipped", self.name)
                    continue
                yield fields, end

    def remove(self) -> None:
        self._path.unlink(missing_ok=True)

    def release(self) -> None:
        os.close(self._fd)


def orphans(directory: Path) -> Iterator[OrphanJournal]:
    """The journals in ``directory`` whose gateway has ended, each locked for the caller, who
    copies what its mark has not and then removes it, or releases it for a later attempt."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*" + _SUFFIX)):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:  # removed since the listing
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Another gateway may have copied and removed it between our open and our lock: then
            # its mark is gone too, and copying this inode again would duplicate every record.
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                raise FileNotFoundError(path)
        except OSError:  # locked by its live gateway (or another's recovery), or gone
            os.close(fd)
            continue
        yield OrphanJournal(path, fd)

"""The request journal: a gateway's file of request records, written before each result is used.

Why a file. A request's result must not be used before its record is durable. Committing the
record to the activity log on SQLite costs 0.2–0.4 ms on the event loop per request (a hash-chain
append: five statements, four pages), more than the gateway's whole budget on a fast exchange;
one append to a file costs a few microseconds. The two are equally durable here: the log commits
records with ``synchronous=NORMAL`` under WAL, so both survive a crash of the process and
neither is fsynced before a power loss (see :class:`tradebind.gateway.records.ActivityRequestSink`).
The sink's writer thread copies the records into the activity log within moments (at most 0.5 s).

Layout. Next to the SQLite file, a directory ``<file>-requests/`` (mode 0700) holds one journal
per gateway: ``<random>.jsonl`` (mode 0600), one JSON object per line (a record, as
:mod:`tradebind.gateway.records` writes it), exclusively locked (``flock``) while its gateway
lives. Records carry no key material (the key id is masked), like the activity log itself.

Exactly once. The copy mark of a journal (``request_journals``: how many of its bytes are in the
log) moves in the same transaction as the entries it covers
(:class:`tradebind.store.activity_writer.ActivityWriter`). A journal whose lock can be taken
belongs to a gateway that ended before copying all of it (killed, crashed, or its database was
unwritable at close): :func:`orphans` hands it to whoever asks, who copies it from its mark and
removes it. A torn last line (a write cut short by a power loss or a full disk) is skipped.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

__all__ = ["OrphanJournal", "RequestJournal", "any_journal", "journal_directory", "journal_exists", "orphans"]

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


class RequestJournal:
    """A new journal of this gateway, locked until :meth:`close`. Use from one thread (the loop)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.name = secrets.token_hex(16)
        path = directory / (self.name + _SUFFIX)
        # Locked under a name orphans() does not look at, then renamed: a journal is never seen
        # unlocked, so no other gateway can take it for an orphan and remove it under us.
        hidden = directory / f".{self.name}.new"
        self._fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, path)
        except OSError:
            os.close(self._fd)
            hidden.unlink(missing_ok=True)
            raise
        self._path = path
        self._size = 0
        self._broken = False

    def append(self, fields: Mapping[str, Any]) -> int:
        """Write ``fields`` as one line, with one ``write``; the journal's size after it. Raises
        OSError if it was not all written (the journal is then as before, or refuses every later
        append if even that cannot be restored)."""
        if self._broken:
            raise OSError("request journal: a torn line could not be taken back")
        line = orjson.dumps(fields, option=orjson.OPT_APPEND_NEWLINE)
        try:
            written = os.write(self._fd, line)
            if written != len(line):  # a full disk cuts a write short
                raise OSError(f"request journal: {written} of {len(line)} bytes written")
        except OSError:
            self._take_back()
            raise
        self._size += written
        return self._size

    def _take_back(self) -> None:
        """Cut a torn line off, so the next record does not continue it."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError:
            self._broken = True

    def close(self, *, remove: bool) -> None:
        """Release the journal; ``remove`` deletes it first (every record is in the log)."""
        if remove:
            self._path.unlink(missing_ok=True)
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
                end += len(line)
                if not line.endswith(b"\n"):
                    log.warning("request journal %s: a torn last line (%s bytes) skipped", self.name, len(line))
                    return
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

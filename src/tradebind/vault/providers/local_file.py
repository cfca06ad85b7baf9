"""The default KEK provider: a keyset in a local file (mode 0600, beside the data, never in the database).

Data keys are wrapped with AES-256-GCM under the current KEK version; the wrap's associated data
binds the provider, the KEK version and the caller's ``context`` (the owner), so a wrapped key
moved to another owner does not unwrap. The file is re-read whenever it changes on disk (another
process rotated or retired), and checked for safe permissions every time it is read: a key file
readable or writable by group/other, a symlink, or a file owned by another user is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tradebind.vault.api import DecryptionFailed, InsecureKeyFile, KekUnavailable, WrappedKey
from tradebind.vault.encoding import length_prefixed
from tradebind.vault.keyset import Keyset, KeysetFormatError

NAME = "local"
_NONCE = 12
_DEK_BYTES = 32
_FileSignature = tuple[int, int, int, int, int]


def _wrap_aad(version: int, context: bytes) -> bytes:
    return length_prefixed(b"tradebind/local-kek/v1", version.to_bytes(4, "big"), context)


def _signature(st: os.stat_result) -> _FileSignature:
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode)


def _check_safe(st: os.stat_result, path: Path) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InsecureKeyFile(f"key file {path} is not a regular file")
    if st.st_uid != os.geteuid():
        raise InsecureKeyFile(f"key file {path} is owned by another user")
    if st.st_mode & 0o077:
        raise InsecureKeyFile(f"key file {path} has group/other permissions; run: chmod 600 {path}")


class LocalFileKekProvider:
    """KEKs from the key file at ``path``; creates it (0600, parent 0700) on first use if ``create``.

    Raises :class:`InsecureKeyFile` for unsafe permissions and :class:`KekUnavailable` when the
    file is missing (and ``create`` is false), unreadable or malformed. Thread-safe; several
    processes may share the file (changes are written atomically under an advisory lock).
    """

    name = NAME

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self._path = Path(path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._mutex = threading.Lock()
        self._keyset: Keyset | None = None
        self._seen: _FileSignature | None = None
        if create and not self._path.exists():
            self._create()
        self._current_keyset()

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"LocalFileKekProvider(path={str(self._path)!r})"

    def wrap(self, dek: bytes, context: bytes) -> WrappedKey:
        keyset = self._current_keyset()
        version = keyset.current
        nonce = os.urandom(_NONCE)
        blob = nonce + AESGCM(keyset.kek(version)).encrypt(nonce, dek, _wrap_aad(version, context))
        return WrappedKey(NAME, version, blob)

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        if wrapped.provider != NAME:
            raise DecryptionFailed(f"data key was wrapped by provider {wrapped.provider!r}, not {NAME!r}")
        kek = self._current_keyset().kek(wrapped.kek_version)
        nonce, body = wrapped.blob[:_NONCE], wrapped.blob[_NONCE:]
        try:
            dek = AESGCM(kek).decrypt(nonce, body, _wrap_aad(wrapped.kek_version, context))
        except (InvalidTag, ValueError):
            raise DecryptionFailed("wrapped data key does not match its owner or was altered") from None
        if len(dek) != _DEK_BYTES:
            raise DecryptionFailed("wrapped data key has the wrong length")
        return dek

    def rewrap(self, wrapped: WrappedKey, context: bytes) -> WrappedKey:
        # The plaintext DEK exists only inside this call: a local KEK has no rewrap-in-place.
        return self.wrap(self.unwrap(wrapped, context), context)

    def rotate(self) -> int:
        return self._update(lambda ks: ks.rotated()).current

    def retire(self, version: int) -> None:
        self._update(lambda ks: ks.retired(version))

    def current_version(self) -> int:
        return self._current_keyset().current

    def lookup_key(self) -> bytes:
        return self._current_keyset().lookup_key

    # -- file I/O ---------------------------------------------------------------------------

    def _current_keyset(self) -> Keyset:
        """The keyset on disk now: re-read (and re-checked) only when the file changed."""
        try:
            st = os.stat(self._path, follow_symlinks=False)
        except OSError as exc:
            raise KekUnavailable(f"key file {self._path} is not accessible ({exc.strerror})") from None
        with self._mutex:
            if self._keyset is not None and _signature(st) == self._seen:
                return self._keyset
            return self._load()

    def _load(self) -> Keyset:
        # O_NOFOLLOW + fstat: the checks apply to the very file we read, not to a swapped symlink.
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InsecureKeyFile(f"key file {self._path} is a symlink") from None
            raise KekUnavailable(f"key file {self._path} cannot be opened ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            _check_safe(st, self._path)
            raw = fh.read()
        try:
            keyset = Keyset.from_json(raw)
        except KeysetFormatError as exc:
            raise KekUnavailable(f"key file {self._path} is unusable: {exc}") from None
        self._keyset, self._seen = keyset, _signature(st)
        return keyset

    def _create(self) -> None:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._write_temp(Keyset.generate())
        try:
            # link() fails if the path exists: two first runs racing never overwrite each other.
            os.link(tmp, self._path)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KekUnavailable(f"cannot create key file {self._path} ({exc.strerror})") from None
        finally:
            tmp.unlink(missing_ok=True)

    def _update(self, change: Callable[[Keyset], Keyset]) -> Keyset:
        with self._file_lock(), self._mutex:
            keyset = change(self._load())
            tmp = self._write_temp(keyset)
            try:
                os.replace(tmp, self._path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise KekUnavailable(f"cannot replace key file {self._path} ({exc.strerror})") from None
            self._fsync_dir()
            return self._load()

    def _write_temp(self, keyset: Keyset) -> Path:
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(tmp, flags, 0o600)
        except OSError as exc:
            raise KekUnavailable(f"cannot write key file {self._path} ({exc.strerror})") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(keyset.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        return tmp

    def _fsync_dir(self) -> None:
        fd = os.open(self._path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise KekUnavailable(f"cannot lock key file {self._path} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

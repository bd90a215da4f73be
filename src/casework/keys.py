"""Key stores: one secret key per data subject, kept apart from the event store.

Personal fields are encrypted under the key of the person they are about (see
:mod:`casework.serialize._sealed`); erasing the person destroys the key (crypto-shredding), so
the ciphertext left in an append-only log can no longer be read.  A key store is anything with
the five methods of :class:`KeyStore`:

* :class:`MemoryKeyStore` for tests and notebooks (gone when the process ends);
* :class:`FileKeyStore`, one file beside the event store (``station.sqlite.keys``): a new
  key is a line appended durably, a destroyed key a rewrite of the whole file without it
  (atomic, the old copy overwritten); several processes may share it (a lock on its folder);
* an app's own, over its key-management service: implement the protocol.

:func:`keys_for` makes the keys of many subjects at once (one durable write for a file key
store, as encrypting an existing store needs; one call each for a store without
``get_or_create_many``).

Keys never go into the event store.  A subject whose key was destroyed stays listed as
destroyed (its id only, which is pseudonymous), so a key is never silently made again for it.

.. versionadded:: 0.2
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from casework._support import require

try:  # one writer at a time across processes; where there is no fcntl, across threads only
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]
from casework.errors import CaseworkError

__all__ = [
    "KEY_FILE_SUFFIX",
    "FileKeyStore",
    "KeyStore",
    "KeyStoreError",
    "MemoryKeyStore",
    "SubjectErased",
    "keys_for",
    "new_key",
]

#: A file key store's name beside its event store: ``station.sqlite`` -> ``station.sqlite.keys``.
KEY_FILE_SUFFIX = ".keys"
#: Seconds a :class:`FileKeyStore` reads from memory before looking at its file again.
RECHECK = 0.5
_FORMAT = 1


class KeyStoreError(CaseworkError):
    """A key store cannot be read or written (its message says which file and why)."""


class SubjectErased(KeyStoreError):
    """The subject's personal data was erased: no key is made for them again.

    ``subject`` is the subject's id.
    """

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"the personal data of {subject!r} was erased: nothing personal can be written "
            "under their id again"
        )


def new_key() -> bytes:
    """A fresh 256-bit AES key from ``cryptography`` (the ``casework[crypto]`` extra)."""
    aead = require(
        "cryptography.hazmat.primitives.ciphers.aead", "crypto", "Encrypting personal fields"
    )
    return bytes(aead.AESGCM.generate_key(bit_length=256))


@runtime_checkable
class KeyStore(Protocol):
    """Where each data subject's key is kept.  Small on purpose: back it with a KMS."""

    def get(self, subject: str) -> bytes | None:
        """The subject's key, or None when they have none (never made, or destroyed)."""

    def get_or_create(self, subject: str) -> bytes:
        """The subject's key, made (and kept durably) first if they have none.

        Raises :class:`SubjectErased` for a subject whose key was destroyed.
        """

    def destroy(self, subject: str) -> bool:
        """Destroy the subject's key for good; True if there was one.  Idempotent."""

    def destroyed(self, subject: str) -> bool:
        """True when the subject's key was destroyed (their personal data erased)."""

    def subjects(self) -> list[str]:
        """The subjects that have a key, sorted."""


def _check_subject(subject: Any) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise ValueError(f"a subject is a non-empty id, got {subject!r}")
    return subject


class MemoryKeyStore:
    """Keys in a dict: for tests and notebooks.  Safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._destroyed: set[str] = set()

    def __repr__(self) -> str:
        return f"<MemoryKeyStore: {len(self._keys)} keys, {len(self._destroyed)} destroyed>"

    def get(self, subject: str) -> bytes | None:
        """The subject's key, or None."""
        return self._keys.get(subject)

    def get_or_create(self, subject: str) -> bytes:
        """The subject's key, made now if they have none (refused once destroyed)."""
        found = self._keys.get(_check_subject(subject))
        if found is not None:
            return found
        with self._lock:
            if subject in self._destroyed:
                raise SubjectErased(subject)
            return self._keys.setdefault(subject, new_key())

    def get_or_create_many(self, subjects: Iterable[str]) -> dict[str, bytes]:
        """The keys of ``subjects``, made for those without one; none made if one was erased."""
        wanted = sorted({_check_subject(s) for s in subjects})
        with self._lock:
            for subject in wanted:
                if subject in self._destroyed:
                    raise SubjectErased(subject)
            return {s: self._keys.setdefault(s, new_key()) for s in wanted}

    def destroy(self, subject: str) -> bool:
        """Forget the subject's key; True if there was one."""
        with self._lock:
            self._destroyed.add(_check_subject(subject))
            return self._keys.pop(subject, None) is not None

    def destroyed(self, subject: str) -> bool:
        """True once the subject's key was destroyed."""
        return subject in self._destroyed

    def subjects(self) -> list[str]:
        """The subjects with a key, sorted."""
        return sorted(self._keys)


class FileKeyStore:
    """Keys in one file (mode 0600) of JSON lines, kept apart from the events.

    A new key is one line appended and ``fsync``-ed before any ciphertext uses it (one write,
    however many keys the file holds; one for all the keys :meth:`get_or_create_many`
    makes).  Destroying a key writes the whole file anew without it: a temporary file beside
    it, flushed and ``fsync``-ed, renamed over the old one (atomic: a crash leaves the old
    file or the new, never half of one), the folder ``fsync``-ed; then the old file's bytes,
    still open, are overwritten with zeros, so no copy of a destroyed key is left in a file.
    (What a disk's firmware or a copy-on-write file system keeps of freed blocks is beyond
    any file-level step: see ``docs/privacy.md``.)  A last line cut short by a crash is
    ignored (no ciphertext used its key: the line was not yet durable) and the file is
    rewritten whole at the next change.

    Several processes may share the file: each change is made under an exclusive ``flock``
    on the file's folder after reading what others wrote since (a key another process
    made is used, never made twice), and a key asked for but not known is looked up again
    in the file.  :meth:`beside` names the file for an event store: ``station.sqlite.keys``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._keys: dict[str, bytes] = {}
        self._destroyed: set[str] = set()
        self._torn = False
        self._seen: tuple[int, int, int] | None = None  # (inode, size, mtime) last read
        self._checked = time.monotonic()  # when a read last looked at the file
        if os.path.exists(self.path):
            self._read()

    @classmethod
    def beside(cls, store_path: str | os.PathLike[str]) -> FileKeyStore:
        """The key store of the event store at ``store_path`` (``<store_path>.keys``)."""
        return cls(os.fspath(store_path) + KEY_FILE_SUFFIX)

    def __repr__(self) -> str:
        return f"<FileKeyStore {self.path!r}: {len(self._keys)} keys>"

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyStoreError(f"{self.path}: cannot read the key store ({exc})") from exc
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _refresh(self) -> None:
        """Read the file again if another process changed it since it was last read."""
        self._checked = time.monotonic()
        seen = self._stat()
        if seen != self._seen:
            if seen is None:
                self._keys, self._destroyed, self._torn = {}, set(), False
                self._seen = None
            else:
                self._read()

    def _read(self) -> None:
        keys: dict[str, bytes] = {}
        destroyed: set[str] = set()
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                data = f.read()
            lines = data.split(b"\n")
            tail = lines.pop()  # after the last newline: empty, or a line cut short
            torn = bool(tail.strip())
            if not lines:
                raise ValueError("not a casework key file")
            head = json.loads(lines[0])
            if not isinstance(head, dict) or head.get("casework_keys") != _FORMAT:
                raise ValueError("not a casework key file")
            for line in lines[1:]:
                entry = json.loads(line)
                if "key" in entry:
                    subject = str(entry["subject"])
                    keys[subject] = base64.b64decode(entry["key"], validate=True)
                else:
                    subject = str(entry["destroyed"])
                    destroyed.add(subject)
                    keys.pop(subject, None)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyStoreError(f"{self.path}: cannot read the key store ({exc})") from exc
        self._keys, self._destroyed, self._torn = keys, destroyed, torn
        self._seen = (st.st_ino, len(data), st.st_mtime_ns)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """This process's lock and the other processes' (on the file's folder: the file itself
        is replaced by each destroy), the file re-read.
        """
        with self._lock:
            try:
                fd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            except OSError as exc:
                raise KeyStoreError(f"{self.path}: cannot lock the key store ({exc})") from exc
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                self._refresh()
                yield
            finally:
                os.close(fd)  # releases the lock

    @staticmethod
    def _line(entry: dict[str, Any]) -> bytes:
        return json.dumps(entry, separators=(",", ":")).encode("utf-8") + b"\n"

    def _key_line(self, subject: str, key: bytes) -> bytes:
        return self._line({"subject": subject, "key": base64.b64encode(key).decode("ascii")})

    def _append(self, data: bytes) -> None:
        try:
            with open(self.path, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise KeyStoreError(f"{self.path}: cannot write the key store ({exc})") from exc
        self._seen = self._stat()

    def _write(self, keys: dict[str, bytes], destroyed: Iterable[str]) -> None:
        """The whole file anew (atomically), the old one's bytes overwritten."""
        parts = [self._line({"casework_keys": _FORMAT})]
        parts += [self._line({"destroyed": s}) for s in sorted(destroyed)]
        parts += [self._key_line(s, k) for s, k in sorted(keys.items())]
        data = b"".join(parts)
        folder = os.path.dirname(os.path.abspath(self.path))
        tmp = f"{self.path}.tmp"
        try:
            if os.path.exists(tmp):  # left by a crash before its rename: never the live file
                os.remove(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            old = open(self.path, "r+b") if os.path.exists(self.path) else None  # noqa: SIM115
            try:
                os.replace(tmp, self.path)
                _fsync_folder(folder)
                if old is not None:  # the replaced file, unlinked but open: scrub its bytes
                    size = os.fstat(old.fileno()).st_size
                    old.seek(0)
                    old.write(b"\0" * size)
                    old.flush()
                    os.fsync(old.fileno())
            finally:
                if old is not None:
                    old.close()
        except OSError as exc:
            raise KeyStoreError(f"{self.path}: cannot write the key store ({exc})") from exc
        self._torn = False
        self._seen = self._stat()

    def _add(self, made: dict[str, bytes]) -> None:
        """Write new keys durably: one append (one ``fsync``), or the file anew if need be."""
        if self._torn or not os.path.exists(self.path):
            self._write({**self._keys, **made}, self._destroyed)
        else:  # durable before any ciphertext uses them
            self._append(b"".join(self._key_line(s, k) for s, k in sorted(made.items())))
        self._keys.update(made)

    def get(self, subject: str) -> bytes | None:
        """The subject's key, or None.  The file is looked at again when the key is not
        known here, and at most :data:`RECHECK` seconds after it was last looked at (so a key
        another process destroyed is forgotten here too).
        """
        found = self._keys.get(subject)
        if (found is None and subject not in self._destroyed) or (
            time.monotonic() - self._checked > RECHECK
        ):
            with self._lock:
                self._refresh()
                found = self._keys.get(subject)
        return found

    def get_or_create(self, subject: str) -> bytes:
        """The subject's key, made and written to the file first if they have none (never a
        key the file no longer holds: a write looks at the file first).
        """
        found = self._keys.get(_check_subject(subject))
        if found is not None and self._stat() == self._seen:
            return found
        return self.get_or_create_many([subject])[subject]

    def get_or_create_many(self, subjects: Iterable[str]) -> dict[str, bytes]:
        """The keys of ``subjects``, those missing made and written in one durable append.

        Raises :class:`SubjectErased`, writing nothing, if any of them was erased.
        """
        wanted = sorted({_check_subject(s) for s in subjects})
        if all(s in self._keys for s in wanted) and self._stat() == self._seen:
            return {s: self._keys[s] for s in wanted}
        with self._changing():
            for subject in wanted:
                if subject in self._destroyed:
                    raise SubjectErased(subject)
            made = {s: new_key() for s in wanted if s not in self._keys}
            if made:
                self._add(made)
            return {s: self._keys[s] for s in wanted}

    def destroy(self, subject: str) -> bool:
        """Rewrite the file without the subject's key (listing them as destroyed)."""
        _check_subject(subject)
        with self._changing():
            had = subject in self._keys
            if had or subject not in self._destroyed:
                keys = {s: k for s, k in self._keys.items() if s != subject}
                destroyed = {*self._destroyed, subject}
                self._write(keys, destroyed)
                self._keys, self._destroyed = keys, destroyed
            return had

    def destroyed(self, subject: str) -> bool:
        """True once the subject's key was destroyed (here or by another process)."""
        if subject not in self._destroyed:
            with self._lock:
                self._refresh()
        return subject in self._destroyed

    def subjects(self) -> list[str]:
        """The subjects with a key, sorted."""
        with self._lock:
            self._refresh()
        return sorted(self._keys)


def keys_for(keys: KeyStore, subjects: Iterable[str]) -> dict[str, bytes]:
    """The keys of ``subjects`` from ``keys``, made where missing: in one call (one durable
    write) when the key store has ``get_or_create_many``, else one ``get_or_create`` each.
    """
    many = getattr(keys, "get_or_create_many", None)
    if callable(many):
        return dict(many(subjects))
    return {s: keys.get_or_create(s) for s in sorted(set(subjects))}


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without folder handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)

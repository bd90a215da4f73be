"""Encrypting an existing store written in clear, in place (加密已有的明文库).

A store opened without a key store writes personal fields in clear; one opened with keys
seals only the rows it writes.  :func:`encrypt_store` seals the rest: every clear row's
personal values under its data subject's key, exactly as a sealed append writes them, in one
transaction, then clears the file's free pages and write-ahead log so no old clear value is
left in it.  ``casework encrypt --db FILE`` does it from the command line.

.. versionadded:: 0.2
"""

from __future__ import annotations

import os
from collections.abc import Callable

from casework.catalogue import Catalogue
from casework.keys import FileKeyStore, KeyStore
from casework.store._encrypt import Encrypted, KeysRequired
from casework.store.base import Store
from casework.store.errors import NotAStore, StoreError
from casework.store.sqlite import SQLiteStore

__all__ = ["Encrypted", "KeysRequired", "encrypt_store"]


def encrypt_store(
    store: Store | str | os.PathLike[str],
    *,
    keys: KeyStore | None = None,
    catalogue: Catalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Encrypted:
    """Seal every clear row of ``store`` under its data subjects' keys; what it did.

    ``store`` is an open SQL store with its key store (``keys=`` when it was opened), or the
    path of an SQLite store, opened here with ``keys`` (default: the :class:`FileKeyStore`
    beside it, ``FILE.keys``, made if missing) and ``catalogue``, and closed again.
    Idempotent: rows already sealed are left as they are.  Back the key file up apart from the
    store: without it the personal data cannot be read again.
    """
    if isinstance(store, (str, os.PathLike)):
        path = os.fspath(store)
        if not os.path.isfile(path):
            raise NotAStore(path, "there is no such file to encrypt")
        given = keys if keys is not None else FileKeyStore.beside(path)
        with SQLiteStore(path, catalogue=catalogue, keys=given) as opened:
            return opened.encrypt(progress=progress)
    encrypt = getattr(store, "encrypt", None)
    if not callable(encrypt):
        raise StoreError(
            f"{store!r} cannot be encrypted in place (only the SQL stores can): copy its cases "
            "into a store opened with keys= (casework.store.copy_store)"
        )
    if keys is not None and getattr(store, "keys", None) is not keys:
        raise KeysRequired(
            "the store was opened with another key store (or none): open it with keys= "
            "and call encrypt_store(store)"
        )
    result: Encrypted = encrypt(progress=progress)
    return result

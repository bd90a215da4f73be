"""Stores: where a case's events are kept, behind one small protocol.

* :class:`MemoryStore` for tests and notebooks;
* :class:`SQLiteStore`, the embedded default (one file, WAL, durable appends);
* :class:`~casework.store.postgres.PostgresStore` for many app servers sharing a database
  (the ``casework[postgres]`` extra; imported on first use).

All pass the same contract tests; :func:`copy_store` moves every case from one to another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casework.store.base import CaseQuery, CaseSummary, LogReader, Store, time_key
from casework.store.copy import copy_store
from casework.store.errors import (
    CaseExists,
    ConflictError,
    CorruptRecord,
    DuplicateCommandId,
    InvalidAppend,
    NotAStore,
    StoreError,
    UnknownCase,
    UnknownLifecycle,
)
from casework.store.memory import MemoryStore
from casework.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from casework.store.postgres import PostgresStore

__all__ = [
    "CaseExists",
    "CaseQuery",
    "CaseSummary",
    "ConflictError",
    "CorruptRecord",
    "DuplicateCommandId",
    "InvalidAppend",
    "LogReader",
    "MemoryStore",
    "NotAStore",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StoreError",
    "UnknownCase",
    "UnknownLifecycle",
    "copy_store",
    "time_key",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":  # psycopg is an optional extra: import it only when asked
        from casework.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

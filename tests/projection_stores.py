"""Stores for projection tests: each kind opened fresh (PostgreSQL in its own schema, skipped
without a server), and the rows a projection must hold (what replaying gives).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from casework.reporting import Dataset
from casework.reporting.projections import TABLES, Projection
from casework.reporting.projections._projection import comparable, replayed_rows
from casework.store import MemoryStore, SQLiteStore

DSN_VAR = "CASEWORK_TEST_POSTGRES_DSN"


def postgres_dsn() -> str | None:
    """The test server's DSN when one answers, else None."""
    dsn = os.environ.get(DSN_VAR)
    if not dsn:
        return None
    try:
        import psycopg

        psycopg.connect(dsn, connect_timeout=3).close()
    except Exception:
        return None
    return dsn


def store_kinds() -> list[Any]:
    """``memory``, ``sqlite`` and ``postgres`` (skipped, visibly, without a server)."""
    skip = pytest.mark.skipif(postgres_dsn() is None, reason=f"no PostgreSQL server at {DSN_VAR}")
    return ["memory", "sqlite", pytest.param("postgres", marks=skip)]


class Opened:
    """A store of one kind, opened fresh, and how to drop it afterwards."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._cleanup: list[Callable[[], None]] = []
        if kind == "memory":
            self.store: Any = MemoryStore()
        elif kind == "sqlite":
            folder = tempfile.TemporaryDirectory()
            self._cleanup.append(folder.cleanup)
            self.store = SQLiteStore(Path(folder.name) / "cases.db")
        else:
            import psycopg

            from casework.store.postgres import PostgresStore

            dsn = postgres_dsn()
            assert dsn is not None
            schema = "casework_proj_" + uuid.uuid4().hex[:12]

            def drop() -> None:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

            self._cleanup.append(drop)
            self.store = PostgresStore(dsn, schema=schema)
        self._cleanup.insert(0, self.store.close)

    def close(self) -> None:
        for step in self._cleanup:
            step()


def expected(store: Any) -> dict[str, Any]:
    """The rows replaying every case and journal of ``store`` gives."""
    ds = Dataset.from_store(store)
    return replayed_rows(ds.cases, [j.history for j in ds.journals])


def projected(p: Projection) -> dict[str, Any]:
    """The projection's rows, in the columns replaying gives too."""
    return {name: p.tuples(name, comparable(name)) for name in TABLES}

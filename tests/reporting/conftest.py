"""Fixtures of the reporting tests: a store of each kind, opened fresh and dropped after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projection_stores import Opened, store_kinds


@pytest.fixture(params=store_kinds())
def opened(request: pytest.FixtureRequest) -> Iterator[Opened]:
    """A memory, SQLite or PostgreSQL store (skipped without a server), closed afterwards."""
    found = Opened(request.param)
    try:
        yield found
    finally:
        found.close()

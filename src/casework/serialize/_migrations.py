"""Schema versions of stored records and the chain of functions that upgrades old ones on load.

Every event record carries ``"v"``.  A record older than :data:`SCHEMA_VERSION` is passed
through ``steps[v]``, ``steps[v + 1]``... until it is current; a newer one is refused with
:class:`SchemaTooNew`.  Nothing is rewritten in the store: old rows are upgraded each time they
are read (a store may rewrite them later, in its own migration).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from casework.serialize._errors import DecodeError, SchemaTooNew, UnsupportedSchema

__all__ = ["SCHEMA_VERSION", "Migration", "Migrations", "default_migrations", "v0_to_v1"]

#: The version of the event record this casework writes.
SCHEMA_VERSION = 1

#: Takes a record (a plain dict) of version ``n`` and returns it as version ``n + 1``.
Migration = Callable[[dict[str, Any]], dict[str, Any]]


def v0_to_v1(record: dict[str, Any]) -> dict[str, Any]:
    """Version 0 → 1: a record without ``"v"`` gains ``"v": 1``; nothing else changed.

    Version 0 is the record as casework first wrote it, before records carried a version.
    No store of version-0 records is known to exist; the step is here so the chain starts at
    the first released shape and every later change adds one tested step after it.
    """
    return {**record, "v": 1}


def _steps(value: Mapping[int, Migration]) -> Mapping[int, Migration]:
    return dict(value)


@attrs.frozen
class Migrations:
    """The upgrade path: ``steps[n]`` turns a version-``n`` record into version ``n + 1``.

    Checked when built: the steps must run without a gap from the oldest supported version
    up to ``current``.
    """

    current: int = SCHEMA_VERSION
    steps: Mapping[int, Migration] = attrs.field(factory=dict, converter=_steps)

    def __attrs_post_init__(self) -> None:
        expected = set(range(self.oldest, self.current))
        if set(self.steps) != expected:
            raise ValueError(
                f"migration steps must cover versions {sorted(expected)} without gaps, "
                f"got {sorted(self.steps)}"
            )

    @property
    def oldest(self) -> int:
        """The oldest version that can still be read."""
        return min(self.steps, default=self.current)

    @property
    def supported(self) -> range:
        """Every version that can be read."""
        return range(self.oldest, self.current + 1)

    def version_of(self, record: Mapping[str, Any]) -> int:
        """The record's schema version (no ``"v"`` means 0, the shape before versions)."""
        v = record.get("v", 0)
        if isinstance(v, bool) or not isinstance(v, int):
            raise DecodeError("$.v", f"the schema version must be a whole number, got {v!r}")
        return v

    def upgrade(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` brought to the current version, step by step; refused when too new."""
        v = self.version_of(record)
        if v == self.current:
            return record
        if v > self.current:
            raise SchemaTooNew(v, self.supported)
        if v < self.oldest:
            raise UnsupportedSchema(
                v, self.supported, f"schema version {v} is older than any this casework reads"
            )
        while v < self.current:
            record = self.steps[v](record)
            v += 1
            if self.version_of(record) != v:
                raise DecodeError("$.v", f"migration from version {v - 1} did not produce {v}")
        return record


def default_migrations() -> Migrations:
    """The migration chain shipped with casework: version 0 → 1."""
    return Migrations(SCHEMA_VERSION, {0: v0_to_v1})

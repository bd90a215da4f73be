"""Personal columns of an encrypted store's fact tables: sealed as its events are.

A store opened with a key store seals every personal value of its events under the data
subject's key; its fact tables, which live in the same database, must not hold those values
in clear either.  :class:`PersonalColumns` seals each personal column of a batch under the
same subject the event's value was sealed under (a case's client; an activity's own id; a
volunteer for their hours) before the batch is written, and opens them when a reader asks for
personal columns.  A subject erased reads as the same marker a loaded case shows; empty
values and markers stay in clear (there is nothing in them to hide).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from casework.reporting.projections._backends import Batch
from casework.reporting.projections._facts import TABLES
from casework.serialize._sealed import (
    ERASED_DATE,
    SEALED,
    UNAVAILABLE,
    PayloadSealer,
    is_erased,
    open_payload,
)

__all__ = ["PersonalColumns"]

#: The start of a sealed column value: the JSON of a sealed value.
_PREFIX: Final = '{"' + SEALED + '"'
#: A personal date read back without its key, as a column holds dates.
_NO_DATE: Final = ERASED_DATE.isoformat()


def _index(table: str, column: str) -> int:
    return TABLES[table].names.index(column)


#: Per table, the personal columns: (column index, kind); and where the subject comes from.
_CASE_COLUMNS: Final = {
    "cases": ((_index("cases", "birth_date"), "date"), (_index("cases", "name"), "text")),
    "sessions": ((_index("sessions", "notes"), "text"),),
}
_CLIENT_ID: Final = _index("cases", "client_id")
_ACTIVITY_ID: Final = _index("activities", "activity_id")
_ACTIVITY_NOTES: Final = _index("activities", "notes")
_VOLUNTEER: Final = _index("volunteer_hours", "volunteer")
_DESCRIPTION: Final = _index("volunteer_hours", "description")


def _clear(value: Any) -> bool:
    """Values kept as they are: nothing, or a marker of a value no longer readable."""
    return value in (None, "", _NO_DATE) or is_erased(value)


def _unreadable(batch: Batch) -> bool:
    """Whether a personal text column of ``batch`` holds the marker of an unreadable value."""
    for tables in batch.cases.values():
        for name, columns in _CASE_COLUMNS.items():
            for row in tables.get(name, ()):
                if any(row[i] == UNAVAILABLE for i, kind in columns if kind == "text"):
                    return True
    return any(r[_ACTIVITY_NOTES] == UNAVAILABLE for r in batch.activities.values()) or any(
        r[_DESCRIPTION] == UNAVAILABLE for r in batch.hours
    )


class PersonalColumns:
    """Seals a batch's personal columns with a store's sealer (when it has keys); opens
    them for readers (as markers without the keys).
    """

    def __init__(self, sealer: PayloadSealer | None) -> None:
        self.sealer = sealer if sealer is not None and sealer.keys is not None else None

    @classmethod
    def of(cls, store: Any) -> PersonalColumns:
        """The personal columns of ``store``'s fact tables, sealed if its rows are."""
        sealer = getattr(getattr(store, "codec", None), "sealer", None)
        return cls(sealer if isinstance(sealer, PayloadSealer) else None)

    @property
    def seals(self) -> bool:
        """Whether batches are sealed (the store was opened with its keys)."""
        return self.sealer is not None

    def _seal(self, value: Any, subject: Any, kind: str) -> Any:
        if self.sealer is None or _clear(value) or not isinstance(subject, str) or not subject:
            return value
        sealed = self.sealer.seal_value(value, subject, kind)
        return json.dumps(sealed, ensure_ascii=False, separators=(",", ":"))

    def _seal_row(
        self, row: tuple[Any, ...], columns: Sequence[tuple[int, str]], subject: Any
    ) -> tuple[Any, ...]:
        out = list(row)
        for i, kind in columns:
            out[i] = self._seal(out[i], subject, kind)
        return tuple(out)

    def seal_batch(self, batch: Batch) -> None:
        """Seal, in place, every personal value ``batch`` is about to write.  Without the
        keys nothing is sealed, and a batch holding values its writer could not read (their
        markers) is marked ``unsealed``, so that a reader with the keys rebuilds the tables.
        """
        if self.sealer is None:
            batch.unsealed = batch.unsealed or _unreadable(batch)
            return
        for tables in batch.cases.values():
            found = tables.get("cases") or [()]
            client = found[0][_CLIENT_ID] if found[0] else None
            for name, columns in _CASE_COLUMNS.items():
                if name in tables:
                    tables[name] = [self._seal_row(r, columns, client) for r in tables[name]]
        for ident, row in batch.activities.items():
            batch.activities[ident] = self._seal_row(
                row, ((_ACTIVITY_NOTES, "text"),), row[_ACTIVITY_ID]
            )
        batch.hours = [
            self._seal_row(r, ((_DESCRIPTION, "text"),), r[_VOLUNTEER]) for r in batch.hours
        ]

    def open(self, value: Any) -> Any:
        """A column value as a reader sees it: opened, or its marker without the key."""
        if isinstance(value, str) and value.startswith(_PREFIX):
            try:
                sealed = json.loads(value)
            except ValueError:
                return value
            if isinstance(sealed, dict):
                return open_payload(sealed) if self.sealer is None else self.sealer.open(sealed)
        return value

    def open_rows(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """``rows`` of ``columns`` of ``table`` with their personal values opened."""
        personal = {c.name for c in TABLES[table].columns if c.personal}
        where = [i for i, name in enumerate(columns) if name in personal]
        if not where or not rows:
            return rows
        opened = []
        for row in rows:
            out = list(row)
            for i in where:
                out[i] = self.open(out[i])
            opened.append(tuple(out))
        return opened

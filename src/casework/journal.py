"""Journals: a station's own append-only log, beside its cases.

What happens outside a case (a free clinic, a volunteer's hours, a project registered with
the civil-affairs office) is recorded as events too, in a journal: a stream of events with its
own id, numbered and stored exactly like a case's, starting with ``journal_opened``.  Stores
keep journals and cases side by side; reports read both.  Like a case, a journal is whatever
its events say, and it changes only by recording one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from casework.errors import InvalidValue, ReplayError
from casework.events import ERASED_EVENT, Event
from casework.lifecycle import ALERT_EVENT, LIBRARY_COMMANDS, OPEN_EVENT
from casework.records import as_datetime

if TYPE_CHECKING:
    from casework.engine import EventSink

__all__ = ["JOURNAL_OPENED", "JOURNAL_STATE", "Journal"]

JOURNAL_OPENED = "journal_opened"
#: The ``state`` every journal event carries (a journal has no lifecycle).
JOURNAL_STATE = "journal"
_RESERVED = {OPEN_EVENT, ALERT_EVENT, JOURNAL_OPENED, ERASED_EVENT, *LIBRARY_COMMANDS.values()}


@attrs.define(slots=True, eq=True, repr=False)
class Journal:
    """A station's log of events outside cases. Read it freely; change it with :meth:`record`."""

    id: str
    station: str
    history: list[Event] = attrs.Factory(list)

    def __repr__(self) -> str:
        return f"<Journal {self.id!r} of {self.station!r}: {self.version} events>"

    @property
    def version(self) -> int:
        """Sequence number of the latest event."""
        return len(self.history)

    @classmethod
    def open(
        cls,
        journal_id: str,
        *,
        station: str,
        at: date | datetime,
        by: str,
        store: EventSink | None = None,
    ) -> Journal:
        """A new journal; its first event is ``journal_opened`` (persisted when ``store``)."""
        for where, value in (("journal_id", journal_id), ("station", station), ("by", by)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidValue(where, f"must be a non-empty string, got {value!r}")
        event = Event(
            journal_id,
            1,
            JOURNAL_OPENED,
            as_datetime(at),
            by,
            JOURNAL_STATE,
            "open",
            {"station": station},
        )
        if store is not None:
            store.append([event], expected_version=0)
        return cls.replay([event])

    def record(
        self,
        type: str,
        *,
        at: date | datetime,
        by: str,
        store: EventSink | None = None,
        **payload: Any,
    ) -> Event:
        """Record one event of ``type``; refused (nothing changes) when it is badly formed.

        Times may not go backwards; casework's own event types are reserved.
        """
        if not isinstance(type, str) or not type.isidentifier():
            raise InvalidValue("type", f"an event type is an identifier, got {type!r}")
        if type in _RESERVED:
            raise InvalidValue("type", f"{type!r} is reserved for casework's own events")
        if not isinstance(by, str) or not by.strip():
            raise InvalidValue("by", f"the actor must be a non-empty string, got {by!r}")
        when = as_datetime(at)
        last = self.history[-1].at
        if (when.utcoffset() is None) != (last.utcoffset() is None):
            naive = "naive" if when.utcoffset() is None else "timezone-aware"
            raise InvalidValue(
                "at",
                f"{when.isoformat()} is {naive}, the journal's times are not: naive and "
                "timezone-aware times cannot be mixed",
            )
        if when < last:
            raise InvalidValue("at", f"{when:%Y-%m-%d %H:%M} is before the journal's latest event")
        event = Event(self.id, self.version + 1, type, when, by, JOURNAL_STATE, type, payload)
        if store is not None:
            store.append([event], expected_version=self.version)
        self.apply(event)
        return event

    @classmethod
    def replay(cls, events: Iterable[Event]) -> Journal:
        """Rebuild a journal from its events."""
        it = iter(events)
        first = next(it, None)
        if first is None or first.type != JOURNAL_OPENED or first.seq != 1:
            where = first.case_id if first is not None else "?"
            raise ReplayError(where, 1, f"a journal starts with {JOURNAL_OPENED!r} #1")
        journal = cls(first.case_id, str(first.payload.get("station", "")), [first])
        for ev in it:
            journal.apply(ev)
        return journal

    def apply(self, event: Event) -> None:
        """Append one recorded event (used by :meth:`record` and replay)."""
        if event.case_id != self.id:
            raise ReplayError(self.id, event.seq, f"event belongs to {event.case_id!r}")
        if event.seq != self.version + 1:
            raise ReplayError(self.id, event.seq, f"expected event #{self.version + 1} next")
        self.history.append(event)

    def of_type(self, *types: str) -> Sequence[Event]:
        """The journal's events of the given types, oldest first."""
        return [e for e in self.history if e.type in types]

    def payloads(self, type: str) -> list[Mapping[str, Any]]:
        """The payloads of the events of ``type``."""
        return [e.payload for e in self.history if e.type == type]

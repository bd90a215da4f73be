"""What every bundled store shares: checking appends, reading rows back, replaying cases.

Stores differ only in where rows live; the rules (what an append must look like, how a row is
turned back into an event, which lifecycle replays a case) are written once, here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from casework.case import Case, migration_target
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import ReplayError, UnknownDefinition
from casework.events import MIGRATED_EVENT, OPEN_EVENT, Event
from casework.journal import JOURNAL_OPENED, Journal
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.serialize import Codec, DecodeError, SchemaTooNew, default_codec
from casework.serialize._sealed import PayloadSealer
from casework.store.base import CaseQuery, CaseSummary
from casework.store.errors import CorruptRecord, InvalidAppend, UnknownCase, UnknownLifecycle

__all__ = ["ROW_COLUMNS", "BaseStore", "ReadRow", "Row", "split_record"]

_OPENINGS = (OPEN_EVENT, JOURNAL_OPENED)

#: The columns of a stored event after its case id and number (layout 2, every store).
#: ``type`` NULL marks a *record row*: ``payload`` then holds a whole JSON record as layout 1
#: wrote it (a row the layout migration could not split, e.g. a corrupt one: it stays
#: readable, or reported, exactly as before).
ROW_COLUMNS = ("v", "type", "at", "actor", "state", "trigger", "payload")

#: A stored event: case id, number, then :data:`ROW_COLUMNS`.
Row = tuple[str, int, int, str, str, str, str, str, str | None]

#: A stored event as read back: number, then :data:`ROW_COLUMNS`.
ReadRow = tuple[int, Any, Any, Any, Any, Any, Any, Any]

_SPLIT_TEXT = ("type", "at", "actor", "state", "trigger")


def split_record(
    case_id: str, seq: int, text: Any, current: int
) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """A layout-1 row (one JSON record) as :data:`ROW_COLUMNS`, for the layout migration.

    Only a clean record of the ``current`` schema version, filed under its own case and
    number, is split (its payload written back as the JSON it was); anything else is kept
    whole as a record row, read (or reported corrupt) as layout 1 read it.
    """
    whole = (None, None, None, None, None, None, text)
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return whole
        whole = (None, None, None, None, None, None, text)
    try:
        record = json.loads(text)
    except (TypeError, ValueError):
        return whole
    if not isinstance(record, dict) or set(record) != {
        "v",
        "case_id",
        "seq",
        "payload",
        *_SPLIT_TEXT,
    }:
        return whole
    v, payload = record["v"], record["payload"]
    if type(v) is not int or v != current or type(payload) is not dict:
        return whole
    if record["case_id"] != case_id or record["seq"] != seq or type(record["seq"]) is not int:
        return whole
    if any(type(record[k]) is not str for k in _SPLIT_TEXT):
        return whole
    try:
        datetime.fromisoformat(record["at"])
    except ValueError:
        return whole
    text_out = (
        json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if payload
        else None
    )
    return (v, *(record[k] for k in _SPLIT_TEXT), text_out)


def _catalogue(
    catalogue: Catalogue | None,
    lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None,
) -> Catalogue:
    """The store's catalogue: the one given, else the shipped one plus ``lifecycles``."""
    if catalogue is not None and lifecycles is not None:
        raise TypeError("give the store a catalogue or lifecycles, not both")
    if catalogue is not None:
        if not isinstance(catalogue, Catalogue):
            raise TypeError(f"catalogue: expected a Catalogue, got {type(catalogue).__name__}")
        return catalogue
    if lifecycles is None:
        return DEFAULT_CATALOGUE
    given = lifecycles.values() if isinstance(lifecycles, Mapping) else lifecycles
    return DEFAULT_CATALOGUE.extended(lifecycles=given)


class BaseStore:
    """Shared behaviour of casework's stores; subclasses keep the rows.

    ``catalogue`` holds the lifecycles (every version) the store replays cases with and the
    definitions its codec reads (default: what casework ships); ``lifecycles=`` is the older
    way to add lifecycles to the shipped ones.  ``codec`` writes and reads the records
    (default: :func:`~casework.serialize.default_codec` of the catalogue).  ``keys`` (a
    :class:`~casework.keys.KeyStore`) encrypts each person's personal fields under their own
    key (see ``docs/privacy.md``); without it rows are written in clear, and sealed values
    read as markers (``"[unavailable]"``).
    """

    def __init__(
        self,
        *,
        catalogue: Catalogue | None = None,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
        codec: Codec | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self.catalogue = _catalogue(catalogue, lifecycles)
        #: Events from before lifecycles were named replay with the only lifecycle given.
        given = list(lifecycles.values() if isinstance(lifecycles, Mapping) else lifecycles or ())
        self._sole: Lifecycle | None = given[0] if len(given) == 1 else None
        self.codec = codec if codec is not None else default_codec(catalogue=self.catalogue)
        #: The key store personal fields are sealed with (None: written in clear).
        self.keys = keys
        if keys is not None:
            self.codec = self.codec.sealed(PayloadSealer(keys, self.codec.types, self._subject_of))

    def _subject_of(self, case_id: str) -> str | None:
        """Whose key seals a stored stream's personal values: its client's (None: a journal)."""
        rows = self._rows(case_id)
        if not rows:
            return None
        first = self._decode_row(case_id, rows[0])
        client = first.payload.get("client")
        return getattr(client, "id", None) if first.type != JOURNAL_OPENED else None

    @property
    def lifecycles(self) -> dict[str, Lifecycle]:
        """The newest version of each lifecycle the store knows, by id."""
        return {lc.id: self.catalogue.lifecycle(lc.id) for lc in self.catalogue.lifecycles}

    # --- appending -------------------------------------------------------------------------

    def _check_append(self, events: Sequence[Event], expected_version: int) -> list[Row]:
        """The rows to write for an append, or :class:`InvalidAppend` saying what is wrong.

        Encoding happens here, before any write, so an unencodable payload writes nothing.
        """
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise InvalidAppend(
                None, f"expected_version must be a whole number, got {expected_version!r}"
            )
        if expected_version < 0:
            raise InvalidAppend(None, f"expected_version cannot be negative ({expected_version})")
        if isinstance(events, (str, bytes)) or not isinstance(events, Sequence) or not events:
            raise InvalidAppend(None, "give a non-empty list of events")
        for i, ev in enumerate(events):
            if not isinstance(ev, Event):
                raise InvalidAppend(None, f"item {i} is a {type(ev).__name__}, not an Event")
        case_id = events[0].case_id
        for ev in events:
            if ev.case_id != case_id:
                raise InvalidAppend(
                    case_id, f"event #{ev.seq} belongs to case {ev.case_id!r}: one case per append"
                )
        for i, ev in enumerate(events):
            want = expected_version + 1 + i
            if ev.seq != want:
                raise InvalidAppend(
                    case_id,
                    f"events must be numbered on from version {expected_version}: "
                    f"expected #{want}, got #{ev.seq}",
                )
            if (ev.type in _OPENINGS) != (ev.seq == 1):
                raise InvalidAppend(
                    case_id,
                    f"only event #1 is {OPEN_EVENT!r} or {JOURNAL_OPENED!r} "
                    f"(got #{ev.seq} {ev.type!r})",
                )
        if expected_version == 0:
            try:  # a new stream's events must replay: refuse now rather than store it broken
                if events[0].type == JOURNAL_OPENED:
                    Journal.replay(events)
                else:
                    Case.replay(events, self._lifecycle_of(events[0]))
            except ReplayError as exc:
                raise InvalidAppend(case_id, str(exc)) from exc
        to_row = self.codec.event_to_row
        try:
            return [(case_id, ev.seq, *to_row(ev)) for ev in events]
        except Exception as exc:
            raise InvalidAppend(case_id, str(exc)) from exc

    def _lifecycle_of(self, opening: Event) -> Lifecycle:
        """The lifecycle, at the version it names, that the case opened by ``opening`` follows."""
        p = opening.payload
        name, version = p.get("lifecycle"), p.get("lifecycle_version")
        if not isinstance(name, str):
            if self._sole is not None:  # events from before the lifecycle was named
                return self._sole
            name = "?"
        return self._resolve(opening.case_id, name, version if isinstance(version, int) else None)

    def _resolve(self, case_id: str, name: str, version: int | None) -> Lifecycle:
        try:
            return self.catalogue.lifecycle(name, version)
        except UnknownDefinition as exc:
            raise UnknownLifecycle(case_id, name, exc.known, version) from exc

    def _migration_target(self, event: Event) -> Lifecycle:
        p = event.payload
        name, version = p.get("lifecycle"), p.get("to_version")
        if isinstance(name, str) and isinstance(version, int):
            self._resolve(event.case_id, name, version)
        return migration_target(event, self.catalogue)

    # --- reading ---------------------------------------------------------------------------

    def _decode_row(self, case_id: str, row: ReadRow) -> Event:
        """The event in a stored row (number, then :data:`ROW_COLUMNS`); anything unreadable
        is a :class:`CorruptRecord` naming the case and number.
        """
        seq, v, type_, at, actor, state, trigger, payload = row
        if type_ is None:  # a record row, as layout 1 wrote it
            return self._decode(case_id, seq, payload)
        try:
            return self.codec.event_from_row(
                case_id, seq, v, type_, at, actor, state, trigger, payload
            )
        except SchemaTooNew as exc:
            exc.add_note(f"in case {case_id!r}, event #{seq}")
            raise
        except (DecodeError, UnicodeDecodeError) as exc:
            raise CorruptRecord(case_id, seq, str(exc)) from exc

    def _decode(self, case_id: str, seq: int, text: Any) -> Event:
        """The event in a whole JSON record; anything unreadable is a :class:`CorruptRecord`."""
        try:
            if isinstance(text, (bytes, bytearray, memoryview)):
                text = bytes(text).decode("utf-8")
            if not isinstance(text, str):
                raise DecodeError("$", f"expected JSON text, got {type(text).__name__}")
            event = self.codec.loads_event(text)
        except SchemaTooNew as exc:
            exc.add_note(f"in case {case_id!r}, event #{seq}")
            raise
        except (DecodeError, UnicodeDecodeError) as exc:
            raise CorruptRecord(case_id, seq, str(exc)) from exc
        if event.case_id != case_id or event.seq != seq:
            raise CorruptRecord(
                case_id,
                seq,
                f"the record says case {event.case_id!r} #{event.seq}, the row says otherwise",
            )
        return event

    def _decode_case(self, case_id: str, rows: Iterable[ReadRow]) -> list[Event]:
        """A case's events from its rows (number first) in order; gaps are corruption."""
        events = []
        decode = self._decode_row
        for expected, row in enumerate(rows, start=1):
            if row[0] != expected:
                raise CorruptRecord(
                    case_id, expected, f"event #{expected} is missing (found #{row[0]})"
                )
            events.append(decode(case_id, row))
        if not events:
            raise UnknownCase(case_id)
        return events

    def _rows(self, case_id: str) -> Sequence[ReadRow]:  # pragma: no cover - stores override
        """The case's rows (number, then :data:`ROW_COLUMNS`) in order."""
        raise NotImplementedError

    def events(self, case_id: str) -> list[Event]:
        """The case's events, oldest first; a bad record raises :class:`CorruptRecord`."""
        return self._decode_case(case_id, self._rows(case_id))

    def journal(self, journal_id: str) -> Journal:
        """The journal rebuilt from its events."""
        events = self.events(journal_id)
        try:
            return Journal.replay(events)
        except ReplayError as exc:
            raise CorruptRecord(journal_id, exc.seq, exc.problem) from exc

    def load(self, case_id: str) -> Case:
        """The case rebuilt by replaying its events with the lifecycle it names.

        Each row is decoded and applied in turn, so every event is built once, straight into
        the case's history.
        """
        rows = self._rows(case_id)
        if not rows:
            raise UnknownCase(case_id)
        if rows[0][0] != 1:
            raise CorruptRecord(case_id, 1, f"event #1 is missing (found #{rows[0][0]})")
        decode = self._decode_row
        first = decode(case_id, rows[0])
        if first.type == JOURNAL_OPENED:
            raise UnknownCase(case_id, f"{case_id!r} is a journal: use journal()")
        lifecycle = self._lifecycle_of(first)
        try:
            case = Case.opened(first, lifecycle)
            apply = case.apply
            for expected, row in enumerate(rows[1:], start=2):
                if row[0] != expected:
                    raise CorruptRecord(
                        case_id, expected, f"event #{expected} is missing (found #{row[0]})"
                    )
                event = decode(case_id, row)
                if event.type == MIGRATED_EVENT:
                    apply(event, lifecycle=self._migration_target(event))
                else:
                    apply(event)
        except ReplayError as exc:
            raise CorruptRecord(case_id, exc.seq, exc.problem) from exc
        return case

    @staticmethod
    def _query(query: CaseQuery | None, filters: Mapping[str, Any]) -> CaseQuery:
        if query is not None and filters:
            raise TypeError("give a CaseQuery or keyword filters, not both")
        return query if query is not None else CaseQuery(**filters)

    @staticmethod
    def _summary_of(events: Sequence[Event], prev: CaseSummary | None) -> CaseSummary:
        return CaseSummary.of(events) if prev is None else prev.advanced(events)

"""What every bundled store shares: checking appends, reading rows back, replaying cases.

Stores differ only in where rows live; the rules (what an append must look like, how a row is
turned back into an event, which lifecycle replays a case) are written once, here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from casework.case import Case, migration_target, payload_problem
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import InvalidValue, ReplayError, UnknownDefinition
from casework.events import (
    COMMAND_ID,
    CORRECTED_EVENT,
    MIGRATED_EVENT,
    OPEN_EVENT,
    VOIDED_EVENT,
    Event,
    command_id_problem,
)
from casework.journal import JOURNAL_OPENED, Journal
from casework.keys import KeyStore
from casework.lifecycle import Lifecycle
from casework.plan import SessionPlan
from casework.serialize import Codec, DecodeError, SchemaTooNew, default_codec
from casework.serialize._sealed import PayloadSealer
from casework.store.base import JOURNALS, CaseQuery, CaseSummary
from casework.store.errors import (
    CorruptRecord,
    DuplicateCommandId,
    InvalidAppend,
    UnknownCase,
    UnknownLifecycle,
)

__all__ = [
    "ROW_COLUMNS",
    "BaseStore",
    "LogRow",
    "ReadRow",
    "Row",
    "check_version",
    "command_id_backfill",
    "disagreement",
    "split_record",
]

_OPENINGS = (OPEN_EVENT, JOURNAL_OPENED)

#: The columns of a stored event after its case id and number (layout 2, every store).
#: ``type`` NULL marks a *record row*: ``payload`` then holds a whole JSON record as layout 1
#: wrote it (a row the layout migration could not split, e.g. a corrupt one: it stays
#: readable, or reported, exactly as before).
ROW_COLUMNS = ("v", "type", "at", "actor", "state", "trigger", "payload")

#: A stored event: case id, number, then :data:`ROW_COLUMNS`, then its command id (layout 3:
#: the payload's ``"command_id"``, copied to a column the store keeps unique per case; it is
#: read back from the payload, never from that column).
Row = tuple[str, int, int, str, str, str, str, str, str | None, str | None]

#: A stored event as read back: number, then :data:`ROW_COLUMNS`.
ReadRow = tuple[int, Any, Any, Any, Any, Any, Any, Any]

#: An event of the log as :meth:`BaseStore.log_rows` gives it: its position in the log, its
#: stream (case or journal) id, then a :data:`ReadRow` (number, then :data:`ROW_COLUMNS`), so
#: ``row[7]`` is its state.  :meth:`BaseStore.decode_log_row` reads it as an event.
LogRow = tuple[Any, ...]

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


def command_id_backfill(rows: Iterable[tuple[Any, str, Any]]) -> list[tuple[str, Any]]:
    """``(command id, gid)`` for the layout-3 migration: for rows ``(gid, case_id, payload
    text)`` in acceptance order, the payload's ``"command_id"`` where it is a valid id and
    the first of its case (a later repeat keeps no id column, as replay reads the first).
    """
    found: list[tuple[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for gid, case_id, raw in rows:
        text = (
            bytes(raw).decode("utf-8", "replace")
            if isinstance(raw, (bytes, bytearray, memoryview))
            else raw
        )
        if not isinstance(text, str) or f'"{COMMAND_ID}"' not in text:
            continue
        try:
            payload = json.loads(text)
        except ValueError:
            continue
        value = payload.get(COMMAND_ID) if isinstance(payload, dict) else None
        if not isinstance(value, str) or command_id_problem(value) is not None:
            continue
        if (case_id, value) in seen:
            continue
        seen.add((case_id, value))
        found.append((value, gid))
    return found


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


class _Unknown:
    """Not looked up yet."""


_UNKNOWN = _Unknown()


def _check_events(
    lifecycle: Lifecycle,
    has_state: Callable[[str], bool],
    events: Sequence[Event],
    planned: Callable[[], int | None],
) -> None:
    """Refuse (:class:`InvalidAppend`, naming the event) what replaying ``events`` after the
    case's stored log would fail on, without replaying the log: a cheap check per event.

    The state is one ``has_state`` knows (see :meth:`BaseStore._states_of`); a library
    event's payload is well formed (:func:`_check_payload`); a plan is revised only once there
    is one, and only upwards.  ``planned()`` gives the sessions of the stored plan, looked up
    only for a revision.
    """
    sessions: int | _Unknown | None = _UNKNOWN
    for ev in events:
        if not has_state(ev.state):
            raise InvalidAppend(
                ev.case_id, f"unknown state {ev.state!r} (lifecycle {lifecycle.id!r})", ev.seq
            )
        _check_payload(ev)
        if ev.type == "plan_set":
            sessions = ev.payload["plan"].sessions
        elif ev.type == "plan_revised":
            if isinstance(sessions, _Unknown):
                sessions = planned()
            wanted = ev.payload["sessions"]
            if sessions is None:
                raise InvalidAppend(ev.case_id, "plan_revised: there is no plan to revise", ev.seq)
            if wanted <= sessions:
                raise InvalidAppend(
                    ev.case_id,
                    f"plan_revised: a revision adds sessions: {wanted} is not more than {sessions}",
                    ev.seq,
                )
            sessions = wanted


def _check_payload(ev: Event) -> None:
    """Refuse a library event whose payload is not what the engine writes for it (the
    :func:`~casework.case.payload_problem` rules: a ``session_recorded`` carries a session
    record, a consent is a :class:`~casework.records.Consent`...).
    """
    problem = payload_problem(ev.type, ev.payload)
    if problem is not None:
        raise InvalidAppend(ev.case_id, f"{ev.type}: {problem}", ev.seq)


#: The payload values a case's summary row keeps, by event type.
_SUMMARY_VALUES = {OPEN_EVENT: ("worker", "programme", "lifecycle"), "transferred": ("to",)}


def _check_summary_values(ev: Event) -> None:
    """Refuse a payload value the summary row would keep that no store can (not text, or
    text with a NUL: it sits in a summary column, not in the payload's JSON).
    """
    for key in _SUMMARY_VALUES.get(ev.type, ()):
        value = ev.payload.get(key)
        if value is None:
            continue
        if type(value) is not str:
            raise InvalidAppend(ev.case_id, f"{ev.type}: {key!r} needs text, got {value!r}", ev.seq)
        if "\x00" in value:
            raise InvalidAppend(
                ev.case_id,
                f"{ev.type}: {key!r} holds a NUL character, which no store keeps",
                ev.seq,
            )


def _check_text(row: Row) -> None:
    """Refuse a row holding text no store can keep: a lone surrogate (not encodable as
    UTF-8) or a NUL character (PostgreSQL refuses it in text), so that every store refuses
    the same events.  A payload is JSON text, so this covers every string inside it too.
    """
    try:  # the common case at C speed: one envelope string and the payload, each encoded once
        envelope = "\x01".join((row[0], row[3], row[5], row[6], row[7]))
        if "\x00" not in envelope:
            envelope.encode("utf-8")
            payload = row[8]
            if payload is not None:
                payload.encode("utf-8")  # JSON text: a NUL in it is escaped, so it is kept
            return
    except (UnicodeEncodeError, TypeError):
        pass
    _refuse_text(row)


def _refuse_text(row: Row) -> None:
    """Which column of ``row`` holds the text :func:`_check_text` found, as an InvalidAppend."""
    case_id, seq = row[0], row[1]
    for name, value in zip(("case_id", "seq", *ROW_COLUMNS, "command_id"), row, strict=True):
        if type(value) is not str:
            continue
        if "\x00" in value and name != "payload":
            raise InvalidAppend(case_id, f"{name} holds a NUL character, which no store keeps", seq)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidAppend(
                case_id,
                f"{name} holds text that is not valid Unicode "
                f"({value[exc.start : exc.end]!r} at position {exc.start})",
                seq,
            ) from None


def _command_ids(case_id: str, events: Sequence[Event], expected: int) -> list[Any]:
    """The command id of each event (None where it has none), each valid and used once."""
    ids = [ev.payload.get(COMMAND_ID) for ev in events]
    if any(cid is not None for cid in ids):
        seen: dict[str, int] = {}
        for ev, cid in zip(events, ids, strict=True):
            if cid is None:
                continue
            problem = command_id_problem(cid)
            if problem is not None:
                raise InvalidAppend(case_id, f"event #{ev.seq}: {problem}")
            if cid in seen:
                raise DuplicateCommandId(case_id, cid, seen[cid], expected=expected)
            seen[cid] = ev.seq
    return ids


def disagreement(case_id: str, version: int, last: int | None) -> CorruptRecord | None:
    """The corruption when a case's summary says ``version`` but its last stored event
    is ``last`` (None: no event), or None when they agree.

    Stores ask on a refused append and on every read of a case, so that a lost row is
    reported as what it is, not as a conflict that no reload can resolve, nor as a shorter
    case.
    """
    last = last or 0
    if last == version:
        return None
    if last < version:
        return CorruptRecord(
            case_id,
            last + 1,
            f"event #{last + 1} is missing: the case's summary says version {version}, "
            f"but its last stored event is #{last}",
        )
    if version == 0:
        return CorruptRecord(
            case_id, None, f"the case's summary row is missing (events up to #{last} stored)"
        )
    return CorruptRecord(
        case_id,
        version + 1,
        f"the case's summary says version {version}, but events up to #{last} are stored",
    )


def check_version(case_id: str, rows: Sequence[ReadRow], version: int | None) -> None:
    """Refuse to read a case whose numbered rows ``1..n`` stop short of (or run past) the
    version its summary keeps; rows with a gap are left for the reader to report as such.
    """
    if rows[-1][0] == len(rows) and version != len(rows):
        corrupt = disagreement(case_id, version or 0, len(rows))
        if corrupt is not None:
            raise corrupt


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
        #: The newest version of each lifecycle the store knows, by id.
        self.lifecycles: dict[str, Lifecycle] = {
            lc.id: self.catalogue.lifecycle(lc.id) for lc in self.catalogue.lifecycles
        }
        self._state_checks: dict[str, Callable[[str], bool]] = {}
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
                    lifecycle = self._lifecycle_of(events[0])
                    has_state = self._states_of(lifecycle)
                    _check_events(lifecycle, has_state, events, lambda: None)  # as later ones
                    Case.replay(events, lifecycle)
            except ReplayError as exc:
                raise InvalidAppend(case_id, exc.problem, exc.seq) from exc
            except InvalidValue as exc:  # a record refused while applying an event
                raise InvalidAppend(case_id, str(exc)) from exc
        ids = _command_ids(case_id, events, expected_version)
        for ev in events:  # before any key is made for the append's personal values
            _check_summary_values(ev)

        def refused(ev: Event, exc: Exception) -> InvalidAppend:
            return InvalidAppend(case_id, str(exc), ev.seq)

        # one call for the whole append: its personal values are sealed together
        encoded = self.codec.events_to_rows(events, refused)
        rows: list[Row] = []
        for ev, enc, cid in zip(events, encoded, ids, strict=True):
            row: Row = (case_id, ev.seq, *enc, cid)
            _check_text(row)
            rows.append(row)
        return rows

    def _check_follows(self, prev: CaseSummary, events: Sequence[Event]) -> None:
        """Refuse, with :class:`InvalidAppend`, events the case could not replay after ``prev``.

        Called by each store inside its append transaction, once the version check passed.
        A journal's events replay whatever they hold, so they are not checked here.
        """
        if prev.lifecycle == JOURNALS:
            return
        case_id = prev.case_id
        lifecycle = self._summary_lifecycle(prev)
        _check_events(
            lifecycle, self._states_of(lifecycle), events, lambda: self._planned_sessions(case_id)
        )

    def _states_of(self, lifecycle: Lifecycle) -> Callable[[str], bool]:
        """Which states the cheap check lets a case of ``lifecycle`` be in: a state of any
        version of it the catalogue holds.

        A case may follow an older version, or move to another one mid-log, which neither the
        summary nor one event says (the full replay of a new case, and every load, still
        judge the exact version).
        """
        check = self._state_checks.get(lifecycle.id)
        if check is None:
            names = {s.name for lc in self.catalogue.lifecycles if lc.id == lifecycle.id
                     for s in lc.states} or {s.name for s in lifecycle.states}  # fmt: skip
            check = self._state_checks[lifecycle.id] = names.__contains__
        return check

    def _planned_sessions(self, case_id: str) -> int | None:
        """The sessions of the case's stored plan as last set or revised (None: no plan), with
        the corrections and voids in force applied (the newest correction of an event wins).
        """
        voided: set[Any] = set()
        replaced: dict[Any, Mapping[str, Any]] = {}
        for row in self._plan_rows(case_id):  # newest first
            ev = self._decode_row(case_id, row)
            if ev.type == VOIDED_EVENT:
                voided.add(ev.payload.get("target"))
                continue
            if ev.type == CORRECTED_EVENT:
                replaced.setdefault(ev.payload.get("target"), ev.payload)
                continue
            if ev.seq in voided:
                continue
            payload = replaced.get(ev.seq, ev.payload)
            if ev.type == "plan_set":
                plan = payload.get("plan")
                return plan.sessions if isinstance(plan, SessionPlan) else None
            if ev.type == "plan_revised":
                sessions = payload.get("sessions")
                return sessions if type(sessions) is int else None
        return None

    def _plan_rows(self, case_id: str) -> Sequence[ReadRow]:  # pragma: no cover - overridden
        """The case's stored ``plan_set``, ``plan_revised``, ``corrected`` and ``voided`` rows,
        and its record rows (which may be any), newest first; a store's append calls it inside
        its transaction.
        """
        raise NotImplementedError

    def _summary_lifecycle(self, prev: CaseSummary) -> Lifecycle:
        """The lifecycle a stored case follows, by the name its summary keeps."""
        lifecycle = self.lifecycles.get(prev.lifecycle)
        if lifecycle is None:
            if not prev.lifecycle and self._sole is not None:  # before lifecycles were named
                return self._sole
            raise UnknownLifecycle(prev.case_id, prev.lifecycle or "?", tuple(self.lifecycles))
        return lifecycle

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

    # --- the log, for readers that follow it (projections) ------------------------------------

    def head(self) -> int:  # pragma: no cover - every store implements it
        """The position of the latest event in the store's log (0 when there is none)."""
        raise NotImplementedError

    def log_rows(self, after: int = 0, upto: int | None = None) -> Iterator[LogRow]:
        """The stored events at positions ``after < position <= upto`` (to the end for None),
        in log order, undecoded (:data:`LogRow`): a reader groups or skips them by stream,
        number and state, and decodes only those it needs with :meth:`decode_log_row`.
        """
        raise NotImplementedError  # pragma: no cover - every store implements it

    @staticmethod
    def _check_log_range(after: Any, upto: Any) -> None:
        """Refuse, with :class:`InvalidValue`, a log range that is not whole positions."""
        for name, value in (("after", after), ("upto", upto)):
            if value is None and name == "upto":
                continue
            if type(value) is not int or value < 0:
                raise InvalidValue(
                    f"log_rows: {name}", f"expected a position (a whole number >= 0), got {value!r}"
                )

    def decode_log_row(self, row: LogRow) -> Event:
        """The event of a :meth:`log_rows` row (:class:`CorruptRecord` if unreadable)."""
        return self._decode_row(row[1], row[2:])

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
        if first.type != OPEN_EVENT:  # a row moved here from another case, or an opening lost
            raise CorruptRecord(
                case_id,
                1,
                f"event #1 is {first.type!r}, not the case's opening {OPEN_EVENT!r}: the case's "
                "rows were moved or renumbered (a row from another case, or its opening lost)",
            )
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

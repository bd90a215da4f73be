"""Erasure: a data subject's personal data made unreadable for good, the log left whole.

:func:`erase` destroys the subject's key in the store's key store (crypto-shredding: every
personal value sealed under it, in every row the store ever wrote, can no longer be read) and
records a ``personal_data_erased`` event, carrying no personal data, in every case and journal
that held some of the subject's data.  Afterwards those cases still load and replay, their
personal fields read as :data:`~casework.serialize._sealed.ERASED` (a birth date as
``0001-01-01``), and every state, time, count, score and flag is as it was.

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs
from dateutil.relativedelta import relativedelta

from casework.errors import CaseworkError, InvalidValue
from casework.events import ERASED_EVENT, Event
from casework.journal import JOURNAL_OPENED
from casework.keys import KeyStore
from casework.records import Client, as_datetime
from casework.retention import RetentionRule
from casework.serialize._sealed import (
    ERASED,
    ERASED_DATE,
    FREE_TEXT,
    OWN_SUBJECT,
    UNAVAILABLE,
    is_erased,
)
from casework.store.base import JOURNALS, Store
from casework.store.errors import ConflictError

if TYPE_CHECKING:
    from casework.case import Case
    from casework.catalogue import Catalogue

__all__ = [
    "ERASED",
    "ERASED_DATE",
    "ERASED_EVENT",
    "FREE_TEXT",
    "UNAVAILABLE",
    "DueErasure",
    "Erasure",
    "NotEncrypted",
    "UnknownSubject",
    "due_erasures",
    "erase",
    "erasure_dates",
    "is_erased",
    "streams_of",
]


class NotEncrypted(CaseworkError):
    """The store has no key store: its personal data is in clear and cannot be erased so."""


class UnknownSubject(CaseworkError):
    """No case or journal of the store holds data of ``subject``, and no key names them."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"no case or journal holds personal data of {subject!r}")


@attrs.frozen
class Erasure:
    """What :func:`erase` did: whose key it destroyed, and the events it recorded."""

    subject: str
    at: datetime
    by: str
    reason: str
    key_destroyed: bool
    events: tuple[Event, ...] = ()

    @property
    def streams(self) -> tuple[str, ...]:
        """The cases and journals the erasure was recorded in."""
        return tuple(e.case_id for e in self.events)


def _records(value: Any) -> Iterator[Any]:
    """The attrs records in a decoded payload value, at any depth."""
    if attrs.has(type(value)):
        yield value
        for f in attrs.fields(type(value)):
            yield from _records(getattr(value, f.name, None))
    elif isinstance(value, dict):
        for v in value.values():
            yield from _records(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _records(v)


def _concerns(events: Iterable[Event], subject: str) -> bool:
    """True when a stream (a case or a journal) holds data sealed under ``subject``."""
    it = iter(events)
    first = next(it, None)
    if first is None:
        return False
    if first.type != JOURNAL_OPENED:
        client = first.payload.get("client")
        return isinstance(client, Client) and client.id == subject
    if first.case_id == subject:
        return True
    for ev in it:
        for record in _records(dict(ev.payload)):
            field = OWN_SUBJECT.get(type(record))
            if field is not None and getattr(record, field, None) == subject:
                return True
    return False


def streams_of(store: Store, subject: str) -> list[str]:
    """The ids of the cases and journals in ``store`` holding data of ``subject``.

    A case holds its client's data (guardians and notes included); a journal holds the data
    of each person (volunteer, member of staff) recorded in it.  Every stream is read once.
    """
    found = []
    for summary in [*store.cases(), *store.cases(lifecycle=JOURNALS)]:
        if _concerns(store.events(summary.case_id), subject):
            found.append(summary.case_id)
    return found


def erase(
    store: Store,
    subject: str,
    *,
    reason: str,
    at: date | datetime,
    by: str,
    keys: KeyStore | None = None,
) -> Erasure:
    """Erase the personal data of ``subject`` (a client's id, or a volunteer's or worker's).

    The subject's key is destroyed first (``keys``, default: the store's key store), then a
    ``personal_data_erased`` event ``{"subject": ..., "reason": ...}`` is appended to every
    case and journal holding their data (at its current state: nothing else changes).
    ``reason`` is kept in clear, as the audit of the erasure: it must not name anyone.
    Running it again for an erased subject records the event where it is still missing.

    Raises :class:`NotEncrypted` for a store without a key store (its personal data is in
    clear: nothing can be erased by destroying a key) and :class:`UnknownSubject` when
    nothing in the store or its key store names the subject.
    """
    for where, value in (("subject", subject), ("reason", reason), ("by", by)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue(where, f"must be a non-empty string, got {value!r}")
    when = as_datetime(at)
    keys = keys if keys is not None else getattr(store, "keys", None)
    if keys is None:
        raise NotEncrypted(
            "this store was opened without a key store, so its personal data is in clear and "
            "cannot be erased by destroying a key (open it with keys=...)"
        )
    streams = streams_of(store, subject)
    if not streams and keys.get(subject) is None and not keys.destroyed(subject):
        raise UnknownSubject(subject)
    for stream in streams:  # a time the events cannot take is refused before the key goes
        _check_time(when, stream, store.events(stream)[-1].at)
    destroyed = keys.destroy(subject)
    sealer = getattr(getattr(store, "codec", None), "sealer", None)
    if sealer is not None:
        sealer.forget(subject)
    recorded = []
    for stream in streams:
        event = _record(store, stream, subject, reason=reason, at=when, by=by)
        if event is not None:
            recorded.append(event)
    return Erasure(subject, when, by, reason, destroyed, tuple(recorded))


def _check_time(at: datetime, stream: str, last: datetime) -> None:
    """Refuse an erasure time ``stream`` cannot take: before its latest event, or naive where
    its times are timezone-aware (or the other way round).
    """
    if (at.utcoffset() is None) != (last.utcoffset() is None):
        kind = "naive" if at.utcoffset() is None else "timezone-aware"
        raise InvalidValue(
            "at",
            f"{at.isoformat()} is {kind}, the times of {stream!r} are not: naive and "
            "timezone-aware times cannot be mixed",
        )
    if at < last:
        raise InvalidValue("at", f"{at:%Y-%m-%d %H:%M} is before the latest event of {stream!r}")


def _record(
    store: Store, stream: str, subject: str, *, reason: str, at: datetime, by: str
) -> Event | None:
    """Append the erasure event to ``stream`` unless it has one for ``subject`` already."""
    expected = 0
    for _ in range(5):  # another writer may move the stream on meanwhile: read and try again
        events = store.events(stream)
        if any(e.type == ERASED_EVENT and e.payload.get("subject") == subject for e in events):
            return None
        last = events[-1]
        expected = last.seq
        _check_time(at, stream, last.at)
        event = Event(
            stream,
            last.seq + 1,
            ERASED_EVENT,
            at,
            by,
            last.state,
            "erase_personal_data",
            {"subject": subject, "reason": reason},
        )
        try:
            store.append([event], expected_version=last.seq)
        except ConflictError:
            continue
        return event
    raise ConflictError(stream, expected, None)


@attrs.frozen
class DueErasure:
    """A subject whose personal data a retention rule says to erase on ``due``.

    ``cases`` are the subject's cases the rule watches (all closed), ``closed`` the latest
    closure among them, ``birth_date`` the birth date used (None when it could not be read:
    sealed under a key this process does not have, or erased) and ``basis`` says in words how
    ``due`` was found.

    .. versionadded:: 0.2
    """

    subject: str
    rule: RetentionRule
    due: date
    closed: date
    cases: tuple[str, ...]
    worker: str | None
    birth_date: date | None
    basis: str

    @property
    def reason(self) -> str:
        """The erasure's reason: names the rule, never the person."""
        return f"retention rule {self.rule.id}: {self.rule.en} (due {self.due.isoformat()})"


def _closed_on(case: Case) -> date | None:
    """The day ``case`` entered its current run of closed states (None while it is open)."""
    if case.is_open:
        return None
    closed = None
    for ev in case.history:
        lifecycle = case.lifecycle_at(ev.seq)
        if not lifecycle.has_state(ev.state):
            continue
        if lifecycle.state(ev.state).is_open:
            closed = None
        elif closed is None:
            closed = ev.at.date()
    return closed


def _watched(rule: RetentionRule, case: Case) -> bool:
    return not rule.lifecycles or case.lifecycle.id in rule.lifecycles


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


def _due(rule: RetentionRule, closed: date, born: date | None) -> tuple[date, str] | None:
    parts: list[tuple[date, str]] = []
    if rule.after_closure_years is not None:
        parts.append(
            (closed + relativedelta(years=rule.after_closure_years),
             f"{_years(rule.after_closure_years)} after closure on {closed.isoformat()}")
        )  # fmt: skip
    if rule.after_age is not None:
        if born is None:
            if not parts:
                return None  # an age rule without a readable birth date: never a guess
            parts[0] = (parts[0][0], parts[0][1] + " (birth date unreadable: closure only)")
        else:
            parts.append(
                (born + relativedelta(years=rule.after_age + rule.years),
                 f"{_years(rule.years)} after turning {rule.after_age}")
            )  # fmt: skip
    return max(parts)


def _cases(source: Store | Iterable[Case]) -> Iterator[Case]:
    if hasattr(source, "cases") and hasattr(source, "load"):
        store: Any = source
        for summary in store.cases():
            yield store.load(summary.case_id)
    else:
        yield from source


def erasure_dates(
    source: Store | Iterable[Case], *, catalogue: Catalogue | None = None
) -> list[DueErasure]:
    """Every subject a retention rule of ``catalogue`` will erase, with the date, soonest first.

    A subject is listed under a rule once every case of theirs that the rule watches is
    closed; the date is the latest the rule gives over those cases (the later of
    ``after_closure_years`` after the closure and ``years`` after turning ``after_age``).
    The birth date is read from the case: when it is sealed and unreadable here (a store
    opened without its keys), a rule with ``after_closure_years`` uses the closure alone and
    says so in ``basis``; a rule on age alone lists nothing for that subject.  Subjects
    already erased are left out.  With several rules for one subject, the earliest is kept.

    .. versionadded:: 0.2
    """
    if catalogue is None:
        catalogue = getattr(source, "catalogue", None)
    rules = catalogue.retention if catalogue is not None else ()
    by_subject: dict[str, list[Case]] = {}
    for case in _cases(source):
        by_subject.setdefault(case.client.id, []).append(case)
    found: list[DueErasure] = []
    for subject, cases in by_subject.items():
        if any(c.erased for c in cases):
            continue
        best: DueErasure | None = None
        for rule in rules:
            watched = [c for c in cases if _watched(rule, c)]
            closures = [_closed_on(c) for c in watched]
            if not watched or any(d is None for d in closures):
                continue
            born_value = watched[-1].client.birth_date
            born = None if is_erased(born_value) else born_value
            dates = [_due(rule, d, born) for d in closures if d is not None]
            if any(d is None for d in dates):
                continue
            due, basis = max(d for d in dates if d is not None)
            closed = max(d for d in closures if d is not None)
            item = DueErasure(
                subject,
                rule,
                due,
                closed,
                tuple(c.id for c in watched),
                watched[-1].worker,
                born,
                basis,
            )
            if best is None or item.due < best.due:
                best = item
        if best is not None:
            found.append(best)
    return sorted(found, key=lambda d: (d.due, d.subject))


def due_erasures(
    source: Store | Iterable[Case], *, on: date | datetime, catalogue: Catalogue | None = None
) -> list[DueErasure]:
    """The subjects whose personal data is due for erasure on ``on`` (due that day or before).

    ``source`` is a store or its cases; ``catalogue`` holds the retention rules (default: the
    store's).  See :func:`erasure_dates` for how the dates are found.

    .. versionadded:: 0.2
    """
    day = on.date() if isinstance(on, datetime) else on
    return [d for d in erasure_dates(source, catalogue=catalogue) if d.due <= day]

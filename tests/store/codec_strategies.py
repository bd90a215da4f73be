"""Hypothesis strategies for every value the codec writes, and for whole events.

Shared by ``tests/test_serialize.py`` and the store tests.  Times are naive or aware (fixed
offsets, down to the microsecond), never mixed inside one record, as the records require.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from casework.events import Event
from casework.lifecycle import StateClass
from casework.plan import SessionMode, SessionPlan, SessionRecord, SessionStatus
from casework.records import (
    Client,
    Consent,
    ConsentGiver,
    Guardian,
    Role,
    Sex,
    TargetGroup,
    Worker,
)

ENUMS = (ConsentGiver, Sex, Role, TargetGroup, SessionStatus, SessionMode, StateClass)

texts = st.text(max_size=12)
names = st.text(min_size=1, max_size=10).filter(lambda s: s.strip() != "")
# offsets in whole seconds: Python 3.11's fromisoformat misreads sub-second offsets
offsets = st.builds(
    lambda s: timezone(timedelta(seconds=s)), st.integers(-(24 * 3600 - 1), 24 * 3600 - 1)
)
# ``fold`` (PEP 495) is not written (ISO 8601 has no place for it; it never changes equality)
naive_times = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
    lambda t: t.replace(fold=0)
)
aware_times = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=offsets
).map(lambda t: t.replace(fold=0))
zones = st.sampled_from([None, "aware"])


def times(zone: str | None) -> st.SearchStrategy[datetime]:
    """Naive times (``zone=None``) or aware ones with fixed offsets."""
    return naive_times if zone is None else aware_times


any_times = st.one_of(naive_times, aware_times)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
enums = st.one_of(*(st.sampled_from(list(e)) for e in ENUMS))

guardians = st.builds(Guardian, id=names, relation=names, name=st.none() | names)
clients = st.builds(
    Client,
    id=names,
    pseudonym=names,
    birth_date=dates,
    sex=st.sampled_from(list(Sex)),
    guardians=st.lists(guardians, max_size=3, unique_by=lambda g: g.id),
    tags=st.frozensets(names, max_size=4),
    name=st.none() | names,
)
workers = st.builds(Worker, id=names, role=st.sampled_from(list(Role)), name=st.none() | names)


@st.composite
def consents(draw: st.DrawFn) -> Consent:
    zone = draw(zones)
    given = draw(times(zone))
    giver = draw(st.sampled_from(list(ConsentGiver)))
    withdrawn = draw(st.none() | st.just(given) | times(zone).filter(lambda t: t >= given))
    return Consent(
        giver,
        given,
        scope=draw(names),
        giver_id=draw(names) if giver is ConsentGiver.GUARDIAN else draw(st.none() | names),
        withdrawn_at=withdrawn,
    )


@st.composite
def plans(draw: st.DrawFn) -> SessionPlan:
    n = draw(st.integers(1, 12))
    schedule: list[datetime] = []
    if draw(st.booleans()):
        schedule = sorted(draw(st.lists(times(draw(zones)), min_size=n, max_size=n)))
    return SessionPlan(n, tuple(schedule), tuple(draw(st.lists(texts, max_size=3))))


@st.composite
def session_records(draw: st.DrawFn) -> SessionRecord:
    status = draw(st.sampled_from(list(SessionStatus)))
    zone = draw(zones)
    return SessionRecord(
        draw(st.integers(1, 40)),
        status,
        held_at=draw(times(zone)) if status is SessionStatus.HELD else None,
        scheduled_at=draw(st.none() | times(zone)),
        mode=draw(st.sampled_from(list(SessionMode))),
        duration_minutes=draw(st.none() | st.integers(1, 600)),
        techniques=tuple(draw(st.lists(names, max_size=3))),
        worker=draw(st.none() | names),
        notes=draw(texts),
    )


records = st.one_of(clients, guardians, workers, consents(), plans(), session_records())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
hashables = st.one_of(scalars, any_times, dates, enums)
leaves = st.one_of(
    scalars,
    any_times,
    dates,
    st.timedeltas(),
    enums,
    records,
    st.frozensets(hashables, max_size=3),
    st.sets(hashables, max_size=3),
)
#: Any value a payload may hold: nested lists, tuples, dicts (any keys), records, times...
payload_values: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(texts, inner, max_size=3),
        st.dictionaries(
            st.one_of(st.integers(), st.sampled_from(["$type", "$x"])), inner, max_size=2
        ),
    ),
    max_leaves=8,
)
payloads = st.dictionaries(texts, payload_values, max_size=4)


@st.composite
def events(draw: st.DrawFn) -> Event:
    """Any event: not necessarily one a lifecycle would accept, but one a codec must keep."""
    return Event(
        draw(names),
        draw(st.integers(1, 10_000)),
        draw(names),
        draw(any_times),
        draw(names),
        draw(names),
        draw(texts),
        draw(payloads),
    )

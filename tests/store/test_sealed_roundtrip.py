"""A sealed append then load gives what a clear append then load gives, for any payload: the
personal values are sealed in the rows and opened on reading, every other value untouched.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import attrs
import codec_strategies as cs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.case import Case
from casework.engine import Engine
from casework.events import COMMAND_ID, Event
from casework.journal import JOURNAL_OPENED, JOURNAL_STATE, Journal
from casework.keys import MemoryKeyStore
from casework.records import Client, Guardian
from casework.serialize._sealed import FREE_TEXT, SEALED
from casework.standard import STANDARD
from casework.station import Volunteer
from casework.store import Store
from conftest import Backend

AT = datetime(2024, 3, 4, 9)
#: Planted in every stream, so that the raw rows can be searched for them.
NAME, GUARDIAN, NOTE, VOLUNTEER = "欧阳明轩", "欧阳慧敏", "见到了奶奶和邻居", "司马志远"

volunteers = st.builds(Volunteer, id=cs.names, name=st.none() | cs.names)
keys = st.one_of(st.sampled_from(sorted(FREE_TEXT)), cs.texts).filter(lambda k: k != COMMAND_ID)
payloads = st.dictionaries(keys, st.one_of(cs.payload_values, volunteers), max_size=4)
NUMBERS = itertools.count()
#: A case's opening as the engine writes it (the drawn client is put in its place).
OPENING = (
    Engine(STANDARD)
    .open("T", Client("c", "明明", date(2011, 7, 23)), at=AT, by="wu", worker="wu")
    .history[0]
)


def stream(
    stream_id: str, journal: bool, client: Client, drawn: list[dict[str, Any]]
) -> list[Event]:
    """A case (opened for ``client``) or a journal, then one event per drawn payload."""
    if journal:
        first = Event(
            stream_id, 1, JOURNAL_OPENED, AT, "wu", JOURNAL_STATE, "open", {"station": "x"}
        )
    else:
        first = attrs.evolve(
            OPENING, case_id=stream_id, payload={**OPENING.payload, "client": client}
        )
    planted = [{"note": NOTE, "volunteer": Volunteer(f"{stream_id}-v", name=VOLUNTEER)}]
    return [first] + [
        Event(stream_id, seq, "noted", AT, "wu", first.state, "note", payload)
        for seq, payload in enumerate(planted + drawn, start=2)
    ]


def renamed(events: list[Event], stream_id: str) -> list[Event]:
    return [attrs.evolve(e, case_id=stream_id) for e in events]


def raw(store: Store, stream_id: str) -> str:
    return " ".join(str(row[-1]) for row in store._rows(stream_id))  # type: ignore[attr-defined]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    client=cs.clients,
    drawn=st.lists(payloads, max_size=4),
    journal=st.booleans(),
    whole=st.booleans(),
)
def test_a_sealed_append_then_load_equals_a_clear_one(
    backend: Backend, client: Client, drawn: list[dict[str, Any]], journal: bool, whole: bool
) -> None:
    n = next(NUMBERS)
    guardians = (*client.guardians, Guardian(f"g-{n}", name=GUARDIAN))
    client = attrs.evolve(client, id=f"c-{n}", name=NAME, guardians=guardians)
    clear, sealed = backend.open(), backend.open(keys=MemoryKeyStore())
    events = stream(f"S-{n}", journal, client, drawn)
    if whole:  # one append for the stream, or one per event (as an engine writes)
        sealed.append(events, expected_version=0)
        clear.append(renamed(events, f"C-{n}"), expected_version=0)
    else:
        for event in events:
            sealed.append([event], expected_version=event.seq - 1)
            clear.append(renamed([event], f"C-{n}"), expected_version=event.seq - 1)
    from_clear = renamed(clear.events(f"C-{n}"), f"S-{n}")
    assert sealed.events(f"S-{n}") == from_clear == events
    if journal:
        assert sealed.journal(f"S-{n}") == Journal.replay(from_clear)
    else:
        assert sealed.load(f"S-{n}") == Case.replay(from_clear, STANDARD)
    text = raw(sealed, f"S-{n}")
    assert SEALED in text and SEALED not in raw(clear, f"C-{n}")
    for planted in (NAME, GUARDIAN, NOTE, VOLUNTEER):
        assert (planted not in text and planted in raw(clear, f"C-{n}")) or journal
    for planted in (NOTE, VOLUNTEER):
        assert planted not in text and planted in raw(clear, f"C-{n}")

"""The codec sealing personal values in store rows: what is sealed, under whose key, and what
a value that cannot be opened reads as.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.events import ERASED_EVENT, Event
from casework.keys import MemoryKeyStore
from casework.plan import SessionRecord
from casework.records import Client, Guardian
from casework.serialize import Codec, default_codec
from casework.serialize._sealed import ERASED, SEALED, UNAVAILABLE, PayloadSealer, open_payload

AT = datetime(2024, 3, 4, 9)
CLIENT = Client(
    "c-1", "明明", date(2011, 7, 23), guardians=[Guardian("g-1", name="王芳")], name="王明"
)


@attrs.frozen
class HomeVisit:
    """An app's own payload record, with a personal field of its own."""

    place: str
    neighbour: str = attrs.field(default="", metadata={"personal": True})


def sealed_codec(keys: MemoryKeyStore, subjects: dict[str, str | None] | None = None) -> Codec:
    codec = default_codec()
    codec.register(HomeVisit)
    known = subjects or {}
    return codec.sealed(PayloadSealer(keys, codec.types, known.get))


def opening() -> Event:
    return Event("XZ-1", 1, "case_opened", AT, "wu", "referral", "open", {"client": CLIENT})


def test_a_row_round_trips_and_holds_no_personal_value() -> None:
    keys = MemoryKeyStore()
    codec = sealed_codec(keys)
    row = codec.event_to_row(opening())
    text = row[-1]
    assert text is not None and "王明" not in text and "王芳" not in text
    assert "2011-07-23" not in text and "明明" in text and '"id":"g-1"' in text.replace(" ", "")
    assert codec.event_from_row("XZ-1", 1, *row) == opening()
    assert keys.subjects() == ["c-1"]


def test_free_text_and_an_apps_own_personal_fields_are_sealed_under_the_client() -> None:
    keys = MemoryKeyStore()
    codec = sealed_codec(keys, {"XZ-1": "c-1"})
    event = Event(
        "XZ-1", 2, "visited", AT, "wu", "referral", "visit",
        {"reason": "王明's aunt called", "visit": HomeVisit("village", "李四"), "count": 3},
    )  # fmt: skip
    text = codec.event_to_row(event)[-1]
    assert text is not None and "王明" not in text and "李四" not in text
    data = json.loads(text)
    assert data["count"] == 3 and data["visit"]["place"] == "village"
    assert data["reason"][SEALED] == "c-1" == data["visit"]["neighbour"][SEALED]
    assert codec.event_from_row("XZ-1", 2, *codec.event_to_row(event)) == event


def test_empty_values_and_erasure_events_stay_in_clear() -> None:
    codec = sealed_codec(MemoryKeyStore(), {"XZ-1": "c-1"})
    session = SessionRecord(1, held_at=AT)
    event = Event(
        "XZ-1", 2, "session_recorded", AT, "wu", "x", "record_session", {"session": session}
    )
    assert SEALED not in (codec.event_to_row(event)[-1] or "")
    erased = Event(
        "XZ-1", 3, ERASED_EVENT, AT, "wu", "x", "erase", {"subject": "c-1", "reason": "r"}
    )
    assert json.loads(codec.event_to_row(erased)[-1] or "{}") == {"subject": "c-1", "reason": "r"}


def test_a_value_that_does_not_authenticate_reads_as_unavailable() -> None:
    keys = MemoryKeyStore()
    codec = sealed_codec(keys)
    row = list(codec.event_to_row(opening()))
    data = json.loads(row[-1])
    blob = data["client"]["name"]
    raw = bytearray(base64.b64decode(blob["data"]))
    raw[-1] ^= 1  # one bit of the tag flipped
    blob["data"] = base64.b64encode(bytes(raw)).decode()
    data["client"]["guardians"][0]["name"][SEALED] = "c-2"  # moved under another subject
    keys.get_or_create("c-2")
    row[-1] = json.dumps(data)
    client = codec.event_from_row("XZ-1", 1, *row).payload["client"]
    assert client.name == UNAVAILABLE and client.guardians[0].name == UNAVAILABLE
    assert client.birth_date == date(2011, 7, 23)  # the untouched field still opens


def test_a_destroyed_key_reads_as_erased_and_no_key_store_as_unavailable() -> None:
    keys = MemoryKeyStore()
    codec = sealed_codec(keys)
    row = codec.event_to_row(opening())
    keys.destroy("c-1")
    assert codec.event_from_row("XZ-1", 1, *row).payload["client"].name == ERASED
    clear = default_codec()
    assert clear.event_from_row("XZ-1", 1, *row).payload["client"].name == UNAVAILABLE
    assert open_payload({"a": [{SEALED: "c-1", "kind": "date"}]}) == {"a": ["0001-01-01"]}


def test_documents_and_exports_are_written_in_clear() -> None:
    codec = sealed_codec(MemoryKeyStore())
    line = codec.dumps_event(opening())
    assert "王明" in line and SEALED not in line
    private = codec.without_personal()
    assert private.sealer is None and "王明" not in private.dumps_event(opening())


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@settings(max_examples=50, deadline=None)
@given(
    name=st.text(alphabet=CJK, min_size=6),
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2023, 12, 31)),
    notes=st.text(alphabet=CJK, min_size=8).map(lambda t: t + " said hello"),
)
def test_any_name_birth_date_and_notes_round_trip_and_never_show(
    name: str, born: date, notes: str
) -> None:
    keys = MemoryKeyStore()
    codec = sealed_codec(keys, {"XZ-1": "c-1"})
    client = Client("c-1", "明明", born, guardians=[Guardian("g-1", name=name)], name=name)
    opened = Event("XZ-1", 1, "case_opened", AT, "wu", "referral", "open", {"client": client})
    session = SessionRecord(1, held_at=AT, notes=notes)
    held = Event("XZ-1", 2, "session_recorded", AT, "wu", "x", "s", {"session": session})
    for event in (opened, held):
        row = codec.event_to_row(event)
        text = row[-1] or ""
        assert name not in text and notes not in text
        assert codec.event_from_row("XZ-1", event.seq, *row) == event
    assert born.isoformat() not in (codec.event_to_row(opened)[-1] or "")

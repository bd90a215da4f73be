"""One append's personal values are sealed together: each subject's key is got once (in one
call for all the new subjects when the key store can), each value under a nonce of its own,
and an append refused for one subject writes nothing.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import attrs
import pytest

from casework.events import Event
from casework.journal import JOURNAL_OPENED, JOURNAL_STATE
from casework.keys import FileKeyStore, MemoryKeyStore
from casework.plan import SessionRecord
from casework.records import Client, Guardian
from casework.serialize import Codec, default_codec
from casework.serialize._sealed import SEALED, PayloadSealer, open_payload
from casework.station import Volunteer
from casework.store import InvalidAppend, MemoryStore, SQLiteStore, UnknownCase

AT = datetime(2024, 3, 4, 9)


class CountingKeys:
    """A key store with the protocol's five methods only (no bulk creation), counting calls."""

    def __init__(self) -> None:
        self.inner = MemoryKeyStore()
        self.single: list[str] = []
        self.bulk: list[list[str]] = []

    def get(self, subject: str) -> bytes | None:
        return self.inner.get(subject)

    def get_or_create(self, subject: str) -> bytes:
        self.single.append(subject)
        return self.inner.get_or_create(subject)

    def destroy(self, subject: str) -> bool:
        return self.inner.destroy(subject)

    def destroyed(self, subject: str) -> bool:
        return self.inner.destroyed(subject)

    def subjects(self) -> list[str]:
        return self.inner.subjects()


class BulkKeys(CountingKeys):
    """The same with ``get_or_create_many`` (one durable write for many new keys)."""

    def get_or_create_many(self, subjects: Iterable[str]) -> dict[str, bytes]:
        wanted = list(subjects)
        self.bulk.append(wanted)
        return self.inner.get_or_create_many(wanted)


def journal(n: int) -> list[Event]:
    """A journal opened, then ``n`` volunteers registered (each their own subject), a note."""
    first = Event("J-1", 1, JOURNAL_OPENED, AT, "wu", JOURNAL_STATE, "open", {"station": "x"})
    people = [
        Event(
            "J-1", i + 2, "volunteer_registered", AT, "wu", JOURNAL_STATE, "volunteer_registered",
            {"volunteer": Volunteer(f"v-{i}", name=f"志愿者{i}")},
        )
        for i in range(n)
    ]  # fmt: skip
    note = Event("J-1", n + 2, "noted", AT, "wu", JOURNAL_STATE, "note", {"note": "站里的事"})
    return [first, *people, note]


def case() -> list[Event]:
    client = Client("c-1", "明明", date(2011, 7, 23), guardians=[Guardian("g", name="王芳")])
    opened = Event(
        "XZ-1", 1, "case_opened", AT, "wu", "referral", "open",
        {"client": client, "worker": "wu", "lifecycle": "standard", "lifecycle_version": 1},
    )  # fmt: skip
    notes = [
        Event("XZ-1", i, "noted", AT, "wu", "referral", "note", {"note": f"第{i}次", "reason": "r"})
        for i in range(2, 6)
    ]
    return [opened, *notes]


def sealed_values(store: Any, stream_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for row in store._rows(stream_id):
        if row[-1] is not None:
            open_payload(json.loads(row[-1]), lambda s: found.append(dict(s)))
    return found


def test_a_journal_append_gets_every_new_subjects_key_in_one_call() -> None:
    keys = BulkKeys()
    store = MemoryStore(keys=keys)
    events = journal(4)
    store.append(events, expected_version=0)
    assert keys.bulk == [["v-0", "v-1", "v-2", "v-3", "J-1"]] and keys.single == []
    assert keys.subjects() == ["J-1", "v-0", "v-1", "v-2", "v-3"]
    assert store.events("J-1") == events
    subjects = [v[SEALED] for v in sealed_values(store, "J-1")]
    assert subjects == ["v-0", "v-1", "v-2", "v-3", "J-1"]


def test_without_a_bulk_call_each_subjects_key_is_got_once_an_append() -> None:
    keys = CountingKeys()
    store = MemoryStore(keys=keys)
    events = case()
    store.append(events[:3], expected_version=0)  # the birth date, the guardian, notes
    assert keys.single == ["c-1"]
    store.append(events[3:], expected_version=3)
    assert keys.single == ["c-1", "c-1"]  # asked again: a key destroyed meanwhile is refused
    assert len(sealed_values(store, "XZ-1")) == 2 + 2 * 4  # birth date, guardian; note, reason
    assert store.events("XZ-1") == events


def test_a_key_file_is_written_once_for_every_new_subject_of_an_append(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = FileKeyStore(tmp_path / "s.keys")
    keys.get_or_create("someone")  # the file exists: new keys are appended to it
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    store = MemoryStore(keys=keys)
    store.append(journal(4), expected_version=0)
    assert len(synced) == 1 and keys.subjects() == ["J-1", "someone", "v-0", "v-1", "v-2", "v-3"]
    assert FileKeyStore(tmp_path / "s.keys").subjects() == keys.subjects()  # on disk


def test_every_value_of_an_append_has_a_nonce_of_its_own(tmp_path: Any) -> None:
    with SQLiteStore(tmp_path / "s.db", keys=MemoryKeyStore()) as store:
        store.append(case(), expected_version=0)
        store.append(journal(6), expected_version=0)
        values = sealed_values(store, "XZ-1") + sealed_values(store, "J-1")
    nonces = {base64.b64decode(v["data"])[:12] for v in values}
    assert len(values) == 2 + 2 * 4 + 6 + 1 and len(nonces) == len(values)


@pytest.mark.parametrize("kind", [CountingKeys, BulkKeys])
def test_an_append_refused_for_an_erased_subject_names_its_event_and_writes_nothing(
    kind: type[CountingKeys],
) -> None:
    keys = kind()
    keys.destroy("v-2")
    store = MemoryStore(keys=keys)
    with pytest.raises(InvalidAppend, match="erased") as info:
        store.append(journal(4), expected_version=0)
    assert info.value.seq == 4  # the event registering v-2
    with pytest.raises(UnknownCase):
        store.events("J-1")


def test_a_session_without_notes_seals_nothing_and_asks_for_no_key() -> None:
    keys = CountingKeys()
    store = MemoryStore(keys=keys)
    opened = case()[0]
    store.append([opened], expected_version=0)
    held = Event(
        "XZ-1", 2, "noted", AT, "wu", "referral", "note", {"session": SessionRecord(1, held_at=AT)}
    )
    store.append([held], expected_version=1)
    assert keys.single == ["c-1"] and SEALED not in (store._rows("XZ-1")[-1][-1] or "")


def race(sealed: Codec, threads: int) -> list[str | None]:
    """The rows of case openings sealed by ``threads`` threads let loose at once."""
    start = threading.Barrier(threads)
    rows: list[str | None] = []

    def seal(i: int) -> None:
        opened = attrs.evolve(case()[0], case_id=f"XZ-{i}")
        start.wait()
        rows.append(sealed.event_to_row(opened)[-1])

    running = [threading.Thread(target=seal, args=(i,)) for i in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return rows


def test_threads_sealing_with_a_new_sealer_at_once_all_seal_everything() -> None:
    """Plans are worked out under a lock: no thread seals by half of one (a name in clear)."""
    codec = default_codec()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch all the time: a race has its chance
    try:
        for _ in range(20):
            sealed = codec.sealed(PayloadSealer(MemoryKeyStore(), codec.types, lambda _: None))
            rows = race(sealed, 4)
            assert len(rows) == 4
            assert all(r is not None and "王芳" not in r and "2011-07-23" not in r for r in rows)
    finally:
        sys.setswitchinterval(interval)

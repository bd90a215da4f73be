"""Write ``sealed_rows.jsonl`` and ``sealed_rows.keys``: rows as a sealing store wrote them.

Run from the repository root (``python tests/data/make_sealed_rows.py``) at the commit whose
format the files should keep; ``tests/test_sealed_format.py`` then checks that today's code
opens those rows to the same events and seals the same events the same way.  The files in
the repository were written at commit 24c98b4 (casework 0.2's sealed format, residents of the
outreach register under their own keys).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import attrs

from casework.demo import run_station
from casework.engine import Engine
from casework.events import Event
from casework.keys import FileKeyStore
from casework.records import Client, Guardian, Worker
from casework.serialize import default_codec
from casework.serialize._sealed import PayloadSealer
from casework.standard import MHT_LIFECYCLE
from casework.station import Activity, Volunteer, VolunteerService
from casework.store import MemoryStore

HERE = Path(__file__).parent
AT = datetime(2024, 3, 4, 9)


def extra() -> list[Event]:
    """Events with what the demo lacks: names, notes, free text, records nested in untyped data."""
    g = (Guardian("g-1", "grandmother", name="欧阳慧敏"), Guardian("g-2", "father"))
    client = Client("c-x", "明明", date(2011, 7, 23), "male", g, name="欧阳明轩")
    payloads = [
        ("case_opened", {"client": client, "worker": "wu", "lifecycle": "standard_mht"}),
        ("noted", {"note": "见到了奶奶", "reason": "", "comment": None, "count": 3}),
        ("noted", {"people": (client, [g[0], {"who": Worker("w-9", name="李四")}])}),
        ("noted", {"description": {"nested": ["free", "text"]}, "flags": frozenset({"a", "b"})}),
        ("noted", {"comment": "她说了邻居的事", "reason": 7, "notes": ["a", {"b": "c"}]}),
    ]
    events = [
        Event("XX-1", i, kind, AT, "wu", "screening", "t", p)
        for i, (kind, p) in enumerate(payloads, start=1)
    ]
    day = date(2024, 3, 4)
    activity = Activity("act-x", "other", day, "t", "p", 3, notes="n")
    journal = [
        ("journal_opened", {"station": "xx"}),
        ("volunteer_registered", {"volunteer": Volunteer("vol-x", name="王芳")}),
        ("worker_registered", {"worker": Worker("w-x", name="赵六")}),
        ("activity_recorded", {"activity": activity}),
        ("service_recorded", {"service": VolunteerService("vol-x", day, 2.0, description="陪伴")}),
        ("noted", {"note": "journal text", "items": [Volunteer("vol-y", name="钱七")]}),
    ]
    return events + [
        Event("XJ-1", i, kind, AT, "wu", "journal", kind, p)
        for i, (kind, p) in enumerate(journal, start=1)
    ]


def main() -> None:
    memory = MemoryStore()
    _, cases, journal = run_station(Engine(MHT_LIFECYCLE, store=memory))
    cases = cases[:2]
    streams = [list(journal.history)] + [list(c.history) for c in cases] + [extra()]
    for i, _ in enumerate(cases):  # the demo's clients have no names: give them some
        opened = streams[i + 1][0]
        c = opened.payload["client"]
        named = attrs.evolve(c, name=f"张小{i}", guardians=[Guardian("g", name="张桂英")])
        streams[i + 1][0] = attrs.evolve(opened, payload={**opened.payload, "client": named})
        for j, event in enumerate(streams[i + 1]):
            if event.type == "session_recorded":
                session = attrs.evolve(event.payload["session"], notes=f"第{j}次，和奶奶谈了")
                streams[i + 1][j] = attrs.evolve(event, payload={"session": session})
    keys_path = HERE / "sealed_rows.keys"
    keys_path.unlink(missing_ok=True)
    keys = FileKeyStore(keys_path)
    codec = default_codec()
    sealed = codec.sealed(PayloadSealer(keys, codec.types, lambda _: None))
    lines = []  # one event a line: its record in clear, then its row as the store wrote it
    for stream in streams:
        for event in stream:
            row = list(sealed.event_to_row(event))
            lines.append(json.dumps([codec.event_to_record(event), row], ensure_ascii=False))
    (HERE / "sealed_rows.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

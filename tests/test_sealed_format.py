"""Rows sealed by casework 0.2's sealed format (tests/data/sealed_rows.jsonl, written by
tests/data/make_sealed_rows.py at commit 24c98b4) still open, and today's sealer writes them
the same way: the same values sealed, under the same subjects, as the same kinds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from casework.keys import FileKeyStore
from casework.serialize import Codec, default_codec
from casework.serialize._sealed import SEALED, PayloadSealer, open_payload

DATA = Path(__file__).parent / "data"


def lines() -> list[tuple[dict[str, Any], list[Any]]]:
    text = (DATA / "sealed_rows.jsonl").read_text(encoding="utf-8")
    return [tuple(json.loads(line)) for line in text.splitlines()]  # type: ignore[misc]


@pytest.fixture
def keys(tmp_path: Path) -> FileKeyStore:
    path = tmp_path / "sealed_rows.keys"
    shutil.copyfile(DATA / "sealed_rows.keys", path)
    return FileKeyStore(path)


def sealing(keys: FileKeyStore) -> tuple[Codec, Codec]:
    clear = default_codec()
    return clear, clear.sealed(PayloadSealer(keys, clear.types, lambda _: None))


def opened(sealer: PayloadSealer, text: str | None) -> Any:
    """A row's payload with each sealed value as (subject, kind, its plaintext)."""
    if text is None:
        return None

    def show(sealed: Any) -> Any:
        return [sealed[SEALED], sealed["kind"], sealer._open_value(sealed)]

    return open_payload(json.loads(text), show)


def test_the_fixture_holds_every_kind_of_sealed_value() -> None:
    text = (DATA / "sealed_rows.jsonl").read_text(encoding="utf-8")
    assert text.count('\\"kind\\":\\"date\\"') >= 3 and text.count(SEALED) >= 50
    for subject in ("c-x", "vol-x", "act-x", "w-x", "XJ-1", "xz-r-01"):
        assert f'\\"{SEALED}\\":\\"{subject}\\"' in text


def test_rows_sealed_by_the_first_format_open_to_their_events(keys: FileKeyStore) -> None:
    clear, sealed = sealing(keys)
    for record, row in lines():
        want = clear.event_from_record(record)
        assert sealed.event_from_row(want.case_id, want.seq, *row) == want


def test_todays_sealer_seals_the_same_values_the_same_way(keys: FileKeyStore) -> None:
    clear, sealed = sealing(keys)
    assert sealed.sealer is not None
    before = keys.subjects()
    for record, row in lines():
        event = clear.event_from_record(record)
        again = list(sealed.event_to_row(event))
        assert again[:-1] == row[:-1]
        assert opened(sealed.sealer, again[-1]) == opened(sealed.sealer, row[-1])
        if row[-1] is not None and SEALED in row[-1]:
            assert again[-1] != row[-1]  # a fresh nonce each time: never the same ciphertext
    assert keys.subjects() == before  # no subject got a key it did not have

"""Key stores making many keys at once (one durable write), and a file key store shared by
several processes: a key another process made is used, never made twice.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import casework.keys
from casework.keys import FileKeyStore, KeyStore, MemoryKeyStore, SubjectErased, keys_for

subjects = st.lists(st.sampled_from([f"s-{i}" for i in range(12)]), max_size=12)


def stores(tmp_path: Path) -> list[KeyStore]:
    return [MemoryKeyStore(), FileKeyStore(tmp_path / "k.keys")]


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_many_keys_are_made_in_one_durable_write(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = stores(tmp_path)[kind == "file"]
    first = keys.get_or_create("s-0")
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    made = keys_for(keys, [f"s-{i}" for i in range(50)] * 2)
    assert sorted(made) == sorted(f"s-{i}" for i in range(50))
    assert made["s-0"] == first and len(set(made.values())) == 50
    assert all(keys.get(s) == k for s, k in made.items())
    assert len(synced) == (1 if kind == "file" else 0)
    if kind == "file":  # durable: another reader of the file finds them all
        assert {s: FileKeyStore(tmp_path / "k.keys").get(s) for s in made} == made


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_an_erased_subject_among_many_makes_no_key_at_all(kind: str, tmp_path: Path) -> None:
    keys = stores(tmp_path)[kind == "file"]
    keys.get_or_create("s-0")
    keys.destroy("s-1")
    raw = (tmp_path / "k.keys").read_bytes() if kind == "file" else b""
    with pytest.raises(SubjectErased, match="s-1"):
        keys_for(keys, ["s-2", "s-1", "s-3"])
    assert keys.subjects() == ["s-0"]
    if kind == "file":
        assert (tmp_path / "k.keys").read_bytes() == raw


@settings(max_examples=30, deadline=None)
@given(subjects, subjects)
def test_bulk_and_single_agree(first: list[str], second: list[str]) -> None:
    keys = MemoryKeyStore()
    made = keys_for(keys, first)
    more = keys_for(keys, second)
    for s in set(first) & set(second):
        assert made[s] == more[s] == keys.get_or_create(s)
    assert keys.subjects() == sorted({*first, *second})


class OneByOne:
    """A key store with only the protocol's five methods (an app's KMS)."""

    def __init__(self) -> None:
        self.inner = MemoryKeyStore()
        self.calls = 0

    def get(self, subject: str) -> bytes | None:
        return self.inner.get(subject)

    def get_or_create(self, subject: str) -> bytes:
        self.calls += 1
        return self.inner.get_or_create(subject)

    def destroy(self, subject: str) -> bool:
        return self.inner.destroy(subject)

    def destroyed(self, subject: str) -> bool:
        return self.inner.destroyed(subject)

    def subjects(self) -> list[str]:
        return self.inner.subjects()


def test_a_key_store_without_bulk_creation_is_asked_once_per_subject() -> None:
    keys = OneByOne()
    assert isinstance(keys, KeyStore)
    made = keys_for(keys, ["b", "a", "b"])
    assert sorted(made) == ["a", "b"] and keys.calls == 2


def test_two_handles_on_one_file_share_their_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "k.keys"
    a, b = FileKeyStore(path), FileKeyStore(path)
    key = a.get_or_create("s-1")
    assert b.get("s-1") == key  # looked up again in the file
    assert b.get_or_create("s-1") == key
    b_made = b.get_or_create_many(["s-2", "s-3"])
    assert a.get_or_create_many(["s-2", "s-3", "s-4"])["s-2"] == b_made["s-2"]
    b.destroy("s-3")
    with pytest.raises(SubjectErased):  # a write looks at the file first
        a.get_or_create("s-3")
    assert a.destroyed("s-3")
    c = FileKeyStore(path)
    c.get("s-1")
    b.destroy("s-1")
    monkeypatch.setattr(casework.keys, "RECHECK", 0.0)  # a read looks again after a while
    assert c.get("s-1") is None and c.destroyed("s-1")
    assert a.subjects() == b.subjects() == ["s-2", "s-4"]


#: Each child makes the keys of the same 150 subjects, one at a time and in batches, and
#: prints them (base64) as JSON.
CHILD = """
import base64, json, sys
from casework.keys import FileKeyStore
keys = FileKeyStore(sys.argv[1])
order = [f"s-{i}" for i in range(150)]
if sys.argv[2] == "back":
    order.reverse()
made = {}
for n in range(0, len(order), 10):
    chunk = order[n:n + 10]
    made.update(keys.get_or_create_many(chunk[:5]))
    made.update({s: keys.get_or_create(s) for s in chunk[5:]})
print(json.dumps({s: base64.b64encode(k).decode() for s, k in made.items()}))
"""


def test_two_processes_making_the_same_keys_get_one_key_each(tmp_path: Path) -> None:
    path = tmp_path / "station.db.keys"
    FileKeyStore(path).get_or_create("s-0")  # the file exists: both append to it
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), way], stdout=subprocess.PIPE, text=True
        )
        for way in ("forth", "back")
    ]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    first, second = (json.loads(out) for out in outputs)
    assert first == second and len(first) == 150  # both use the key made first
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert sorted(e["subject"] for e in lines) == sorted(first)  # each made once
    on_file = {e["subject"]: e["key"] for e in lines}
    assert on_file == first
    assert {s: base64.b64encode(k).decode() for s, k in keys_of(path).items()} == first


def keys_of(path: Path) -> dict[str, bytes]:
    keys = FileKeyStore(path)
    return {s: k for s in keys.subjects() if (k := keys.get(s)) is not None}

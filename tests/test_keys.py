"""Key stores: one key per subject, destroyed for good, the file rewritten atomically."""

from __future__ import annotations

import base64
import json
import os
import pickle
from pathlib import Path

import pytest

from casework.keys import (
    FileKeyStore,
    KeyStore,
    KeyStoreError,
    MemoryKeyStore,
    SubjectErased,
    new_key,
)


@pytest.fixture(params=["memory", "file"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "memory":
        return MemoryKeyStore()
    return FileKeyStore(tmp_path / "station.db.keys")


def test_each_key_store_satisfies_the_protocol(keys: KeyStore) -> None:
    assert isinstance(keys, KeyStore)


def test_a_key_is_made_once_and_kept(keys: KeyStore) -> None:
    assert keys.get("c-1") is None
    key = keys.get_or_create("c-1")
    assert len(key) == 32 and keys.get("c-1") == key == keys.get_or_create("c-1")
    assert keys.get_or_create("c-2") != key
    assert keys.subjects() == ["c-1", "c-2"]


def test_a_destroyed_key_is_never_made_again(keys: KeyStore) -> None:
    keys.get_or_create("c-1")
    assert keys.destroy("c-1") is True
    assert keys.get("c-1") is None and keys.destroyed("c-1")
    assert keys.destroy("c-1") is False  # idempotent
    with pytest.raises(SubjectErased) as info:
        keys.get_or_create("c-1")
    assert info.value.subject == "c-1" and "erased" in str(info.value)
    assert keys.subjects() == []


def test_subjects_are_non_empty_ids(keys: KeyStore) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        keys.get_or_create(" ")


def test_new_keys_are_random_256_bit_keys() -> None:
    assert len({new_key() for _ in range(10)}) == 10


def test_the_file_survives_a_reopen_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "station.db.keys"
    first = FileKeyStore(path)
    key = first.get_or_create("c-1")
    first.get_or_create("c-2")
    first.destroy("c-2")
    again = FileKeyStore(path)
    assert again.get("c-1") == key and again.destroyed("c-2") and again.subjects() == ["c-1"]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not (tmp_path / "station.db.keys.tmp").exists()


def test_beside_names_the_file_after_the_store(tmp_path: Path) -> None:
    keys = FileKeyStore.beside(tmp_path / "station.db")
    assert keys.path == str(tmp_path / "station.db.keys")


def test_destroying_rewrites_the_file_without_the_key(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    keys = FileKeyStore(path)
    secret = keys.get_or_create("c-1")
    keys.get_or_create("c-2")
    keys.destroy("c-1")
    raw = path.read_bytes()
    assert secret not in raw and base64.b64encode(secret) not in raw
    assert [json.loads(line) for line in raw.splitlines()][1] == {"destroyed": "c-1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.keys"]  # no old copy left


def test_a_stale_temporary_file_from_a_crash_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    (tmp_path / "k.keys.tmp").write_bytes(b"half a file")
    keys = FileKeyStore(path)
    keys.get_or_create("c-1")
    assert FileKeyStore(path).subjects() == ["c-1"]


def test_an_unreadable_key_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    path.write_text("not json")
    with pytest.raises(KeyStoreError, match="cannot read the key store") as info:
        FileKeyStore(path)
    assert str(path) in str(info.value)


def test_errors_pickle_with_their_attributes() -> None:
    error = pickle.loads(pickle.dumps(SubjectErased("c-1")))
    assert error.subject == "c-1" and str(error) == str(SubjectErased("c-1"))


def test_a_new_key_is_one_line_appended(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    keys = FileKeyStore(path)
    keys.get_or_create("c-1")
    before = path.read_bytes()
    keys.get_or_create("c-2")
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


def test_a_last_line_cut_short_by_a_crash_is_ignored_then_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    keys = FileKeyStore(path)
    key = keys.get_or_create("c-1")
    with open(path, "ab") as f:
        f.write(b'{"subject":"c-2","key":"AAAA')  # the crash came mid-line
    again = FileKeyStore(path)
    assert again.subjects() == ["c-1"] and again.get("c-1") == key
    again.get_or_create("c-3")
    assert FileKeyStore(path).subjects() == ["c-1", "c-3"]
    assert b"AAAA" not in path.read_bytes()

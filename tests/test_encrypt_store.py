"""Encrypting a clear store in place: nothing lost, nothing left in clear in any file, run twice
harmlessly, partially sealed and erased subjects handled, the command line.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.cli import main
from casework.demo import CHILDREN, run_xuzhuang
from casework.encryption import KeysRequired, encrypt_store
from casework.engine import Engine
from casework.erasure import erase
from casework.events import Event
from casework.journal import Journal
from casework.keys import FileKeyStore, MemoryKeyStore
from casework.records import Client
from casework.reporting import Dataset, indicators
from casework.serialize._sealed import ERASED, ERASED_DATE, UNAVAILABLE
from casework.standard import MHT_LIFECYCLE, STANDARD
from casework.store import MemoryStore, SQLiteStore, StoreError
from casework.store.sqlite import LAYOUT_VERSION
from test_erasure import BORN, NAME, NOTE, files_written, open_case, planted, scan

T0 = datetime(2024, 3, 4, 9, 0)


def clear_demo(path: Path) -> None:
    """The Xuzhuang station (cases and the station's journal) written in clear."""
    with SQLiteStore(path) as store:
        run_xuzhuang(Engine(MHT_LIFECYCLE, store=store), station=True)


def everything(store: SQLiteStore) -> tuple[list[Event], dict[str, Any]]:
    """Every event in commit order, and every case loaded (journals by their own reader)."""
    events = list(store.stream())
    loaded: dict[str, Any] = {}
    for ev in events:
        if ev.seq == 1:
            is_journal = ev.type == "journal_opened"
            fetch = store.journal if is_journal else store.load
            loaded[ev.case_id] = fetch(ev.case_id)
    return events, loaded


def figures(store: SQLiteStore) -> list[Any]:
    data = Dataset.from_store(store)
    return [
        f(data).rows
        for f in (indicators.cases_by_state, indicators.sessions_per_case, indicators.completion)
    ]


def sealed_rows(path: Path) -> tuple[int, int]:
    """(rows holding a sealed value, rows with a payload) in the raw file."""
    db = sqlite3.connect(path)
    try:
        sealed = db.execute("SELECT count(*) FROM events WHERE payload LIKE '%\"$sealed\"%'")
        with_payload = db.execute("SELECT count(*) FROM events WHERE payload IS NOT NULL")
        return sealed.fetchone()[0], with_payload.fetchone()[0]
    finally:
        db.close()


def test_a_clear_demo_store_is_encrypted_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    clear_demo(path)
    with SQLiteStore(path) as store:
        before, loaded = everything(store)
        figures_before = figures(store)
        assert not store.sealed
    assert any(isinstance(v, Journal) for v in loaded.values()) and len(loaded) > 5
    done = encrypt_store(path)
    assert done.sealed > 0 and done.already == 0 and done.clean and done.unreadable == ()
    assert done.new_keys == done.subjects == len(FileKeyStore.beside(path).subjects())
    assert sealed_rows(path)[0] == done.sealed
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        assert store.sealed
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == LAYOUT_VERSION == 4
        after, loaded_after = everything(store)
        assert after == before
        assert loaded_after == loaded
        case = loaded_after["XZ-2023-01"]
        assert case.client.birth_date == CHILDREN[0][2]
    with SQLiteStore(path) as analyst:  # without the keys: the non-personal view
        assert figures(analyst) == figures_before
        assert analyst.load("XZ-2023-01").client.birth_date == ERASED_DATE
        assert analyst.load("XZ-2023-01").state == loaded["XZ-2023-01"].state
    raw = b"".join(p.read_bytes() for p in files_written(tmp_path) if p.suffix != ".keys")
    for child in CHILDREN:
        assert child[2].isoformat().encode() not in raw


def test_encrypting_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    clear_demo(path)
    first = encrypt_store(path)
    db = sqlite3.connect(path)
    rows = db.execute("SELECT * FROM events ORDER BY gid").fetchall()
    db.close()
    keys = (tmp_path / "station.db.keys").read_bytes()
    second = encrypt_store(path)
    assert (second.sealed, second.already, second.new_keys) == (0, first.sealed, 0)
    assert second.clear == first.clear
    db = sqlite3.connect(path)
    assert db.execute("SELECT * FROM events ORDER BY gid").fetchall() == rows
    db.close()
    assert (tmp_path / "station.db.keys").read_bytes() == keys


def test_a_partly_sealed_store_keeps_its_keys_and_seals_only_the_clear_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path) as clear:  # written in clear, before the station had keys
        open_case(clear)
        who = Client("c-8", "小八", BORN, "female", name=f"{NAME}八")
        Engine(STANDARD, store=clear).open("XZ-8", who, at=T0, by="wu", worker="wu")
    keys = FileKeyStore.beside(path)
    with SQLiteStore(path, keys=keys) as store:
        assert not store.sealed  # old rows are clear: not marked sealed
        engine = Engine(STANDARD, store=store)
        case = store.load("XZ-8")  # a clear case goes on, its new rows sealed
        engine.transfer(case, "li", reason=f"{NAME} asked", at=T0 + timedelta(days=3), by="wu")
        other = Client("c-2", "小明", BORN, "male", name="上官小明")
        engine.open("XZ-10", other, at=T0, by="wu", worker="wu")
        partly = sealed_rows(path)[0]
        assert partly > 0
        key_before = {s: keys.get(s) for s in keys.subjects()}
        before, loaded = everything(store)
        done = store.encrypt()
        assert done.already == partly and done.sealed > 0
        assert {s: keys.get(s) for s in key_before} == key_before  # the same keys seal
        assert everything(store) == (before, loaded)
        assert store.load("XZ-9").client.name == NAME
    assert sealed_rows(path)[0] == partly + done.sealed
    assert scan(tmp_path) == []


def test_an_erased_subjects_old_clear_rows_are_shredded(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path) as clear:
        open_case(clear)
    assert scan(tmp_path) != []  # the planted values sit in clear
    keys = FileKeyStore.beside(path)
    with SQLiteStore(path, keys=keys) as store:
        erase(store, "c-9", reason="the guardian asked", at=T0 + timedelta(days=9), by="li")
        done = store.encrypt()
        assert done.erased == ("c-9",) and done.sealed > 0
        case = store.load("XZ-9")
        assert case.client.name == ERASED and case.client.birth_date == ERASED_DATE
        assert case.state == "screened_out" and case.erased
    assert keys.get("c-9") is None and "c-9" not in keys.subjects()
    assert scan(tmp_path) == []


def test_no_file_keeps_a_planted_value_after_the_migration(tmp_path: Path) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    path = folder / "station.db"
    code = main(["demo", "--db", str(path), "--no-encrypt"])
    assert code == 0
    with SQLiteStore(path) as clear:
        open_case(clear)  # plants a name, a guardian, a note and a birth date
        for i in range(300):  # enough rows that the old values fill pages of their own
            Engine(STANDARD, store=clear).open(
                f"P-{i}", Client(f"p-{i}", "某某", BORN, "female", name=NAME), at=T0, by="wu"
            )
    found = {raw for _, raw in scan(folder)}
    assert {NAME.encode(), BORN.isoformat().encode()} <= found <= set(planted())  # in clear
    reader = sqlite3.connect(path)  # a reader that closes before the scrub
    reader.execute("SELECT count(*) FROM events").fetchone()
    reader.close()
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        done = store.encrypt()
        assert done.clean
        assert (folder / "station.db-wal").exists()  # open: the log is there, and empty
        assert scan(folder) == [], "while the store is open"
        assert store.load("XZ-9").client.name == NAME
    names = {p.name for p in files_written(folder)}
    assert {"station.db", "station.db.keys"} <= names
    assert scan(folder) == []


def test_a_store_without_its_keys_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path) as store:
        open_case(store)
        before = store.db.execute("SELECT * FROM events").fetchall()
        with pytest.raises(KeysRequired, match="needs its key store"):
            store.encrypt()
        assert store.db.execute("SELECT * FROM events").fetchall() == before
        with pytest.raises(KeysRequired, match="another key store"):
            encrypt_store(store, keys=MemoryKeyStore())
    with pytest.raises(StoreError, match="only the SQL stores"):
        encrypt_store(MemoryStore(keys=MemoryKeyStore()))
    with pytest.raises(StoreError, match="no such file"):
        encrypt_store(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_a_sealed_store_refuses_appends_without_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path) as store:
        open_case(store)
    encrypt_store(path)
    with SQLiteStore(path) as analyst:
        assert analyst.sealed and analyst.load("XZ-9").client.name == UNAVAILABLE
        rows = analyst.db.execute("SELECT count(*) FROM events").fetchone()[0]
        engine = Engine(STANDARD, store=analyst)
        with pytest.raises(KeysRequired, match="is encrypted"):
            engine.open("XZ-11", Client("c-11", "小红", BORN, "female", name="小红"), at=T0, by="w")
        assert analyst.db.execute("SELECT count(*) FROM events").fetchone()[0] == rows
    with SQLiteStore(path) as other, SQLiteStore(path, keys=FileKeyStore.beside(path)):
        assert other.sealed  # a new store made with keys is marked sealed as well
    fresh = tmp_path / "new.db"
    with SQLiteStore(fresh, keys=FileKeyStore.beside(fresh)) as store:
        assert store.sealed


def test_a_layout_3_store_is_migrated_to_4_and_then_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    with SQLiteStore(path) as store:
        open_case(store)
        expected = store.load("XZ-9")
    db = sqlite3.connect(path)  # back to layout 3, as the previous casework wrote it
    db.execute("DROP TABLE casework_meta")
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    done = encrypt_store(path)
    assert done.sealed > 0
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        assert store.sealed and store.load("XZ-9") == expected


# a store built of cases written with keys or without, in any order: encryption loses nothing
plans = st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_any_mix_of_clear_and_sealed_rows_is_encrypted_whole(plan: list[tuple[bool, int]]) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        path = folder / "s.db"
        keys = FileKeyStore.beside(path)
        for i, (with_keys, moves) in enumerate(plan):
            sealing = with_keys and i > 0  # a store made with keys is sealed from the start
            with SQLiteStore(path, keys=keys if sealing else None) as store:
                engine = Engine(STANDARD, store=store)
                who = Client(f"c-{i}", "某某", BORN, "female", name=f"{NAME}{i}")
                engine.open(f"X-{i}", who, at=T0, by="wu", worker="wu")
                for m in range(moves):  # later rows of an earlier case, written the other way
                    earlier = store.load(f"X-{m % (i + 1)}")
                    at = T0 + timedelta(hours=1 + earlier.version)
                    engine.transfer(earlier, f"w{i}-{m}", reason=f"{NOTE} {m}", at=at, by="wu")
        with SQLiteStore(path, keys=keys) as store:
            before = everything(store)
            done = store.encrypt()
            assert everything(store) == before
        sealed, _ = sealed_rows(path)
        assert sealed == done.sealed + done.already
        raw = path.read_bytes()
        assert NAME.encode() not in raw and NOTE.encode() not in raw
    finally:
        shutil.rmtree(folder)


def test_casework_encrypt_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    assert main(["demo", "--db", str(path), "--no-encrypt"]) == 0
    capsys.readouterr()
    elsewhere = tmp_path / "vault" / "station.keys"
    elsewhere.parent.mkdir()
    assert main(["encrypt", "--db", str(path), "--keys", str(elsewhere)]) == 0
    out, err = capsys.readouterr()
    assert "row(s) sealed" in out and f"a new key store {elsewhere}" in err and "back it up" in err
    assert not (tmp_path / "station.db.keys").exists() and elsewhere.exists()
    assert main(["encrypt", "--db", str(path), "--keys", str(elsewhere)]) == 0
    out, _ = capsys.readouterr()
    assert "0 row(s) sealed" in out
    assert main(["show", "XZ-2023-01", "--db", str(path)]) == 0  # no keys beside: markers
    with pytest.raises(SystemExit) as usage:
        main(["encrypt"])
    assert usage.value.code == 2
    assert "--db" in capsys.readouterr().err
    assert main(["encrypt", "--db", str(tmp_path / "none.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.db" in err


def test_a_reader_holding_the_log_is_reported_and_a_second_run_clears_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path) as store:
        open_case(store)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # a snapshot the log must keep
    try:
        with SQLiteStore(path, keys=FileKeyStore.beside(path), busy_timeout=0.2) as store:
            first = store.encrypt()
        assert not first.clean and first.sealed > 0
    finally:
        reader.execute("COMMIT")
        reader.close()
    seen: list[tuple[int, int]] = []
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        done = store.encrypt(progress=lambda n, total: seen.append((n, total)))
        assert done.clean and done.sealed == 0 and done.already == first.sealed
    assert seen and seen[-1][0] == seen[-1][1] == 3
    assert scan(tmp_path) == []


def test_casework_encrypt_says_when_the_log_was_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import casework.encryption

    path = tmp_path / "station.db"
    with SQLiteStore(path) as store:
        open_case(store)
    real = casework.encryption.encrypt_store

    def held(store: Any, **kwargs: Any) -> Any:  # as when a reader kept the log
        return attrs.evolve(real(store, **kwargs), clean=False)

    monkeypatch.setattr(casework.encryption, "encrypt_store", held)
    assert main(["encrypt", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "another connection kept the write-ahead log in use" in err
    assert err.strip().splitlines()[-1].startswith("casework: ")

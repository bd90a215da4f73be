"""Erasure end to end: no trace of a planted name or birth date in any file casework wrote;
the station's journal people under their own keys; indicators unchanged; the command line.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from casework.cli import main
from casework.demo import run_xuzhuang
from casework.engine import Engine
from casework.erasure import erase
from casework.keys import FileKeyStore
from casework.recording import register
from casework.records import Client, Guardian, Worker
from casework.reporting import Dataset, indicators
from casework.serialize._sealed import ERASED
from casework.standard import MHT_LIFECYCLE, STANDARD
from casework.station import Volunteer
from casework.store import SQLiteStore

T0 = datetime(2024, 3, 4, 9, 0)
#: Planted values: a name and a birth date no other value of the store could contain.
NAME, BORN = "司马翠花", date(2009, 11, 27)
GUARDIAN = "司马大山"
NOTE = "Simayi Cuihua told us about her uncle"


def encodings(text: str) -> list[bytes]:
    """Every way ``text`` could sit in a file: UTF-8, JSON escapes, UTF-16 (both orders)."""
    escaped = "".join(ch if ord(ch) < 128 else f"\\u{ord(ch):04x}" for ch in text)
    found = {
        text.encode("utf-8"),
        escaped.encode("ascii"),
        escaped.upper().replace("\\U", "\\u").encode("ascii"),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
    }
    return sorted(found)


def planted() -> list[bytes]:
    values = [NAME, GUARDIAN, NOTE, BORN.isoformat(), NAME[:2] + NAME[2:]]
    return [raw for v in values for raw in encodings(v)]


def files_written(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def scan(folder: Path) -> list[tuple[str, bytes]]:
    """The planted values found in the raw bytes of every file in ``folder``."""
    hits = []
    for path in files_written(folder):
        data = path.read_bytes()
        hits += [(path.name, raw) for raw in planted() if raw in data]
    return hits


def station_folder(tmp_path: Path) -> tuple[Path, Path, FileKeyStore]:
    """A folder for one station's files: the store's path in it, and its key store beside."""
    folder = tmp_path / "station"
    folder.mkdir()
    path = folder / "station.db"
    return folder, path, FileKeyStore.beside(path)


def open_case(store: SQLiteStore) -> None:
    engine = Engine(STANDARD, store=store)
    client = Client("c-9", "花花", BORN, "female", [Guardian("g-9", "uncle", GUARDIAN)], name=NAME)
    case = engine.open("XZ-9", client, at=T0, by="wu", worker="wu")
    engine.fire(case, "screen", at=T0 + timedelta(days=1), by="wu")
    engine.fire(case, "screen_out", at=T0 + timedelta(days=2), by="wu", reason=f"{NOTE}, {NAME}")


def test_the_encodings_cover_escapes_and_utf16() -> None:
    forms = encodings("花")
    assert b"\\u82b1" in forms and "花".encode("utf-16-le") in forms


def test_an_encrypted_store_never_holds_the_clear_name(tmp_path: Path) -> None:
    folder, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        open_case(store)
        assert store.load("XZ-9").client.name == NAME
        assert scan(folder) == []  # the WAL still holds the writes here
    assert scan(folder) == [], "after the checkpoint at close"


def test_after_erasure_no_file_holds_a_planted_value(tmp_path: Path) -> None:
    folder, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        open_case(store)
        erase(store, "c-9", reason="the guardian asked", at=T0 + timedelta(days=9), by="li")
        case = store.load("XZ-9")
        assert case.client.name == ERASED and case.erased and case.state == "screened_out"
        assert scan(folder) == []
    assert scan(folder) == []
    names = {p.name for p in files_written(folder)}
    assert "station.db" in names and "station.db.keys" in names
    lines = [json.loads(line) for line in (folder / "station.db.keys").read_text().splitlines()]
    assert {"destroyed": "c-9"} in lines and not any(e.get("subject") == "c-9" for e in lines)
    # a copy of the files (a backup made after the erasure) reads the markers too
    other = tmp_path / "copy"
    shutil.copytree(folder, other)
    with SQLiteStore(other / "station.db", keys=FileKeyStore.beside(other / "station.db")) as s:
        assert s.load("XZ-9").client.name == ERASED


def test_erasing_a_volunteer_keeps_the_journal_and_its_figures(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store), station=True)
        ids = [s.case_id for s in store.cases(lifecycle="@journal")]
        journal = store.journal(ids[0])
        at = journal.history[-1].at + timedelta(days=1)
        register(journal, Volunteer("vol-09", "xiangyang", name=NAME), at=at, by="wu", store=store)
        register(journal, Worker("w-9", name=GUARDIAN), at=at, by="wu", store=store)
        before = Dataset.from_store(store)
        done = erase(store, "vol-09", reason="left the team", at=at + timedelta(days=1), by="wu")
        assert done.streams == (journal.id,)
        after = Dataset.from_store(store)
        kept = store.journal(journal.id).payloads("worker_registered")[-1]["worker"]
        assert kept.name == GUARDIAN  # another person's key is untouched
        erased = store.journal(journal.id).payloads("volunteer_registered")[-1]["volunteer"]
        assert erased.name == ERASED and erased.id == "vol-09"
        for indicator in (
            indicators.cases_by_state,
            indicators.sessions_per_case,
            indicators.volunteer_hours,
            indicators.activities_by_kind,
        ):
            assert indicator(after).rows == indicator(before).rows
        assert [c.state for c in after.cases] == [c.state for c in cases]


def test_indicators_are_the_same_before_and_after_erasing_a_client(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        run_xuzhuang(Engine(MHT_LIFECYCLE, store=store), station=True)
        before = Dataset.from_store(store)
        erase(store, "XZ-2023-01-c", reason="asked", at=datetime(2024, 6, 1), by="wu")
        after = Dataset.from_store(store)
    for indicator in (
        indicators.cases_by_state,
        indicators.sessions_per_case,
        indicators.completion,
    ):
        assert indicator(after).rows == indicator(before).rows
    erased = next(c for c in after.cases if c.id == "XZ-2023-01")
    assert (
        erased.erased
        and erased.assessments == next(c for c in before.cases if c.id == "XZ-2023-01").assessments
    )


# --- the command line -----------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_casework_erase_destroys_the_key_and_export_says_erased(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        open_case(store)
    db = str(path)
    code, out, err = run(
        capsys, "erase", "--db", db, "--subject", "c-9", "--reason", "asked", "--by", "li",
        "--at", "2024-04-01T10:00",
    )  # fmt: skip
    assert code == 0, err
    assert "erased c-9: key destroyed" in out and "XZ-9" in out
    code, out, _ = run(capsys, "export", "--db", db, "--include-personal")
    row = json.loads(out.splitlines()[0])
    assert row["erased"] is True and row["client"]["name"] == ERASED
    code, out, _ = run(capsys, "export", "--db", db, "--events", "--include-personal")
    assert NAME not in out and "personal_data_erased" in out
    code, out, _ = run(capsys, "show", "XZ-9", "--db", db)
    assert code == 0 and "personal data erased: c-9" in out


def test_casework_erase_at_now_fits_a_store_of_wall_clock_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        open_case(store)  # naive times, as a station records them
    args = ["erase", "--db", str(path), "--subject", "c-9", "--reason", "asked", "--by", "li"]
    code, out, err = run(capsys, *args)
    assert code == 0 and "erased c-9: key destroyed" in out, err


def test_an_erasure_time_the_events_cannot_take_is_refused_before_the_key_goes(
    tmp_path: Path,
) -> None:
    from datetime import UTC

    from casework.errors import InvalidValue

    _, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        open_case(store)
        aware = datetime(2024, 4, 1, 10, tzinfo=UTC)
        with pytest.raises(InvalidValue, match="naive and timezone-aware"):
            erase(store, "c-9", reason="asked", at=aware, by="li")
        with pytest.raises(InvalidValue, match="before the latest event of 'XZ-9'"):
            erase(store, "c-9", reason="asked", at=T0, by="li")
        assert keys.get("c-9") is not None and not keys.destroyed("c-9")
        assert store.load("XZ-9").client.name == NAME and not store.load("XZ-9").erased


def test_casework_erase_refuses_a_store_without_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clear.db"
    with SQLiteStore(path) as store:
        open_case(store)
    code, _, err = run(
        capsys, "erase", "--db", str(path), "--subject", "c-9", "--reason", "r", "--by", "li"
    )
    assert code == 1 and "no key store at" in err and "not encrypted" in err
    code, _, err = run(
        capsys, "erase", "--db", str(path), "--subject", "c-9", "--reason", "r", "--by", "li",
        "--keys", str(tmp_path / "none.keys"),
    )  # fmt: skip
    assert code == 1 and "none.keys" in err


def test_casework_erase_names_an_unknown_subject_and_a_bad_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        open_case(store)
    args = ["erase", "--db", str(path), "--reason", "r", "--by", "li"]
    code, _, err = run(capsys, *args, "--subject", "nobody")
    assert code == 1 and "'nobody'" in err and err.count("\n") == 1
    code, _, err = run(capsys, *args, "--subject", "c-9", "--at", "yesterday")
    assert code == 1 and "--at yesterday" in err


def test_the_register_shows_an_erased_birth_date_as_erased(tmp_path: Path) -> None:
    from casework.reporting.privacy import case_register

    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
        erase(store, "XZ-2023-01-c", reason="asked", at=datetime(2024, 6, 1), by="wu")
        rows = case_register(Dataset.from_store(store), include_personal=True).rows
    first = next(r for r in rows if r["case_id"] == "XZ-2023-01")
    assert first["age_band"] == ERASED and first["birth_date"] == ERASED
    assert all(r["age_band"] != ERASED for r in rows if r is not first)
    with SQLiteStore(path) as clear:  # without the keys: unavailable, not erased
        rows = case_register(Dataset.from_store(clear)).rows
    assert {r["age_band"] for r in rows} == {"[erased]", "[unavailable]"}


def test_casework_report_reads_the_keys_and_shows_names_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        open_case(store)
    base = ["report", "--db", str(path), "--year", "2024", "--no-charts"]
    code, _, err = run(capsys, *base, "--out", str(tmp_path / "private.html"))
    assert code == 0, err
    code, _, err = run(capsys, *base, "--include-personal", "--out", str(tmp_path / "named.html"))
    assert code == 0, err
    assert NAME in (tmp_path / "named.html").read_text(encoding="utf-8")
    assert NAME not in (tmp_path / "private.html").read_text(encoding="utf-8")


def test_casework_demo_writes_an_encrypted_store_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from casework.demo import CHILDREN

    path = tmp_path / "station.db"
    code, _, err = run(capsys, "demo", "--db", str(path))
    assert code == 0 and f"keys in {path}.keys" in err
    raw = b"".join(p.read_bytes() for p in files_written(tmp_path) if p.name != "station.db.keys")
    for child in CHILDREN:
        assert child[2].isoformat().encode() not in raw  # the birth dates are sealed
        assert child[1].encode() in raw  # the pseudonyms are not personal: in clear
    code, out, _ = run(capsys, "export", "--db", str(path), "--include-personal")
    assert CHILDREN[0][2].isoformat() in out  # read back with the keys beside the store
    clear = tmp_path / "clear.db"
    code, _, err = run(capsys, "demo", "--db", str(clear), "--no-encrypt")
    assert code == 0 and "keys" not in err and not (tmp_path / "clear.db.keys").exists()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("clear.db*"))
    assert CHILDREN[0][2].isoformat().encode() in raw


def test_a_missing_crypto_extra_names_the_way_round_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    code, _, err = run(capsys, "demo", "--db", str(tmp_path / "s.db"))
    assert code == 2 and "pip install 'casework[crypto]'" in err and "--no-encrypt" in err


def test_the_fact_tables_of_an_encrypted_store_hold_no_clear_personal_value(
    tmp_path: Path,
) -> None:
    from casework.recording import record_volunteer_hours
    from casework.reporting.projections import Projection
    from casework.serialize._sealed import UNAVAILABLE
    from casework.station import VolunteerService

    folder, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        open_case(store)
        _, _ = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store), station=True)
        journal = store.journal(next(s.case_id for s in store.cases(lifecycle="@journal")))
        service = VolunteerService("vol-01", date(2023, 8, 1), 2.0, description=NOTE)
        record_volunteer_hours(journal, service, at=T0, by="wu", store=store)
        projection = Projection(store)
        projection.catch_up()
        assert scan(folder) == []
        mine = [
            r for r in projection.rows("cases", include_personal=True) if r["case_id"] == "XZ-9"
        ]
        assert (mine[0]["name"], mine[0]["birth_date"]) == (NAME, BORN.isoformat())
        hours = projection.rows("volunteer_hours", include_personal=True)
        assert NOTE in {r["description"] for r in hours}
        assert service in projection.dataset().services  # the dataset reads it opened
        frame = projection.to_pandas("cases", include_personal=True)
        assert NAME in set(frame["name"])
        before = {name: projection.tuples(name) for name in ("cases", "volunteer_hours")}
        projection.rebuild()  # fresh nonces, the same values read back
        assert {name: projection.tuples(name) for name in before} == before
        assert scan(folder) == []
    with SQLiteStore(path) as analyst:  # without the keys: markers, never ciphertext
        rows = Projection(analyst).rows("cases", include_personal=True, catch_up=False)
        assert {r["name"] for r in rows if r["case_id"] == "XZ-9"} == {UNAVAILABLE}
    with SQLiteStore(path, keys=keys) as store:
        erase(store, "c-9", reason="the guardian asked", at=T0 + timedelta(days=9), by="li")
        erase(store, "vol-01", reason="left the team", at=T0 + timedelta(days=9), by="li")
        projection = Projection(store)
        rows = projection.rows("cases", include_personal=True)
        assert {r["name"] for r in rows if r["case_id"] == "XZ-9"} == {ERASED}
        hours = projection.rows("volunteer_hours", include_personal=True)
        assert NOTE not in {r["description"] for r in hours}
        assert scan(folder) == []
    assert scan(folder) == []


def test_a_resident_of_the_outreach_register_is_erased_under_their_own_key(
    tmp_path: Path,
) -> None:
    from casework import OutreachVisit, Register, Resident, record_visit, register_resident
    from casework.journal import Journal
    from casework.reporting.agenda import agenda_from_store

    folder, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        journal = Journal.open("j-1", station="st", at=date(2023, 1, 2), by="li", store=store)
        child = Resident("r-1", NAME, BORN, {"child_in_difficulty"}, registered=date(2023, 1, 5),
                         guardian=GUARDIAN, worker="li")  # fmt: skip
        other = Resident("r-2", "王秀英", date(1944, 5, 2), {"elderly_living_alone"},
                         registered=date(2023, 1, 5), worker="li")  # fmt: skip
        for person in (child, other):
            register_resident(journal, person, by="li", store=store)
        visit = OutreachVisit("v-1", "r-1", date(2023, 2, 3), "li", notes=NOTE)
        record_visit(journal, visit, store=store)
        assert {"r-1", "r-2"} <= set(keys.subjects())  # each resident has a key of their own
        due_before = [i.due for i in agenda_from_store(store, on=date(2023, 5, 1))]
        done = erase(store, "r-1", reason="the guardian asked", at=datetime(2023, 3, 1), by="li")
        assert done.key_destroyed and done.streams == ("j-1",)
        register = Register.of(store.journal("j-1"))
        assert register.residents["r-1"].name == ERASED
        assert register.residents["r-2"].name == "王秀英"  # another person's key is untouched
        assert [i.due for i in agenda_from_store(store, on=date(2023, 5, 1))] == due_before
        assert scan(folder) == []
    assert scan(folder) == []


def test_markers_a_reader_without_keys_wrote_are_rebuilt_by_a_reader_with_them(
    tmp_path: Path,
) -> None:
    from casework.reporting.projections import Projection
    from casework.serialize._sealed import UNAVAILABLE

    folder, path, keys = station_folder(tmp_path)
    with SQLiteStore(path, keys=keys) as store:
        Projection(store).catch_up()  # empty: nothing to write yet
        open_case(store)
    with SQLiteStore(path) as analyst:  # no keys: the new case's name can only be a marker
        seen = Projection(analyst)
        assert seen.catch_up().cases == 1
        assert {r["name"] for r in seen.rows("cases", include_personal=True)} == {UNAVAILABLE}
        assert seen.backend.unsealed()
        assert scan(folder) == []
    with SQLiteStore(path, keys=keys) as store:
        projection = Projection(store)
        assert projection.backend.unsealed()
        step = projection.catch_up()
        assert step.start == 0 and not projection.backend.unsealed()  # rebuilt with the keys
        assert {r["name"] for r in projection.rows("cases", include_personal=True)} == {NAME}
        assert projection.catch_up().events == 0  # and only once
        assert scan(folder) == []
    clear = tmp_path / "clear.db"
    with SQLiteStore(clear) as plain:  # a store in clear: nothing unreadable, no flag
        open_case(plain)
        assert Projection(plain).catch_up().cases == 1
        assert not Projection(plain).backend.unsealed()

"""Fact tables as Arrow tables: typed columns, the DataFrames' content, personal columns out."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import STANDARD, Engine, SessionRecord
from casework.demo import run_station
from casework.reporting.projections import TABLES, Projection, ProjectionBehind
from casework.reporting.projections._projection import _arrow_kind
from casework.store import MemoryStore, SQLiteStore
from projection_stores import DSN_VAR, postgres_dsn
from strategies import T0, child, drive_to

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")


@pytest.fixture(
    scope="module",
    params=[
        "memory",
        "sqlite",
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(postgres_dsn() is None, reason=f"no PostgreSQL at {DSN_VAR}"),
        ),
    ],
)
def projection(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Projection]:
    """The demo station (cases, sessions, assessments, activities, hours) in a store."""
    store: Any
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path_factory.mktemp("arrow") / "cases.db")
    else:
        from casework.store.postgres import PostgresStore

        schema = "casework_arrow_" + uuid.uuid4().hex[:12]
        store = PostgresStore(postgres_dsn(), schema=schema)
    run_station(Engine(STANDARD, store=store))
    try:
        yield Projection(store)
    finally:
        store.close()
        if request.param == "postgres":
            import psycopg

            with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _expected(projection: Projection, table: str, personal: bool) -> list[dict[str, Any]]:
    """The rows as dicts with the times and days parsed: what the Arrow table must hold."""
    out = []
    for row in projection.rows(table, include_personal=personal):
        for name, value in row.items():
            kind = _arrow_kind(name, next(c.sql for c in TABLES[table].columns if c.name == name))
            if value is not None and kind == "timestamp":
                row[name] = datetime.fromisoformat(value)
            elif value is not None and kind == "date":
                row[name] = date.fromisoformat(value)
        out.append(row)
    return out


@pytest.mark.parametrize("personal", [False, True])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_each_arrow_table_holds_the_rows_parsed(
    projection: Projection, table: str, personal: bool
) -> None:
    arrow = projection.to_arrow(table, include_personal=personal)
    assert isinstance(arrow, pa.Table)
    assert arrow.column_names == list(projection.columns(table, include_personal=personal))
    assert arrow.to_pylist() == _expected(projection, table, personal)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_each_arrow_table_equals_the_dataframe(projection: Projection, table: str) -> None:
    frame = projection.to_pandas(table, include_personal=True)
    arrow = projection.to_arrow(table, include_personal=True).to_pandas(date_as_object=False)
    assert len(arrow) == len(frame) > 0 or table == "consents"
    pd.testing.assert_frame_equal(_plain(arrow), _plain(frame))


def _plain(frame: Any) -> Any:
    """Every cell as a Python object, missing ones as None (string dtypes differ by source)."""
    return frame.astype(object).where(frame.notna(), None)


def test_columns_are_typed(projection: Projection) -> None:
    types = {
        t: dict(zip(a.column_names, a.schema.types, strict=True))
        for t, a in projection.tables(as_arrow=True, include_personal=True).items()
    }
    assert set(types) == set(TABLES)
    sessions, cases = types["sessions"], types["cases"]
    assert sessions["held_at"] == pa.timestamp("us") and sessions["number"] == pa.int64()
    assert sessions["duration_minutes"] == pa.int64() and sessions["status"] == pa.string()
    assert cases["opened_at"] == pa.timestamp("us") and cases["birth_date"] == pa.date32()
    assert types["activities"]["on_day"] == pa.date32()
    assert types["volunteer_hours"]["hours"] == pa.float64()
    assert types["assessments"]["total"] == pa.float64()


def test_personal_columns_are_left_out_by_default(projection: Projection) -> None:
    for name, table in TABLES.items():
        personal = {c.name for c in table.columns if c.personal}
        shown = set(projection.to_arrow(name).column_names)
        assert not shown & personal, name
        assert shown == set(projection.to_pandas(name).columns)
        assert personal <= set(projection.to_arrow(name, include_personal=True).column_names)
    assert {"birth_date", "name"} <= {c.name for c in TABLES["cases"].columns if c.personal}
    every = projection.tables(as_arrow=True)
    assert "notes" not in every["sessions"].column_names


def test_a_projection_behind_the_log_refuses_unless_it_catches_up(tmp_path: Path) -> None:
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    case = engine.open("c1", child(), at=T0, by="wu")
    projection = Projection(store)
    assert projection.to_arrow("cases").num_rows == 1
    drive_to(engine, case, "intervention", T0)
    engine.record_session(case, SessionRecord(1, held_at=T0 + timedelta(days=3)), by="wu")
    with pytest.raises(ProjectionBehind):
        projection.to_arrow("sessions", catch_up=False)
    assert projection.to_arrow("sessions").num_rows == 1


def test_without_pyarrow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    Engine(STANDARD, store=store).open("c1", child(), at=T0, by="wu")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(ImportError) as found:
        Projection(store).to_arrow("cases")
    assert str(found.value).count("\n") == 0
    assert "pip install 'casework[arrow]'" in str(found.value)
    assert Projection(store).to_pandas("cases")["case_id"].tolist() == ["c1"]  # pandas still works


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.datetimes(min_value=datetime(2023, 3, 2), max_value=datetime(9998, 12, 31)),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(sorted),
    st.lists(st.one_of(st.none(), st.integers(1, 10_000)), min_size=4, max_size=4),
)
def test_session_times_and_durations_round_trip(
    held: list[datetime], minutes: list[int | None]
) -> None:
    """Any time a session is held at (microseconds, far years) reads back the same from Arrow,
    and a missing duration is a null, not a zero."""
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    case = drive_to(engine, engine.open("c1", child(), at=T0, by="wu"), "intervention", T0)
    for n, at in enumerate(held, start=1):
        record = SessionRecord(n, held_at=at, duration_minutes=minutes[n - 1])
        engine.record_session(case, record, by="wu")
    arrow = Projection(store).to_arrow("sessions")
    assert arrow.column("held_at").to_pylist() == held
    assert arrow.column("duration_minutes").to_pylist() == minutes[: len(held)]


def test_an_encrypted_stores_personal_columns_read_opened_or_as_markers(tmp_path: Path) -> None:
    """With the keys, Arrow holds the opened values (as the DataFrame does); without them,
    the markers a loaded case shows, a birth date's included (never ciphertext)."""
    from casework.keys import FileKeyStore
    from casework.serialize._sealed import UNAVAILABLE

    path = tmp_path / "station.db"
    keys = FileKeyStore.beside(path)
    client = attrs.evolve(child(date(2013, 2, 1)), name="王京京")
    with SQLiteStore(path, keys=keys) as store:
        Engine(STANDARD, store=store).open("c1", client, at=T0, by="wu")
        projection = Projection(store)
        arrow = projection.to_arrow("cases", include_personal=True)
        assert arrow.column("name").to_pylist() == ["王京京"]
        assert arrow.column("birth_date").to_pylist() == [date(2013, 2, 1)]
        frame = projection.to_pandas("cases", include_personal=True)
        pd.testing.assert_frame_equal(_plain(arrow.to_pandas(date_as_object=False)), _plain(frame))
    with SQLiteStore(path) as analyst:
        arrow = Projection(analyst).to_arrow("cases", include_personal=True, catch_up=False)
        assert arrow.column("name").to_pylist() == [UNAVAILABLE]
        assert arrow.column("birth_date").to_pylist() == [date(1, 1, 1)]
        assert arrow.column("case_id").to_pylist() == ["c1"]

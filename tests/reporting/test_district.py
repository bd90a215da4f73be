"""A district over several stations' stores: by station, for the district, side by side."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from casework import STANDARD, Engine, SessionRecord
from casework.demo import run_station
from casework.reporting import Dataset, Period, YearReport, case_flow, monthly, time_in_state
from casework.reporting.district import District
from casework.reporting.projections import Projection
from casework.store import MemoryStore, SQLiteStore
from strategies import T0, child, drive_to

Y2023 = Period.year(2023)


def township(store: MemoryStore | SQLiteStore, n: int, prefix: str) -> None:
    """``n`` cases of a second station, some with sessions, one closed."""
    engine = Engine(STANDARD, store=store)
    for i in range(n):
        at = T0 + timedelta(days=7 * i)
        case = engine.open(f"{prefix}-{i}", child(), at=at, by="wu", programme="p1")
        if i % 2:
            drive_to(engine, case, "intervention", at)
            held = at + timedelta(days=2)
            engine.record_session(case, SessionRecord(1, held_at=held), by="wu")


@pytest.fixture
def stores(tmp_path: Path) -> tuple[MemoryStore, SQLiteStore, MemoryStore]:
    """Two stations in two stores, and one store holding both (what the district must equal)."""
    a, b, both = MemoryStore(), SQLiteStore(tmp_path / "b.db"), MemoryStore()
    run_station(Engine(STANDARD, store=a))
    run_station(Engine(STANDARD, store=both))
    township(b, 6, "LQ")
    township(both, 6, "LQ")
    return a, b, both


def test_the_district_equals_one_store_holding_every_station(stores: tuple) -> None:  # type: ignore[type-arg]
    a, b, both = stores
    district = District({"石桥": Projection(a).dataset(), "柳桥": Projection(b).dataset()})
    whole, one = district.dataset(), Dataset.from_store(both)
    for year in (2023, 2024):
        assert YearReport(whole, year).figures() == YearReport(one, year).figures()
    assert case_flow(whole, Y2023) == case_flow(one, Y2023)
    assert monthly(whole, Y2023) == monthly(one, Y2023)
    assert time_in_state(whole) == time_in_state(one)
    b.close()


def test_the_comparison_lists_each_station_and_sums_them(stores: tuple) -> None:  # type: ignore[type-arg]
    a, b, _ = stores
    district = District({"石桥": Dataset.from_store(a), "柳桥": Projection(b).dataset()})
    table = district.comparison(Y2023)
    assert table.column("station") == ["石桥", "柳桥", "total"]
    total = table.row(station="total")
    for key in ("opened", "sessions", "person_times", "activities", "open_at_end"):
        assert total[key] == table.row(station="石桥")[key] + table.row(station="柳桥")[key]
    assert table.row(station="柳桥")["opened"] == 6
    assert "柳桥" in table.to_text() and "合计" in table.in_lang("zh").to_text()
    report = district.report(2023, "柳桥")
    assert report.figures()["opened"] == 6
    b.close()


def test_stations_whose_case_ids_collide_are_refused() -> None:
    a, b = MemoryStore(), MemoryStore()
    township(a, 2, "X")
    township(b, 2, "X")
    district = District({"a": Dataset.from_store(a), "b": Dataset.from_store(b)})
    try:
        district.dataset()
    except ValueError as exc:
        assert "X-0" in str(exc)
    else:
        raise AssertionError("two stations with one case id were added up")

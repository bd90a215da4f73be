"""``casework report --db A --db B``: a district's yearly report over several stations' stores."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from casework import STANDARD, Engine
from casework.cli import report as cli
from casework.demo import demo_engine, run_station
from casework.store import SQLiteStore
from strategies import T0, child

pytest.importorskip("matplotlib")


def _township(path: Path, n: int, prefix: str = "LQ") -> Path:
    """A station's store with ``n`` opened cases and no registered station."""
    with SQLiteStore(path) as store:
        engine = Engine(STANDARD, store=store)
        for i in range(n):
            engine.open(f"{prefix}-{i}", child(), at=T0 + timedelta(days=i), by="wu")
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("district")
    with SQLiteStore(where / "xuzhuang.db") as store:
        run_station(demo_engine(store))
    return where / "xuzhuang.db", _township(where / "liuqiao.db", 4)


def test_two_stores_give_the_districts_report(
    stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    out = a.parent / "district.html"
    argv = ["--db", str(a), "--db", str(b), "--year", "2023", "--lang", "zh", "--out", str(out)]
    assert cli.main([*argv, "--district", "太白湖区"]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("太白湖区 2023年度服务台账\n")
    assert "2 个社工站：许庄街道社工站、liuqiao" in printed.out  # a registered name, a file's
    assert "各站点比较" in printed.out
    table = printed.out.split("站点比较 2023\n", 1)[1].split("\n\n", 1)[0].splitlines()
    lines = {line.split()[0]: line.split() for line in table}
    assert lines["liuqiao"][1] == "4" and lines["许庄街道社工站"][1] == "5"  # cases opened
    assert lines["合计"][1] == "9"
    page = out.read_text("utf-8")
    assert 'data-chart="station-comparison"' in page and ">liuqiao</text>" in page
    assert "tables, " in printed.err and str(out) in printed.err


def test_one_store_is_still_a_stations_report(
    stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = stores
    out = a.parent / "one.html"
    assert cli.main(["--db", str(a), "--year", "2023", "--out", str(out), "--no-charts"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("许庄街道社工站: service ledger 2023\n")
    assert "stations compared" not in printed.lower()


def test_a_store_given_twice_or_a_station_twice_is_refused(
    stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    out = tmp_path / "r.html"
    assert cli.main(["--db", str(b), "--db", str(b), "--year", "2023", "--out", str(out)]) == 1
    assert "given twice" in capsys.readouterr().err
    copy = shutil.copy(a, tmp_path / "copy.db")
    assert cli.main(["--db", str(a), "--db", str(copy), "--year", "2023", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "'许庄街道社工站' is given twice" in err and err.count("\n") == 1
    assert not out.exists()


def test_stations_sharing_case_ids_or_a_missing_store_are_refused(
    stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, b = stores
    other = _township(tmp_path / "dongshan.db", 2)  # LQ-0 and LQ-1 again
    out = tmp_path / "r.html"
    assert cli.main(["--db", str(b), "--db", str(other), "--year", "2023", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "case ids in two stations" in err and "LQ-0" in err and err.count("\n") == 1
    missing = tmp_path / "none.db"
    assert cli.main(["--db", str(b), "--db", str(missing), "--year", "2023"]) == 1
    assert "no store at" in capsys.readouterr().err and not missing.exists()
    assert not out.exists()

"""The command line reads an app's own process: --lifecycle FILE, --project FILE, casework.toml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from casework import Engine, SessionRecord
from casework.store import SQLiteStore
from test_versions import CATALOGUE, LC1, LC2, V1, V2, enrolled

CLI = [sys.executable, "-m", "casework"]


@pytest.fixture
def station(tmp_path: Path) -> Path:
    """A store of elderly cases: one migrated to version 2 with a voided visit, one closed."""
    path = tmp_path / "station.sqlite"
    with SQLiteStore(path, catalogue=CATALOGUE) as store:
        old, new = Engine(LC1, store=store), Engine(LC2, store=store)
        case = enrolled(old, "SQ-2024-001")
        old.record_session(case, SessionRecord(2, held_at=datetime(2024, 3, 19, 10)), by="sw-1")
        old.void(case, case.version, reason="entered twice", at=datetime(2024, 3, 20), by="sw-1")
        new.migrate(
            case, states={"visiting": "home_visits"}, at=datetime(2024, 6, 1), by="sw-1",
            reason="the 2025 process",
        )  # fmt: skip
        closed = enrolled(old, "SQ-2024-002")
        old.fire(closed, "close", at=datetime(2024, 4, 1), by="sw-1", reason="moved away")
    return path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )


def test_without_the_definitions_the_error_says_how_to_give_them(station: Path) -> None:
    done = cli("show", "SQ-2024-001", "--db", str(station))
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "'qingnuan-xiyang' version 1" in line and "--lifecycle FILE or casework.toml" in line


def test_show_reads_every_version_given_with_lifecycle(station: Path) -> None:
    done = cli(
        "show", "SQ-2024-001", "--db", str(station), "--lifecycle", str(V1), "--lifecycle",
        str(V2), "--lang", "zh",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("SQ-2024-001  王奶奶  入户探访  (qingnuan-xiyang)")
    assert any("定期探访" in line for line in lines)  # the states of version 1, as recorded
    voided = next(line for line in lines if "已作废" in line)
    assert "session_recorded" in voided
    assert any(line.startswith("#") and "voided" in line and "entered twice" in line
               for line in lines)  # fmt: skip
    assert any("migrated" in line and "v1 -> v2" in line for line in lines)


def test_a_project_file_in_the_working_directory_is_read(station: Path, tmp_path: Path) -> None:
    work = tmp_path / "app"
    (work / "processes").mkdir(parents=True)
    for f in (V1, V2):
        shutil.copy(f, work / "processes" / f.name)
    shutil.copy(Path(__file__).parent / "data" / "elderly_app.py", work / "shiqiao_rules.py")
    (work / "casework.toml").write_text(
        "[casework]\n"
        'lifecycles = ["processes/elderly-v1.toml", "processes/elderly-v2.toml"]\n'
        'guards = { aged_60_or_over = "shiqiao_rules:aged_60_or_over" }\n'
        'hooks = { tell_family = "shiqiao_rules:tell_family" }\n',
        "utf-8",
    )
    done = cli("export", "--db", str(station), cwd=work)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["case_id"]: r["state"] for r in rows} == {
        "SQ-2024-001": "home_visits",
        "SQ-2024-002": "closed",
    }
    assert "1942" not in done.stdout  # the birth date is personal: left out by default
    events = cli("export", "--db", str(station), "--events", "--project",
                 str(work / "casework.toml"))  # fmt: skip
    assert events.returncode == 0, events.stderr
    types = [json.loads(line)["type"] for line in events.stdout.splitlines()]
    assert "migrated" in types and "voided" in types


def test_a_broken_definition_file_fails_in_one_line(station: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n[[states]]\nname = "a"\ninitial = true\ncolour = "red"\n', "utf-8")
    done = cli("show", "SQ-2024-001", "--db", str(station), "--lifecycle", str(bad))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert str(bad) in line and "states[0]: unknown keys ['colour']" in line


def test_report_reads_the_apps_cases_with_their_definitions(station: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = cli(
        "report", "--db", str(station), "--year", "2024", "--no-charts", "--out", str(out),
        "--lifecycle", str(V1), "--lifecycle", str(V2), "--lang", "zh",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = out.read_text("utf-8")
    assert "入户探访" in html and "结案" in html  # the app's own states, by their labels
    missing = cli("report", "--db", str(station), "--year", "2024", "--no-charts", "--out",
                  str(tmp_path / "other.html"))  # fmt: skip
    assert missing.returncode == 1 and "--lifecycle FILE or casework.toml" in missing.stderr
    assert not (tmp_path / "other.html").exists()

"""The command line: demo into a SQLite file, show a case, export cases and events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from casework.cli import main
from casework.demo import CHILDREN


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "station.db"
    code, _, err = run(capsys, "demo", "--db", str(path))
    assert code == 0 and "saved 5 cases" in err
    return path


def test_demo_with_a_db_prints_the_same_summary(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, plain, _ = run(capsys, "demo")
    other = db.parent / "other.db"
    code, saved, _ = run(capsys, "demo", "--db", str(other))
    assert code == 0 and saved == plain


def test_demo_refuses_to_write_its_cases_twice(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "demo", "--db", str(db))
    assert code == 1 and out == ""
    assert "already holds the demo's cases" in err


def test_show_prints_a_timeline_in_either_language(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id, pseudonym = CHILDREN[1][0], CHILDREN[1][1]
    code, out, _ = run(capsys, "show", case_id, "--db", str(db))
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"{case_id}  {pseudonym}  closed")
    assert lines[1].startswith("#1 ") and "case_opened" in lines[1]
    assert any("session_recorded" in line for line in lines)
    code, zh, _ = run(capsys, "show", case_id, "--db", str(db), "--lang", "zh")
    assert "结案" in zh.splitlines()[0]


def test_show_refuses_unknown_cases_and_missing_files(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "show", "nobody", "--db", str(db))
    assert code == 1 and "no case 'nobody'" in err
    missing = db.parent / "missing.db"
    code, _, err = run(capsys, "show", "x", "--db", str(missing))
    assert code == 1 and "no store at" in err and not missing.exists()


def test_export_cases_leaves_out_personal_fields_by_default(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "export", "--db", str(db))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["case_id"] for r in rows] == [c[0] for c in CHILDREN]
    assert rows[0]["state"] == "closed" and rows[0]["v"] == 1
    assert rows[0]["client"]["pseudonym"] == CHILDREN[0][1]
    assert "birth_date" not in rows[0]["client"]
    _, out, _ = run(capsys, "export", "--db", str(db), "--include-personal")
    assert json.loads(out.splitlines()[0])["client"]["birth_date"] == CHILDREN[0][2].isoformat()


def test_export_events_to_a_file(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = db.parent / "events.jsonl"
    code, out, err = run(capsys, "export", "--db", str(db), "--events", "--out", str(out_file))
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert code == 0 and out == "" and f"wrote {len(lines)} events" in err
    records = [json.loads(line) for line in lines]
    assert {r["case_id"] for r in records} == {c[0] for c in CHILDREN}
    sessions = [r for r in records if r["type"] == "session_recorded"]
    assert sessions and all("notes" not in r["payload"]["session"] for r in sessions)
    opened = [r for r in records if r["type"] == "case_opened"]
    assert all("birth_date" not in r["payload"]["client"] for r in opened)
    _, out, _ = run(capsys, "export", "--db", str(db), "--events", "--include-personal")
    assert '"notes":' in out and '"birth_date":' in out


def test_the_console_command_runs(db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casework", "show", CHILDREN[0][0], "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.startswith(CHILDREN[0][0])

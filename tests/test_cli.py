"""The command line: demo into a SQLite file, show a case, export; every failure in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casework.cli import main
from casework.demo import CHILDREN

XINQIAO = Path(__file__).resolve().parent.parent / "docs" / "scenarios" / "xinqiao.toml"


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
    # the five children's cases, and the station's journal (its staff, activities, volunteers)
    assert {r["case_id"] for r in records} == {c[0] for c in CHILDREN} | {"xuzhuang-journal"}
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


# --- what a user sees when something is wrong: one line, never a traceback --------------------

SCENARIO_WITH_PROBLEMS = """
name = "tiny"
start = 2024-01-01
end = 2024-03-01
[referrals]
per_week = -2.0
[[teams]]
name = "sw"
count = 2
sessions_per_week = 2
[plan]
sessions = 0
"""


def casework(
    *argv: str, cwd: Path, env: dict[str, str] | None = None, block: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the console command as a user would, in ``cwd``; ``block`` hides a module."""
    import os

    code = "import sys\n"
    if block:
        code += f"sys.modules[{block!r}] = None  # as if it were not installed\n"
    code += "from casework.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    environ = {k: v for k, v in os.environ.items() if k != "CASEWORK_DEBUG"}
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, **(env or {})},
        timeout=120,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single line the command wrote on stderr, checked to be one ``casework:`` line."""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{done.stderr}"
    assert lines[0].startswith("casework: ") and "Traceback" not in done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a demo store, a text file, another program's database, a folder."""
    import sqlite3

    folder = tmp_path_factory.mktemp("station")
    assert main(["demo", "--db", str(folder / "station.db")]) == 0
    (folder / "notes.txt").write_text("not a database\n", encoding="utf-8")
    other = sqlite3.connect(folder / "other.db")
    other.execute("CREATE TABLE events (x)")
    other.commit()
    other.close()
    (folder / "a-folder").mkdir()
    (folder / "bad.toml").write_text(SCENARIO_WITH_PROBLEMS, encoding="utf-8")
    return folder


# (arguments, what the one line must say); {s} is the station folder.  Exit status 1 for all.
REFUSALS = [
    (["report", "--db", "{s}/station.db", "--year", "0", "--no-charts"], ["year 0"]),
    (["simulate", "{s}/missing.toml"], ["missing.toml", "No such file or directory"]),
    (["simulate", "{s}/a-folder"], ["a-folder", "Is a directory"]),
    (["simulate", "{s}/bad.toml"], ["referrals.per_week", "plan.sessions"]),
    (["show", "x", "--db", "{s}/a-folder"], ["a-folder is a directory, not a casework store"]),
    (["show", "x", "--db", "{s}/no-folder/x.db"], ["no store at", "casework demo --db"]),
    (["show", "x", "--db", "{s}/notes.txt"], ["notes.txt is not a casework store"]),
    (["show", "nobody", "--db", "{s}/station.db"], ["no case 'nobody'"]),
    (["export", "--db", "{s}/notes.txt"], ["notes.txt is not a casework store"]),
    (["export", "--db", "{s}/other.db"], ["other.db"]),
    (["export", "--db", "{s}/station.db", "--out", "{s}/no-folder/x.jsonl"], ["no-folder"]),
    (["demo", "--db", "{s}/no-folder/x.db"], ["no folder", "no-folder"]),
    (["demo", "--db", "{s}/a-folder"], ["a-folder is a directory"]),
    (["demo", "--db", "{s}/notes.txt"], ["notes.txt is not a casework store"]),
    (["demo", "--db", "{s}/station.db"], ["already holds the demo's cases"]),
    (["report", "--db", "{s}/missing.db", "--year", "2023"], ["no store at"]),
    (["report", "--db", "{s}/a-folder", "--year", "2023", "--no-charts"], ["a-folder"]),
    (["report", "--db", "{s}/notes.txt", "--year", "2023", "--no-charts"], ["notes.txt"]),
    (
        ["report", "--db", "{s}/station.db", "--year", "2023", "--no-charts", "--out", "{s}/no/r"],
        ["no folder", "no/r", "create the folder first"],
    ),
]


@pytest.mark.parametrize(
    ("argv", "says"),
    REFUSALS,
    ids=[" ".join(a[:2]) + f" #{i}" for i, (a, _) in enumerate(REFUSALS)],
)
def test_every_refusal_is_one_line_naming_the_problem(
    station: Path, argv: list[str], says: list[str]
) -> None:
    """Bad input, missing or foreign files: one ``casework:`` line, status 1, nothing changed."""
    notes = (station / "notes.txt").read_bytes()
    done = casework(*(a.format(s=station) for a in argv), cwd=station)
    line = one_line_error(done)
    assert done.returncode == 1, line
    for fragment in says:
        assert fragment in line
    assert (station / "notes.txt").read_bytes() == notes
    assert not (station / "no-folder").exists() and not (station / "no").exists()


def test_a_missing_extra_names_the_extra_once_and_how_to_go_on(station: Path) -> None:
    """Without matplotlib, ``report`` says which extra to install, or to use --no-charts."""
    out = station / "report.html"
    argv = ["report", "--db", str(station / "station.db"), "--year", "2023", "--out", str(out)]
    done = casework(*argv, cwd=station, block="matplotlib")
    line = one_line_error(done)
    assert done.returncode == 2
    assert line.startswith("casework: charts need matplotlib")
    assert line.count("casework") == 2  # the prefix and the extra: casework[notebook]
    assert "pip install 'casework[notebook]'" in line and line.endswith("--no-charts")
    assert not out.exists()
    done = casework(*argv, "--no-charts", cwd=station, block="matplotlib")
    assert done.returncode == 0 and out.exists(), done.stderr


def test_a_closed_pipe_ends_the_command_quietly(station: Path) -> None:
    """``casework export | head``: no BrokenPipeError, nothing on stderr, the SIGPIPE status."""
    import os

    read, write = os.pipe()
    os.close(read)  # the reader (head) has gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "casework", "export", "--db", "station.db", "--events"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=station,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert done.stderr == "" and done.returncode == 141


def test_a_missing_simulation_extra_is_named_once(station: Path) -> None:
    """Without SimPy, ``simulate`` names the extra that brings it, in one line, status 2."""
    done = casework("simulate", str(XINQIAO), "-n", "2", cwd=station, block="simpy")
    line = one_line_error(done)
    assert done.returncode == 2 and line.count("casework") == 2
    assert line.startswith("casework: simulation needs simpy")
    assert line.endswith("pip install 'casework[sim]'")


def test_casework_debug_shows_the_traceback(station: Path) -> None:
    """CASEWORK_DEBUG=1 lets the error escape, for a developer."""
    argv = ["simulate", str(station / "missing.toml")]
    done = casework(*argv, cwd=station, env={"CASEWORK_DEBUG": "1"})
    assert done.returncode == 1 and "Traceback" in done.stderr
    assert "FileNotFoundError" in done.stderr


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        (KeyboardInterrupt(), 130, "casework: interrupted"),
        (TypeError("unsupported operand"), 1, "casework: unsupported operand (TypeError in "),
        (BrokenPipeError(32, "Broken pipe"), 141, ""),
    ],
    ids=["interrupt", "a bug", "closed pipe"],
)
def test_anything_else_is_one_line_too(
    error: BaseException,
    status: int,
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An interrupt, or an error nothing checked (a bug), is still one line and a status;
    the bug's line says where, and how to see the traceback."""
    from casework import cli

    def fails(args: object) -> int:
        raise error

    monkeypatch.delenv("CASEWORK_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_demo", fails)  # bound when main() builds the parser
    assert main(["demo"]) == status
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == (1 if says else 0)
    if isinstance(error, TypeError):
        assert "test_cli.py, line " in err and "set CASEWORK_DEBUG=1 for the traceback" in err


def test_one_line_joins_a_listing_of_problems() -> None:
    """A multi-line message (a list of problems) becomes one line, its items joined by ';'."""
    from casework.cli import one_line
    from casework.errors import DefinitionError

    error = DefinitionError("visits", ["states: none given", "initial: none of the states"])
    assert one_line(error) == (
        "definition 'visits' is invalid: states: none given; initial: none of the states"
    )
    assert one_line(FileNotFoundError(2, "No such file or directory", "x.toml")) == (
        "x.toml: No such file or directory"
    )
    assert one_line(ImportError("casework charts need matplotlib")) == "charts need matplotlib"
    assert one_line(ImportError("casework's simulation needs simpy")) == "simulation needs simpy"


def test_version(tmp_path: Path) -> None:
    """``casework --version`` prints the package's version."""
    from casework import __version__

    done = casework("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == f"casework {__version__}\n"


def _parsers() -> list[tuple[str, Any]]:
    """The main parser and every subcommand's, with their names."""
    import argparse

    from casework.cli import build_parser

    parser = build_parser()
    found = [("casework", parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"casework {name}", p) for name, p in action.choices.items()]
    return found


PARSERS = _parsers()


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[name for name, _ in PARSERS])
def test_every_argument_has_help(name: str, parser: Any) -> None:
    """Each option and positional of every command says what it is for."""
    missing = [a.dest for a in parser._actions if not a.help]
    assert not missing, f"{name}: no help for {missing}"


@pytest.mark.parametrize("command", ["", "demo", "show", "export", "report", "simulate"])
def test_help_is_plain_text(command: str, tmp_path: Path) -> None:
    """``--help`` shows no reST markup (``literals``, :roles:) from the docstrings."""
    done = casework(*command.split(), "--help", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("usage: casework")
    assert "``" not in done.stdout and ":mod:" not in done.stdout and ":func:" not in done.stdout


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "--db", "x.db"], "the following arguments are required: --year"),
        (["demo", "--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help(argv: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casework", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert says in line and line.endswith("--help)") and line.startswith("casework")

"""The ``simulate`` subcommand, registered on a parser built here (as the main CLI will)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from casework.cli.simulate import ProgressBar, register
from casework.simulation import ScenarioError

XINQIAO = Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "xinqiao.toml"
SMALL = """
name = "tiny"
start = 2024-01-01
end = 2024-03-01
[referrals]
per_week = 2.0
[[teams]]
name = "sw"
count = 2
sessions_per_week = 2
[plan]
sessions = 3
[variants.fortnightly]
plan.cadence = "fortnightly"
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="casework")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["simulate", *argv])


def test_simulate_prints_one_table_for_the_scenario_and_its_variants(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL, "utf-8")
    args = parse(str(path), "--replications", "12", "--seed", "3", "--lang", "zh")
    assert (args.replications, args.seed, args.workers, args.lang) == (12, 3, 1, "zh")
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert "tiny" in out and "fortnightly" in out and "服务次数" in out
    # 24 runs in all: a progress bar on stderr that ends at 24/24
    assert "24/24 runs 100%" in err and "\r[" in err


def test_the_same_seed_prints_the_same_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL, "utf-8")
    outs = []
    for _ in range(2):
        args = parse(str(path), "-n", "3", "--seed", "9")
        args.func(args)
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_bad_scenarios_are_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    compare_module = sys.modules["casework.simulation.compare"]

    def must_not_run(*a: object, **k: object) -> None:
        raise AssertionError("the simulation ran")

    monkeypatch.setattr(compare_module, "compare", must_not_run)
    path = tmp_path / "bad.toml"
    path.write_text(
        SMALL.replace("per_week = 2.0", "per_week = -2.0").replace("sessions = 3", "sessions = 0")
        + "colour = 1\n",  # inside [variants.fortnightly]: an unknown key there
        "utf-8",
    )
    args = parse(str(path), "-n", "50")
    with pytest.raises(ScenarioError) as info:
        args.func(args)
    assert {p for p, _ in info.value.problems} == {
        "referrals.per_week",
        "plan.sessions",
        "variants.fortnightly.colour",
    }
    assert capsys.readouterr().err == ""


def test_bad_arguments_are_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit):
        parse(str(XINQIAO), "--replications", "0")
    with pytest.raises(SystemExit):
        parse(str(XINQIAO), "--lang", "fr")


def test_the_progress_bar_redraws_only_when_it_moves() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    for i in range(1, 1001):
        bar(i, 1000)
    text = out.getvalue()
    assert text.count("\r") == 101  # once per percent, 0 % to 100 %
    assert text.endswith("[##########] 1000/1000 runs 100%\n")


def test_the_scenario_argument_is_always_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file not named .toml is still read as a file, and a missing one is an OSError naming
    it (which the main command prints as one line), never its name parsed as TOML text."""
    path = tmp_path / "tiny.scenario"
    path.write_text(SMALL, "utf-8")
    args = parse(str(path), "-n", "2")
    assert args.func(args) == 0 and "tiny" in capsys.readouterr().out
    args = parse(str(tmp_path / "missing.scenario"), "-n", "2")
    with pytest.raises(FileNotFoundError) as info:
        args.func(args)
    assert info.value.filename == str(tmp_path / "missing.scenario")

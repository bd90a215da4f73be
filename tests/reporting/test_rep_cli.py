"""``casework report``: the parser it adds, a run on a demo store (terminal ledger and one HTML
file), a missing store, and the screenshot script on the result when Chromium is installed."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from casework.reporting import cli

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshot_report.sh"
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casework")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_register_adds_report_with_its_options() -> None:
    args = _parser().parse_args(["report", "--db", "s.db", "--year", "2023"])
    assert (args.db, args.year, args.lang, args.out) == ("s.db", 2023, "en", None)
    assert args.include_personal is False and args.charts is True and args.func is cli.report
    args = _parser().parse_args(
        [
            *("report", "--db", "s.db", "--year", "2023", "--lang", "zh", "--out", "r.html"),
            *("--include-personal", "--no-charts"),
        ]
    )
    assert (args.lang, args.out, args.include_personal, args.charts) == (
        "zh",
        "r.html",
        True,
        False,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--year", "2023"],  # no store
        ["report", "--db", "s.db"],  # no year
        ["report", "--db", "s.db", "--year", "2023", "--lang", "fr"],
    ],
)
def test_bad_arguments_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(argv)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo store and its 2023 report in Chinese (written by the subcommand itself)."""
    where = tmp_path_factory.mktemp("report")
    out = cli.demo_report(where / "demo.db", where / "report.html", lang="zh")
    return where / "demo.db", out


def test_report_prints_the_ledger_and_writes_one_html_file(
    demo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The ledger goes to the terminal in the language asked for; one HTML file is written."""
    db, zh = demo
    out = db.parent / "en.html"
    argv = ["--db", str(db), "--year", "2023", "--lang", "en", "--out", str(out), "--no-charts"]
    code = cli.main(argv)
    printed = capsys.readouterr()
    assert code == 0
    assert printed.out.startswith("许庄街道社工站: service ledger 2023\n")
    assert "cases opened, closed and withdrawn 2023" in printed.out
    assert "case register" in printed.out and "XZ-2023-01" in printed.out
    assert f"wrote {out} (11 tables, 0 charts)" in printed.err
    assert sorted(p.name for p in db.parent.glob("*.html")) == ["en.html", "report.html"]
    tables_only = out.read_text("utf-8")
    assert "<svg" not in tables_only.split("<h2>case lifecycle</h2>")[0]  # the diagram only
    page = zh.read_text("utf-8")  # the demo's own report, with its charts
    assert page.count('<figure class="chart"') >= 8 and "http://" not in page
    assert "<h2>年度服务台账</h2>" in page


def test_a_missing_store_is_an_error_not_a_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert cli.main(["--db", str(missing), "--year", "2023", "--out", str(tmp_path / "r")]) == 1
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "r").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_report_renders_in_headless_chromium(demo: tuple[Path, Path]) -> None:
    """The screenshot script renders the report: a PNG of the window size, not blank, with
    the dark ink of text and charts present in its top and bottom halves."""
    import matplotlib.image as mpimg

    _, page = demo
    shot = page.parent / "shot.png"
    done = subprocess.run(
        [str(SCRIPT), str(page), str(shot), "1000,1600"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(shot)
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (1600, 1000)
    dark = pixels[..., :3].mean(axis=2) < 0.5
    assert dark[:800].mean() > 0.005 and dark[800:].mean() > 0.005


def test_the_screenshot_script_explains_itself() -> None:
    done = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "Usage:" in done.stdout and "--demo" in done.stdout
    missing = subprocess.run(
        [str(SCRIPT), "/nonexistent/report.html"], capture_output=True, text=True, check=False
    )
    assert missing.returncode in (2, 3)  # no such file (or no Chromium on this machine)

"""``casework report``: the parser it adds, a run on a demo store (terminal ledger and one HTML
file), a missing store, and the screenshot script on the result when Chromium is installed."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from browser import CHROMIUM, browser_has_cjk_font
from casework.cli import report as cli

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshot_report.sh"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casework")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_register_adds_report_with_its_options() -> None:
    args = _parser().parse_args(["report", "--db", "s.db", "--year", "2023"])
    assert (args.db, args.year, args.lang, args.out) == (["s.db"], 2023, "en", None)
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
    # the ledger, the register, and the approval turnaround of the supervisor's closures
    assert f"wrote {out} (16 tables, 0 charts)" in printed.err
    assert "approval turnaround" in printed.out
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


def _screenshot(page: Path, shot: Path, size: str) -> Any:
    """Run the screenshot script on ``page``; the screenshot's RGB pixels."""
    import matplotlib.image as mpimg

    done = subprocess.run(
        [str(SCRIPT), str(page), str(shot), size],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(shot)
    return mpimg.imread(shot)[..., :3]


def _charts_with(html: str, cjk: str | None = None) -> str:
    """The page's charts alone; with ``cjk``, every CJK character in them replaced by it."""
    figures = "".join(re.findall(r'<figure class="chart".*?</figure>', html, flags=re.DOTALL))
    if cjk is not None:
        figures = re.sub(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", cjk, figures)
    return f"{html[: html.index('<body>')]}<body><main>{figures}</main></body></html>"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_report_renders_in_headless_chromium(demo: tuple[Path, Path]) -> None:
    """The screenshot script renders the report: a PNG of the window size, not blank, with
    the dark ink of text and charts present in its top and bottom halves."""
    _, page = demo
    pixels = _screenshot(page, page.parent / "shot.png", "1000,1600")
    assert pixels.shape[:2] == (1600, 1000)
    dark = pixels.mean(axis=2) < 0.5
    assert dark[:800].mean() > 0.005 and dark[800:].mean() > 0.005


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.skipif(
    not browser_has_cjk_font(),
    reason="no CJK font for the browser (apt-get install fonts-noto-cjk or fonts-wqy-microhei)",
)
def test_the_screenshot_shows_chinese_not_boxes(demo: tuple[Path, Path]) -> None:
    """Dark ink is not enough (boxes are ink too): the charts' screenshot must differ from
    the same charts with every Chinese character replaced by one no font has (U+F0000),
    which the browser draws as an empty box.  Identical screenshots mean the Chinese was
    boxes already: missing glyphs, or outlines drawn without a CJK font."""
    _, page = demo
    html = page.read_text(encoding="utf-8")
    real, boxes = page.parent / "charts.html", page.parent / "boxes.html"
    real.write_text(_charts_with(html), encoding="utf-8")
    boxes.write_text(_charts_with(html, "\U000f0000"), encoding="utf-8")
    a = _screenshot(real, page.parent / "charts.png", "1000,2400")
    b = _screenshot(boxes, page.parent / "boxes.png", "1000,2400")
    changed = (abs(a - b).sum(axis=2) > 0.3).mean()
    assert changed > 0.002, f"only {changed:.5f} of the pixels differ: Chinese drawn as boxes"


def test_the_screenshot_script_explains_itself() -> None:
    done = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "Usage:" in done.stdout and "--demo" in done.stdout
    missing = subprocess.run(
        [str(SCRIPT), "/nonexistent/report.html"], capture_output=True, text=True, check=False
    )
    assert missing.returncode in (2, 3)  # no such file (or no Chromium on this machine)

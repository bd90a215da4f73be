"""The ``casework report`` subcommand: a station's yearly ledger in the terminal and as HTML.

``casework report --db FILE --year 2023 [--lang zh|en] [--out report.html]
[--include-personal] [--no-charts]`` reads every case and station journal from the SQLite
store, prints the ledger's tables as plain text, and writes one self-contained HTML file with
the tables and charts (default ``report-<year>.html``).  Personal fields are left out unless
``--include-personal``.  The main parser adds the subcommand with :func:`register`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from casework.cli._common import (
    Parser,
    Refused,
    add_definition_options,
    catalogue_from_args,
    keys_beside,
    open_store,
    run,
)

__all__ = ["demo_report", "main", "register", "report"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the ``casework`` command's subparsers (imports nothing heavy)."""
    p = subparsers.add_parser(
        "report",
        help="a station's yearly ledger: printed, and written as one self-contained HTML file",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--db", metavar="FILE", required=True, help="the SQLite store")
    p.add_argument("--year", type=int, required=True, help="the calendar year, e.g. 2023")
    p.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the report")
    p.add_argument(
        "--out", metavar="FILE", help="where to write the HTML (default: report-<year>.html)"
    )
    p.add_argument(
        "--include-personal",
        action="store_true",
        help="show personal fields (names, birth dates); left out by default",
    )
    p.add_argument(
        "--no-charts",
        dest="charts",
        action="store_false",
        help="tables only (no matplotlib needed)",
    )
    add_definition_options(p)
    p.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    """Run ``casework report``: print the ledger, write the HTML; 1 when the store is missing."""
    from casework.reporting.dataset import Dataset
    from casework.reporting.html import yearly_report

    if not 1900 <= args.year <= 9998:
        raise Refused(f"--year {args.year}: not a year a station reports on (1900 to 9998)")
    out = Path(args.out or f"report-{args.year}.html")
    if not out.parent.is_dir():  # before anything is printed or computed
        raise Refused(f"no folder {out.parent} for the report {out} (create the folder first)")
    keys = keys_beside(args.db)  # age bands need birth dates; names still only when asked
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
        dataset = Dataset.from_store(store)
    built = yearly_report(
        dataset,
        args.year,
        lang=args.lang,
        include_personal=args.include_personal,
        charts=args.charts,
        generated=datetime.now().replace(microsecond=0),
    )
    built.write(out)
    print(built.to_text(), end="")
    charts = len(built.charts)
    print(f"wrote {out} ({len(built.tables)} tables, {charts} charts)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``report`` on its own (``python -m casework.cli.report --db ... --year ...``)."""
    parser: argparse.ArgumentParser = Parser(prog="casework")
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["report", *(argv if argv is not None else sys.argv[1:])]))


def demo_report(db: str | os.PathLike[str], out: str | os.PathLike[str], lang: str = "zh") -> Path:
    """Build a demo store at ``db`` and write its 2023 report to ``out`` (for screenshots).

    The store holds the Xuzhuang demo (:mod:`casework.demo`): its five children and the
    station's journal (许庄街道社工站, its 心桥舒屋 project of 5 cases x 10 sessions as the
    article says, its workers, and illustrative volunteers and activities).
    """
    from casework.demo import demo_engine, run_station
    from casework.store import SQLiteStore

    with SQLiteStore(db) as store:  # the station's journal is saved with the cases
        run_station(demo_engine(store))
    args = ["--db", os.fspath(db), "--year", "2023", "--lang", lang, "--out", os.fspath(out)]
    code = main(args)
    if code != 0:
        raise RuntimeError(f"casework report failed ({code})")
    return Path(out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

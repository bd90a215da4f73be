"""The ``casework report`` subcommand: a station's yearly ledger in the terminal and as HTML.

``casework report --db FILE --year 2023 [--lang zh|en] [--out report.html]
[--include-personal] [--no-charts]`` reads every case and station journal from the SQLite
store, prints the ledger's tables as plain text, and writes one self-contained HTML file with
the tables and charts (default ``report-<year>.html``).  Personal fields are left out unless
``--include-personal``.  With ``--db`` given for several stores (one a station), the report
is the district's (``--district NAME``): its ledger, then the stations compared.  The main
parser adds the subcommand with :func:`register`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from casework.cli._common import (
    Parser,
    Refused,
    add_definition_options,
    catalogue_from_args,
    keys_beside,
    one_line,
    open_store,
    run,
)

if TYPE_CHECKING:
    from casework.reporting.dataset import Dataset
    from casework.reporting.district import District

__all__ = ["demo_report", "main", "register", "report"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the ``casework`` command's subparsers (imports nothing heavy)."""
    p = subparsers.add_parser(
        "report",
        help="a station's yearly ledger: printed, and written as one self-contained HTML file",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument(
        "--db",
        metavar="FILE",
        required=True,
        action="append",
        help="the SQLite store; repeat for a district's report over several stations' stores",
    )
    p.add_argument(
        "--district",
        metavar="NAME",
        help="the district's name, in the title of a report over several stores",
    )
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
    from casework.reporting.html import yearly_report

    if not 1900 <= args.year <= 9998:
        raise Refused(f"--year {args.year}: not a year a station reports on (1900 to 9998)")
    out = Path(args.out or f"report-{args.year}.html")
    if not out.parent.is_dir():  # before anything is printed or computed
        raise Refused(f"no folder {out.parent} for the report {out} (create the folder first)")
    twice = sorted({p for p in args.db if args.db.count(p) > 1})
    if twice:
        raise Refused(f"--db {twice[0]} is given twice (one store a station)")
    datasets = [(path, _read(path, args)) for path in args.db]
    generated = datetime.now().replace(microsecond=0)
    if len(datasets) == 1:
        built = yearly_report(
            datasets[0][1],
            args.year,
            lang=args.lang,
            include_personal=args.include_personal,
            charts=args.charts,
            generated=generated,
        )
    else:
        built = _district(datasets, args).yearly_report(
            args.year,
            lang=args.lang,
            include_personal=args.include_personal,
            charts=args.charts,
            generated=generated,
        )
    built.write(out)
    print(built.to_text(), end="")
    charts = len(built.charts)
    print(f"wrote {out} ({len(built.tables)} tables, {charts} charts)", file=sys.stderr)
    return 0


def _read(path: str, args: argparse.Namespace) -> Dataset:
    """The store at ``path`` read whole (a file SQLite cannot read is refused, naming it)."""
    from casework.reporting.dataset import Dataset

    keys = keys_beside(path)  # age bands need birth dates; names still only when asked
    try:
        with open_store(path, catalogue=catalogue_from_args(args), keys=keys) as store:
            return Dataset.from_store(store)
    except sqlite3.Error as exc:
        raise Refused(f"{path}: {one_line(exc)}") from exc


def _district(datasets: Sequence[tuple[str, Dataset]], args: argparse.Namespace) -> District:
    """The stores as a district's stations, each named as its journal registered it (else by
    its file's name); two stores of one station are refused.
    """
    from casework.reporting.district import District

    named: dict[str, Dataset] = {}
    for path, ds in datasets:
        name = ds.station.name if ds.station is not None else Path(path).stem
        if name in named:
            raise Refused(f"--db {path}: station {name!r} is given twice (one store a station)")
        named[name] = ds
    default = "全区" if args.lang == "zh" else "District"
    return District(named, name=args.district or default)


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

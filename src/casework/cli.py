"""The ``casework`` command line.

* ``casework demo [--lang zh|en] [--db PATH]``: run the Xuzhuang scenario (and save it);
* ``casework show CASE_ID --db PATH [--lang zh|en]``: one case's timeline from a store;
* ``casework export --db PATH [--events] [--out FILE] [--include-personal]``: cases (their
  summaries) or events as JSON lines, without personal fields unless asked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from casework.store import SQLiteStore

__all__ = ["main"]


class _Refused(Exception):
    """A problem to report on stderr with exit status 1 (no traceback)."""


def _demo(args: argparse.Namespace) -> int:
    from casework.demo import run_xuzhuang, summary

    if args.db is None:
        _, cases = run_xuzhuang()
    else:
        from casework.engine import Engine
        from casework.standard import MHT_LIFECYCLE
        from casework.store import ConflictError, SQLiteStore

        with SQLiteStore(args.db) as store:
            try:  # the demo's own lifecycle: the standard one with MHT screening
                _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
            except ConflictError as exc:
                raise _Refused(f"{args.db} already holds the demo's cases ({exc})") from exc
        print(f"saved {len(cases)} cases to {args.db}", file=sys.stderr)
    print(summary(cases, args.lang))
    return 0


def _existing(path: str) -> SQLiteStore:
    from casework.store import SQLiteStore

    if not os.path.exists(path):
        raise _Refused(f"no store at {path} (create one with: casework demo --db {path})")
    return SQLiteStore(path)


def _show(args: argparse.Namespace) -> int:
    with _existing(args.db) as store:
        case = store.load(args.case_id)
    state = case.lifecycle.state(case.state).label(args.lang)
    worker = f"  worker {case.worker}" if case.worker else ""
    print(f"{case.id}  {case.client.pseudonym}  {state}  ({case.lifecycle.id}){worker}")
    for entry in case.timeline(args.lang):
        print(entry)
    return 0


def _export_lines(args: argparse.Namespace, store: SQLiteStore) -> Iterator[str]:
    codec = store.codec if args.include_personal else store.codec.without_personal()
    if args.events:
        for event in store.stream():
            yield codec.dumps_event(event)
        return
    for s in store.cases():
        row: dict[str, Any] = {"v": codec.migrations.current, **s.to_dict()}
        row["client"] = codec.encode(store.events(s.case_id)[0].payload.get("client"))
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _export(args: argparse.Namespace) -> int:
    with _existing(args.db) as store:
        out: TextIO
        if args.out is None:
            out = sys.stdout
            for line in _export_lines(args, store):
                out.write(line + "\n")
        else:
            with open(args.out, "w", encoding="utf-8") as out:
                count = 0
                for line in _export_lines(args, store):
                    out.write(line + "\n")
                    count += 1
            what = "events" if args.events else "cases"
            print(f"wrote {count} {what} to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="casework", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the Xuzhuang 2023 scenario end to end")
    demo.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the summary")
    demo.add_argument("--db", metavar="PATH", help="also save the cases to this SQLite file")
    demo.set_defaults(func=_demo)

    show = sub.add_parser("show", help="print one case's timeline from a store")
    show.add_argument("case_id", metavar="CASE_ID")
    show.add_argument("--db", metavar="PATH", required=True, help="the SQLite store")
    show.add_argument("--lang", choices=("zh", "en"), default="en", help="language of labels")
    show.set_defaults(func=_show)

    export = sub.add_parser("export", help="write cases or events as JSON lines")
    export.add_argument("--db", metavar="PATH", required=True, help="the SQLite store")
    export.add_argument("--events", action="store_true", help="events instead of case summaries")
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    export.add_argument(
        "--include-personal",
        action="store_true",
        help="keep personal fields (names, birth dates, session notes); left out by default",
    )
    export.set_defaults(func=_export)

    from casework.reporting.cli import register as register_report
    from casework.simulation.cli import register as register_simulate

    # neither imports anything heavy until its subcommand runs
    register_report(sub)
    register_simulate(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``casework`` console command."""
    from casework.errors import CaseworkError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (_Refused, CaseworkError) as exc:
        print(f"casework: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:  # an optional extra is missing: the message names it
        print(f"casework: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

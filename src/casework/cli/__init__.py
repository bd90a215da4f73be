"""The ``casework`` command line.

* ``casework demo [--lang zh|en] [--db PATH [--no-encrypt]]``: run the Xuzhuang scenario (and
  save it, personal fields encrypted under each child's key, the keys in ``PATH.keys``);
* ``casework show CASE_ID --db PATH [--lang zh|en]``: one case's timeline from a store;
* ``casework export --db PATH [--events] [--out FILE] [--include-personal]``: cases (their
  summaries) or events as JSON lines, without personal fields unless asked;
* ``casework report`` and ``casework simulate``: see :mod:`casework.cli.report` and
  :mod:`casework.cli.simulate`.

Every subcommand fails the same way (:func:`main`): one line ``casework: <what is wrong>`` on
standard error and a non-zero exit status, never a traceback (set ``CASEWORK_DEBUG=1`` to see
one).  Exit status 1 is a refusal (bad input, a missing or foreign file), 2 a usage error or a
missing optional extra, 130 an interrupt, 141 a closed pipe (``casework export | head``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from casework.cli._common import (
    Parser,
    Refused,
    add_definition_options,
    catalogue_from_args,
    keys_beside,
    one_line,
    open_store,
    plain,
    run,
)
from casework.events import ERASED_EVENT

if TYPE_CHECKING:
    from casework.store import SQLiteStore

__all__ = [
    "add_definition_options",
    "build_parser",
    "catalogue_from_args",
    "main",
    "one_line",
    "open_store",
    "plain",
]


def _demo(args: argparse.Namespace) -> int:
    from casework.demo import AGENDA_DAY, agenda_text, demo_engine, run_station, summary

    if args.db is None:
        _, cases, journal = run_station()
    else:
        from casework.store import ConflictError

        keys = None
        if args.encrypt:  # personal fields under each child's own key, the keys beside
            from casework.keys import FileKeyStore

            keys = FileKeyStore.beside(args.db)
        with open_store(args.db, create=True, keys=keys) as store:
            try:  # the demo's own lifecycle: MHT screening, closures the supervisor approves
                _, cases, journal = run_station(demo_engine(store))
            except ConflictError as exc:
                raise Refused(f"{args.db} already holds the demo's cases ({exc})") from exc
        where = f" (personal fields encrypted, keys in {keys.path})" if keys else ""
        print(f"saved {len(cases)} cases to {args.db}{where}", file=sys.stderr)
    print(summary(cases, args.lang))
    print()
    print(agenda_text(cases, journal, args.lang, on=AGENDA_DAY))
    return 0


def _show(args: argparse.Namespace) -> int:
    keys = keys_beside(args.db)
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
        case = store.load(args.case_id)
    state = case.lifecycle.state(case.state).label(args.lang)
    worker = f"  worker {case.worker}" if case.worker else ""
    print(f"{case.id}  {case.client.pseudonym}  {state}  ({case.lifecycle.id}){worker}")
    for entry in case.timeline(args.lang):
        print(entry)
    for problem in case.inconsistencies:
        print(f"{'不一致' if args.lang == 'zh' else 'inconsistent'}: {problem}")
    return 0


def _export_lines(args: argparse.Namespace, store: SQLiteStore) -> Iterator[str]:
    codec = store.codec if args.include_personal else store.codec.without_personal()
    if args.events:
        for event in store.stream():
            yield codec.dumps_event(event)
        return
    for s in store.cases():
        row: dict[str, Any] = {"v": codec.migrations.current, **s.to_dict()}
        events = store.events(s.case_id)
        row["client"] = codec.encode(events[0].payload.get("client"))
        row["erased"] = any(e.type == ERASED_EVENT for e in events)
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _export(args: argparse.Namespace) -> int:
    keys = keys_beside(args.db)
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
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


# --- the parser -------------------------------------------------------------------------------


def _version() -> str:
    from casework import __version__

    return f"casework {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = Parser(prog="casework", description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (see COMMAND --help)"
    )
    demo = sub.add_parser("demo", help="run the Xuzhuang 2023 scenario end to end")
    demo.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the summary")
    demo.add_argument("--db", metavar="PATH", help="also save the cases to this SQLite file")
    demo.add_argument(
        "--no-encrypt",
        dest="encrypt",
        action="store_false",
        help="with --db: write personal fields in clear (default: encrypted, keys in PATH.keys)",
    )
    demo.set_defaults(func=_demo)

    show = sub.add_parser("show", help="print one case's timeline from a store")
    show.add_argument("case_id", metavar="CASE_ID", help="the case's id, e.g. XZ-2023-01")
    show.add_argument("--db", metavar="PATH", required=True, help="the SQLite store")
    show.add_argument("--lang", choices=("zh", "en"), default="en", help="language of labels")
    add_definition_options(show)
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
    add_definition_options(export)
    export.set_defaults(func=_export)

    from casework.cli.encrypt import register as register_encrypt
    from casework.cli.erase import register as register_erase
    from casework.cli.report import register as register_report
    from casework.cli.simulate import register as register_simulate

    # neither imports anything heavy until its subcommand runs; both make Parser subparsers
    subparsers = cast("argparse._SubParsersAction[argparse.ArgumentParser]", sub)
    register_report(subparsers)
    register_simulate(subparsers)
    from casework.cli.agenda import register as register_agenda

    register_agenda(subparsers)
    register_erase(subparsers)
    register_encrypt(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``casework`` console command; returns the exit status.

    Whatever goes wrong, the user sees one line ``casework: <message>`` on standard error
    (see :func:`casework.cli._common.run`).
    """
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

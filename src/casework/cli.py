"""The ``casework`` command line.

* ``casework demo [--lang zh|en] [--db PATH]``: run the Xuzhuang scenario (and save it);
* ``casework show CASE_ID --db PATH [--lang zh|en]``: one case's timeline from a store;
* ``casework export --db PATH [--events] [--out FILE] [--include-personal]``: cases (their
  summaries) or events as JSON lines, without personal fields unless asked;
* ``casework report`` and ``casework simulate``: see :mod:`casework.reporting.cli` and
  :mod:`casework.simulation.cli`.

Every subcommand fails the same way (:func:`main`): one line ``casework: <what is wrong>`` on
standard error and a non-zero exit status, never a traceback (set ``CASEWORK_DEBUG=1`` to see
one).  Exit status 1 is a refusal (bad input, a missing or foreign file), 2 a usage error or a
missing optional extra, 130 an interrupt, 141 a closed pipe (``casework export | head``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from casework.errors import CaseworkError

if TYPE_CHECKING:
    from casework.catalogue import Catalogue
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

#: Set to 1 to let errors escape with their traceback instead of the one-line message.
DEBUG_VARIABLE = "CASEWORK_DEBUG"

#: Exit statuses: a refusal, a usage error or missing extra, an interrupt, a closed pipe.
REFUSED, MISSING_EXTRA, INTERRUPTED, BROKEN_PIPE = 1, 2, 130, 141


class _Refused(CaseworkError):
    """A problem with the command's input (a path, a file) to report in one line, status 1."""


def _check_store_path(path: str, *, create: bool) -> None:
    """Refuse a ``--db`` that cannot be a store: a directory, a missing file or folder."""
    if os.path.isdir(path):
        raise _Refused(f"{path} is a directory, not a casework store (give the store's file)")
    if create:
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise _Refused(f"no folder {folder} for the store {path} (create the folder first)")
    elif not os.path.exists(path):
        raise _Refused(f"no store at {path} (create one with: casework demo --db {path})")


def add_definition_options(parser: argparse.ArgumentParser) -> None:
    """``--lifecycle FILE`` (repeatable) and ``--project FILE``: the station's own definitions."""
    parser.add_argument(
        "--lifecycle",
        metavar="FILE",
        action="append",
        default=[],
        help="a lifecycle definition (TOML or JSON) the store's cases follow; repeat for more "
        "lifecycles or versions",
    )
    parser.add_argument(
        "--project",
        metavar="FILE",
        help="a project file listing the station's definition files "
        "(default: casework.toml in the working directory, if there is one)",
    )


def catalogue_from_args(args: argparse.Namespace, *, placeholders: bool = True) -> Catalogue:
    """The catalogue the command works with: the shipped definitions, the project file's
    (``--project``, else ``./casework.toml``) and every ``--lifecycle`` file.

    With ``placeholders`` (commands that only read a store), a guard or hook a definition
    names but this process cannot import gets a stand-in.
    """
    from casework.catalogue import DEFAULT_CATALOGUE, PROJECT_FILE

    catalogue = DEFAULT_CATALOGUE
    project = getattr(args, "project", None)
    if project is None and os.path.isfile(PROJECT_FILE):
        project = PROJECT_FILE
    if project is not None:
        catalogue = catalogue.with_project(project, placeholders=placeholders)
    files = getattr(args, "lifecycle", None) or []
    if files:
        catalogue = catalogue.with_files(files, placeholders=placeholders)
    return catalogue


def open_store(
    path: str, *, create: bool = False, catalogue: Catalogue | None = None
) -> SQLiteStore:
    """The SQLite store a ``--db PATH`` names: an existing one, or (``create``) a new one.

    A directory, a missing file (or, with ``create``, a missing folder) or a file SQLite
    cannot read is refused with a :class:`~casework.errors.CaseworkError` whose message says
    what is wrong with ``path``, before anything is written to it.  ``catalogue`` holds the
    definitions its cases follow (default: the shipped ones).
    """
    from casework.store import SQLiteStore

    _check_store_path(path, create=create)
    try:
        return SQLiteStore(path, catalogue=catalogue)
    except sqlite3.DatabaseError as exc:
        raise _Refused(f"{path} is not a casework store ({exc})") from exc


def _demo(args: argparse.Namespace) -> int:
    from casework.demo import run_xuzhuang, summary

    if args.db is None:
        _, cases = run_xuzhuang()
    else:
        from casework.engine import Engine
        from casework.standard import MHT_LIFECYCLE
        from casework.store import ConflictError

        with open_store(args.db, create=True) as store:
            try:  # the demo's own lifecycle: the standard one with MHT screening
                _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE, store=store))
            except ConflictError as exc:
                raise _Refused(f"{args.db} already holds the demo's cases ({exc})") from exc
        print(f"saved {len(cases)} cases to {args.db}", file=sys.stderr)
    print(summary(cases, args.lang))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_store(args.db, catalogue=catalogue_from_args(args)) as store:
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
        row["client"] = codec.encode(store.events(s.case_id)[0].payload.get("client"))
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _export(args: argparse.Namespace) -> int:
    with open_store(args.db, catalogue=catalogue_from_args(args)) as store:
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

_LITERAL = re.compile(r"``(.+?)``")
_OWN_NAME = re.compile(r"^casework(?:'s)? ")  # the prefix says it already
_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?(?:[\w.]+\.)?([^`]+)`")


def plain(text: str) -> str:
    """``text`` without the reST markup of docstrings (``literals``, :role:`targets`)."""
    return _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text))


class _PlainFormatter(argparse.HelpFormatter):
    """Help text as a terminal shows it: docstrings' reST markup removed."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help (and every subcommand's, which share its class) is plain."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _PlainFormatter)
        super().__init__(*args, **kwargs)


def _version() -> str:
    from casework import __version__

    return f"casework {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="casework", description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (see COMMAND --help)"
    )
    demo = sub.add_parser("demo", help="run the Xuzhuang 2023 scenario end to end")
    demo.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the summary")
    demo.add_argument("--db", metavar="PATH", help="also save the cases to this SQLite file")
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

    from casework.reporting.cli import register as register_report
    from casework.simulation.cli import register as register_simulate

    # neither imports anything heavy until its subcommand runs; both make _Parser subparsers
    subparsers = cast("argparse._SubParsersAction[argparse.ArgumentParser]", sub)
    register_report(subparsers)
    register_simulate(subparsers)
    return parser


# --- one line for every failure ---------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line: a listing of problems is joined with ``;``.

    An :class:`OSError` reads ``<file>: <what the system says>``; a message that starts with
    "casework " or "casework's " (as the extras' do) loses it: the prefix says it already.
    """
    if isinstance(exc, OSError) and exc.strerror:
        files = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
        text = f"{' -> '.join(files)}: {exc.strerror}" if files else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    head, rest = lines[0], [line.removeprefix("- ") for line in lines[1:]]
    if rest:
        head = f"{head.rstrip(':')}: {'; '.join(rest)}"
    return _OWN_NAME.sub("", head, count=1)


def _missing_extra(exc: ImportError, args: argparse.Namespace) -> str:
    message = one_line(exc)
    if getattr(args, "charts", False):  # the command can go on without them
        message += "; or leave the charts out with --no-charts"
    return message


def _quiet_stdout() -> None:
    """Point standard output at the null device, so that exiting does not write to the pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind sys.stdout (as under pytest's capture)
        pass


def _fail(message: str, status: int) -> int:
    print(f"casework: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``casework`` console command; returns the exit status.

    Whatever goes wrong, the user sees one line ``casework: <message>`` on standard error,
    never a traceback, unless ``CASEWORK_DEBUG=1`` is set, which lets the exception escape.
    A closed pipe (``casework export | head``) ends the command quietly with status 141.
    """
    args = build_parser().parse_args(argv)
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        status = int(args.func(args))
        sys.stdout.flush()
        return status
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE
    except KeyboardInterrupt:
        return _fail("interrupted", INTERRUPTED)
    except ImportError as exc:  # an optional extra is missing: the message names it
        return _fail(_missing_extra(exc, args), MISSING_EXTRA)
    except (CaseworkError, OSError) as exc:
        return _fail(one_line(exc), REFUSED)
    except sqlite3.Error as exc:
        db = getattr(args, "db", None)
        return _fail(f"{db}: {one_line(exc)}" if db else one_line(exc), REFUSED)
    except Exception as exc:  # a bug, or an input nothing checked: still one line
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return _fail(
            f"{one_line(exc)} ({type(exc).__name__} in {os.path.basename(where.filename)}, "
            f"line {where.lineno}; set {DEBUG_VARIABLE}=1 for the traceback)",
            REFUSED,
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""What every subcommand shares: opening a store, the station's definitions, plain help."""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

from casework.errors import CaseworkError

if TYPE_CHECKING:
    from casework.catalogue import Catalogue
    from casework.keys import FileKeyStore
    from casework.store import SQLiteStore

#: Set to 1 to let errors escape with their traceback instead of the one-line message.
DEBUG_VARIABLE = "CASEWORK_DEBUG"

#: Exit statuses: a refusal, a usage error or missing extra, an interrupt, a closed pipe.
REFUSED, MISSING_EXTRA, INTERRUPTED, BROKEN_PIPE = 1, 2, 130, 141
#: argparse's status for a usage error (the same as a missing extra's).
USAGE = 2

__all__ = [
    "BROKEN_PIPE",
    "DEBUG_VARIABLE",
    "INTERRUPTED",
    "MISSING_EXTRA",
    "OWN_NAME",
    "REFUSED",
    "Parser",
    "Refused",
    "add_definition_options",
    "catalogue_from_args",
    "keys_beside",
    "one_line",
    "open_store",
    "plain",
    "run",
]


class Refused(CaseworkError):
    """A problem with the command's input (a path, a file) to report in one line, status 1."""


def _check_store_path(path: str, *, create: bool) -> None:
    """Refuse a ``--db`` that cannot be a store: a directory, a missing file or folder."""
    if os.path.isdir(path):
        raise Refused(f"{path} is a directory, not a casework store (give the store's file)")
    if create:
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise Refused(f"no folder {folder} for the store {path} (create the folder first)")
    elif not os.path.exists(path):
        raise Refused(f"no store at {path} (create one with: casework demo --db {path})")


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


def keys_beside(path: str) -> FileKeyStore | None:
    """The key store beside the store at ``path`` (``<path>.keys``), if there is one."""
    from casework.keys import KEY_FILE_SUFFIX, FileKeyStore

    return FileKeyStore(path + KEY_FILE_SUFFIX) if os.path.isfile(path + KEY_FILE_SUFFIX) else None


def open_store(
    path: str,
    *,
    create: bool = False,
    catalogue: Catalogue | None = None,
    keys: FileKeyStore | None = None,
) -> SQLiteStore:
    """The SQLite store a ``--db PATH`` names: an existing one, or (``create``) a new one.

    A directory, a missing file (or, with ``create``, a missing folder) or a file SQLite
    cannot read is refused with a :class:`~casework.errors.CaseworkError` whose message says
    what is wrong with ``path``, before anything is written to it.  ``catalogue`` holds the
    definitions its cases follow (default: the shipped ones); ``keys`` opens its sealed
    personal fields (without, they read as markers).
    """
    from casework.store import SQLiteStore

    _check_store_path(path, create=create)
    try:
        return SQLiteStore(path, catalogue=catalogue, keys=keys)
    except sqlite3.DatabaseError as exc:
        raise Refused(f"{path} is not a casework store ({exc})") from exc


_LITERAL = re.compile(r"``(.+?)``")
OWN_NAME = re.compile(r"^casework(?:'s)? ")  # the prefix says it already
_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?(?:[\w.]+\.)?([^`]+)`")


def plain(text: str) -> str:
    """``text`` without the reST markup of docstrings (``literals``, :role:`targets`)."""
    return _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text))


class PlainFormatter(argparse.HelpFormatter):
    """Help text as a terminal shows it: docstrings' reST markup removed."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


class Parser(argparse.ArgumentParser):
    """An argument parser whose help (and every subcommand's, which share its class) is plain,
    and whose usage errors are one line, as every other failure is.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", PlainFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and one line naming the command and how to get its help."""
        self.exit(USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    return OWN_NAME.sub("", head, count=1)


def _missing_extra(exc: ImportError, args: argparse.Namespace) -> str:
    message = one_line(exc)
    if getattr(args, "charts", False):  # the command can go on without them
        message += "; or leave the charts out with --no-charts"
    if getattr(args, "encrypt", False) and "casework[crypto]" in message:
        message += "; or write the store in clear with --no-encrypt"
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


def run(args: argparse.Namespace) -> int:
    """Run a parsed subcommand; whatever goes wrong is one line on standard error.

    Never a traceback, unless ``CASEWORK_DEBUG=1`` is set, which lets the exception escape.
    A closed pipe (``casework export | head``) ends the command quietly with status 141.
    """
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

"""The ``casework erase`` subcommand: erase one person's personal data from a store.

``casework erase --db FILE --subject ID --reason TEXT --by WORKER [--keys FILE] [--at TIME]``
destroys the subject's key in the store's key store (default ``FILE.keys``, beside the
store) and records a ``personal_data_erased`` event in every case and journal that held their
data; it prints what it did.

``casework erase --db FILE --due-on DATE [--dry-run] --by WORKER`` erases instead every
subject the catalogue's retention rules (:mod:`casework.retention`: the project file's, and
``--retention FILE``) make due on ``DATE``, each with a reason naming the rule, a progress
bar on stderr for long runs; ``--dry-run`` lists them and changes nothing.

A store without a key store is refused: its personal data is in
clear, and destroying a key would erase nothing.  The main parser adds the subcommand with
:func:`register`.

.. versionadded:: 0.2
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime

from casework.cli._common import Refused, add_definition_options, catalogue_from_args, open_store

__all__ = ["erase", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``erase`` to the ``casework`` command's subparsers (imports nothing heavy)."""
    p = subparsers.add_parser(
        "erase",
        help="erase one person's personal data (destroy their key, record the erasure)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--db", metavar="FILE", required=True, help="the SQLite store")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--subject", help="whose data: a client's id (or a volunteer's, staff's)")
    which.add_argument(
        "--due-on",
        metavar="DATE",
        help="erase every subject the retention rules make due on DATE (ISO 8601)",
    )
    p.add_argument(
        "--reason", help="why (kept in clear in the log: name no one in it); with --subject"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="with --due-on: list what is due, erase nothing"
    )
    p.add_argument(
        "--retention",
        metavar="FILE",
        action="append",
        default=[],
        help="retention rules ([[retention]] tables, TOML or JSON); repeat for more",
    )
    p.add_argument("--by", metavar="WORKER", required=True, help="who erases")
    p.add_argument("--keys", metavar="FILE", help="the key store (default: FILE.keys beside --db)")
    p.add_argument(
        "--at", metavar="TIME", help="when, as an ISO 8601 date or time (default: now, local time)"
    )
    add_definition_options(p)
    p.set_defaults(func=erase)


def erase(args: argparse.Namespace) -> int:
    """Run ``casework erase``; 1 when the store, its key store or the subject is not found."""
    from casework.erasure import erase as erase_subject
    from casework.keys import KEY_FILE_SUFFIX, FileKeyStore

    if args.due_on is None and args.reason is None:
        raise Refused("--subject needs --reason (why, naming no one)")
    if args.due_on is not None and args.reason is not None:
        raise Refused("--reason goes with --subject: with --due-on each reason names its rule")
    if args.dry_run and args.due_on is None:
        raise Refused("--dry-run goes with --due-on")
    keys_path = args.keys or args.db + KEY_FILE_SUFFIX
    if not os.path.isfile(keys_path):
        raise Refused(
            f"no key store at {keys_path}: the store's personal data is not encrypted, so it "
            "cannot be erased by destroying a key (give --keys FILE if it is elsewhere)"
        )
    if args.at is None:
        at = datetime.now().replace(microsecond=0)  # wall-clock time, as a station records
    else:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise Refused(f"--at {args.at}: not an ISO 8601 date or time") from None
    keys = FileKeyStore(keys_path)
    if args.due_on is not None:
        return _due(args, at, keys, keys_path)
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
        done = erase_subject(store, args.subject, reason=args.reason, at=at, by=args.by)
    key = "key destroyed" if done.key_destroyed else "no key left to destroy"
    where = ", ".join(done.streams) if done.streams else "nothing new to record"
    print(f"erased {done.subject}: {key} in {keys_path}; recorded in: {where}")
    if done.streams:
        print(f"{len(done.streams)} personal_data_erased event(s) recorded", file=sys.stderr)
    return 0


#: A run erasing at least this many subjects shows a progress bar on stderr.
PROGRESS_FROM = 10


def _due(args: argparse.Namespace, at: datetime, keys: object, keys_path: str) -> int:
    """``--due-on``: list (``--dry-run``) or erase what the retention rules make due."""
    from casework.cli.simulate import ProgressBar
    from casework.erasure import due_erasures
    from casework.erasure import erase as erase_subject
    from casework.keys import FileKeyStore

    assert isinstance(keys, FileKeyStore)
    try:
        day = date.fromisoformat(args.due_on)
    except ValueError:
        raise Refused(f"--due-on {args.due_on}: not an ISO 8601 date (YYYY-MM-DD)") from None
    catalogue = catalogue_from_args(args)
    if args.retention:
        catalogue = catalogue.with_retention(args.retention)
    if not catalogue.retention:
        raise Refused(
            "no retention rules: give --retention FILE or list them in the project file "
            "([casework] retention = [...])"
        )
    with open_store(args.db, catalogue=catalogue, keys=keys) as store:
        due = due_erasures(store, on=day, catalogue=catalogue)
        verb = "due" if args.dry_run else "erasing"
        for item in due:
            print(
                f"{verb} {item.subject} on {item.due.isoformat()} by {item.rule.id} "
                f"({item.basis}); cases: {', '.join(item.cases)}"
            )
        if args.dry_run or not due:
            print(f"{len(due)} subject(s) due on {day.isoformat()}", file=sys.stderr)
            return 0
        progress = ProgressBar(sys.stderr, label="erased") if len(due) >= PROGRESS_FROM else None
        for i, item in enumerate(due, 1):
            erase_subject(store, item.subject, reason=item.reason, at=at, by=args.by)
            if progress is not None:
                progress(i, len(due))
    print(f"{len(due)} subject(s) erased; keys destroyed in {keys_path}", file=sys.stderr)
    return 0

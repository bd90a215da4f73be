"""The ``casework erase`` subcommand: erase one person's personal data from a store.

``casework erase --db FILE --subject ID --reason TEXT --by WORKER [--keys FILE] [--at TIME]``
destroys the subject's key in the store's key store (default ``FILE.keys``, beside the
store) and records a ``personal_data_erased`` event in every case and journal that held their
data; it prints what it did.  A store without a key store is refused: its personal data is in
clear, and destroying a key would erase nothing.  The main parser adds the subcommand with
:func:`register`.

.. versionadded:: 0.2
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime

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
    p.add_argument(
        "--subject", required=True, help="whose data: a client's id (or a volunteer's, staff's)"
    )
    p.add_argument(
        "--reason", required=True, help="why (kept in clear in the log: name no one in it)"
    )
    p.add_argument("--by", metavar="WORKER", required=True, help="who erases")
    p.add_argument("--keys", metavar="FILE", help="the key store (default: FILE.keys beside --db)")
    p.add_argument("--at", metavar="TIME", help="when, as an ISO 8601 date or time (default: now)")
    add_definition_options(p)
    p.set_defaults(func=erase)


def erase(args: argparse.Namespace) -> int:
    """Run ``casework erase``; 1 when the store, its key store or the subject is not found."""
    from casework.erasure import erase as erase_subject
    from casework.keys import KEY_FILE_SUFFIX, FileKeyStore

    keys_path = args.keys or args.db + KEY_FILE_SUFFIX
    if not os.path.isfile(keys_path):
        raise Refused(
            f"no key store at {keys_path}: the store's personal data is not encrypted, so it "
            "cannot be erased by destroying a key (give --keys FILE if it is elsewhere)"
        )
    if args.at is None:
        at = datetime.now().astimezone()
    else:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise Refused(f"--at {args.at}: not an ISO 8601 date or time") from None
    keys = FileKeyStore(keys_path)
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
        done = erase_subject(store, args.subject, reason=args.reason, at=at, by=args.by)
    key = "key destroyed" if done.key_destroyed else "no key left to destroy"
    where = ", ".join(done.streams) if done.streams else "nothing new to record"
    print(f"erased {done.subject}: {key} in {keys_path}; recorded in: {where}")
    if done.streams:
        print(f"{len(done.streams)} personal_data_erased event(s) recorded", file=sys.stderr)
    return 0

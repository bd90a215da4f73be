"""The ``casework encrypt`` subcommand: encrypt an existing clear store in place (加密).

``casework encrypt --db FILE [--keys KEYFILE]`` seals every personal field the store holds in
clear under its data subject's key (the key store ``KEYFILE``, default ``FILE.keys`` beside
the store, made if missing), in one transaction, then clears the file's free pages and
write-ahead log (:func:`casework.encryption.encrypt_store`).  Running it again is harmless.
It prints what it did; back the key file up apart from the store.  The main parser adds the
subcommand with :func:`register`.

.. versionadded:: 0.2
"""

from __future__ import annotations

import argparse
import os
import sys

from casework.cli._common import add_definition_options, catalogue_from_args, open_store

__all__ = ["PROGRESS_FROM", "encrypt", "register"]

#: A store of at least this many rows shows a progress bar on stderr while it is sealed.
PROGRESS_FROM = 20_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``encrypt`` to the ``casework`` command's subparsers (imports nothing heavy)."""
    p = subparsers.add_parser(
        "encrypt",
        help="encrypt the personal fields of an existing clear store, in place",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--db", metavar="FILE", required=True, help="the SQLite store")
    p.add_argument(
        "--keys", metavar="KEYFILE", help="the key store (default: FILE.keys beside --db)"
    )
    add_definition_options(p)
    p.set_defaults(func=encrypt)


def encrypt(args: argparse.Namespace) -> int:
    """Run ``casework encrypt``; 1 when the store or key file is refused, or the log was in
    use by another connection (run it again once that one is closed).
    """
    from casework.cli.simulate import ProgressBar
    from casework.encryption import encrypt_store
    from casework.keys import KEY_FILE_SUFFIX, FileKeyStore

    keys_path = args.keys or args.db + KEY_FILE_SUFFIX
    made = not os.path.exists(keys_path)
    with open_store(args.db, catalogue=catalogue_from_args(args)) as probe:
        rows = probe.db.execute("SELECT count(*) FROM events").fetchone()[0]
    keys = FileKeyStore(keys_path)
    progress = ProgressBar(sys.stderr, label="rows") if rows >= PROGRESS_FROM else None
    with open_store(args.db, catalogue=catalogue_from_args(args), keys=keys) as store:
        done = encrypt_store(store, progress=progress)
    print(f"encrypted {args.db}: {done}")
    if done.unreadable:
        shown = ", ".join(f"{case} #{seq}" for case, seq in done.unreadable[:5])
        print(f"left as they were (unreadable): {shown}", file=sys.stderr)
    where = "a new key store" if made and os.path.exists(keys_path) else "the key store"
    print(
        f"keys in {where} {keys_path}: back it up apart from the store (without it the "
        "personal data cannot be read)",
        file=sys.stderr,
    )
    if not done.clean:
        print(
            f"casework: {args.db}: another connection kept the write-ahead log in use, so old "
            "clear pages may remain in it: close it and run casework encrypt again",
            file=sys.stderr,
        )
        return 1
    return 0

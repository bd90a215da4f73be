"""``casework agenda --db FILE --on DATE [--worker ID] [--station ID] [--rule ID] [--overdue]``.

Prints what is due and what is late on day ``DATE``, from the store's events alone (events
dated after that day are ignored) and the catalogue's due-work rules (the shipped ones, plus
a project file's ``due_rules`` and every ``--rules FILE``).  Ids and codes only, never names.
With retention rules (the project file's ``retention``, and every ``--retention FILE``), the
erasures coming due are listed too (rule ``retention``); the key store beside the store
(``FILE.keys``), when there is one, is then read for the birth dates those rules need.
"""

from __future__ import annotations

import argparse
from datetime import date

from casework.cli._common import (
    Refused,
    add_definition_options,
    catalogue_from_args,
    keys_beside,
    open_store,
    plain,
)

__all__ = ["register"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _agenda(args: argparse.Namespace) -> int:
    from casework.reporting.agenda import agenda_from_store
    from casework.retention import RETENTION_RULE

    catalogue = catalogue_from_args(args)
    if args.rules:
        catalogue = catalogue.with_due_rules(args.rules)
    if args.retention:
        catalogue = catalogue.with_retention(args.retention)
    known = {r.id for r in catalogue.due_rules}
    if catalogue.retention:
        known.add(RETENTION_RULE)
    unknown = sorted(set(args.rule or ()) - known)
    if unknown:
        raise Refused(f"no due rule {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    keys = keys_beside(args.db) if catalogue.retention else None
    with open_store(args.db, catalogue=catalogue, keys=keys) as store:
        found = agenda_from_store(
            store,
            on=args.on,
            catalogue=catalogue,
            worker=args.worker,
            station=args.station,
            rule=args.rule or None,
            overdue=args.overdue,
            lang=args.lang,
        )
    print(found.to_text())
    if not found.items:
        print("（无待办事项）" if args.lang == "zh" else "(nothing due)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``agenda`` subcommand to ``sub``."""
    parser = sub.add_parser(
        "agenda",
        help="what is due and what is late on a day",
        description=plain(__doc__.splitlines()[0]),
    )
    parser.add_argument("--db", metavar="FILE", required=True, help="the SQLite store")
    parser.add_argument(
        "--on", metavar="DATE", required=True, type=_day, help="the day (YYYY-MM-DD)"
    )
    parser.add_argument("--worker", metavar="ID", help="only this worker's items")
    parser.add_argument("--station", metavar="ID", help="only this station's items")
    parser.add_argument(
        "--rule", metavar="ID", action="append", help="only this rule's items (repeatable)"
    )
    parser.add_argument("--overdue", action="store_true", help="only the items that are late")
    parser.add_argument("--lang", choices=("zh", "en"), default="en", help="language of labels")
    parser.add_argument(
        "--rules",
        metavar="FILE",
        action="append",
        default=[],
        help="due-work rules (TOML [[due_rules]] or JSON) beside the shipped ones; repeatable",
    )
    parser.add_argument(
        "--retention",
        metavar="FILE",
        action="append",
        default=[],
        help="retention rules (TOML [[retention]] or JSON): list erasures coming due; repeatable",
    )
    add_definition_options(parser)
    parser.set_defaults(func=_agenda)

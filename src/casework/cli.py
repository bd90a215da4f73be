"""The ``casework`` command line: ``casework demo [--lang zh|en]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from casework.demo import run_xuzhuang, summary

    _, cases = run_xuzhuang()
    print(summary(cases, args.lang))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="casework", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the Xuzhuang 2023 scenario end to end")
    demo.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the summary")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``casework`` console command."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

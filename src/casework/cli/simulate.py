"""The ``casework simulate`` subcommand: a scenario file in, a summary table out.

``casework simulate SCENARIO.toml [--replications N] [--seed S] [--workers K] [--lang zh|en]``
runs the scenario and each of its ``[variants.*]`` with the same seeds, prints one table on
standard output, and draws a progress bar on standard error for long runs.  The main parser
adds it with :func:`register`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from casework.cli._common import add_definition_options, catalogue_from_args

__all__ = ["ProgressBar", "register"]

#: Runs from which a progress bar is drawn (shorter runs finish before it would be read).
PROGRESS_FROM = 20


class ProgressBar:
    """A one-line text progress bar: ``progress(done, total)``; redrawn only when it moves."""

    def __init__(self, stream: TextIO, *, width: int = 30, label: str = "runs") -> None:
        self.stream = stream
        self.width = width
        self.label = label
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total if total else self.width
        percent = 100 * done // total if total else 100
        if percent == self._shown and done != total:
            return
        self._shown = percent
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r[{bar}] {done}/{total} {self.label} {percent:3d}%{end}")
        self.stream.flush()


def _run(args: argparse.Namespace) -> int:
    from casework.simulation.compare import compare
    from casework.simulation.scenario import load_scenarios

    # a path, never TOML text; every problem is reported before anything runs
    scenarios = load_scenarios(Path(args.scenario))
    catalogue = catalogue_from_args(args, placeholders=False)  # the run fires real guards
    total = args.replications * len(scenarios)
    progress = None
    if total >= PROGRESS_FROM and not args.quiet:
        progress = ProgressBar(sys.stderr)
    result = compare(
        scenarios,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        progress=progress,
        catalogue=catalogue,
    )
    print(result.table(lang=args.lang))
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to ``subparsers`` (from ``add_subparsers``).

    The parsed arguments carry ``func``, which runs the command and returns the exit status.
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate a project from a scenario file (TOML) and summarise many runs",
        description="A scenario file in, a summary table out: runs the scenario and each of its "
        "[variants.*] with the same seeds.",
    )
    p.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file (TOML)")
    p.add_argument(
        "--replications",
        "-n",
        type=_positive,
        default=200,
        metavar="N",
        help="runs per scenario (200)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the study (0)")
    p.add_argument(
        "--workers", type=_positive, default=1, metavar="K", help="processes to run in (1)"
    )
    p.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_definition_options(p)
    p.set_defaults(func=_run)
    return p

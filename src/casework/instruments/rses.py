"""The Rosenberg Self-Esteem Scale (Rosenberg 1965), University of Maryland item order:
10 items, strongly agree 3 ... strongly disagree 0, items 2, 5, 6, 8, 9 reversed; higher is
better.  May be used without permission.

An answer is the option's value, whatever the item's keying: 3 means "strongly agree", which
scores 3 on item 1 and 0 on item 2.
"""

from __future__ import annotations

from casework.instruments._formats import items
from casework.instruments.model import (
    Band,
    Direction,
    FlagKind,
    Instrument,
    Option,
    ResponseFormat,
    Scale,
    Threshold,
    Total,
)

__all__ = ["AGREEMENT", "REVERSED", "rses"]

#: Strongly agree (3) ... strongly disagree (0); also accepts SA/A/D/SD.
AGREEMENT = ResponseFormat(
    "agreement",
    (
        Option(3, "非常同意", "strongly agree", aliases=("SA",)),
        Option(2, "同意", "agree", aliases=("A",)),
        Option(1, "不同意", "disagree", aliases=("D",)),
        Option(0, "非常不同意", "strongly disagree", aliases=("SD",)),
    ),
)
#: Reverse-keyed items in the University of Maryland order.
REVERSED = (2, 5, 6, 8, 9)


def rses(*, low_below: int = 15) -> Instrument:
    """Build the RSES.  ``low_below``: a total below this is low self-esteem."""
    return Instrument(
        "rses",
        "1965-umd",
        "罗森伯格自尊量表",
        "Rosenberg Self-Esteem Scale (RSES)",
        (AGREEMENT,),
        items(10, AGREEMENT, (3, 2, 1, 0), {n: (0, 1, 2, 3) for n in REVERSED}),
        (Scale("self_esteem", "自尊", "self-esteem", range(1, 11), 0, 30, Direction.HIGHER),),
        Total(("self_esteem",), 0, 30, Direction.HIGHER, "总分", "total"),
        bands=(
            Band("low", 0, low_below - 1, "自尊偏低", "low self-esteem"),
            Band("not_low", low_below, 30, "自尊不低", "not low"),
        ),
        thresholds=(
            Threshold(
                "self_esteem_low",
                ("total",),
                "<",
                low_below,
                FlagKind.CLINICAL,
                "总分<{value}：自尊偏低",
                "total < {value}: low self-esteem",
            ),
        ),
    )

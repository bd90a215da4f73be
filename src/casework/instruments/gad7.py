"""The GAD-7 (Spitzer et al. 2006): 7 items 0-3, total 0-21, free to use."""

from __future__ import annotations

from collections.abc import Sequence

from casework.instruments._formats import FREQUENCY, items
from casework.instruments.model import (
    Band,
    Direction,
    FlagKind,
    Instrument,
    Scale,
    Threshold,
    Total,
)

__all__ = ["gad7"]

_BANDS = (
    ("minimal", "极轻或无", "minimal"),
    ("mild", "轻度", "mild"),
    ("moderate", "中度", "moderate"),
    ("severe", "重度", "severe"),
)


def gad7(*, cuts: Sequence[int] = (5, 10, 15), refer_at: int = 10) -> Instrument:
    """Build the GAD-7.  ``cuts``: lowest totals of mild, moderate and severe anxiety;
    ``refer_at``: total >= this flags ``refer`` (further evaluation).
    """
    edges = (0, *cuts, 22)
    bands = tuple(
        Band(key, edges[i], edges[i + 1] - 1, zh, en) for i, (key, zh, en) in enumerate(_BANDS)
    )
    return Instrument(
        "gad7",
        "2006",
        "广泛性焦虑量表（GAD-7）",
        "Generalized Anxiety Disorder scale (GAD-7)",
        (FREQUENCY,),
        items(7, FREQUENCY, (0, 1, 2, 3)),
        (Scale("anxiety", "焦虑", "anxiety", range(1, 8), 0, 21, Direction.LOWER),),
        Total(("anxiety",), 0, 21, Direction.LOWER, "总分", "total"),
        bands=bands,
        thresholds=(
            Threshold(
                "refer",
                ("total",),
                ">=",
                refer_at,
                FlagKind.CLINICAL,
                "总分≥{value}：建议转介进一步评估",
                "total >= {value}: refer for further evaluation",
            ),
        ),
    )

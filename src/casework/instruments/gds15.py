"""The GDS-15 (Geriatric Depression Scale, short form; Sheikh & Yesavage 1986), for
elderly-care projects: 15 yes/no items, public domain.
"""

from __future__ import annotations

from casework.instruments._formats import YES_NO, items
from casework.instruments.model import (
    Band,
    Direction,
    FlagKind,
    Instrument,
    Scale,
    Threshold,
    Total,
)

__all__ = ["NO_SCORES", "gds15"]

#: Items on which a "no" scores 1 (a "yes" scores 1 on the others).
NO_SCORES = (1, 5, 7, 11, 13)


def gds15(*, depression_at: int = 6, almost_always_at: int = 10) -> Instrument:
    """Build the GDS-15.  ``depression_at``: total >= this suggests depression (6, i.e. "> 5";
    some sources use 5).  ``almost_always_at``: total >= this almost always means depression.
    """
    all_items = items(15, YES_NO, (1, 0), {n: (0, 1) for n in NO_SCORES})
    scale = Scale("depression", "抑郁", "depression", range(1, 16), 0, 15, Direction.LOWER)
    return Instrument(
        "gds15",
        "1986",
        "老年抑郁量表（简版）",
        "Geriatric Depression Scale, short form (GDS-15)",
        (YES_NO,),
        all_items,
        (scale,),
        Total(("depression",), 0, 15, Direction.LOWER, "总分", "total"),
        bands=(
            Band("normal", 0, depression_at - 1, "正常", "normal"),
            Band(
                "suggests_depression",
                depression_at,
                almost_always_at - 1,
                "提示抑郁",
                "suggests depression",
            ),
            Band(
                "almost_always_depression",
                almost_always_at,
                15,
                "几乎总是抑郁",
                "almost always depression",
            ),
        ),
        thresholds=(
            Threshold(
                "depression_suggested",
                ("total",),
                ">=",
                depression_at,
                FlagKind.CLINICAL,
                "总分≥{value}：提示抑郁",
                "total >= {value}: suggests depression",
            ),
            Threshold(
                "depression_almost_always",
                ("total",),
                ">=",
                almost_always_at,
                FlagKind.CLINICAL,
                "总分≥{value}：几乎总是抑郁",
                "total >= {value}: almost always depression",
            ),
        ),
    )

"""The PHQ-9 (Kroenke, Spitzer & Williams 2001): 9 items 0-3, total 0-27, free to use.

Item 9 asks about thoughts of self-harm: any answer above 0 raises ``crisis_item:9``.
"""

from __future__ import annotations

from collections.abc import Sequence

from casework.instruments._formats import FREQUENCY, items
from casework.instruments.model import Band, CrisisItem, Direction, Instrument, Scale, Total

__all__ = ["phq9"]

_BANDS = (
    ("minimal", "极轻或无", "minimal"),
    ("mild", "轻度", "mild"),
    ("moderate", "中度", "moderate"),
    ("moderately_severe", "中重度", "moderately severe"),
    ("severe", "重度", "severe"),
)


def phq9(*, cuts: Sequence[int] = (5, 10, 15, 20)) -> Instrument:
    """Build the PHQ-9.  ``cuts`` are the lowest totals of mild, moderate, moderately severe
    and severe depression.
    """
    edges = (0, *cuts, 28)
    bands = tuple(
        Band(key, edges[i], edges[i + 1] - 1, zh, en) for i, (key, zh, en) in enumerate(_BANDS)
    )
    return Instrument(
        "phq9",
        "2001",
        "患者健康问卷抑郁量表（PHQ-9）",
        "Patient Health Questionnaire (PHQ-9)",
        (FREQUENCY,),
        items(9, FREQUENCY, (0, 1, 2, 3)),
        (Scale("depression", "抑郁", "depression", range(1, 10), 0, 27, Direction.LOWER),),
        Total(("depression",), 0, 27, Direction.LOWER, "总分", "total"),
        bands=bands,
        crisis_items=(
            CrisisItem(
                9,
                (1, 2, 3),
                "第9题（自伤念头）得分大于0：请立即评估安全",
                "item 9 (thoughts of self-harm) above 0: assess safety now",
            ),
        ),
    )

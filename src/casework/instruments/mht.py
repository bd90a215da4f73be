"""The MHT (心理健康诊断测验, Zhou Bucheng et al. 1991): 100 yes/no items, 8 content scales and a
validity scale, every rule a parameter with the reference's default.

The item texts belong to the published test and are not shipped; add them with
:meth:`~casework.instruments.Instrument.with_texts`.  No norm tables are shipped either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from casework.instruments._formats import YES_NO, items, weight_range
from casework.instruments._parts import Number
from casework.instruments.model import (
    CrisisItem,
    Direction,
    FlagKind,
    Instrument,
    Scale,
    Threshold,
    Total,
)

__all__ = ["CONTENT_SCALES", "MHT_SCALES", "mht"]

#: (key, 中文, English, items) as in the reference table.
MHT_SCALES: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    ("learning_anxiety", "学习焦虑", "learning anxiety", tuple(range(1, 16))),
    ("social_anxiety", "对人焦虑", "anxiety about other people", tuple(range(16, 26))),
    ("loneliness", "孤独倾向", "loneliness tendency", tuple(range(26, 36))),
    ("self_blame", "自责倾向", "self-blame tendency", tuple(range(36, 46))),
    ("sensitivity", "过敏倾向", "over-sensitivity tendency", tuple(range(46, 56))),
    ("physical_symptoms", "身体症状", "physical symptoms", tuple(range(56, 71))),
    ("phobia", "恐怖倾向", "phobic tendency", tuple(range(71, 81))),
    ("impulsivity", "冲动倾向", "impulsive tendency", tuple(range(81, 100, 2))),
    ("validity", "效度量表", "validity (lie) scale", tuple(range(82, 101, 2))),
)
#: The eight content scales, whose sum is the total (总焦虑倾向); validity is left out.
CONTENT_SCALES: tuple[str, ...] = tuple(key for key, *_ in MHT_SCALES[:8])


def mht(
    *,
    validity_cutoff: Number = 7,
    total_cutoff: Number = 65,
    scale_high: Number = 8,
    scale_low: Number = 3,
    crisis_items: Iterable[int] = (85, 97),
    weights: Mapping[int, Sequence[Number]] | None = None,
) -> Instrument:
    """Build the MHT with its rules; the defaults are the reference's (see docs/instruments.md).

    ``validity_cutoff``: validity raw >= this flags ``validity_doubtful`` (the result is then
    not valid: a flag for the worker, never a discard).  ``total_cutoff``: total >= this flags
    ``total_high``.  ``scale_high``/``scale_low``: a content scale's raw score >= / <= these
    flags ``scale_high:<key>`` / ``scale_low:<key>``.  ``crisis_items``: a yes to any of them
    flags ``crisis_item:<n>`` (casework's own safety rule, not the manual's).  ``weights``
    re-keys items, as ``(weight of yes, weight of no)``: ``{82: (0, 1)}``.
    """
    all_items = items(100, YES_NO, (1, 0), weights)
    scales = []
    for key, zh, en, numbers in MHT_SCALES:
        lo, hi = weight_range(all_items, numbers)
        scales.append(Scale(key, zh, en, numbers, lo, hi, Direction.LOWER))
    content = [s for s in scales if s.key in CONTENT_SCALES]
    total = Total(
        CONTENT_SCALES,
        sum(s.min for s in content),
        sum(s.max for s in content),
        Direction.LOWER,
        "总焦虑倾向",
        "overall anxiety tendency",
    )
    thresholds = (
        Threshold(
            "validity_doubtful",
            ("validity",),
            ">=",
            validity_cutoff,
            FlagKind.VALIDITY,
            "效度量表得分≥{value}：答卷可信度存疑，可考虑作废并适时重测",
            "validity score >= {value}: results doubtful; consider discarding and retesting later",
        ),
        Threshold(
            "total_high",
            ("total",),
            ">=",
            total_cutoff,
            FlagKind.CLINICAL,
            "总焦虑倾向≥{value}：焦虑程度高，需要制定个别指导计划",
            "overall anxiety >= {value}: high; an individual guidance plan is needed",
        ),
        Threshold(
            "scale_high",
            CONTENT_SCALES,
            ">=",
            scale_high,
            FlagKind.CLINICAL,
            "{target}偏高（≥{value}）",
            "high {target} (>= {value})",
            per_target=True,
        ),
        Threshold(
            "scale_low",
            CONTENT_SCALES,
            "<=",
            scale_low,
            FlagKind.INFO,
            "{target}偏低（≤{value}）",
            "low {target} (<= {value})",
            per_target=True,
        ),
    )
    crisis = tuple(
        CrisisItem(
            n,
            (True,),
            "第{item}题答“是”：危机条目，请立即评估安全",
            "yes to item {item}: crisis item, assess safety now",
        )
        for n in crisis_items
    )
    return Instrument(
        "mht",
        "1991",
        "心理健康诊断测验",
        "Mental Health Test (MHT)",
        (YES_NO,),
        all_items,
        scales,
        total,
        thresholds=thresholds,
        crisis_items=crisis,
    )

"""Assessment instruments as data: definitions, scoring, and pre/post outcomes.

``MHT``, ``GDS15``, ``PHQ9``, ``GAD7`` and ``RSES`` are the shipped definitions with their
default rules; the factories (``mht(...)``...) build them with other thresholds.
"""

from casework.instruments.batch import InvalidProtocols, ScoreBatch
from casework.instruments.gad7 import gad7
from casework.instruments.gds15 import gds15
from casework.instruments.mht import CONTENT_SCALES, mht
from casework.instruments.model import (
    TOTAL,
    Band,
    CrisisItem,
    Direction,
    FlagKind,
    Instrument,
    Item,
    NormTable,
    Option,
    ResponseFormat,
    Scale,
    Threshold,
    Total,
)
from casework.instruments.outcomes import (
    Change,
    Classification,
    CohortSummary,
    CutOff,
    ReliableChange,
    ScaleChange,
    change,
    cohort_outcomes,
    reliable_change,
    reliable_change_index,
)
from casework.instruments.phq9 import phq9
from casework.instruments.reliability import (
    Reliability,
    cronbach_alpha,
    estimate_reliability,
    kr20,
)
from casework.instruments.rses import rses
from casework.instruments.scoring import Flag, ScaleScore, ScaleScores, ScoreResult

__all__ = [
    "CONTENT_SCALES",
    "GAD7",
    "GDS15",
    "MHT",
    "PHQ9",
    "RSES",
    "TOTAL",
    "Band",
    "Change",
    "Classification",
    "CohortSummary",
    "CrisisItem",
    "CutOff",
    "Direction",
    "Flag",
    "FlagKind",
    "Instrument",
    "InvalidProtocols",
    "Item",
    "NormTable",
    "Option",
    "Reliability",
    "ReliableChange",
    "ResponseFormat",
    "Scale",
    "ScaleChange",
    "ScaleScore",
    "ScaleScores",
    "ScoreBatch",
    "ScoreResult",
    "Threshold",
    "Total",
    "change",
    "cohort_outcomes",
    "cronbach_alpha",
    "estimate_reliability",
    "gad7",
    "gds15",
    "kr20",
    "mht",
    "phq9",
    "reliable_change",
    "reliable_change_index",
    "rses",
]

#: The MHT with the reference's rules (validity >= 7, total >= 65, scales >= 8 / <= 3,
#: crisis items 85 and 97).
MHT: Instrument = mht()
#: The GDS-15 (depression suggested at > 5, almost always at >= 10).
GDS15: Instrument = gds15()
#: The PHQ-9 (bands 5/10/15/20, item 9 above 0 raises a safety flag).
PHQ9: Instrument = phq9()
#: The GAD-7 (bands 5/10/15, refer at >= 10).
GAD7: Instrument = gad7()
#: The Rosenberg Self-Esteem Scale (UMD order; below 15 low).
RSES: Instrument = rses()

"""Rules the lifecycle consults about assessments, as guards with their thresholds as data.

Each rule is a small frozen value that is also a guard (``rule(case, command)`` returns None
or a reason), so two lifecycles with the same rules compare equal and every lifecycle can set
its own thresholds.  :func:`mht_rules` bundles the defaults for a 心桥舒屋-style project;
``standard_lifecycle(rules=mht_rules())`` uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from casework.assessment import Administration, Assessment, Phase, baseline, latest, post_after
from casework.instruments import CONTENT_SCALES

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command
    from casework.lifecycle import Guard

__all__ = [
    "AssessmentFitsPhase",
    "BaselineUsable",
    "PostMatchesBaseline",
    "ScreenedIn",
    "mht_rules",
]


@attrs.frozen
class AssessmentFitsPhase:
    """A recorded assessment must be scored, and its phase must be one the state allows.

    Which phases a state allows is part of the lifecycle: its states' ``assessments``.
    """

    name = "assessment_fits_phase"
    #: it judges the command's assessment: not asked by a refusal's "allowed now" probe
    judges_input = True

    def __call__(self, case: Case, cmd: Command) -> str | None:
        given = cmd.payload.get("assessment")
        if isinstance(given, Administration):
            return "the assessment was not scored (no scoring hook ran)"
        if not isinstance(given, Assessment):
            return "record_assessment needs an assessment"
        lc = case.lifecycle
        if given.phase in lc.state(case.state).assessments:
            return None
        where = [s.name for s in lc.states if given.phase in s.assessments]
        return (
            f"a {given.phase.value} assessment is not recorded in state {case.state!r} "
            f"(lifecycle {lc.id!r} records it in: {', '.join(where) or 'no state'})"
        )


@attrs.frozen
class ScreenedIn:
    """Admit only a client whose latest screening is high on the total or on a scale.

    Defaults follow the MHT manual: total >= 65 or any content scale >= 8.
    """

    instrument: str = "mht"
    total_at_least: float | None = 65
    scale_at_least: float | None = 8
    scales: tuple[str, ...] = attrs.field(default=CONTENT_SCALES, converter=tuple)
    name = "screened_in"

    def __call__(self, case: Case, cmd: Command) -> str | None:
        found = latest(case, Phase.SCREENING, self.instrument)
        if found is None:
            return f"no screening {self.instrument} recorded"
        result = found.result
        if self.total_at_least is not None and result.total >= self.total_at_least:
            return None
        if self.scale_at_least is not None and any(
            result.scales[k].raw >= self.scale_at_least for k in self.scales
        ):
            return None
        return (
            f"screening {self.instrument} below the thresholds (total {result.total} < "
            f"{self.total_at_least}, no scale >= {self.scale_at_least})"
        )


@attrs.frozen
class BaselineUsable:
    """The intervention starts from a usable baseline: valid, or doubtful but overridden."""

    instrument: str = "mht"
    name = "baseline_usable"

    def __call__(self, case: Case, cmd: Command) -> str | None:
        if baseline(case, self.instrument) is not None:
            return None
        if latest(case, Phase.BASELINE, self.instrument) is None:
            return f"no baseline {self.instrument} recorded"
        return (
            f"the baseline {self.instrument} is flagged doubtful (validity); retest, or record "
            "it with an override reason"
        )


@attrs.frozen
class PostMatchesBaseline:
    """Evaluation needs a post assessment with the same instrument as the baseline."""

    name = "post_matches_baseline"

    def __call__(self, case: Case, cmd: Command) -> str | None:
        start = baseline(case)
        if start is None:
            return "no usable baseline assessment"
        if post_after(case, start) is None:
            return f"no post {start.instrument} assessment after the baseline"
        return None


def mht_rules(
    *, total_at_least: float | None = 65, scale_at_least: float | None = 8
) -> dict[str, tuple[Guard, ...]]:
    """Extra guards per trigger for an MHT project: screening, baseline and post rules."""
    return {
        "admit": (ScreenedIn("mht", total_at_least, scale_at_least),),
        "start_intervention": (BaselineUsable("mht"),),
        "evaluate": (PostMatchesBaseline(),),
    }

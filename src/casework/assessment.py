"""Assessments on cases: an instrument administered, scored on the spot, recorded as one event.

The worker's command carries an :class:`Administration` (which instrument, which phase, the
answers as given).  The engine's scoring hook, a ``prepare`` hook like any app's, turns it into
an :class:`Assessment` (the fact: who, when, the normalised answers and the frozen score), so
the event holds both the responses and the result.  A crisis flag adds an ``alert_raised``
event in the same commit, which apps subscribe to with ``engine.hooks.on_event``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from casework.errors import InvalidValue
from casework.events import ALERT_EVENT
from casework.instruments import (
    GAD7,
    GDS15,
    MHT,
    PHQ9,
    RSES,
    CohortSummary,
    CutOff,
    Instrument,
    Reliability,
    ScoreResult,
    cohort_outcomes,
)
from casework.instruments.model import FlagKind
from casework.records import Phase, coerce_enum

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command

__all__ = [
    "ALERT_EVENT",
    "SHIPPED_INSTRUMENTS",
    "Administration",
    "Assessment",
    "Phase",
    "alerts_for",
    "baseline",
    "latest",
    "outcomes",
    "pairs",
    "post_after",
    "scoring_hook",
]

#: The instruments casework ships, by id; an engine scores with these unless told otherwise.
SHIPPED_INSTRUMENTS: Mapping[str, Instrument] = {i.id: i for i in (MHT, GDS15, PHQ9, GAD7, RSES)}


def _phase(value: Any) -> Phase:
    return coerce_enum(Phase, "phase", value)


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("override_reason", f"must be a non-empty string, got {value!r}")
    return value


@attrs.frozen
class Administration:
    """A worker's request to record an instrument: what was given, in which phase, the answers."""

    instrument: str
    phase: Phase = attrs.field(converter=_phase)
    responses: Any = attrs.field(eq=False)
    group: str | None = None
    override_reason: str | None = attrs.field(default=None, converter=_reason)


@attrs.frozen
class Assessment:
    """An instrument as administered and scored: the fact recorded on the case.

    ``override_reason`` is the worker's reason for letting a protocol flagged doubtful serve as
    the baseline anyway.
    """

    instrument: str
    version: str
    phase: Phase = attrs.field(converter=_phase)
    at: datetime
    by: str
    result: ScoreResult
    override_reason: str | None = None

    @property
    def valid(self) -> bool:
        """False when the instrument's validity rule flagged the protocol doubtful."""
        return self.result.valid

    @property
    def usable_as_baseline(self) -> bool:
        """A valid protocol, or a doubtful one the worker overrode with a reason."""
        return self.result.valid or self.override_reason is not None

    @property
    def crisis_flags(self) -> tuple[str, ...]:
        """Codes of the safety flags raised (a crisis item answered)."""
        return tuple(f.code for f in self.result.flag_details if f.kind is FlagKind.SAFETY)


def scoring_hook(
    instruments: Mapping[str, Instrument],
) -> Callable[[Case, Command], Mapping[str, Any] | None]:
    """The prepare hook that scores an :class:`Administration` into an :class:`Assessment`.

    Bad answers raise :class:`~casework.errors.InvalidResponses` listing every problem; the
    engine reports that as an ``InvalidCommand`` and records nothing.
    """

    def score_assessment(case: Case, command: Command) -> Mapping[str, Any] | None:
        given = command.payload.get("assessment")
        if not isinstance(given, Administration):
            return None
        instrument = instruments.get(given.instrument)
        if instrument is None:
            known = ", ".join(sorted(instruments))
            raise InvalidValue("instrument", f"unknown instrument {given.instrument!r} ({known})")
        result = instrument.score(given.responses, group=given.group)
        return {
            "assessment": Assessment(
                instrument.id,
                instrument.version,
                given.phase,
                command.at,
                command.actor,
                result,
                given.override_reason,
            )
        }

    return score_assessment


def alerts_for(assessment: Assessment) -> dict[str, Any] | None:
    """The payload of the alert an assessment raises, or None when it raises none."""
    flags = assessment.crisis_flags
    if not flags:
        return None
    details = [f for f in assessment.result.flag_details if f.code in flags]
    return {
        "instrument": assessment.instrument,
        "phase": assessment.phase,
        "flags": flags,
        "zh": tuple(f.zh for f in details),
        "en": tuple(f.en for f in details),
    }


def latest(case: Case, phase: Phase | str, instrument: str | None = None) -> Assessment | None:
    """The case's most recent assessment in ``phase`` (of ``instrument`` if given)."""
    for a in reversed(case.assessments):
        if a.phase == phase and (instrument is None or a.instrument == instrument):
            return a
    return None


def baseline(case: Case, instrument: str | None = None) -> Assessment | None:
    """The baseline outcomes start from: the latest baseline usable as one (valid or overridden)."""
    for a in reversed(case.assessments):
        if (
            a.phase == Phase.BASELINE
            and a.usable_as_baseline
            and (instrument is None or a.instrument == instrument)
        ):
            return a
    return None


def post_after(case: Case, start: Assessment) -> Assessment | None:
    """The latest post assessment with the same instrument, recorded after ``start``."""
    for a in reversed(case.assessments):
        if a.phase == Phase.POST and a.instrument == start.instrument and a.at >= start.at:
            return a
    return None


def pairs(cases: Sequence[Case], instrument: str) -> list[tuple[Case, Assessment, Assessment]]:
    """(case, baseline, post) for every case that has both for ``instrument``."""
    found = []
    for case in cases:
        pre = baseline(case, instrument)
        post = post_after(case, pre) if pre is not None else None
        if pre is not None and post is not None:
            found.append((case, pre, post))
    return found


def outcomes(
    cases: Sequence[Case],
    instrument: str = "mht",
    *,
    reliability: Reliability | None = None,
    cutoff: CutOff | None = None,
) -> CohortSummary:
    """Pre/post outcomes of the cases that have a usable baseline and a later post.

    Without ``reliability``, r and SD are estimated from these cases' own baselines (KR-20 for
    yes/no items, Cronbach's alpha otherwise), and the summary's notes say so.
    """
    found = pairs(cases, instrument)
    if not found:
        raise InvalidValue("cases", f"no case has both a baseline and a post {instrument}")
    return cohort_outcomes(
        [(pre.result, post.result) for _, pre, post in found],
        reliability=reliability,
        cutoff=cutoff,
    )

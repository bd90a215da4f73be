"""Built-in guards: each reads the case and the command and returns None, or why it refuses.

Guards are pure functions of (case, command): they may run more than once (to explain a
refusal, or to list what is allowed now), so they must not change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from casework._support import callable_name
from casework.plan import SessionPlan, SessionRecord
from casework.records import Consent, ConsentGiver
from casework.rules import AssessmentFitsPhase, BaselineUsable, PostMatchesBaseline, ScreenedIn

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command
    from casework.lifecycle import Guard

__all__ = [
    "BUILTIN",
    "RECORD_RULES",
    "agency_given",
    "assessment_fits_phase",
    "consent_for_intake",
    "consent_in_force",
    "consent_to_withdraw",
    "distinct_record",
    "held_before_recorded",
    "judges_input",
    "plan_given",
    "plan_is_set",
    "plan_revision",
    "reason_given",
    "session_fits_plan",
    "sessions_complete",
    "transfer_target",
    "valid_consent",
]


_G = TypeVar("_G", bound=Callable[..., Any])


def judges_input(guard: _G) -> _G:
    """Mark ``guard`` as judging the command's own input (a reason, a consent, a plan...).

    A refusal's "allowed now" asks the guards with a probe that carries no input; guards so
    marked are not asked then (the input is not known yet), the others are.

    .. versionadded:: 0.12
    """
    guard.judges_input = True  # type: ignore[attr-defined]
    return guard


def _text(cmd: Command, key: str) -> str | None:
    value = cmd.payload.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


@judges_input
def reason_given(case: Case, cmd: Command) -> str | None:
    """The command must say why (closure, reopening, withdrawal, suspension, early end)."""
    return None if _text(cmd, "reason") else f"{cmd.trigger} needs a reason"


@judges_input
def agency_given(case: Case, cmd: Command) -> str | None:
    """A referral out must name the agency the client is referred to."""
    return None if _text(cmd, "agency") else "a referral out must name the receiving agency"


def _consent_problems(case: Case, at: datetime) -> str | None:
    missing = []
    if not case.consent_active(ConsentGiver.CLIENT, at):
        missing.append("the client's consent")
    if case.client.is_minor(at) and not case.consent_active(ConsentGiver.GUARDIAN, at):
        missing.append("a guardian's consent (the client is under 18)")
    if not missing:
        return None
    return " and ".join(missing)


def consent_for_intake(case: Case, cmd: Command) -> str | None:
    """Intake needs the client's consent, and a guardian's when the client is under 18 that day."""
    problem = _consent_problems(case, cmd.at)
    return None if problem is None else f"intake needs {problem} in force"


def consent_in_force(case: Case, cmd: Command) -> str | None:
    """No session while the consent that intake needed is withdrawn.

    A held session is judged at the time it was held, whenever it is recorded: a session held
    while consent was withdrawn is refused even once consent is given again.
    """
    session = cmd.payload.get("session")
    held = session.held_at if isinstance(session, SessionRecord) else None
    problem = _consent_problems(case, held if held is not None else cmd.at)
    if problem is None:
        return None
    if held is not None:
        when = f"{held:%Y-%m-%d %H:%M}"
        return f"no session without {problem} in force: none was when it was held ({when})"
    return f"no session without {problem} in force"


@judges_input
def valid_consent(case: Case, cmd: Command) -> str | None:
    """A recorded consent must be a Consent, given by the client or one of their guardians."""
    consent = cmd.payload.get("consent")
    if not isinstance(consent, Consent):
        return "record_consent needs a Consent"
    if consent.given_at > cmd.at:
        return "a consent cannot be recorded before it is given"
    if consent.withdrawn_at is not None:
        return "record the consent, then withdraw it with withdraw_consent"
    if consent.giver is ConsentGiver.GUARDIAN and consent.giver_id not in {
        g.id for g in case.client.guardians
    }:
        return f"{consent.giver_id!r} is not one of the client's guardians"
    return None


@judges_input
def consent_to_withdraw(case: Case, cmd: Command) -> str | None:
    """A withdrawal must match a consent in force."""
    p = cmd.payload
    giver_id = p.get("giver_id")
    scope = p.get("scope", "casework")
    if not any(
        c.active
        and c.giver == p.get("giver")
        and c.scope == scope
        and (giver_id is None or c.giver_id == giver_id)
        for c in case.consents
    ):
        return f"no consent in force from {p.get('giver')!r} for {scope!r} to withdraw"
    return None


@judges_input
def plan_given(case: Case, cmd: Command) -> str | None:
    """set_plan needs a SessionPlan."""
    return (
        None if isinstance(cmd.payload.get("plan"), SessionPlan) else "set_plan needs a SessionPlan"
    )


def plan_is_set(case: Case, cmd: Command) -> str | None:
    """The intervention starts only once there is a session plan (set since any reopening)."""
    return None if case.plan_in_force is not None else "there is no session plan yet"


@judges_input
def plan_revision(case: Case, cmd: Command) -> str | None:
    """A revision adds sessions to an existing plan."""
    n = cmd.payload.get("sessions")
    plan = case.plan_in_force
    if plan is None:
        return "there is no plan to revise"
    if isinstance(n, bool) or not isinstance(n, int) or n <= plan.sessions:
        return f"a revision must raise the plan above {plan.sessions} sessions, got {n!r}"
    return None


@judges_input
def session_fits_plan(case: Case, cmd: Command) -> str | None:
    """A held session must fit in the plan: never more held sessions than planned."""
    session = cmd.payload.get("session")
    if not isinstance(session, SessionRecord):
        return "record_session needs a SessionRecord"
    plan = case.plan_in_force
    if plan is None:
        return "there is no session plan"
    if session.held and case.held_sessions >= plan.sessions:
        return f"all {plan.sessions} planned sessions are held; revise the plan to add more"
    return None


def sessions_complete(case: Case, cmd: Command) -> str | None:
    """Evaluation needs every planned session held (end the intervention early otherwise)."""
    plan = case.plan_in_force
    planned = plan.sessions if plan is not None else None
    if planned is None:
        return "there is no session plan"
    if case.held_sessions < planned:
        return f"{case.held_sessions} of {planned} planned sessions held"
    return None


@judges_input
def transfer_target(case: Case, cmd: Command) -> str | None:
    """A transfer names a different worker and a reason."""
    to = _text(cmd, "to")
    if to is None:
        return "a transfer must name the worker who takes the case"
    if to == case.worker:
        return f"the case is already assigned to {to!r}"
    return reason_given(case, cmd)


def held_before_recorded(case: Case, cmd: Command) -> str | None:
    """A session is recorded as held once it has been held: never held after the command's time."""
    session = cmd.payload.get("session")
    if not isinstance(session, SessionRecord) or session.held_at is None:
        return None
    try:
        late = session.held_at > cmd.at
    except TypeError:
        return "the session's held time and the command's time mix naive and timezone-aware"
    if not late:
        return None
    return (
        f"a session held at {session.held_at:%Y-%m-%d %H:%M} cannot be recorded as held at "
        f"{cmd.at:%Y-%m-%d %H:%M}, before it took place"
    )


def distinct_record(case: Case, cmd: Command) -> str | None:
    """A session, consent or assessment the case already holds is not recorded twice.

    The earlier record is found by :meth:`~casework.case.Case.duplicate_of`; to change it,
    correct it (``engine.correct``) rather than recording it again.
    """
    event_type = _RECORDED.get(cmd.trigger)
    if event_type is None:
        return None
    seq = case.duplicate_of(event_type, cmd.payload)
    if seq is None:
        return None
    p = cmd.payload
    if event_type == "session_recorded":
        session = p["session"]
        what = (
            f"session {session.number} is already held under the plan in force"
            if session.number in case.held_numbers
            else f"the same record of session {session.number} is already recorded"
        )
    elif event_type == "consent_recorded":
        what = "the same consent is already recorded and in force"
    else:
        a = p["assessment"]
        what = (
            f"the same {a.phase.value} {a.instrument} assessment (at {a.at:%Y-%m-%d %H:%M}, "
            "same answers) is already recorded"
        )
    return f"{what} (#{seq}): to change it, correct #{seq} with engine.correct"


_RECORDED = {
    "record_session": "session_recorded",
    "record_consent": "consent_recorded",
    "record_assessment": "assessment_recorded",
}

#: Rules an engine applies to casework's own records in every lifecycle, after its guards
#: (by trigger): the facts the built-in guards count are never doubled, and a session is
#: not held in the future.
RECORD_RULES: Mapping[str, tuple[Guard, ...]] = {
    "record_session": (held_before_recorded, distinct_record),
    "record_consent": (distinct_record,),
    "record_assessment": (distinct_record,),
}


#: The rule guards with their default thresholds (``assessment_fits_phase`` among them).
assessment_fits_phase = AssessmentFitsPhase()
_RULES: tuple[Guard, ...] = (
    assessment_fits_phase,
    BaselineUsable(),
    PostMatchesBaseline(),
    ScreenedIn(),
)


#: Every built-in guard by name (rules with their default thresholds), for dict lifecycles.
BUILTIN: Mapping[str, Guard] = {
    callable_name(f): f
    for f in (
        *_RULES,
        agency_given,
        consent_for_intake,
        consent_in_force,
        consent_to_withdraw,
        plan_given,
        plan_is_set,
        plan_revision,
        reason_given,
        session_fits_plan,
        sessions_complete,
        transfer_target,
        valid_consent,
    )
}

"""The standard casework lifecycle (通用过程模式) shipped with casework.

referral → screening → intake → assessment → planning → intervention → evaluation → closed →
follow-up, with the side paths of real practice: screened out, withdrawal, suspension and
resumption, transfer, referral out, and reopening with the history kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from casework import guards as g
from casework.errors import DefinitionError
from casework.lifecycle import (
    ANY,
    ANY_OPEN,
    PREVIOUS,
    RECEIVER,
    Guard,
    Lifecycle,
    State,
    StateClass,
    Transition,
)
from casework.records import Phase
from casework.rules import mht_rules

__all__ = ["MHT_LIFECYCLE", "MHT_SUPERVISED", "STANDARD", "standard_lifecycle"]

_OPEN, _CLOSED = StateClass.OPEN, StateClass.CLOSED
_WORKING = ("screening", "intake", "assessment", "planning", "intervention", "evaluation")


_SCREENING, _BASELINE, _MID, _POST, _FOLLOW_UP = (
    Phase.SCREENING,
    Phase.BASELINE,
    Phase.MID,
    Phase.POST,
    Phase.FOLLOW_UP,
)


def standard_lifecycle(
    *,
    id: str = "standard",
    rules: Mapping[str, Sequence[Guard]] | None = None,
    approvals: Sequence[str] = (),
    approver: str = "supervisor",
    handoffs: Sequence[str] = (),
) -> Lifecycle:
    """Build the standard lifecycle, with extra guards per trigger from ``rules``.

    ``approvals`` names triggers (e.g. ``("close", "set_plan")``) that a worker with the
    ``approver`` role must approve before they take effect; ``handoffs`` (``"transfer"``,
    ``"refer_out"``) makes those two-step, accepted or declined by their receiver.
    ``standard_lifecycle(id="standard_mht", rules=mht_rules())`` is :data:`MHT_LIFECYCLE`.
    Use the prebuilt values rather than building the same definition again.
    """
    states = [
        State("referral", "发现/转介", "referral", _OPEN, initial=True, assessments=_SCREENING),
        State("screening", "筛选", "screening", _OPEN, assessments=_SCREENING),
        State("intake", "接案", "intake", _OPEN, assessments=_BASELINE),
        State("assessment", "预估", "assessment", _OPEN, assessments=_BASELINE),
        State("planning", "计划", "planning", _OPEN, assessments=_BASELINE),
        State("intervention", "介入", "intervention", _OPEN, assessments=(_MID, _POST)),
        State("evaluation", "评估", "evaluation", _OPEN, assessments=_POST),
        State("suspended", "暂停", "suspended", _OPEN),
        State("closed", "结案", "closed", _CLOSED, assessments=_FOLLOW_UP),
        State("follow_up", "跟进/回访", "follow-up", _CLOSED, assessments=_FOLLOW_UP),
        State("withdrawn", "退出", "withdrawn", _CLOSED),
        State("screened_out", "筛除", "screened out", _CLOSED, terminal=True),
        State("referred_out", "转介他机构", "referred out", _CLOSED, terminal=True),
    ]
    T = Transition  # noqa: N806
    transitions = [
        T("screen", "referral", "screening", "screening_started", zh="筛选", en="screen"),
        T(
            "screen_out",
            ("referral", "screening"),
            "screened_out",
            "screened_out",
            guards=g.reason_given,
            zh="筛除",
            en="screen out",
        ),
        T(
            "admit",
            "screening",
            "intake",
            "admitted",
            guards=g.consent_for_intake,
            zh="接案",
            en="admit",
        ),
        T("assess", "intake", "assessment", "assessment_started", zh="预估", en="assess"),
        T("plan", "assessment", "planning", "planning_started", zh="计划", en="plan"),
        T(
            "start_intervention",
            "planning",
            "intervention",
            "intervention_started",
            guards=g.plan_is_set,
            zh="开始介入",
            en="start intervention",
        ),
        T(
            "evaluate",
            "intervention",
            "evaluation",
            "evaluation_started",
            guards=g.sessions_complete,
            zh="评估",
            en="evaluate",
        ),
        T(
            "end_early",
            "intervention",
            "evaluation",
            "intervention_ended_early",
            guards=g.reason_given,
            zh="提前结束介入",
            en="end intervention early",
        ),
        T("close", "evaluation", "closed", "closed", guards=g.reason_given, zh="结案", en="close"),
        T("follow_up", "closed", "follow_up", "follow_up_started", zh="回访", en="follow up"),
        T(
            "withdraw",
            ANY_OPEN,
            "withdrawn",
            "withdrawn",
            guards=g.reason_given,
            zh="退出",
            en="withdraw",
        ),
        T(
            "suspend",
            _WORKING,
            "suspended",
            "suspended",
            guards=g.reason_given,
            zh="暂停",
            en="suspend",
        ),
        T("resume", "suspended", PREVIOUS, "resumed", zh="恢复", en="resume"),
        T(
            "refer_out",
            ANY_OPEN,
            "referred_out",
            "referred_out",
            guards=g.agency_given,
            zh="转介",
            en="refer out",
        ),
        T(
            "reopen",
            ("closed", "follow_up", "withdrawn"),
            "intake",
            "reopened",
            guards=(g.reason_given, g.consent_for_intake),
            zh="重新开案",
            en="reopen",
        ),
        T("transfer", ANY_OPEN, None, guards=g.transfer_target, zh="转移个案", en="transfer"),
        T("record_consent", ANY, None, guards=g.valid_consent, zh="记录同意", en="record consent"),
        T(
            "withdraw_consent",
            ANY,
            None,
            guards=(g.consent_to_withdraw, g.reason_given),
            zh="撤回同意",
            en="withdraw consent",
        ),
        T("set_plan", "planning", None, guards=g.plan_given, zh="制定计划", en="set plan"),
        T(
            "revise_plan",
            ("planning", "intervention"),
            None,
            guards=(g.plan_revision, g.reason_given),
            zh="修订计划",
            en="revise plan",
        ),
        T(
            "record_session",
            "intervention",
            None,
            guards=(g.consent_in_force, g.session_fits_plan),
            zh="记录服务",
            en="record session",
        ),
        T(
            "record_assessment",
            tuple(s.name for s in states if s.assessments),
            None,
            guards=g.assessment_fits_phase,
            zh="记录测评",
            en="record assessment",
        ),
    ]
    triggers = {t.trigger for t in transitions}
    unknown = sorted(set(rules or {}) - triggers)
    problems = [f"rules for unknown triggers: {unknown}"] if unknown else []
    problems += [f"approvals: no trigger {t!r}" for t in approvals if t not in triggers]
    problems += [
        f"handoffs: {t!r} is not a handoff (transfer, refer_out)"
        for t in handoffs
        if t not in ("transfer", "refer_out")
    ]
    if problems:
        raise DefinitionError(id, problems)

    def approval(trigger: str) -> str | None:
        if trigger in handoffs:
            return RECEIVER
        return approver if trigger in approvals else None

    transitions = [
        attrs.evolve(
            t,
            guards=(*t.guards, *(rules or {}).get(t.trigger, ())),
            approval=approval(t.trigger),
        )
        for t in transitions
    ]
    return Lifecycle(
        id=id,
        version=1,
        zh="通用过程模式",
        en="standard casework process",
        states=states,
        transitions=transitions,
    )


#: The standard lifecycle, compiled once and shared.
STANDARD = standard_lifecycle()
#: The standard lifecycle with the MHT rules of a 心桥舒屋-style project: admit after a high
#: screening MHT, start from a usable baseline, evaluate after a post MHT.
MHT_LIFECYCLE = standard_lifecycle(id="standard_mht", rules=mht_rules())
#: :data:`MHT_LIFECYCLE` where a closure waits for a supervisor's approval (the demo's
#: station runs on it): ``close`` records a request, and the case closes when a worker with
#: the supervisor role, not the one who asked, approves it.
MHT_SUPERVISED = standard_lifecycle(
    id="standard_mht_supervised", rules=mht_rules(), approvals=("close",)
)

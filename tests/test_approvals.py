"""Approvals and handoffs: a request is recorded; the state moves only when it is approved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework import (
    STANDARD,
    DefinitionError,
    Engine,
    GuardFailed,
    InvalidCommand,
    Lifecycle,
    SessionPlan,
    Worker,
    standard_lifecycle,
)
from casework.store import MemoryStore
from strategies import T0, drive_to, open_case, snapshot

WITH_APPROVALS = standard_lifecycle(
    id="standard_approved", approvals=("close", "set_plan"), handoffs=("transfer", "refer_out")
)
WORKERS = [
    Worker("wu"),
    Worker("li"),
    Worker("zhang", "supervisor"),
    Worker("chen", "supervisor"),
]


def engine(store: MemoryStore | None = None) -> Engine:
    return Engine(WITH_APPROVALS, workers=WORKERS, store=store)


def test_the_shipped_lifecycles_need_no_approval() -> None:
    assert all(t.approval is None for t in STANDARD.transitions)
    approved = {t.trigger: t.approval for t in WITH_APPROVALS.transitions if t.approval}
    assert approved == {
        "close": "supervisor",
        "set_plan": "supervisor",
        "transfer": "@receiver",
        "refer_out": "@receiver",
    }
    close = next(t for t in WITH_APPROVALS.to_dict()["transitions"] if t["trigger"] == "close")
    assert close["approval"] == "supervisor"
    assert Lifecycle.from_dict(WITH_APPROVALS.to_dict(), guards=_names()) == WITH_APPROVALS


def _names():  # type: ignore[no-untyped-def]
    from casework import DEFAULT_CATALOGUE

    return DEFAULT_CATALOGUE.guards


def test_a_closure_waits_for_the_supervisor_and_is_audited() -> None:
    store = MemoryStore(catalogue=_catalogue())
    e = engine(store)
    case = open_case(e)
    at = T0
    drive_to_evaluation(e, case)
    request = e.fire(case, "close", at=at, by="wu", reason="goals met")
    assert request.type == "approval_requested" and case.state == "evaluation"
    (waiting,) = case.pending
    assert (waiting.trigger, waiting.approver, waiting.requested_by) == (
        "close",
        "supervisor",
        "wu",
    )
    with pytest.raises(InvalidCommand, match="already waiting for approval as #"):
        e.fire(case, "close", at=at, by="wu", reason="goals met")
    closed = e.approve(case, request.seq, by="zhang", at=at + timedelta(days=1))
    assert closed.type == "closed" and case.state == "closed" and case.pending == ()
    assert closed.actor == "zhang" and closed.payload["approval"]["requested_by"] == "wu"
    assert closed.payload["reason"] == "goals met"  # the request's own data
    assert store.load(case.id) == case == e.replay(case.history)


def test_nobody_approves_their_own_request_and_only_the_role_may() -> None:
    e = engine()
    case = open_case(e)
    drive_to_evaluation(e, case)
    request = e.fire(case, "close", at=T0, by="zhang", reason="goals met")  # a supervisor asks
    before = snapshot(case)
    for by, says in (
        ("zhang", "'zhang' made the request"),
        ("li", "'li' is a social_worker; close needs a supervisor's approval"),
        ("stranger", "'stranger' is not among the station's workers"),
    ):
        with pytest.raises(GuardFailed) as info:
            e.approve(case, request.seq, by=by, at=T0)
        assert says in info.value.failed["approver"]
        assert case == before
    e.approve(case, request.seq, by="chen", at=T0)
    assert case.state == "closed"


def test_a_refusal_is_recorded_with_its_reason_and_moves_nothing() -> None:
    e = engine()
    case = open_case(e)
    drive_to(e, case, "planning")  # its plan of 10 waits for a supervisor
    (first,) = case.pending
    e.approve(case, first.seq, by="zhang", at=T0)
    request = e.set_plan(case, SessionPlan(12), at=T0, by="wu")
    assert case.plan is not None and case.plan.sessions == 10  # the approved plan still holds
    with pytest.raises(InvalidCommand, match="needs a reason"):
        e.refuse(case, request.seq, reason=" ", by="zhang", at=T0)
    refused = e.refuse(case, request.seq, reason="12 is too many", by="zhang", at=T0)
    assert refused.type == "approval_refused" and case.pending == ()
    assert case.plan.sessions == 10 and case.state == "planning"
    with pytest.raises(InvalidCommand, match=f"no request #{request.seq} is waiting"):
        e.approve(case, request.seq, by="zhang", at=T0)


def test_a_transfer_is_accepted_or_declined_by_its_receiver() -> None:
    e = engine()
    case = open_case(e)
    asked = e.transfer(case, "li", reason="leave", at=T0, by="wu")
    assert case.worker == "wu"
    with pytest.raises(GuardFailed, match="only the receiver, 'li'"):
        e.accept(case, asked.seq, by="zhang", at=T0)
    before = snapshot(case)
    e.decline(case, asked.seq, reason="my caseload is full", by="li", at=T0)
    assert case.worker == before.worker and case.state == before.state
    again = e.transfer(case, "li", reason="leave", at=T0, by="wu")
    e.accept(case, again.seq, by="li", at=T0)
    assert case.worker == "li"


def test_approval_definitions_are_checked() -> None:
    with pytest.raises(DefinitionError) as info:
        standard_lifecycle(approvals=("fly",), handoffs=("close",))
    assert info.value.problems == (
        "approvals: no trigger 'fly'",
        "handoffs: 'close' is not a handoff (transfer, refer_out)",
    )
    data = STANDARD.to_dict()
    data["transitions"][0]["approval"] = "mayor"
    with pytest.raises(DefinitionError, match="approval 'mayor' is not a role"):
        Lifecycle.from_dict(data, guards=_names())


def test_an_approval_cannot_be_forged_in_a_payload() -> None:
    e = Engine(STANDARD)
    case = open_case(e)
    with pytest.raises(InvalidCommand, match=r"recorded by engine\.approve"):
        e.fire(case, "screen", at=T0, by="wu", approval={"request": 1})


def drive_to_evaluation(e: Engine, case):  # type: ignore[no-untyped-def]
    drive_to(e, case, "planning")
    request = case.pending[-1].seq if case.pending else None
    if request is not None:  # the plan drive_to set waits for a supervisor
        e.approve(case, request, by="zhang", at=T0)
    drive_to_rest(e, case)


def drive_to_rest(e: Engine, case) -> None:  # type: ignore[no-untyped-def]
    from casework import SessionRecord

    e.fire(case, "start_intervention", at=T0, by="wu")
    for n in range(1, 11):
        e.record_session(case, SessionRecord(n, held_at=T0), by="wu")
    e.fire(case, "evaluate", at=T0, by="wu")


def _catalogue():  # type: ignore[no-untyped-def]
    from casework import Catalogue

    return Catalogue(lifecycles=[WITH_APPROVALS])


def test_what_waits_is_on_the_approvers_agenda_until_it_is_decided() -> None:
    from casework.reporting.agenda import agenda

    e = engine()
    case = open_case(e)
    drive_to_evaluation(e, case)
    request = e.fire(case, "close", at=T0, by="wu", reason="goals met")
    day = T0.date() + timedelta(days=3)
    waiting = agenda([case], on=day, workers=WORKERS, rule="approval")
    assert {(i.worker, i.days_overdue) for i in waiting} == {("zhang", 3), ("chen", 3)}
    (item,) = waiting.filter(worker="zhang")
    assert item.trigger == "approve" and item.detail == f"#{request.seq} close asked by wu"
    assert item.en == "approve: close" and item.zh == "审批：结案"
    assert len(agenda([case], on=day, rule="approval")) == 1  # under the role, without workers
    e.approve(case, request.seq, by="chen", at=T0 + timedelta(days=3))
    assert not agenda([case], on=day, workers=WORKERS, rule="approval")

    handed = open_case(e, at=T0)
    asked = e.transfer(handed, "li", reason="leave", at=T0, by="wu")
    (item,) = agenda([handed], on=day, workers=WORKERS, rule="handoff")
    assert item.worker == "li" and item.trigger == "accept"
    e.decline(handed, asked.seq, reason="caseload full", by="li", at=T0)
    assert not agenda([handed], on=day, workers=WORKERS, rule="handoff")

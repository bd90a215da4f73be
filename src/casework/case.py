"""The case: a client's record, derived entirely from its events.

A case holds its own data and a reference to its (shared) lifecycle, never a machine.  Its
fields change only by applying events, which is what both live commands and replay do, so a
case rebuilt from its log equals the live one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from casework._support import pad
from casework.assessment import Assessment
from casework.errors import InvalidValue, ReplayError
from casework.events import (
    ALERT_EVENT,
    APPROVAL_REFUSED,
    APPROVAL_REQUESTED,
    COMMAND_ID,
    CORRECTED_EVENT,
    ERASED_EVENT,
    MIGRATED_EVENT,
    OPEN_EVENT,
    VOIDED_EVENT,
    Event,
)
from casework.lifecycle import Lifecycle, StateClass
from casework.outreach import VisitReferral
from casework.plan import SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver

__all__ = [
    "CORRECTABLE",
    "VOIDABLE",
    "Case",
    "Inconsistency",
    "Lifecycles",
    "PendingApproval",
    "TimelineEntry",
    "data_key",
]


class Lifecycles(Protocol):
    """Where a case's lifecycle is found by id and version: a catalogue, in practice."""

    def lifecycle(self, id: str, version: int | None = None) -> Lifecycle:
        """The lifecycle ``id`` at ``version`` (raising when there is none)."""


_OPEN = StateClass.OPEN

#: Data events whose data a correction may replace, and the payload key holding it.
CORRECTABLE: Mapping[str, str] = {
    "consent_recorded": "consent",
    "session_recorded": "session",
    "assessment_recorded": "assessment",
    "plan_set": "plan",
    "plan_revised": "sessions",
}
#: Data events that may be voided (marked as entered in error).
VOIDABLE = frozenset({*CORRECTABLE, "consent_withdrawn"})


def data_key(event_type: str) -> str | None:
    """The payload key of the data a correction of an ``event_type`` event replaces."""
    return CORRECTABLE.get(event_type)


@attrs.frozen
class PendingApproval:
    """A transition waiting for approval, or a handoff waiting for its receiver.

    ``seq`` is the request's event; ``approver`` a role (``"supervisor"``) or, for a handoff,
    the receiver's id (the worker a transfer names, the agency of a referral out).
    """

    seq: int
    trigger: str
    approver: str
    handoff: bool
    requested_by: str
    at: datetime


@attrs.frozen
class Inconsistency:
    """A guard that let the case into its current state would refuse it now, after a correction.

    ``correction`` is the correcting (or voiding) event; ``entered`` the event that brought the
    case into ``state`` by ``trigger``; ``guard`` and ``reason`` what that guard says now.
    """

    correction: int
    entered: int
    state: str
    trigger: str
    guard: str
    reason: str

    def __str__(self) -> str:
        return (
            f"#{self.correction} leaves {self.state!r} (entered by {self.trigger!r} at "
            f"#{self.entered}) inconsistent: {self.guard}: {self.reason}"
        )


@attrs.define(slots=True, eq=True, repr=False)
class Case:
    """One client's case. Read its fields freely; change it only through an engine's commands."""

    id: str
    client: Client
    lifecycle: Lifecycle = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: a is b or a == b))
    state: str
    worker: str | None = None
    programme: str | None = None
    previous_state: str | None = None
    plan: SessionPlan | None = None
    sessions: tuple[SessionRecord, ...] = ()
    #: Distinct session numbers held under the plan in force (what evaluation counts).
    held_sessions: int = 0
    consents: tuple[Consent, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    history: list[Event] = attrs.Factory(list)
    #: The lifecycle versions the case followed before migrations: (last event number, lifecycle).
    earlier: tuple[tuple[int, Lifecycle], ...] = ()
    #: Corrections in force: original event number -> the event's effective data (None: void).
    corrections: dict[int, Mapping[str, Any] | None] = attrs.Factory(dict)
    #: What the latest correction left inconsistent with the guards of the current state.
    inconsistencies: tuple[Inconsistency, ...] = ()
    #: Transitions waiting for approval and handoffs waiting for their receiver, oldest first.
    pending: tuple[PendingApproval, ...] = ()
    #: Command ids the case recorded: id -> the number of the event its command recorded.
    commands: dict[str, int] = attrs.Factory(dict)
    #: The event that set the plan in force (None: no plan, or the case was reopened since;
    #: ``plan`` then still holds the latest plan, for the reports of its period).
    plan_seq: int | None = None
    #: Session numbers held under the plan in force -> the event that recorded each (first);
    #: like ``history``, it grows in place: a copy of the case copies it too.
    held_numbers: dict[int, int] = attrs.Factory(dict)

    def __repr__(self) -> str:
        return (
            f"<Case {self.id!r} {self.client.pseudonym} state={self.state!r} "
            f"sessions={self.held_sessions}/{self.planned_sessions or '-'} events={self.version}>"
        )

    # --- derived views -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Sequence number of the latest event (0 for a case with none)."""
        return len(self.history)

    @property
    def last_at(self) -> datetime | None:
        """When the latest event happened."""
        return self.history[-1].at if self.history else None

    @property
    def opened_at(self) -> datetime:
        """When the case was opened."""
        return self.history[0].at

    @property
    def referral(self) -> VisitReferral | None:
        """The outreach visit that found the need, when one opened the case (else None)."""
        found = self.history[0].payload.get("referral") if self.history else None
        return found if isinstance(found, VisitReferral) else None

    @property
    def planned_sessions(self) -> int | None:
        """Sessions in the current plan, or None before a plan is set."""
        return self.plan.sessions if self.plan else None

    @property
    def plan_in_force(self) -> SessionPlan | None:
        """The plan the guards count against: the latest plan, unless the case was reopened
        since it was set (then None until a new plan is set).
        """
        return self.plan if self.plan_seq is not None else None

    @property
    def alerts(self) -> tuple[Event, ...]:
        """The ``alert_raised`` events of the case (crisis flags), oldest first."""
        return tuple(e for e in self.history if e.type == ALERT_EVENT)

    @property
    def erased(self) -> bool:
        """True once the client's personal data was erased (a ``personal_data_erased`` event).

        .. versionadded:: 0.2
        """
        return any(e.type == ERASED_EVENT for e in self.history)

    @property
    def is_open(self) -> bool:
        """True while the case is in an open state."""
        return self.lifecycle.state(self.state).is_open

    def consent_active(
        self, giver: ConsentGiver | str, at: datetime, scope: str = "casework"
    ) -> bool:
        """True when a consent of ``giver`` for ``scope`` is in force at ``at``."""
        return any(c.giver == giver and c.scope == scope and c.active_on(at) for c in self.consents)

    def time_in_states(self, until: datetime | None = None) -> dict[str, timedelta]:
        """Total time spent in each state, up to ``until`` (default: the latest event)."""
        totals: dict[str, timedelta] = {}
        events = self.history
        end = until if until is not None else self.last_at
        for ev, nxt in zip(events, [*events[1:], None], strict=True):
            stop = nxt.at if nxt is not None else end
            if stop is None or stop < ev.at:
                continue
            totals[ev.state] = totals.get(ev.state, timedelta()) + (stop - ev.at)
        return totals

    def copy(self) -> Case:
        """A copy that later commands on either never reach the other (a trial, a snapshot).

        The parts a case grows in place (its history, corrections and held session numbers)
        are copied; everything else is immutable and shared.
        """
        return attrs.evolve(
            self,
            history=list(self.history),
            corrections=dict(self.corrections),
            held_numbers=dict(self.held_numbers),
        )

    def lifecycle_at(self, seq: int) -> Lifecycle:
        """The lifecycle (version) the case followed when event ``seq`` was recorded."""
        for last, lifecycle in self.earlier:
            if seq <= last:
                return lifecycle
        return self.lifecycle

    def effective(self, event: Event) -> Event:
        """``event`` as corrected (its data replaced by the latest correction in force)."""
        data = self.corrections.get(event.seq, event.payload)
        if data is None or data is event.payload:
            return event
        return attrs.evolve(event, payload=data)

    def voided(self, seq: int) -> bool:
        """True when event ``seq`` was voided (entered in error)."""
        return seq in self.corrections and self.corrections[seq] is None

    def duplicate_of(self, event_type: str, payload: Mapping[str, Any]) -> int | None:
        """The event already recording the fact a new ``event_type`` event would record.

        * a session: a session of that number held under the plan in force, or the very
          same record (a retried submission) under it;
        * a consent: the same consent (giver, guardian, scope, time given) still in force;
        * an assessment: the same instrument and phase at the same time, with the same
          answers (another administration the same day is a new record).

        Voided records do not count; corrected ones count as corrected.  None when the fact
        is new.
        """
        if event_type == "session_recorded":
            session = payload.get("session")
            if not isinstance(session, SessionRecord):
                return None
            seq = self.held_numbers.get(session.number)
            if seq is not None:
                return seq
            return self._find("session_recorded", "session", session.__eq__, self.plan_seq or 0)
        if event_type == "consent_recorded":
            consent = payload.get("consent")
            if not isinstance(consent, Consent):
                return None
            key = (consent.giver, consent.giver_id, consent.scope, consent.given_at)
            if not any(
                c.active and (c.giver, c.giver_id, c.scope, c.given_at) == key
                for c in self.consents
            ):
                return None
            return self._find(
                "consent_recorded",
                "consent",
                lambda c: (c.giver, c.giver_id, c.scope, c.given_at) == key,
            )
        if event_type == "assessment_recorded":
            given = payload.get("assessment")
            if not isinstance(given, Assessment):
                return None
            key3 = (given.instrument, given.phase, given.at, given.result)
            return self._find(
                "assessment_recorded",
                "assessment",
                lambda a: (a.instrument, a.phase, a.at, a.result) == key3,
            )
        return None

    def _find(
        self, event_type: str, key: str, same: Callable[[Any], bool], after: int = 0
    ) -> int | None:
        """The latest live event of ``event_type`` after #``after`` whose ``key`` is ``same``."""
        for ev in reversed(self.history[after:]):
            if ev.type != event_type or self.voided(ev.seq):
                continue
            if same(self.effective(ev).payload.get(key)):
                return ev.seq
        return None

    def timeline(self, lang: str = "en") -> list[TimelineEntry]:
        """The case's events as readable rows, oldest first; corrections noted on both ends."""
        fixed_by: dict[int, list[str]] = {}
        for ev in self.history:
            if ev.type in (CORRECTED_EVENT, VOIDED_EVENT):
                word = (
                    ("corrected by" if ev.type == CORRECTED_EVENT else "voided by")
                    if (lang != "zh")
                    else ("已更正，见" if ev.type == CORRECTED_EVENT else "已作废，见")
                )
                fixed_by.setdefault(ev.payload["target"], []).append(f"{word} #{ev.seq}")
        rows = []
        for ev in self.history:
            label = self.lifecycle_at(ev.seq).state(ev.state).label(lang)
            notes = list(fixed_by.get(ev.seq, ()))
            if ev.type in (CORRECTED_EVENT, VOIDED_EVENT):
                word = "更正" if lang == "zh" else "of"
                notes.insert(0, f"{word} #{ev.payload['target']}: {ev.payload.get('reason', '')}")
            elif ev.type == MIGRATED_EVENT:
                p = ev.payload
                notes.append(f"v{p['from_version']} -> v{p['to_version']}")
            elif ev.type == ERASED_EVENT:
                word = "个人信息已删除" if lang == "zh" else "personal data erased"
                notes.append(f"{word}: {ev.payload.get('subject', '')}")
            rows.append(
                TimelineEntry(ev.seq, ev.at, ev.type, ev.state, label, ev.actor, "; ".join(notes))
            )
        return rows

    # --- building from events ----------------------------------------------------------------

    @classmethod
    def replay(cls, events: Iterable[Event], lifecycles: Lifecycle | Lifecycles) -> Case:
        """Rebuild a case from its events alone: no guard or hook runs, no machine fires.

        ``lifecycles`` is the case's lifecycle, or a catalogue holding every version the case
        followed (needed to replay a case that was migrated to a new version).
        """
        it = iter(events)
        first = next(it, None)
        if first is None:
            raise ReplayError("?", None, "no events to replay")
        case = cls.opened(first, lifecycles)
        for ev in it:
            if ev.type == MIGRATED_EVENT:
                case.apply(ev, lifecycle=migration_target(ev, lifecycles))
            else:
                case.apply(ev)
        return case

    @classmethod
    def opened(cls, event: Event, lifecycles: Lifecycle | Lifecycles) -> Case:
        """A new case from its ``case_opened`` event (the lifecycle it names, at its version)."""
        if event.type != OPEN_EVENT or event.seq != 1:
            raise ReplayError(
                event.case_id,
                event.seq,
                f"a case starts with {OPEN_EVENT!r} #1, got {event.type!r}",
            )
        lifecycle = opening_lifecycle(event, lifecycles)
        client = event.payload.get("client")
        if not isinstance(client, Client):
            raise ReplayError(event.case_id, 1, "the opening event carries no client")
        if not lifecycle.has_state(event.state):
            raise ReplayError(event.case_id, 1, f"unknown state {event.state!r}")
        command_id = event.payload.get(COMMAND_ID)
        return cls(
            id=event.case_id,
            client=client,
            lifecycle=lifecycle,
            state=event.state,
            worker=event.payload.get("worker"),
            programme=event.payload.get("programme"),
            history=[event],
            commands={command_id: 1} if type(command_id) is str else {},
        )

    def apply(
        self, event: Event, *, checked: bool = False, lifecycle: Lifecycle | None = None
    ) -> None:
        """Apply one recorded event. Used by engines on commit and by replay; never by apps.

        ``checked`` says the payload was already checked (by the engine, just now);
        ``lifecycle`` is the new version a ``migrated`` event moves the case to.
        """
        if event.case_id != self.id:
            raise ReplayError(self.id, event.seq, f"event belongs to case {event.case_id!r}")
        if event.seq != len(self.history) + 1:
            raise ReplayError(self.id, event.seq, f"expected event #{len(self.history) + 1} next")
        if event.type in _FIXES:
            _FIXES[event.type](self, event, lifecycle)
        else:
            if self.inconsistencies and event.state != self.state:
                self.inconsistencies = ()  # the case left the state they were about
            if event.state != self.state:
                states = self.lifecycle._by_name  # one lookup each: this is replay's hot path
                after = states.get(event.state)
                if after is None:
                    raise ReplayError(self.id, event.seq, f"unknown state {event.state!r}")
                if after.category is _OPEN:
                    before = states.get(self.state)
                    if before is not None and before.category is not _OPEN:
                        _reopened(self)  # closed to open: a reopening
                self.previous_state = self.state
                self.state = event.state
            effect = _EFFECTS.get(event.type)
            if effect is not None:
                problem = None if checked else payload_problem(event.type, event.payload)
                if problem is not None:
                    raise ReplayError(self.id, event.seq, f"{event.type}: {problem}")
                effect(self, event)
            if self.pending or event.type == APPROVAL_REQUESTED:
                _settle(self, event)
            self.history.append(event)
        command_id = event.payload.get(COMMAND_ID) if event.payload else None
        if type(command_id) is str and command_id not in self.commands:
            self.commands = {**self.commands, command_id: event.seq}  # replaced, never mutated


@attrs.frozen
class TimelineEntry:
    """One row of a case's timeline; ``note`` tells of corrections, voids and migrations."""

    seq: int
    at: datetime
    event: str
    state: str
    state_label: str
    actor: str
    note: str = ""

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        label = pad(self.state_label, 12)  # by display width: a CJK label takes two columns
        line = f"#{self.seq:<3} {when}  {self.event:<26} {label} {self.actor}"
        return f"{line}  ({self.note})" if self.note else line


def opening_lifecycle(event: Event, lifecycles: Lifecycle | Lifecycles) -> Lifecycle:
    """The lifecycle, at the version it names, of a case whose first event is ``event``."""
    named = event.payload.get("lifecycle")
    version = event.payload.get("lifecycle_version")
    if isinstance(lifecycles, Lifecycle):
        lc = lifecycles
        if named is not None and named != lc.id:
            raise ReplayError(
                event.case_id, 1, f"the case follows lifecycle {named!r}, not {lc.id!r}"
            )
        if isinstance(version, int) and version != lc.version:
            raise ReplayError(
                event.case_id,
                1,
                f"the case was opened under {lc.id!r} version {version}, not version "
                f"{lc.version}: replay it with a catalogue that holds version {version}",
            )
        return lc
    if not isinstance(named, str):
        raise ReplayError(event.case_id, 1, "the opening event names no lifecycle")
    return lifecycles.lifecycle(named, version if isinstance(version, int) else None)


def migration_target(event: Event, lifecycles: Lifecycle | Lifecycles) -> Lifecycle:
    """The lifecycle version a ``migrated`` event moves its case to."""
    p = event.payload
    name, version = p.get("lifecycle"), p.get("to_version")
    if not isinstance(name, str) or not isinstance(version, int):
        raise ReplayError(event.case_id, event.seq, "migrated: names no lifecycle version")
    if isinstance(lifecycles, Lifecycle):
        if (lifecycles.id, lifecycles.version) == (name, version):
            return lifecycles
        raise ReplayError(
            event.case_id,
            event.seq,
            f"the case moved to {name!r} version {version}: replay it with a catalogue that "
            "holds every version it followed",
        )
    return lifecycles.lifecycle(name, version)


# --- approvals and handoffs ---------------------------------------------------------------------


def _settle(case: Case, ev: Event) -> None:
    """Keep ``case.pending`` up to date: a request joins it; its approval or refusal ends it."""
    p = ev.payload
    if ev.type == APPROVAL_REQUESTED:
        approver, trigger = p.get("approver"), p.get("requested")
        if not isinstance(approver, str) or not isinstance(trigger, str):
            raise ReplayError(case.id, ev.seq, "approval_requested: names no trigger or approver")
        waiting = PendingApproval(
            ev.seq, trigger, approver, bool(p.get("handoff")), ev.actor, ev.at
        )
        case.pending = (*case.pending, waiting)
        return
    if ev.type == APPROVAL_REFUSED:
        settled = p.get("request")
    else:
        approval = p.get("approval")
        settled = approval.get("request") if isinstance(approval, Mapping) else None
    if settled is not None:
        case.pending = tuple(a for a in case.pending if a.seq != settled)


# --- migrations and corrections -----------------------------------------------------------------


def _migrated(case: Case, ev: Event, target: Lifecycle | None) -> None:
    if target is None:
        raise ReplayError(case.id, ev.seq, "migrated: the new lifecycle version was not given")
    p = ev.payload
    mapping = p.get("states")
    if not isinstance(mapping, Mapping) or p.get("lifecycle") != case.lifecycle.id:
        raise ReplayError(case.id, ev.seq, "migrated: malformed (lifecycle or state mapping)")
    if (target.id, target.version) != (p.get("lifecycle"), p.get("to_version")):
        raise ReplayError(case.id, ev.seq, "migrated: given the wrong lifecycle version")
    if not target.has_state(ev.state):
        raise ReplayError(case.id, ev.seq, f"unknown state {ev.state!r}")
    previous = case.previous_state
    if previous is not None:
        previous = mapping.get(previous, previous)
        if not target.has_state(previous):
            previous = None
    case.earlier = (*case.earlier, (len(case.history), case.lifecycle))
    case.lifecycle = target
    case.state = ev.state
    case.previous_state = previous
    case.inconsistencies = ()
    case.history.append(ev)


def correction_problem(case: Case, event_type: str, target: Any) -> str | None:
    """Why ``target`` cannot be corrected (``corrected``) or voided (``voided``) now."""
    if isinstance(target, bool) or not isinstance(target, int):
        return f"names no event number, got {target!r}"
    if not 1 <= target <= len(case.history):
        return f"there is no event #{target} (the case has {len(case.history)})"
    original = case.history[target - 1]
    kinds = CORRECTABLE if event_type == CORRECTED_EVENT else VOIDABLE
    if original.type in (CORRECTED_EVENT, VOIDED_EVENT):
        root = original.payload["target"]
        return f"#{target} is itself a {original.type} event: name the original, #{root}"
    if original.type not in kinds:
        if target > 1 and case.history[target - 2].state != original.state:
            return (
                f"#{target} {original.type!r} changed the state, which a correction never "
                "does: fire a transition back instead"
            )
        what = "corrected" if event_type == CORRECTED_EVENT else "voided"
        return f"#{target} {original.type!r} cannot be {what} (only: {', '.join(sorted(kinds))})"
    if case.voided(target):
        return f"#{target} was already voided"
    return None


def _fixed(case: Case, ev: Event, _lifecycle: Lifecycle | None) -> None:
    """A correction or a void: the original keeps its place; every derived fact is refolded."""
    p = ev.payload
    problem = correction_problem(case, ev.type, p.get("target"))
    if problem is not None:
        raise ReplayError(case.id, ev.seq, f"{ev.type}: {problem}")
    target: int = p["target"]
    original = case.history[target - 1]
    if ev.type == VOIDED_EVENT:
        data: Mapping[str, Any] | None = None
    else:
        key = CORRECTABLE[original.type]
        data = {**case.effective(original).payload, key: p.get(key)}
        problem = payload_problem(original.type, data)
        if problem is not None:
            raise ReplayError(case.id, ev.seq, f"corrected: {problem}")
    if ev.state != case.state:
        raise ReplayError(case.id, ev.seq, f"{ev.type}: a correction does not change the state")
    corrections = {**case.corrections, target: data}
    _refold(case, corrections)
    case.corrections = corrections
    case.inconsistencies = tuple(
        Inconsistency(ev.seq, *item) for item in p.get("inconsistencies", ())
    )
    case.history.append(ev)


def _refold(case: Case, corrections: Mapping[int, Mapping[str, Any] | None]) -> None:
    """Recompute the case's data (consents, plan, sessions, assessments, worker) from its log,
    with ``corrections`` in force; the state is not touched (corrections never change it).
    """
    opening = case.history[0].payload
    case.consents, case.plan, case.sessions, case.held_sessions = (), None, (), 0
    case.assessments, case.worker = (), opening.get("worker")
    case.plan_seq, case.held_numbers = None, {}
    previous = case.history[0].state
    for ev in case.history:
        if ev.state != previous:
            if ev.type != MIGRATED_EVENT and reopens(case.lifecycle_at(ev.seq), previous, ev.state):
                _reopened(case)
            previous = ev.state
        effect = _EFFECTS.get(ev.type)
        if effect is None:
            continue
        applied = ev
        if ev.seq in corrections:
            data = corrections[ev.seq]
            if data is None:
                continue
            applied = attrs.evolve(ev, payload=data)
        try:
            effect(case, applied)
        except ReplayError as exc:
            raise ReplayError(case.id, ev.seq, f"after the correction: {exc.problem}") from exc


def _erased(case: Case, ev: Event, _lifecycle: Lifecycle | None) -> None:
    """Personal data erased: nothing but the log changes (the markers are in the records)."""
    if ev.state != case.state:
        raise ReplayError(case.id, ev.seq, f"{ev.type}: an erasure does not change the state")
    case.history.append(ev)


_FIXES: Mapping[str, Callable[[Case, Event, Lifecycle | None], None]] = {
    MIGRATED_EVENT: _migrated,
    CORRECTED_EVENT: _fixed,
    VOIDED_EVENT: _fixed,
    ERASED_EVENT: _erased,
}


# --- what library events do to a case ---------------------------------------------------------


def _consent_recorded(case: Case, ev: Event) -> None:
    case.consents = (*case.consents, ev.payload["consent"])


def _consent_withdrawn(case: Case, ev: Event) -> None:
    p = ev.payload
    giver, giver_id, scope = p.get("giver"), p.get("giver_id"), p.get("scope", "casework")
    case.consents = tuple(
        attrs.evolve(c, withdrawn_at=ev.at)
        if c.active
        and c.giver == giver
        and c.scope == scope
        and (giver_id is None or c.giver_id == giver_id)
        else c
        for c in case.consents
    )


def reopens(lifecycle: Lifecycle, before: str, after: str) -> bool:
    """True when a move from ``before`` to ``after`` reopens a case (a closed state to an
    open one): the plan in force then ends, and the case needs a new one.
    """
    if not (lifecycle.has_state(before) and lifecycle.has_state(after)):
        return False
    return not lifecycle.state(before).is_open and lifecycle.state(after).is_open


def _reopened(case: Case) -> None:
    """A reopening: the earlier plan (``case.plan``, for reports) and its sessions stay in
    the history and in ``case.sessions``; the plan is no longer in force and none of its
    sessions count toward the new period's evaluation.
    """
    case.plan_seq, case.held_numbers, case.held_sessions = None, {}, 0


def _plan_set(case: Case, ev: Event) -> None:
    case.plan = ev.payload["plan"]
    case.plan_seq = ev.seq
    case.held_numbers = {}
    case.held_sessions = 0


def _plan_revised(case: Case, ev: Event) -> None:
    if case.plan is None:
        raise ReplayError(case.id, ev.seq, "plan_revised: there is no plan to revise")
    try:
        case.plan = case.plan.revised(ev.payload["sessions"])
    except InvalidValue as exc:  # a log written before stores refused a downward revision
        raise ReplayError(case.id, ev.seq, f"plan_revised: {exc.problem}") from None


def _session_recorded(case: Case, ev: Event) -> None:
    session: SessionRecord = ev.payload["session"]
    case.sessions = (*case.sessions, session)
    if session.held:
        held = case.held_numbers
        if session.number not in held:
            # distinct numbers: a session recorded twice (a retry, two devices) counts once;
            # the dict is the case's own, grown in place like its history (copy both)
            held[session.number] = ev.seq
            case.held_sessions = len(held)


def _transferred(case: Case, ev: Event) -> None:
    case.worker = ev.payload["to"]


def _assessment_recorded(case: Case, ev: Event) -> None:
    case.assessments = (*case.assessments, ev.payload["assessment"])


def _is(kind: type | tuple[type, ...], what: str) -> Callable[[Any], str | None]:
    return lambda value: None if isinstance(value, kind) else f"needs {what}, got {value!r}"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else f"needs a name, got {value!r}"


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else f"needs a positive number of sessions, got {value!r}"


#: What each library event must carry, so that applying it cannot fail half-way.
_PAYLOADS: Mapping[str, Mapping[str, Callable[[Any], str | None]]] = {
    "consent_recorded": {"consent": _is(Consent, "a Consent")},
    "consent_withdrawn": {"giver": _is(ConsentGiver, "a ConsentGiver")},
    "plan_set": {"plan": _is(SessionPlan, "a SessionPlan")},
    "plan_revised": {"sessions": _count},
    "session_recorded": {"session": _is(SessionRecord, "a SessionRecord")},
    "transferred": {"to": _text},
    "assessment_recorded": {"assessment": _is(Assessment, "a scored Assessment")},
    ALERT_EVENT: {"flags": _is(tuple, "a tuple of flag codes")},
}


def payload_problem(event_type: str, payload: Mapping[str, Any]) -> str | None:
    """Why ``payload`` cannot be applied as an ``event_type`` event, or None if it can."""
    for key, check in _PAYLOADS.get(event_type, {}).items():
        if key not in payload:
            return f"the payload has no {key!r}"
        problem = check(payload[key])
        if problem is not None:
            return f"{key!r} {problem}"
    return None


_EFFECTS: Mapping[str, Callable[[Case, Event], None]] = {
    "consent_recorded": _consent_recorded,
    "consent_withdrawn": _consent_withdrawn,
    "plan_set": _plan_set,
    "plan_revised": _plan_revised,
    "session_recorded": _session_recorded,
    "transferred": _transferred,
    "assessment_recorded": _assessment_recorded,
}

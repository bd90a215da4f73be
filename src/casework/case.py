"""The case: a client's record, derived entirely from its events.

A case holds its own data and a reference to its (shared) lifecycle, never a machine.  Its
fields change only by applying events, which is what both live commands and replay do, so a
case rebuilt from its log equals the live one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from casework.assessment import Assessment
from casework.errors import ReplayError
from casework.events import Event
from casework.lifecycle import ALERT_EVENT, OPEN_EVENT, Lifecycle
from casework.plan import SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver

__all__ = ["Case", "TimelineEntry"]


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
    held_sessions: int = 0
    consents: tuple[Consent, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    history: list[Event] = attrs.Factory(list)

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
    def planned_sessions(self) -> int | None:
        """Sessions in the current plan, or None before a plan is set."""
        return self.plan.sessions if self.plan else None

    @property
    def alerts(self) -> tuple[Event, ...]:
        """The ``alert_raised`` events of the case (crisis flags), oldest first."""
        return tuple(e for e in self.history if e.type == ALERT_EVENT)

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

    def timeline(self, lang: str = "en") -> list[TimelineEntry]:
        """The case's events as readable rows, oldest first."""
        rows = []
        for ev in self.history:
            label = self.lifecycle.state(ev.state).label(lang)
            rows.append(TimelineEntry(ev.seq, ev.at, ev.type, ev.state, label, ev.actor))
        return rows

    # --- building from events ----------------------------------------------------------------

    @classmethod
    def replay(cls, events: Iterable[Event], lifecycle: Lifecycle) -> Case:
        """Rebuild a case from its events alone: no guard or hook runs, no machine fires."""
        it = iter(events)
        first = next(it, None)
        if first is None:
            raise ReplayError("?", None, "no events to replay")
        case = cls.opened(first, lifecycle)
        for ev in it:
            case.apply(ev)
        return case

    @classmethod
    def opened(cls, event: Event, lifecycle: Lifecycle) -> Case:
        """A new case from its ``case_opened`` event."""
        if event.type != OPEN_EVENT or event.seq != 1:
            raise ReplayError(
                event.case_id,
                event.seq,
                f"a case starts with {OPEN_EVENT!r} #1, got {event.type!r}",
            )
        client = event.payload.get("client")
        if not isinstance(client, Client):
            raise ReplayError(event.case_id, 1, "the opening event carries no client")
        if not lifecycle.has_state(event.state):
            raise ReplayError(event.case_id, 1, f"unknown state {event.state!r}")
        named = event.payload.get("lifecycle", lifecycle.id)
        if named != lifecycle.id:
            raise ReplayError(
                event.case_id, 1, f"the case follows lifecycle {named!r}, not {lifecycle.id!r}"
            )
        return cls(
            id=event.case_id,
            client=client,
            lifecycle=lifecycle,
            state=event.state,
            worker=event.payload.get("worker"),
            programme=event.payload.get("programme"),
            history=[event],
        )

    def apply(self, event: Event, *, checked: bool = False) -> None:
        """Apply one recorded event. Used by engines on commit and by replay; never by apps.

        ``checked`` says the payload was already checked (by the engine, just now).
        """
        if event.case_id != self.id:
            raise ReplayError(self.id, event.seq, f"event belongs to case {event.case_id!r}")
        if event.seq != len(self.history) + 1:
            raise ReplayError(self.id, event.seq, f"expected event #{len(self.history) + 1} next")
        if event.state != self.state:
            if not self.lifecycle.has_state(event.state):
                raise ReplayError(self.id, event.seq, f"unknown state {event.state!r}")
            self.previous_state = self.state
            self.state = event.state
        effect = _EFFECTS.get(event.type)
        if effect is not None:
            problem = None if checked else payload_problem(event.type, event.payload)
            if problem is not None:
                raise ReplayError(self.id, event.seq, f"{event.type}: {problem}")
            effect(self, event)
        self.history.append(event)


@attrs.frozen
class TimelineEntry:
    """One row of a case's timeline."""

    seq: int
    at: datetime
    event: str
    state: str
    state_label: str
    actor: str

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"#{self.seq:<3} {when}  {self.event:<26} {self.state_label:<12} {self.actor}"


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


def _plan_set(case: Case, ev: Event) -> None:
    case.plan = ev.payload["plan"]
    case.held_sessions = 0


def _plan_revised(case: Case, ev: Event) -> None:
    if case.plan is None:
        raise ReplayError(case.id, ev.seq, "plan_revised: there is no plan to revise")
    case.plan = case.plan.revised(ev.payload["sessions"])


def _session_recorded(case: Case, ev: Event) -> None:
    session: SessionRecord = ev.payload["session"]
    case.sessions = (*case.sessions, session)
    if session.held:
        case.held_sessions += 1


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

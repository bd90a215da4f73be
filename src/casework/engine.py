"""The engine: where a command is checked by the lifecycle and becomes one event.

Flow, in one direction only: command → lifecycle guards and hooks (on the shared machine) →
one immutable event → appended to the case's log.  A refused or failing command raises a
:class:`~casework.errors.CommandRejected` and leaves the case exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from casework import _machine
from casework._support import callable_name
from casework.assessment import (
    Administration,
    Assessment,
    Phase,
    alerts_for,
    scoring_hook,
)
from casework.case import CORRECTABLE, Case, correction_problem, payload_problem
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import (
    CaseworkError,
    CommandRejected,
    CommittedHookFailed,
    DefinitionError,
    GuardFailed,
    HookFailed,
    InvalidCommand,
    InvalidResponses,
    InvalidValue,
    ReplayError,
    TransitionNotAllowed,
    UnknownTrigger,
)
from casework.events import (
    ALERT_EVENT,
    CORRECTED_EVENT,
    EMPTY_PAYLOAD,
    LIBRARY_COMMANDS,
    MIGRATED_EVENT,
    OPEN_EVENT,
    VOIDED_EVENT,
    Command,
    Event,
)
from casework.guards import valid_consent
from casework.hooks import Hooks
from casework.instruments import Instrument
from casework.lifecycle import PREVIOUS, Lifecycle
from casework.plan import SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver, as_datetime

__all__ = ["Engine", "EventSink", "TriggerCheck"]

CHRONOLOGY = "chronological"
ASSESSED = LIBRARY_COMMANDS["record_assessment"]


class EventSink(Protocol):
    """Where accepted events go before they are applied: a store, in practice.

    ``append`` must write all of ``events`` or none, and refuse (raise) when the case's stored
    version is not ``expected_version``; then the command fails and the case is unchanged.
    """

    def append(self, events: Sequence[Event], *, expected_version: int) -> None:
        """Persist ``events`` of one case, which the writer saw at ``expected_version``."""


@attrs.frozen
class TriggerCheck:
    """Whether a trigger is allowed for a case now, and if not, every reason why not."""

    trigger: str
    allowed: bool
    reasons: tuple[str, ...] = ()


class Engine:
    """Runs commands for the cases of one lifecycle, with the hooks an app registered.

    ``lifecycle`` is a definition or its id in the ``catalogue`` (its newest version).  The
    catalogue is the one given, else the store's, else the shipped one; the lifecycle must be
    in it (a custom lifecycle with no catalogue gets the shipped one plus itself).  Instruments
    for scoring come from the catalogue unless ``instruments`` says otherwise.

    Engines are cheap: the lifecycle's machine is compiled once and shared by all of them.
    """

    def __init__(
        self,
        lifecycle: Lifecycle | str,
        *,
        catalogue: Catalogue | None = None,
        store: EventSink | None = None,
        instruments: Mapping[str, Instrument] | None = None,
    ) -> None:
        given = catalogue if catalogue is not None else getattr(store, "catalogue", None)
        if given is not None and not isinstance(given, Catalogue):
            raise DefinitionError("engine", [f"catalogue: expected a Catalogue, got {given!r}"])
        if isinstance(lifecycle, str):
            lifecycle = (given or DEFAULT_CATALOGUE).lifecycle(lifecycle)
        if not isinstance(lifecycle, Lifecycle):
            raise DefinitionError(
                "engine", [f"lifecycle: expected a Lifecycle or its id, got {lifecycle!r}"]
            )
        if given is None:
            given = (
                DEFAULT_CATALOGUE
                if DEFAULT_CATALOGUE.knows(lifecycle)
                else DEFAULT_CATALOGUE.extended(lifecycles=[lifecycle])
            )
        elif not given.knows(lifecycle):
            where = "the catalogue" if catalogue is not None else "the store's catalogue"
            raise DefinitionError(
                lifecycle.id,
                [
                    f"lifecycle {lifecycle.id!r} version {lifecycle.version} is not in {where}: "
                    "add it there (Catalogue(lifecycles=[...])) and give the store that catalogue"
                ],
            )
        self.catalogue = given
        self.lifecycle = lifecycle
        _machine.machine_for(lifecycle)  # compiled now, so a definition's cost is paid once
        self.hooks = Hooks(lifecycle)
        self.store = store
        self.instruments = dict(instruments if instruments is not None else given.instruments_by_id)
        if "record_assessment" in lifecycle.triggers:
            # scoring is a prepare hook like any app's: apps may add their own after it
            self.hooks.on_prepare("record_assessment", scoring_hook(self.instruments))

    def __repr__(self) -> str:
        return f"<Engine {self.lifecycle.id!r} v{self.lifecycle.version} {self.hooks!r}>"

    # --- opening and replaying ---------------------------------------------------------------

    def open(
        self,
        case_id: str,
        client: Client,
        *,
        at: date | datetime,
        by: str,
        worker: str | None = None,
        programme: str | None = None,
    ) -> Case:
        """Open a case in the lifecycle's initial state; its first event is ``case_opened``.

        The event names the lifecycle (id and version) so a store can replay it later.  A
        client born after ``at`` is refused (records have no clock: the opening is the time a
        birth date is judged against).
        """
        state = self.lifecycle.initial.name
        try:
            if not isinstance(case_id, str) or not case_id.strip():
                raise InvalidValue("case_id", f"must be a non-empty string, got {case_id!r}")
            if not isinstance(client, Client):
                raise InvalidValue("client", f"expected a Client, got {client!r}")
            when = as_datetime(at)
            if client.birth_date > when.date():  # records have no clock: the opening is "now"
                raise InvalidValue(
                    "client.birth_date",
                    f"{client.birth_date} is after the case's opening on {when:%Y-%m-%d}",
                )
            event = Event(
                case_id,
                1,
                OPEN_EVENT,
                when,
                _actor(by),
                state,
                "open",
                {
                    "client": client,
                    "worker": worker,
                    "programme": programme,
                    "lifecycle": self.lifecycle.id,
                    "lifecycle_version": self.lifecycle.version,
                },
            )
        except InvalidValue as exc:
            raise InvalidCommand(str(case_id), state, "open", reasons=[str(exc)]) from exc
        case = Case.opened(event, self.lifecycle)
        if self.hooks:
            try:  # a raising hook means no case is returned
                self.hooks.run("event", event.type, case, event)
            except Exception as exc:
                raise self._hook_failed(case, "open", exc) from exc
        if self.store is not None:
            self.store.append([event], expected_version=0)
        if self.hooks.observing:
            self._run_committed(case, [event])
        return case

    def replay(self, events: list[Event] | tuple[Event, ...]) -> Case:
        """Rebuild a case from its events, without running guards or hooks.

        Each event is read under the lifecycle version it was recorded with (from the
        catalogue), so a case migrated to this engine's version replays too.
        """
        return Case.replay(events, self.catalogue)

    # --- versions and corrections ------------------------------------------------------------

    def migrate(
        self,
        case: Case,
        *,
        states: Mapping[str, str] | None = None,
        at: date | datetime,
        by: str,
        reason: str,
    ) -> Event:
        """Move ``case`` to this engine's version of its lifecycle, with one ``migrated`` event.

        ``states`` maps the case's states that the new version renamed or dropped to states
        of the new version; states it kept map to themselves.  Refused, with every reason at
        once, when a state the case is in (or returns to) has no mapping, or a target state
        does not exist.
        """
        lc, old = self.lifecycle, case.lifecycle
        mapping = dict(states or {})
        problems = []
        if old.id != lc.id:
            problems.append(f"the case follows lifecycle {old.id!r}, not {lc.id!r}")
        elif old.version >= lc.version:
            problems.append(
                f"the case is at version {old.version}; this engine runs version {lc.version}"
            )
        if not isinstance(reason, str) or not reason.strip():
            problems.append("a migration needs a reason")
        for src, dst in mapping.items():
            if not old.has_state(src):
                problems.append(f"{src!r} is not a state of version {old.version}")
            if not isinstance(dst, str) or not lc.has_state(dst):
                problems.append(f"{src!r} -> {dst!r}: version {lc.version} has no state {dst!r}")
        for name in (case.state, case.previous_state):
            if name is not None and name not in mapping and not lc.has_state(name):
                problems.append(
                    f"the case is in {name!r}, which version {lc.version} does not have: "
                    "map it to one of its states"
                )
        if problems:
            raise self._rejected(InvalidCommand, case, "migrate", problems)
        payload = {
            "lifecycle": lc.id,
            "from_version": old.version,
            "to_version": lc.version,
            "states": mapping,
            "reason": reason,
        }
        state = mapping.get(case.state, case.state)
        return self._record(
            case, MIGRATED_EVENT, "migrate", payload, at=at, by=by, state=state, lifecycle=lc
        )

    def correct(
        self, case: Case, seq: int, replacement: Any, *, reason: str, at: date | datetime, by: str
    ) -> Event:
        """Replace the data of event ``seq`` (a session, a consent, an assessment, a plan).

        The original stays in the log; a ``corrected`` event points to it, and the case's
        derived facts read the replacement.  For an assessment, give the corrected responses
        (or an :class:`Administration`): they are scored again with the original's
        instrument.  A correction that leaves the current state inconsistent with the guards
        that let the case in is recorded and listed in ``case.inconsistencies``.
        """
        problem = correction_problem(case, CORRECTED_EVENT, seq)
        if problem is not None:
            raise self._rejected(InvalidCommand, case, "correct", [problem])
        original = case.effective(case.history[seq - 1])
        key = CORRECTABLE[original.type]
        try:
            value = self._replacement(case, original, replacement, at, by)
        except (InvalidValue, InvalidResponses) as exc:
            raise self._rejected(InvalidCommand, case, "correct", [str(exc)]) from exc
        problem = payload_problem(original.type, {**original.payload, key: value})
        if problem is not None:
            raise self._rejected(InvalidCommand, case, "correct", [problem])
        payload = {"target": seq, key: value, "reason": reason}
        return self._fix(case, CORRECTED_EVENT, "correct", payload, at=at, by=by)

    def void(self, case: Case, seq: int, *, reason: str, at: date | datetime, by: str) -> Event:
        """Mark event ``seq`` (a data event) as entered in error; it stays in the log.

        A state change is never voided: fire a transition back instead.
        """
        problem = correction_problem(case, VOIDED_EVENT, seq)
        if problem is not None:
            raise self._rejected(InvalidCommand, case, "void", [problem])
        payload = {"target": seq, "reason": reason}
        return self._fix(case, VOIDED_EVENT, "void", payload, at=at, by=by)

    def _replacement(
        self, case: Case, original: Event, replacement: Any, at: date | datetime, by: str
    ) -> Any:
        """The new data for ``original``: checked, and for an assessment scored again."""
        if original.type == "consent_recorded" and isinstance(replacement, Consent):
            probe = Command("record_consent", as_datetime(at), _actor(by), {"consent": replacement})
            problem = valid_consent(case, probe)
            if problem is not None:
                raise InvalidValue("replacement", problem)
        if original.type != "assessment_recorded":
            return replacement
        before: Assessment = original.payload["assessment"]
        given = (
            replacement
            if isinstance(replacement, Administration)
            else Administration(
                before.instrument,
                before.phase,
                replacement,
                before.result.group,
                before.override_reason,
            )
        )
        instrument = self.instruments.get(given.instrument)
        if instrument is None:
            raise InvalidValue("instrument", f"the engine has no instrument {given.instrument!r}")
        result = instrument.score(given.responses, group=given.group)
        return Assessment(
            instrument.id,
            instrument.version,
            given.phase,
            before.at,
            before.by,
            result,
            given.override_reason,
        )

    def _fix(
        self,
        case: Case,
        event_type: str,
        trigger: str,
        payload: dict[str, Any],
        *,
        at: date | datetime,
        by: str,
    ) -> Event:
        """Record a correction or a void, with what it leaves inconsistent."""
        if not isinstance(payload.get("reason"), str) or not payload["reason"].strip():
            raise self._rejected(InvalidCommand, case, trigger, [f"{trigger} needs a reason"])
        try:
            when = as_datetime(at)
            trial = attrs.evolve(
                case, history=list(case.history), corrections=dict(case.corrections)
            )
            trial.apply(
                self._event(case, event_type, trigger, payload, at=when, by=by, state=case.state)
            )
        except (InvalidValue, ReplayError) as exc:
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        planned = trial.plan.sessions if trial.plan is not None else 0
        if trial.held_sessions > planned:
            why = (
                f"it would make {trial.held_sessions} sessions held of {planned} planned: "
                "revise the plan first"
                if trial.plan is not None
                else "sessions were held under that plan: correct the plan instead"
            )
            raise self._rejected(InvalidCommand, case, trigger, [why])
        payload["inconsistencies"] = self._inconsistencies(trial)
        return self._record(case, event_type, trigger, payload, at=at, by=by, state=case.state)

    def _inconsistencies(self, case: Case) -> tuple[tuple[int, str, str, str, str], ...]:
        """What the guards that let ``case`` into its state say of it now."""
        history = case.history[:-1]  # the correction itself is last
        entered = None
        for i in range(len(history) - 1, 0, -1):
            if history[i - 1].state != history[i].state:
                entered = i
                break
        if entered is None or history[entered].type == MIGRATED_EVENT:
            return ()
        ev, before = history[entered], history[entered - 1]
        if case.lifecycle_at(ev.seq) is not case.lifecycle:
            return ()  # entered under an earlier version, whose guards no longer apply
        transition = case.lifecycle.transition(before.state, ev.trigger)
        if transition is None:
            return ()
        probe = attrs.evolve(case, state=before.state)
        command = Command(ev.trigger, ev.at, ev.actor, ev.payload)
        found = []
        for guard in transition.guards:
            try:
                reason = guard(probe, command)
            except Exception as exc:
                reason = f"the guard raised: {_describe(exc)}"
            if reason is not None:
                found.append((ev.seq, ev.state, ev.trigger, callable_name(guard), reason))
        return tuple(found)

    def _event(
        self,
        case: Case,
        event_type: str,
        trigger: str,
        payload: Mapping[str, Any],
        *,
        at: datetime,
        by: str,
        state: str,
    ) -> Event:
        return Event(case.id, case.version + 1, event_type, at, _actor(by), state, trigger, payload)

    def _record(
        self,
        case: Case,
        event_type: str,
        trigger: str,
        payload: Mapping[str, Any],
        *,
        at: date | datetime,
        by: str,
        state: str,
        lifecycle: Lifecycle | None = None,
    ) -> Event:
        """Record one event casework itself defines (a migration, a correction) on ``case``."""
        try:
            when = as_datetime(at)
            event = self._event(case, event_type, trigger, payload, at=when, by=by, state=state)
            early = case.last_at is not None and when < case.last_at
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        except TypeError:
            raise self._rejected(
                InvalidCommand,
                case,
                trigger,
                ["the command's time and the case's times mix naive and timezone-aware"],
            ) from None
        if early:
            raise self._failed(
                case,
                trigger,
                {CHRONOLOGY: f"dated {when:%Y-%m-%d %H:%M}, before the case's latest event"},
            )
        if self.hooks.observing:
            try:
                self.hooks.run("event", event.type, case, event)
            except Exception as exc:
                raise self._hook_failed(case, trigger, exc) from exc
        if self.store is not None:
            self.store.append([event], expected_version=case.version)
        case.apply(event, lifecycle=lifecycle)
        if self.hooks.observing:
            self._run_committed(case, [event])
        return event

    # --- commands ----------------------------------------------------------------------------

    def fire(
        self, case: Case, trigger: str, *, at: date | datetime, by: str, **payload: Any
    ) -> Event:
        """Fire ``trigger`` on ``case``; keyword arguments become the event's payload."""
        try:
            # ``payload`` is this call's own fresh dict: freeze it without another copy
            frozen = MappingProxyType(payload) if payload else EMPTY_PAYLOAD
            command = Command(trigger, as_datetime(at), _actor(by), frozen)
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        return self.execute(case, command)

    def execute(self, case: Case, command: Command) -> Event:
        """Check ``command`` against the lifecycle, record it as one event, and return it."""
        lc = self.lifecycle
        trigger = command.trigger
        if case.lifecycle is not lc and case.lifecycle != lc:
            own = case.lifecycle
            raise self._rejected(
                InvalidCommand,
                case,
                trigger,
                [
                    f"the case follows lifecycle {own.id!r} version {own.version}; this engine "
                    f"runs {lc.id!r} version {lc.version}"
                ],
            )
        transition = lc.transition(case.state, trigger)
        if transition is None:
            kind = TransitionNotAllowed if trigger in lc._event_of else UnknownTrigger
            why = (
                f"not allowed from {case.state!r}"
                if kind is TransitionNotAllowed
                else f"lifecycle {lc.id!r} has no trigger {trigger!r}"
            )
            raise self._rejected(kind, case, trigger, [why])
        history = case.history
        if history:
            last = history[-1].at  # case.last_at, without the property call
            try:
                early = command.at < last
            except TypeError:
                raise self._rejected(
                    InvalidCommand,
                    case,
                    trigger,
                    ["the command's time and the case's times mix naive and timezone-aware"],
                ) from None
            if early:
                raise self._failed(
                    case,
                    trigger,
                    {
                        CHRONOLOGY: f"dated {command.at:%Y-%m-%d %H:%M}, before the case's latest "
                        f"event ({last:%Y-%m-%d %H:%M})"
                    },
                )
        hooks = self.hooks
        try:
            # an engine's only hook is often record_assessment's scoring hook: other commands
            # should not pay for calling empty hook points
            if hooks.prepares(trigger):
                command = hooks.prepare(case, command)
            if trigger in LIBRARY_COMMANDS:
                problem = payload_problem(lc.event_type(trigger), command.payload)
                if problem is not None:
                    raise self._rejected(InvalidCommand, case, trigger, [problem])
            event = _machine.fire(lc, case, command)
        except CommandRejected:
            raise
        except _machine.GuardCrashed as exc:
            raise self._failed(
                case, trigger, {exc.name: f"the guard raised: {_describe(exc.error)}"}
            ) from exc.error
        except (InvalidValue, InvalidResponses) as exc:  # bad input found by a prepare hook
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        except Exception as exc:
            raise self._hook_failed(case, trigger, exc) from exc
        if event is None:
            raise self._failed(case, trigger, self._reasons(case, command))
        events = self._consequences(event) if event.type == ASSESSED else [event]
        if hooks.observing:
            self._run_hooks(case, event, moves=transition.dest is not None)
            for extra in events[1:]:
                self._run_hooks(case, extra, moves=False, only_event=True)
        if self.store is not None:
            # the store refuses a stale writer by raising; then the case stays as it was
            self.store.append(events, expected_version=case.version)
        for e in events:
            case.apply(e, checked=True)
        if hooks.observing:
            self._run_committed(case, events)
        return event

    def _run_committed(self, case: Case, events: Sequence[Event]) -> None:
        """The ``committed`` hooks, after the events are stored and applied."""
        try:
            for e in events:
                self.hooks.run("committed", e.type, case, e)
        except Exception as exc:
            raise CommittedHookFailed(case.id, [e.seq for e in events], _describe(exc)) from exc

    def _consequences(self, event: Event) -> list[Event]:
        """``event`` and what casework records with it in the same commit: a crisis alert."""
        alert = alerts_for(event.payload["assessment"])
        if alert is None:
            return [event]
        return [
            event,
            Event(
                event.case_id,
                event.seq + 1,
                ALERT_EVENT,
                event.at,
                event.actor,
                event.state,
                event.trigger,
                alert,
            ),
        ]

    def _run_hooks(
        self, case: Case, event: Event, *, moves: bool, only_event: bool = False
    ) -> None:
        """Run the engine's hooks for an accepted command, in order, before it is committed.

        ``moves`` is False for internal transitions, which neither exit nor enter a state.
        """
        run = self.hooks.run
        try:
            if only_event:
                run("event", event.type, case, event)
                return
            run("before", event.trigger, case, event)
            if moves:
                run("exit", case.state, case, event)
                run("enter", event.state, case, event)
            run("after", event.trigger, case, event)
            run("event", event.type, case, event)
        except Exception as exc:
            raise self._hook_failed(case, event.trigger, exc) from exc

    # --- library commands --------------------------------------------------------------------

    def record_consent(
        self, case: Case, consent: Consent, *, by: str, at: date | datetime | None = None
    ) -> Event:
        """Record a consent (dated when it was given unless ``at`` says otherwise)."""
        if not isinstance(consent, Consent):
            raise self._rejected(InvalidCommand, case, "record_consent", ["expected a Consent"])
        return self.fire(
            case,
            "record_consent",
            at=consent.given_at if at is None else at,
            by=by,
            consent=consent,
        )

    def withdraw_consent(
        self,
        case: Case,
        giver: ConsentGiver | str,
        *,
        at: date | datetime,
        by: str,
        reason: str,
        giver_id: str | None = None,
        scope: str = "casework",
    ) -> Event:
        """Withdraw the consents in force from ``giver`` (and ``giver_id``) for ``scope``."""
        try:
            giver = ConsentGiver(giver)
        except ValueError:
            raise self._rejected(
                InvalidCommand, case, "withdraw_consent", [f"unknown consent giver {giver!r}"]
            ) from None
        return self.fire(
            case,
            "withdraw_consent",
            at=at,
            by=by,
            giver=giver,
            giver_id=giver_id,
            scope=scope,
            reason=reason,
        )

    def set_plan(self, case: Case, plan: SessionPlan, *, at: date | datetime, by: str) -> Event:
        """Set the session plan (10 sessions unless the plan says otherwise)."""
        if not isinstance(plan, SessionPlan):
            raise self._rejected(InvalidCommand, case, "set_plan", ["expected a SessionPlan"])
        return self.fire(case, "set_plan", at=at, by=by, plan=plan)

    def revise_plan(
        self, case: Case, sessions: int, *, reason: str, at: date | datetime, by: str
    ) -> Event:
        """Raise the number of planned sessions, saying why."""
        return self.fire(case, "revise_plan", at=at, by=by, sessions=sessions, reason=reason)

    def record_session(
        self, case: Case, session: SessionRecord, *, by: str, at: date | datetime | None = None
    ) -> Event:
        """Record a session; dated when it was held (or scheduled) unless ``at`` is given."""
        if not isinstance(session, SessionRecord):
            raise self._rejected(
                InvalidCommand, case, "record_session", ["expected a SessionRecord"]
            )
        when = at if at is not None else session.when
        if when is None:
            raise self._rejected(
                InvalidCommand,
                case,
                "record_session",
                ["the session has no time: give held_at, scheduled_at or at="],
            )
        return self.fire(case, "record_session", at=when, by=by, session=session)

    def record_assessment(
        self,
        case: Case,
        instrument: str | Instrument,
        responses: Any,
        *,
        phase: Phase | str,
        at: date | datetime,
        by: str,
        group: str | None = None,
        override_reason: str | None = None,
    ) -> Event:
        """Score ``responses`` on ``instrument`` and record them with the result in one event.

        A crisis flag also records an ``alert_raised`` event in the same commit.  Bad answers
        raise :class:`InvalidCommand` whose cause lists every problem with its item number.
        """
        name = instrument.id if isinstance(instrument, Instrument) else instrument
        if isinstance(instrument, Instrument) and self.instruments.get(name) != instrument:
            raise self._rejected(
                InvalidCommand,
                case,
                "record_assessment",
                [f"instrument {name!r} differs from the engine's; pass instruments= to Engine"],
            )
        try:
            given = Administration(name, phase, responses, group, override_reason)
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, "record_assessment", [str(exc)]) from exc
        return self.fire(case, "record_assessment", at=at, by=by, assessment=given)

    def transfer(self, case: Case, to: str, *, reason: str, at: date | datetime, by: str) -> Event:
        """Assign the case to another worker; the state does not change."""
        return self.fire(case, "transfer", at=at, by=by, to=to, reason=reason)

    # --- introspection -----------------------------------------------------------------------

    def check(
        self, case: Case, *, at: date | datetime | None = None, **payload: Any
    ) -> dict[str, TriggerCheck]:
        """For every trigger, whether ``case`` accepts it now and why not.

        Guards are asked with a probe command dated ``at`` (default: the latest event) carrying
        ``payload``, so a guard that needs data (a reason, a session) says so.
        """
        when = as_datetime(at) if at is not None else case.last_at or datetime.min
        last = case.last_at
        early = (
            f"dated {when:%Y-%m-%d %H:%M}, before the case's latest event ({last:%Y-%m-%d %H:%M})"
            if last is not None and when < last
            else None
        )
        result = {}
        for trigger in self.lifecycle.triggers:
            transition = self.lifecycle.transition(case.state, trigger)
            if transition is None:
                result[trigger] = TriggerCheck(
                    trigger, False, (f"not allowed from {case.state!r}",)
                )
                continue
            probe = Command(trigger, when, "probe", payload)
            reasons = tuple(self._reasons(case, probe).values())
            if early is not None:
                reasons = (early, *reasons)
            result[trigger] = TriggerCheck(trigger, not reasons, reasons)
        return result

    def allowed(
        self, case: Case, *, at: date | datetime | None = None, **payload: Any
    ) -> tuple[str, ...]:
        """Triggers whose guards all pass for ``case`` now (given ``payload``)."""
        return tuple(t for t, c in self.check(case, at=at, **payload).items() if c.allowed)

    # --- errors ------------------------------------------------------------------------------

    def _reasons(self, case: Case, command: Command, *, probe: bool = False) -> dict[str, str]:
        transition = self.lifecycle.transition(case.state, command.trigger)
        assert transition is not None
        failed = {}
        if transition.dest == PREVIOUS:
            options = self.lifecycle.destinations(case.state, command.trigger)
            if case.previous_state not in options:
                failed["previous"] = f"no earlier state to return to from {case.state!r}"
        for guard in transition.guards:
            if probe and getattr(guard, "judges_input", False):
                continue
            try:
                reason = guard(case, command)
            except Exception as exc:
                reason = f"the guard raised: {_describe(exc)}"
            if reason is not None:
                failed[callable_name(guard)] = reason
        return failed

    def _rejected(
        self, kind: type[CommandRejected], case: Case, trigger: str, reasons: list[str]
    ) -> CommandRejected:
        return kind(
            case.id, case.state, trigger, allowed=self._allowed_now(case, trigger), reasons=reasons
        )

    def _failed(self, case: Case, trigger: str, failed: Mapping[str, str]) -> GuardFailed:
        return GuardFailed(
            case.id,
            case.state,
            trigger,
            allowed=self._allowed_now(case, trigger),
            failed=failed or {"guards": "refused by a guard"},
        )

    def _allowed_now(self, case: Case, refused: str) -> tuple[str, ...]:
        """A refusal's "allowed now": triggers from the case's state whose guards pass now.

        Asked only when a command is refused (guards cost), with a probe dated at the case's
        latest event and no payload, so guards that judge a command's input
        (:func:`~casework.guards.judges_input`) are not asked; the trigger just refused is never
        listed.
        """
        when = case.last_at or datetime.min
        found = []
        for trigger in self.lifecycle.triggers_from(case.state):
            if trigger == refused:
                continue
            try:
                ok = not self._reasons(case, Command(trigger, when, "probe", {}), probe=True)
            except Exception:  # a broken guard must not hide the refusal being reported
                ok = False
            if ok:
                found.append(trigger)
        return tuple(found)

    def _hook_failed(self, case: Case, trigger: str, exc: Exception) -> CommandRejected:
        return self._rejected(HookFailed, case, trigger, [f"a hook raised: {_describe(exc)}"])


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, CaseworkError) else f"{type(exc).__name__}: {exc}"


def _actor(by: Any) -> str:
    if not isinstance(by, str) or not by.strip():
        raise InvalidValue("by", f"the actor must be a non-empty string, got {by!r}")
    return by

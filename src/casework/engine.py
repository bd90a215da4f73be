"""The engine: where a command is checked by the lifecycle and becomes one event.

Flow, in one direction only: command → lifecycle guards and hooks (on the shared machine) →
one immutable event → appended to the case's log.  A refused or failing command raises a
:class:`~casework.errors.CommandRejected` and leaves the case exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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
from casework.case import CORRECTABLE, Case, PendingApproval, correction_problem, payload_problem
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import (
    CaseworkError,
    CommandRejected,
    CommittedHookFailed,
    DefinitionError,
    DuplicateCommand,
    DuplicateRecord,
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
    APPROVAL_REFUSED,
    APPROVAL_REQUESTED,
    COMMAND_ID,
    CORRECTED_EVENT,
    EMPTY_PAYLOAD,
    LIBRARY_COMMANDS,
    MIGRATED_EVENT,
    OPEN_EVENT,
    VOIDED_EVENT,
    Command,
    Event,
    command_id_problem,
)
from casework.guards import RECORD_RULES, valid_consent
from casework.hooks import Hooks
from casework.instruments import Instrument
from casework.lifecycle import PREVIOUS, RECEIVER, RECEIVER_KEYS, Lifecycle, Transition
from casework.outreach import VisitReferral
from casework.plan import SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver, Worker, as_datetime

__all__ = ["Engine", "EventSink", "TriggerCheck"]

CHRONOLOGY = "chronological"
ASSESSED = LIBRARY_COMMANDS["record_assessment"]
_MISSING = object()


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
        workers: Mapping[str, Worker] | Iterable[Worker] = (),
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
        #: The station's workers by id (their roles say who may approve what), as the app
        #: supplies them.
        self.workers = dict(workers) if isinstance(workers, Mapping) else {w.id: w for w in workers}
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
        referral: VisitReferral | None = None,
        command_id: str | None = None,
    ) -> Case:
        """Open a case in the lifecycle's initial state; its first event is ``case_opened``.

        The event names the lifecycle (id and version) so a store can replay it later;
        ``referral`` (the outreach visit that found the need, see
        :func:`casework.referral.open_from_visit`) is kept on it as the case's referral source.
        With a ``command_id`` and a store, opening again with the same id returns the stored
        case (the same opening again) or raises :class:`DuplicateCommand` (a different one).
        A client born after ``at`` is refused (records have no clock: the opening is the time
        a birth date is judged against).
        """
        state = self.lifecycle.initial.name
        given = {"client": client, "worker": worker, "programme": programme}
        if command_id is not None:
            found = self._opened_before(
                case_id, state=state, command_id=command_id, at=at, by=by, given=given
            )
            if found is not None:
                return found
        try:
            if not isinstance(case_id, str) or not case_id.strip():
                raise InvalidValue("case_id", f"must be a non-empty string, got {case_id!r}")
            if not isinstance(client, Client):
                raise InvalidValue("client", f"expected a Client, got {client!r}")
            if referral is not None and not isinstance(referral, VisitReferral):
                raise InvalidValue("referral", f"expected a VisitReferral, got {referral!r}")
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
                    **({} if referral is None else {"referral": referral}),
                    **({COMMAND_ID: command_id} if command_id is not None else {}),
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
            try:
                self.store.append([event], expected_version=0)
            except Exception:
                # another writer opened it first: the same opening is no error
                found = (
                    self._opened_before(
                        case_id, state=state, command_id=command_id, at=at, by=by, given=given
                    )
                    if command_id is not None
                    else None
                )
                if found is None:
                    raise
                return found
        if self.hooks.observing:
            self._run_committed(case, [event])
        return case

    def _opened_before(
        self,
        case_id: str,
        *,
        state: str,
        command_id: str,
        at: date | datetime,
        by: str,
        given: Mapping[str, Any],
    ) -> Case | None:
        """The stored case whose opening carried ``command_id`` (None: no such case)."""
        problem = command_id_problem(command_id)
        if problem is not None:
            raise InvalidCommand(str(case_id), state, "open", reasons=[problem])
        load = getattr(self.store, "load", None)
        if load is None or not isinstance(case_id, str) or not case_id.strip():
            return None
        try:
            case: Case = load(case_id)
        except LookupError:
            return None
        if case.commands.get(command_id) != 1:
            return None
        self._repeated(case, "open", command_id, at=at, by=by, given=given)
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
        command_id: str | None = None,
    ) -> Event:
        """Move ``case`` to this engine's version of its lifecycle, with one ``migrated`` event.

        ``states`` maps the case's states that the new version renamed or dropped to states
        of the new version; states it kept map to themselves.  Refused, with every reason at
        once, when a state the case is in (or returns to) has no mapping, or a target state
        does not exist.
        """
        lc, old = self.lifecycle, case.lifecycle
        mapping = dict(states or {})
        if command_id is not None:
            given = {"states": mapping, "reason": reason, "to_version": lc.version}
            found = self._repeated(case, "migrate", command_id, at=at, by=by, given=given)
            if found is not None:
                return found
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
            **({COMMAND_ID: command_id} if command_id is not None else {}),
        }
        state = mapping.get(case.state, case.state)
        return self._record(
            case, MIGRATED_EVENT, "migrate", payload, at=at, by=by, state=state, lifecycle=lc
        )

    def correct(
        self,
        case: Case,
        seq: int,
        replacement: Any,
        *,
        reason: str,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
    ) -> Event:
        """Replace the data of event ``seq`` (a session, a consent, an assessment, a plan).

        The original stays in the log; a ``corrected`` event points to it, and the case's
        derived facts read the replacement.  For an assessment, give the corrected responses
        (or an :class:`Administration`): they are scored again with the original's
        instrument.  A correction that leaves the current state inconsistent with the guards
        that let the case in is recorded and listed in ``case.inconsistencies``.
        """
        if command_id is not None:
            found = self._repeated(
                case,
                "correct",
                command_id,
                at=at,
                by=by,
                given={"target": seq, "reason": reason, _corrected_key(case, seq): replacement},
                same=lambda _, recorded, value: self._same_replacement(
                    case, recorded, value, at, by
                ),
            )
            if found is not None:
                return found
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
        if original.type == "session_recorded":
            problem = self._session_replacement_problem(case, seq, value, at)
            if problem is not None:
                raise self._rejected(InvalidCommand, case, "correct", [problem])
        payload: dict[str, Any] = {"target": seq, key: value, "reason": reason}
        if command_id is not None:
            payload[COMMAND_ID] = command_id
        return self._fix(case, CORRECTED_EVENT, "correct", payload, at=at, by=by)

    def void(
        self,
        case: Case,
        seq: int,
        *,
        reason: str,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
    ) -> Event:
        """Mark event ``seq`` (a data event) as entered in error; it stays in the log.

        A state change is never voided: fire a transition back instead.
        """
        if command_id is not None:
            given = {"target": seq, "reason": reason}
            found = self._repeated(case, "void", command_id, at=at, by=by, given=given)
            if found is not None:
                return found
        problem = correction_problem(case, VOIDED_EVENT, seq)
        if problem is not None:
            raise self._rejected(InvalidCommand, case, "void", [problem])
        payload: dict[str, Any] = {"target": seq, "reason": reason}
        if command_id is not None:
            payload[COMMAND_ID] = command_id
        return self._fix(case, VOIDED_EVENT, "void", payload, at=at, by=by)

    def _same_replacement(
        self, case: Case, recorded: Any, value: Any, at: date | datetime, by: str
    ) -> bool:
        """True when ``value`` (responses, an Administration) scores to ``recorded``."""
        if not isinstance(recorded, Assessment) or isinstance(value, Assessment):
            return False
        probe = Event(case.id, 0, ASSESSED, recorded.at, recorded.by, case.state, "", {})
        try:
            again = self._replacement(
                case, attrs.evolve(probe, payload={"assessment": recorded}), value, at, by
            )
        except Exception:
            return False
        return bool(again == recorded)

    def _repeated(
        self,
        case: Case,
        trigger: str,
        command_id: Any,
        *,
        at: Any,
        by: Any,
        given: Mapping[str, Any],
        same: Callable[[str, Any, Any], bool] | None = None,
    ) -> Event | None:
        """The event ``command_id`` recorded on ``case``, if the command given now is the one
        it recorded (None when the id is new); :class:`DuplicateCommand` when it is not.

        Compared: the trigger, the time, the actor and each value the command gives (with
        the event's as recorded, not as corrected); ``same(key, recorded, given)`` may accept a
        value that a prepare hook turned into the recorded one.
        """
        problem = command_id_problem(command_id)
        if problem is not None:
            raise self._rejected(InvalidCommand, case, trigger, [problem])
        seq = case.commands.get(command_id)
        if seq is None:
            return None
        earlier = case.history[seq - 1]
        differences = []
        if earlier.trigger != trigger:
            differences.append("trigger")
        try:
            when: Any = as_datetime(at)
        except InvalidValue:
            when = at
        if when != earlier.at:
            differences.append("at")
        if by != earlier.actor:
            differences.append("by")
        for key, value in given.items():
            recorded = earlier.payload.get(key, _MISSING)
            if recorded is value or recorded == value:
                continue
            if same is not None and same(key, recorded, value):
                continue
            differences.append(key)
        if not differences:
            return earlier
        raise DuplicateCommand(
            case.id,
            case.state,
            trigger,
            command_id=command_id,
            seq=seq,
            differences=differences,
            allowed=self.lifecycle.triggers_from(case.state),
            reasons=[
                f"command id {command_id!r} is already recorded as #{seq} ({earlier.type}), "
                f"for a different command (it differs in: {', '.join(differences)}): "
                "give a new command a new id"
            ],
        )

    def _session_replacement_problem(
        self, case: Case, seq: int, session: SessionRecord, at: date | datetime
    ) -> str | None:
        """Why ``session`` cannot replace session event ``seq``: it would be held after the
        correction's own time, or hold a number another session of its plan holds.
        """
        if session.held_at is not None:
            try:
                if session.held_at > as_datetime(at):
                    return (
                        f"a session held at {session.held_at:%Y-%m-%d %H:%M} cannot be "
                        "recorded as held before it took place"
                    )
            except (TypeError, InvalidValue):
                return None  # reported by the correction's own checks
        if not session.held:
            return None
        start, end = 0, len(case.history)
        for ev in case.history:  # the period of seq's plan: from its plan_set to the next
            if ev.type == "plan_set" and not case.voided(ev.seq):
                if ev.seq < seq:
                    start = ev.seq
                elif end == len(case.history):
                    end = ev.seq
        for ev in case.history[start:end]:
            if ev.type != "session_recorded" or ev.seq == seq or case.voided(ev.seq):
                continue
            other = case.effective(ev).payload["session"]
            if other.held and other.number == session.number:
                return (
                    f"session {session.number} is already held (#{ev.seq}): correct #{ev.seq} "
                    "instead, or give this record its own number"
                )
        return None

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
            trial = case.copy()
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
        """What the guards that let ``case`` into its state say of it now.

        A return to where the case came from (``PREVIOUS``, e.g. out of hospital) has no
        guards of its own: the entry that counts is the one before the excursion.
        """
        history = case.history[:-1]  # the correction itself is last
        state = case.state
        for i in range(len(history) - 1, 0, -1):
            ev, before = history[i], history[i - 1]
            if ev.state != state or before.state == state:
                continue
            if ev.type == MIGRATED_EVENT or case.lifecycle_at(ev.seq) is not case.lifecycle:
                return ()  # entered under an earlier version, whose guards no longer apply
            transition = case.lifecycle.transition(before.state, ev.trigger)
            if transition is None:
                return ()
            if transition.dest == PREVIOUS:
                continue
            return self._judged(case, ev, before.state, transition.guards)
        return ()

    def _judged(
        self, case: Case, ev: Event, before: str, guards: Sequence[Any]
    ) -> tuple[tuple[int, str, str, str, str], ...]:
        probe = attrs.evolve(case, state=before)
        command = Command(ev.trigger, ev.at, ev.actor, ev.payload)
        found = []
        for guard in guards:
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
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        disorder = self._out_of_order(case, trigger, when)
        if disorder is not None:
            raise disorder
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
        self,
        case: Case,
        trigger: str,
        *,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
        **payload: Any,
    ) -> Event:
        """Fire ``trigger`` on ``case``; keyword arguments become the event's payload.

        ``command_id`` (an app-chosen idempotency key, kept in the payload as
        ``"command_id"``) makes the command safe to retry: if the case already recorded that
        id, the event it recorded is returned and nothing is appended; the same id for a
        different command raises :class:`DuplicateCommand`.
        """
        if command_id is not None:
            payload[COMMAND_ID] = command_id
        try:
            # ``payload`` is this call's own fresh dict: freeze it without another copy
            frozen = MappingProxyType(payload) if payload else EMPTY_PAYLOAD
            command = Command(trigger, as_datetime(at), _actor(by), frozen)
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        return self.execute(case, command)

    def execute(self, case: Case, command: Command) -> Event:
        """Check ``command`` against the lifecycle, record it as one event, and return it.

        A transition that needs approval records an ``approval_requested`` event instead
        (see :meth:`approve`).  A command whose payload carries a ``"command_id"`` the case
        already recorded returns that event (the same command) or raises
        :class:`DuplicateCommand` (another one), before anything else is checked.
        """
        trigger = command.trigger
        command_id = command.payload.get(COMMAND_ID)
        if command_id is not None:
            found = self._repeated(
                case,
                trigger,
                command_id,
                at=command.at,
                by=command.actor,
                given={k: v for k, v in command.payload.items() if k != COMMAND_ID},
                same=self._prepared_equal(case, command),
            )
            if found is not None:
                return found
        return self._execute(case, command, command_id, approved=False)

    def _execute(self, case: Case, command: Command, command_id: Any, *, approved: bool) -> Event:
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
        if case.history:
            disorder = self._out_of_order(case, trigger, command.at)
            if disorder is not None:
                raise disorder
        if transition.approval is not None and not approved:
            return self._request(case, command, transition)
        if "approval" in command.payload and not approved:
            raise self._rejected(
                InvalidCommand, case, trigger, ["an approval is recorded by engine.approve"]
            )
        hooks = self.hooks
        try:
            # an engine's only hook is often record_assessment's scoring hook: other commands
            # should not pay for calling empty hook points
            if hooks.prepares(trigger):
                command = hooks.prepare(case, command)
                if command_id is not None and command.payload.get(COMMAND_ID) != command_id:
                    payload = {**command.payload, COMMAND_ID: command_id}  # the id is kept
                    command = attrs.evolve(command, payload=payload)
            if trigger in LIBRARY_COMMANDS:
                self._check_record(case, command)
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

    def _check_record(self, case: Case, command: Command) -> None:
        """A library command's payload must apply, and its record must not double one."""
        trigger = command.trigger
        problem = payload_problem(self.lifecycle.event_type(trigger), command.payload)
        if problem is not None:
            raise self._rejected(InvalidCommand, case, trigger, [problem])
        rules = RECORD_RULES.get(trigger)
        if rules and any(rule(case, command) is not None for rule in rules):
            raise self._refused_record(case, command)

    def _prepared_equal(
        self, case: Case, command: Command
    ) -> Callable[[str, Any, Any], bool] | None:
        """A comparison for :meth:`_repeated`: a value the prepare hooks turn into the
        recorded one (an Administration scored into the recorded Assessment) is the same.
        """
        if not self.hooks.prepares(command.trigger):
            return None
        prepared: list[Mapping[str, Any]] = []

        def same(key: str, recorded: Any, value: Any) -> bool:
            if not prepared:
                try:
                    prepared.append(self.hooks.prepare(case, command).payload)
                except Exception:  # a retry whose data the hooks refuse is not the same
                    prepared.append({})
            return bool(prepared[0].get(key, _MISSING) == recorded)

        return same

    def _refused_record(self, case: Case, command: Command) -> GuardFailed:
        """The refusal of a library command that a record rule refused (with the guards')."""
        failed = self._reasons(case, command)
        if "distinct_record" in failed:
            seq = case.duplicate_of(self.lifecycle.event_type(command.trigger), command.payload)
            if seq is not None:
                return DuplicateRecord(
                    case.id,
                    case.state,
                    command.trigger,
                    seq=seq,
                    allowed=self.lifecycle.triggers_from(case.state),
                    failed=failed,
                )
        return self._failed(case, command.trigger, failed)

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

    # --- approvals and handoffs --------------------------------------------------------------

    def approve(
        self, case: Case, seq: int, *, by: str, at: date | datetime, note: str | None = None
    ) -> Event:
        """Approve the request recorded as event ``seq`` (or accept the handoff): the
        transition it asked for happens now, its guards asked again, by ``by``.

        The approver must hold the role the transition names (from the engine's ``workers``)
        or, for a handoff, be its receiver; nobody approves their own request.
        """
        request = self._pending(case, seq, "approve", by)
        original = {
            k: v for k, v in case.history[seq - 1].payload["command"].items() if k != COMMAND_ID
        }  # the request's own event carries the command id, not the approved one
        approval = {"request": seq, "requested_by": request.requested_by}
        if note:
            approval["note"] = note
        try:
            command = Command(
                request.trigger, as_datetime(at), _actor(by), {**original, "approval": approval}
            )
        except InvalidValue as exc:
            raise self._rejected(InvalidCommand, case, "approve", [str(exc)]) from exc
        return self._execute(case, command, None, approved=True)

    def refuse(self, case: Case, seq: int, *, reason: str, by: str, at: date | datetime) -> Event:
        """Refuse the request recorded as event ``seq`` (or decline the handoff), saying why.

        The case stays where it was; only the log changes.
        """
        request = self._pending(case, seq, "refuse", by)
        if not isinstance(reason, str) or not reason.strip():
            raise self._rejected(InvalidCommand, case, "refuse", ["a refusal needs a reason"])
        payload = {"request": seq, "reason": reason}
        return self._record(
            case, APPROVAL_REFUSED, request.trigger, payload, at=at, by=by, state=case.state
        )

    #: Accepting and declining a handoff are approving and refusing its request.
    accept = approve
    decline = refuse

    def _request(self, case: Case, command: Command, transition: Transition) -> Event:
        """Record a request for ``transition``, once its guards pass (nothing moves yet)."""
        trigger = command.trigger
        if self.hooks.prepares(trigger):
            try:
                command = self.hooks.prepare(case, command)
            except (InvalidValue, InvalidResponses) as exc:
                raise self._rejected(InvalidCommand, case, trigger, [str(exc)]) from exc
        if trigger in LIBRARY_COMMANDS:
            self._check_record(case, command)
        failed = self._reasons(case, command)
        if failed:
            raise self._failed(case, trigger, failed)
        waiting = [a.seq for a in case.pending if a.trigger == trigger]
        if waiting:
            raise self._rejected(
                InvalidCommand, case, trigger, [f"already waiting for approval as #{waiting[0]}"]
            )
        handoff = transition.approval == RECEIVER
        approver = command.payload.get(RECEIVER_KEYS[trigger]) if handoff else transition.approval
        command_id = command.payload.get(COMMAND_ID)
        payload = {
            "requested": trigger,
            "approver": approver,
            "handoff": handoff,
            "command": {k: v for k, v in command.payload.items() if k != COMMAND_ID},
            **({COMMAND_ID: command_id} if command_id is not None else {}),
        }
        return self._record(
            case,
            APPROVAL_REQUESTED,
            trigger,
            payload,
            at=command.at,
            by=command.actor,
            state=case.state,
        )

    def _pending(self, case: Case, seq: int, what: str, by: str) -> PendingApproval:
        """The pending request ``seq`` that ``by`` may decide, or the refusal saying why not."""
        request = next((a for a in case.pending if a.seq == seq), None)
        if request is None:
            waiting = ", ".join(f"#{a.seq} {a.trigger}" for a in case.pending) or "none"
            raise self._rejected(
                InvalidCommand, case, what, [f"no request #{seq} is waiting (waiting: {waiting})"]
            )
        problem = self._approver_problem(request, by)
        if problem is not None:
            raise self._failed(case, what, {"approver": problem})
        return request

    def _approver_problem(self, request: PendingApproval, by: str) -> str | None:
        if by == request.requested_by:
            return f"{by!r} made the request: another worker must decide it"
        if request.handoff:
            if by != request.approver:
                return f"only the receiver, {request.approver!r}, accepts or declines this handoff"
            return None
        worker = self.workers.get(by)
        if worker is None:
            return (
                f"{by!r} is not among the station's workers this engine knows "
                "(give them with Engine(workers=...))"
            )
        if worker.role != request.approver:
            return (
                f"{by!r} is a {worker.role.value}; {request.trigger} needs a "
                f"{request.approver}'s approval"
            )
        return None

    # --- library commands --------------------------------------------------------------------

    def record_consent(
        self,
        case: Case,
        consent: Consent,
        *,
        by: str,
        at: date | datetime | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Record a consent (dated when it was given unless ``at`` says otherwise)."""
        if not isinstance(consent, Consent):
            raise self._rejected(InvalidCommand, case, "record_consent", ["expected a Consent"])
        return self.fire(
            case,
            "record_consent",
            at=consent.given_at if at is None else at,
            by=by,
            command_id=command_id,
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
        command_id: str | None = None,
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
            command_id=command_id,
            giver=giver,
            giver_id=giver_id,
            scope=scope,
            reason=reason,
        )

    def set_plan(
        self,
        case: Case,
        plan: SessionPlan,
        *,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
    ) -> Event:
        """Set the session plan (10 sessions unless the plan says otherwise)."""
        if not isinstance(plan, SessionPlan):
            raise self._rejected(InvalidCommand, case, "set_plan", ["expected a SessionPlan"])
        return self.fire(case, "set_plan", at=at, by=by, command_id=command_id, plan=plan)

    def revise_plan(
        self,
        case: Case,
        sessions: int,
        *,
        reason: str,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
    ) -> Event:
        """Raise the number of planned sessions, saying why."""
        return self.fire(
            case,
            "revise_plan",
            at=at,
            by=by,
            command_id=command_id,
            sessions=sessions,
            reason=reason,
        )

    def record_session(
        self,
        case: Case,
        session: SessionRecord,
        *,
        by: str,
        at: date | datetime | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Record a session; dated when it was held (or scheduled) unless ``at`` is given.

        A held session is refused when its number is already held under the plan in force
        (:class:`DuplicateRecord`, naming that event: correct it instead), when it is dated
        after ``at``, or when no consent was in force at the time it was held.
        """
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
        return self.fire(
            case, "record_session", at=when, by=by, command_id=command_id, session=session
        )

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
        command_id: str | None = None,
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
        return self.fire(
            case, "record_assessment", at=at, by=by, command_id=command_id, assessment=given
        )

    def transfer(
        self,
        case: Case,
        to: str,
        *,
        reason: str,
        at: date | datetime,
        by: str,
        command_id: str | None = None,
    ) -> Event:
        """Assign the case to another worker; the state does not change."""
        return self.fire(
            case, "transfer", at=at, by=by, command_id=command_id, to=to, reason=reason
        )

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

    def _out_of_order(self, case: Case, trigger: str, when: datetime) -> CommandRejected | None:
        """The refusal of a command dated before the case's latest event, or None."""
        if not case.history:
            return None
        last = case.history[-1].at
        try:
            early = when < last
        except TypeError:
            return self._rejected(
                InvalidCommand,
                case,
                trigger,
                ["the command's time and the case's times mix naive and timezone-aware"],
            )
        if not early:
            return None
        return self._failed(
            case,
            trigger,
            {
                CHRONOLOGY: f"dated {when:%Y-%m-%d %H:%M}, before the case's latest event "
                f"({last:%Y-%m-%d %H:%M})"
            },
        )

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
        for rule in RECORD_RULES.get(command.trigger, ()):
            try:
                reason = rule(case, command)
            except Exception as exc:
                reason = f"the rule raised: {_describe(exc)}"
            if reason is not None:
                failed[callable_name(rule)] = reason
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


def _corrected_key(case: Case, seq: Any) -> str:
    """The payload key a correction of event ``seq`` carries its replacement under."""
    if isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq <= case.version:
        return CORRECTABLE.get(case.history[seq - 1].type, "replacement")
    return "replacement"


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, CaseworkError) else f"{type(exc).__name__}: {exc}"


def _actor(by: Any) -> str:
    if not isinstance(by, str) or not by.strip():
        raise InvalidValue("by", f"the actor must be a non-empty string, got {by!r}")
    return by

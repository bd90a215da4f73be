"""The one seam with ``transitions``: compile a lifecycle into a shared machine and fire it.

The machine is built with ``model=None`` and no auto transitions; nothing is ever bound to a
case.  Each command runs on a throwaway :class:`Attempt` that carries the case's state, so a
refused or failing command never touches the case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from transitions import Machine
from transitions import State as _TState

from casework._support import callable_name
from casework.events import Event
from casework.lifecycle import PREVIOUS

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command
    from casework.lifecycle import Guard, Hook, Lifecycle

__all__ = ["Attempt", "GuardCrashed", "compile_machine", "fire", "machine_for"]

#: Only the parent logger is quieted: ``transitions.core`` (and the extensions' loggers) inherit
#: its level, so an app that sets ``logging.getLogger("transitions")`` to INFO, before or after
#: importing casework, gets transitions' log lines back.  Setting ``transitions.core`` here too
#: would pin it to WARNING and silently override that choice.
_TRANSITIONS_LOGGER = "transitions"


def quiet_transitions_logging() -> None:
    """Keep ``transitions`` from paying for INFO logging unless the app chose a level for it.

    An app that sets the root logger to INFO would otherwise make every transition several
    times slower.  A level the app set explicitly on the ``transitions`` logger (or on
    ``transitions.core``) is left alone.
    """
    logger = logging.getLogger(_TRANSITIONS_LOGGER)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


class Attempt:
    """One command in flight: the model ``transitions`` fires on, discarded afterwards."""

    __slots__ = ("case", "command", "event", "event_type", "state")

    def __init__(self, case: Case, command: Command, event_type: str) -> None:
        self.state = case.state
        self.case = case
        self.command = command
        self.event_type = event_type
        self.event: Event | None = None


class GuardCrashed(Exception):
    """A guard raised instead of answering; carried out of the machine to the engine."""

    def __init__(self, name: str, error: Exception) -> None:
        super().__init__(name, error)
        self.name = name
        self.error = error


def _condition(guard: Guard) -> Callable[[Any], bool]:
    name = callable_name(guard)

    def check(ed: Any) -> bool:
        model: Attempt = ed.model
        try:
            return guard(model.case, model.command) is None
        except Exception as exc:
            raise GuardCrashed(name, exc) from exc

    check.__name__ = name
    return check


def _came_from(state: str) -> Callable[[Any], bool]:
    def check(ed: Any) -> bool:
        return bool(ed.model.case.previous_state == state)

    return check


def _hook(hook: Hook) -> Callable[[Any], None]:
    def call(ed: Any) -> None:
        model: Attempt = ed.model
        hook(model.case, model.event)  # type: ignore[arg-type]

    call.__name__ = callable_name(hook)
    return call


def _event(a: Attempt, dest: str | None) -> Event:
    c = a.command
    case = a.case
    return Event(
        case.id,
        len(case.history) + 1,  # case.version, without a property call on the hot path
        a.event_type,
        c.at,
        c.actor,
        dest or a.state,
        c.trigger,
        c.payload,
    )


def _make_event(ed: Any) -> None:
    ed.model.event = _event(ed.model, ed.transition.dest)


def compile_machine(lc: Lifecycle) -> Any:
    """Build the one ``transitions`` machine shared by every case of ``lc``."""
    quiet_transitions_logging()
    states = [
        _TState(s.name, on_enter=[*map(_hook, s.on_enter)], on_exit=[*map(_hook, s.on_exit)])
        for s in lc.states
    ]
    has_hooks = any(s.on_enter or s.on_exit for s in lc.states) or any(
        t.before or t.after for t in lc.transitions
    )
    transitions: list[dict[str, Any]] = []
    for t in lc.transitions:
        guards = [_condition(g) for g in t.guards]
        hooks_before = [*map(_hook, t.before)]
        hooks_after = [*map(_hook, t.after)]
        for src in lc.sources(t):
            dests = lc.destinations(src, t.trigger)
            for dest in dests:
                extra = [_came_from(dest)] if t.dest == PREVIOUS else []
                transitions.append(
                    {
                        "trigger": t.trigger,
                        "source": src,
                        "dest": None if t.dest is None else dest,
                        "conditions": extra + guards,
                        "before": hooks_before,
                        "after": hooks_after,
                    }
                )
    return Machine(
        model=None,
        states=states,
        initial=lc.initial.name,
        transitions=transitions,
        auto_transitions=False,
        send_event=True,
        # the event is made inside the machine only when definition hooks need to see it
        before_state_change=[_make_event] if has_hooks else [],
        name=f"{lc.id}: ",
    )


def machine_for(lc: Lifecycle) -> Any:
    """The machine of ``lc``, compiled on first use and kept on the (shared) definition."""
    machine = lc._machine
    if machine is None:
        machine = compile_machine(lc)
        object.__setattr__(lc, "_machine", machine)
    return machine


def fire(lc: Lifecycle, case: Case, command: Command) -> Event | None:
    """Run ``command`` through the shared machine; the event it becomes, or None if refused."""
    attempt = Attempt(case, command, lc._event_of[command.trigger])
    machine = lc._machine
    if machine is None:
        machine = machine_for(lc)
    if machine.events[command.trigger].trigger(attempt):
        # after the trigger the attempt is in the destination state
        return attempt.event or _event(attempt, attempt.state)
    return None

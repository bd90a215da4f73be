"""Hooks an app registers at the points of a command's run, without subclassing anything.

Points, in the order they run: ``prepare`` (may add data to the command before the guards),
``before`` a trigger, ``exit`` of the old state, ``enter`` of the new one, ``after`` the
trigger, then ``event`` (every recorded event).  All run before the event is committed: a
hook that raises rejects the command and leaves the case as it was.

``committed`` hooks run last, once the events are stored and applied: the place for side
effects that must not happen for a command that then fails (an SMS, a notification).  They
cannot undo the command; one that raises is reported as
:class:`~casework.errors.CommittedHookFailed`, saying the events were recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from casework.errors import DefinitionError
from casework.lifecycle import ALERT_EVENT, OPEN_EVENT

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command, Event
    from casework.lifecycle import Lifecycle

__all__ = ["ANY", "Hooks", "Prepare"]

#: Register for every trigger (before, after, prepare) or every state (enter, exit).
ANY = "*"
#: A prepare hook returns data to add to the command's payload, or None.
Prepare = Callable[["Case", "Command"], "Mapping[str, Any] | None"]
F = TypeVar("F", bound=Callable[..., Any])


class Hooks:
    """The hooks of one :class:`~casework.engine.Engine`; several callables per point."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self._lifecycle = lifecycle
        self._table: dict[tuple[str, str], list[Callable[..., Any]]] = {}
        #: Triggers with prepare hooks (``ANY`` for all), and whether any later point has one;
        #: kept up to date on registration so commands without hooks pay nothing for them.
        self._preparing: set[str] = set()
        self.observing = False

    def _put(self, point: str, key: str, func: Callable[..., Any]) -> None:
        self._table.setdefault((point, key), []).append(func)
        if point == "prepare":
            self._preparing.add(key)
        else:
            self.observing = True

    def prepares(self, trigger: str) -> bool:
        """True when a prepare hook is registered for ``trigger`` (or for every trigger)."""
        preparing = self._preparing
        return bool(preparing) and (trigger in preparing or ANY in preparing)

    def __repr__(self) -> str:
        points = ", ".join(f"{p}:{k}={len(v)}" for (p, k), v in self._table.items())
        return f"<Hooks {points or 'none'}>"

    def __bool__(self) -> bool:
        return bool(self._table)

    def _add(self, point: str, key: str, func: F | None) -> Any:
        if key != ANY:
            known = (
                self._lifecycle.has_state(key)
                if point in ("enter", "exit")
                else key in self._lifecycle.triggers
            )
            if not known:
                kind = "state" if point in ("enter", "exit") else "trigger"
                raise DefinitionError(self._lifecycle.id, [f"{point} hook: unknown {kind} {key!r}"])

        def register(f: F) -> F:
            if not callable(f):
                raise TypeError(f"hook {f!r} is not callable")
            self._put(point, key, f)
            return f

        return register if func is None else register(func)

    def on_prepare(self, trigger: str, func: Prepare | None = None) -> Any:
        """``func(case, command)`` may return a mapping merged into the command's payload."""
        return self._add("prepare", trigger, func)

    def before(self, trigger: str, func: Callable[[Case, Event], None] | None = None) -> Any:
        """``func(case, event)`` runs once the guards passed, before the state changes."""
        return self._add("before", trigger, func)

    def after(self, trigger: str, func: Callable[[Case, Event], None] | None = None) -> Any:
        """``func(case, event)`` runs after the state changed, before the event is committed."""
        return self._add("after", trigger, func)

    def on_enter(self, state: str, func: Callable[[Case, Event], None] | None = None) -> Any:
        """``func(case, event)`` runs when a case enters ``state``."""
        return self._add("enter", state, func)

    def on_exit(self, state: str, func: Callable[[Case, Event], None] | None = None) -> Any:
        """``func(case, event)`` runs when a case leaves ``state``."""
        return self._add("exit", state, func)

    def on_event(
        self, func: Callable[[Case, Event], None] | None = None, *, type: str = ANY
    ) -> Any:
        """``func(case, event)`` runs for every event (or every event of ``type``) before commit."""
        if type != ANY and type not in _event_types(self._lifecycle):
            raise DefinitionError(self._lifecycle.id, [f"event hook: unknown event type {type!r}"])

        def register(f: Callable[[Case, Event], None]) -> Callable[[Case, Event], None]:
            self._put("event", type, f)
            return f

        return register if func is None else register(func)

    def on_committed(
        self, func: Callable[[Case, Event], None] | None = None, *, type: str = ANY
    ) -> Any:
        """``func(case, event)`` runs after every event (or every event of ``type``) is stored
        and applied; ``case`` is then the case with the event.
        """
        if type != ANY and type not in _event_types(self._lifecycle):
            raise DefinitionError(
                self._lifecycle.id, [f"committed hook: unknown event type {type!r}"]
            )

        def register(f: Callable[[Case, Event], None]) -> Callable[[Case, Event], None]:
            self._put("committed", type, f)
            return f

        return register if func is None else register(func)

    def run(self, point: str, key: str, case: Case, event: Event) -> None:
        """Call the hooks registered at ``point`` for ``key``, then those for every key."""
        table = self._table
        if not table:
            return
        for f in table.get((point, key), ()):
            f(case, event)
        for f in table.get((point, ANY), ()):
            f(case, event)

    def prepare(self, case: Case, command: Command) -> Command:
        """``command`` with what each prepare hook adds; each hook sees the earlier additions."""
        for key in (command.trigger, ANY):
            for f in self._table.get(("prepare", key), ()):
                extra = f(case, command)
                if extra:
                    command = attrs.evolve(command, payload={**command.payload, **extra})
        return command


def _event_types(lifecycle: Lifecycle) -> set[str]:
    return {lifecycle.event_type(t) for t in lifecycle.triggers} | {OPEN_EVENT, ALERT_EVENT}

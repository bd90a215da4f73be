"""Lifecycle definitions: states and transitions as data, validated when built.

A :class:`Lifecycle` is a value: it can be printed, compared, turned into a plain dict (for JSON
or TOML) and drawn as DOT.  It is compiled once, when built, into one ``transitions`` machine
that every case using it shares; cases never hold a machine of their own.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from casework._support import callable_name
from casework.errors import DefinitionError
from casework.events import (
    ALERT_EVENT,
    APPROVAL_REFUSED,
    APPROVAL_REQUESTED,
    CORRECTED_EVENT,
    ERASED_EVENT,
    LIBRARY_COMMANDS,
    MIGRATED_EVENT,
    OPEN_EVENT,
    VOIDED_EVENT,
)
from casework.records import Phase, Role

if TYPE_CHECKING:
    from casework.case import Case
    from casework.events import Command, Event

__all__ = [
    "ALERT_EVENT",
    "LIBRARY_COMMANDS",
    "OPEN_EVENT",
    "PREVIOUS",
    "Guard",
    "Hook",
    "Lifecycle",
    "LifecycleChanges",
    "State",
    "StateClass",
    "Transition",
    "callable_name",
]

#: A guard reads the case and the command and returns ``None`` to allow it, or a reason to refuse.
Guard = Callable[["Case", "Command"], "str | None"]
#: A hook sees the case (as it was before the command) and the event the command is becoming.
Hook = Callable[["Case", "Event"], None]

#: Destination meaning "back to the state the case was in before entering the source state".
PREVIOUS = "@previous"
#: Source selectors: every non-terminal state, every open state, every closed state.
ANY, ANY_OPEN, ANY_CLOSED = "*", "@open", "@closed"

#: Event types only casework itself records; no transition may record them.
RESERVED_EVENTS = frozenset(
    {
        OPEN_EVENT,
        ALERT_EVENT,
        MIGRATED_EVENT,
        CORRECTED_EVENT,
        VOIDED_EVENT,
        APPROVAL_REQUESTED,
        APPROVAL_REFUSED,
        ERASED_EVENT,
    }
)
#: ``Transition.approval`` naming the receiver of a handoff (the worker a transfer names in
#: ``to``, the agency a referral out names in ``agency``) rather than a role.
RECEIVER = "@receiver"
#: The payload key naming the receiver, per handoff trigger.
RECEIVER_KEYS: Mapping[str, str] = {"transfer": "to", "refer_out": "agency"}


class StateClass(enum.StrEnum):
    """Whether a case in the state is open (being served) or closed."""

    OPEN = "open"
    CLOSED = "closed"


def _names(value: Any) -> tuple[Any, ...] | Any:
    """A name or callable, or a collection of them, as a tuple; anything else is kept as given
    for the definition's checks to report (never a bare ``TypeError`` from ``tuple()``)."""
    if isinstance(value, str) or callable(value):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        return tuple(value)
    return value


def _phases(value: Any) -> tuple[Phase | Any, ...] | Any:
    """Assessment phases as :class:`Phase` members; anything else is kept for validation."""
    if not isinstance(value, str) and (
        not isinstance(value, Iterable) or isinstance(value, Mapping | bytes)
    ):
        return value
    found: list[Phase | Any] = []
    for p in (value,) if isinstance(value, str) else tuple(value):
        try:
            found.append(Phase(p))
        except ValueError:
            found.append(p)
    return tuple(found)


def _category(value: Any) -> StateClass | Any:
    try:
        return StateClass(value)
    except ValueError:
        return value  # reported by the state's checks, with the valid choices


def _text_problem(field: str, value: Any) -> str | None:
    if isinstance(value, str):
        return None
    return f"{field}: expected a string, got {value!r}"


def _flag_problem(field: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    return f"{field}: expected true or false, got {value!r}"


def _collection_problems(field: str, value: Any, what: str) -> list[str]:
    if not isinstance(value, tuple):
        return [f"{field}: expected a {what} or a list of them, got {value!r}"]
    return []


def _raise_problems(kind: str, name: Any, problems: list[str]) -> None:
    if problems:
        raise DefinitionError(f"{kind} {name}" if isinstance(name, str) else kind, problems)


@attrs.frozen
class State:
    """A state of the lifecycle, with its labels in Chinese and English.

    ``assessments`` lists the phases (:class:`~casework.records.Phase`) in which an instrument
    may be recorded while a case is in this state; the ``assessment_fits_phase`` guard of
    ``record_assessment`` reads it, so no guard needs to know any lifecycle's state names.
    """

    name: str
    zh: str = ""
    en: str = ""
    category: StateClass = attrs.field(default=StateClass.OPEN, converter=_category)
    initial: bool = False
    terminal: bool = False
    on_enter: tuple[Hook, ...] = attrs.field(default=(), converter=_names)
    on_exit: tuple[Hook, ...] = attrs.field(default=(), converter=_names)
    assessments: tuple[Phase, ...] = attrs.field(default=(), converter=_phases)

    def __attrs_post_init__(self) -> None:
        problems = [p for p in (_text_problem("name", self.name),) if p]
        problems += [
            p for f in ("zh", "en") if (p := _text_problem(f, getattr(self, f))) is not None
        ]
        if not isinstance(self.category, StateClass):
            choices = ", ".join(m.value for m in StateClass)
            problems.append(f"category: {self.category!r} is not one of: {choices}")
        problems += [
            p
            for f in ("initial", "terminal")
            if (p := _flag_problem(f, getattr(self, f))) is not None
        ]
        problems += _collection_problems("on_enter", self.on_enter, "hook")
        problems += _collection_problems("on_exit", self.on_exit, "hook")
        if not isinstance(self.assessments, tuple):
            problems.append(
                f"assessments: expected a phase or a list of phases, got {self.assessments!r}"
            )
        else:
            choices = ", ".join(m.value for m in Phase)
            problems += [
                f"assessments[{i}]: {p!r} is not a phase ({choices})"
                for i, p in enumerate(self.assessments)
                if not isinstance(p, Phase)
            ]
        _raise_problems("state", self.name, problems)

    @property
    def is_open(self) -> bool:
        """True for a state in which the case is open."""
        return self.category is StateClass.OPEN

    def label(self, lang: str = "en") -> str:
        """The state's display label in ``lang`` ("zh" or "en"), falling back to its name."""
        return (self.zh if lang == "zh" else self.en) or self.name


@attrs.frozen
class Transition:
    """A trigger that moves a case from any of ``source`` to ``dest``, recorded as ``event``.

    ``dest=None`` is an internal transition (the state does not change); ``dest=PREVIOUS``
    returns to the state the case left to enter the source state (used by *resume*).
    Sources may name states or use ``"*"``, ``"@open"``, ``"@closed"``.

    ``approval`` makes it two-step: firing it records a request, and the transition happens
    only when a worker with that role (e.g. ``"supervisor"``) approves it; ``"@receiver"``
    makes a handoff that the receiver it names accepts (a transfer's ``to``, a referral's
    ``agency``).
    """

    trigger: str
    source: tuple[str, ...] = attrs.field(converter=_names)
    dest: str | None
    event: str = ""
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_names)
    before: tuple[Hook, ...] = attrs.field(default=(), converter=_names)
    after: tuple[Hook, ...] = attrs.field(default=(), converter=_names)
    zh: str = ""
    en: str = ""
    approval: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            p
            for f in ("trigger", "event", "zh", "en")
            if (p := _text_problem(f, getattr(self, f))) is not None
        ]
        if isinstance(self.source, tuple):
            problems += [
                f"source[{i}]: expected a state name, got {src!r}"
                for i, src in enumerate(self.source)
                if not isinstance(src, str)
            ]
        else:
            problems.append(
                f"source: expected a state name or a list of names, got {self.source!r}"
            )
        if self.dest is not None and not isinstance(self.dest, str):
            problems.append(f"dest: expected a state name (or none), got {self.dest!r}")
        problems += _collection_problems("guards", self.guards, "guard")
        problems += _collection_problems("before", self.before, "hook")
        problems += _collection_problems("after", self.after, "hook")
        _raise_problems("transition", self.trigger, problems)

    @property
    def event_type(self) -> str:
        """The event this transition records: its own, or the library's for library commands."""
        return self.event or LIBRARY_COMMANDS.get(self.trigger, "")

    @property
    def internal(self) -> bool:
        """True when the transition leaves the state unchanged."""
        return self.dest is None


def _states(value: Iterable[State]) -> tuple[State, ...]:
    return _names(value) if not isinstance(value, str) else value


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return _names(value) if not isinstance(value, str) else value


@attrs.frozen(repr=False)
class Lifecycle:
    """A whole case lifecycle; validated and compiled when built, shared by all its cases."""

    id: str
    states: tuple[State, ...] = attrs.field(converter=_states)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    version: int = 1
    zh: str = ""
    en: str = ""
    _by_name: dict[str, State] = attrs.field(init=False, eq=False, hash=False)
    _table: dict[str, dict[str, tuple[Transition, tuple[str, ...]]]] = attrs.field(
        init=False, eq=False, hash=False
    )
    _event_of: dict[str, str] = attrs.field(init=False, eq=False, hash=False)
    #: The shared ``transitions`` machine, compiled by :mod:`casework._machine` on first use.
    _machine: Any = attrs.field(init=False, default=None, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = list(_validate(self))
        if problems:
            raise DefinitionError(
                self.id if isinstance(self.id, str) and self.id else "<unnamed>", problems
            )
        object.__setattr__(self, "_by_name", {s.name: s for s in self.states})
        table: dict[str, dict[str, tuple[Transition, tuple[str, ...]]]] = {}
        for t in self.transitions:
            for src in self.sources(t):
                table.setdefault(src, {})[t.trigger] = (t, self._destinations(t, src))
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_event_of", {t.trigger: t.event_type for t in self.transitions})

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt (and validated) from its definition; the compiled machine is not data
        return (
            Lifecycle,
            (self.id, self.states, self.transitions, self.version, self.zh, self.en),
        )

    def __repr__(self) -> str:
        return (
            f"<Lifecycle {self.id!r} v{self.version}: {len(self.states)} states, "
            f"{len(self.triggers)} triggers, initial {self.initial.name!r}>"
        )

    # --- queries -----------------------------------------------------------------------------

    @property
    def initial(self) -> State:
        """The state every case starts in."""
        return next(s for s in self.states if s.initial)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger name, in definition order."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def state(self, name: str) -> State:
        """The state called ``name`` (KeyError if there is none)."""
        return self._by_name[name]

    def has_state(self, name: str) -> bool:
        """True when the lifecycle defines a state called ``name``."""
        return name in self._by_name

    def event_type(self, trigger: str) -> str:
        """The event type a trigger records."""
        return self._event_of[trigger]

    def transition(self, state: str, trigger: str) -> Transition | None:
        """The transition ``trigger`` fires from ``state``, or None when it is not allowed there."""
        entry = self._table.get(state, {}).get(trigger)
        return entry[0] if entry else None

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """Triggers defined from ``state``, before any guard is consulted."""
        return tuple(self._table.get(state, {}))

    def destinations(self, state: str, trigger: str) -> tuple[str, ...]:
        """States ``trigger`` can lead to from ``state`` (several only for ``PREVIOUS``)."""
        entry = self._table.get(state, {}).get(trigger)
        return entry[1] if entry else ()

    def sources(self, t: Transition) -> tuple[str, ...]:
        """The concrete source states of a transition, its selectors expanded."""
        return tuple(dict.fromkeys(_expand(self.states, t.source)))

    def _destinations(self, t: Transition, src: str) -> tuple[str, ...]:
        if t.dest is None:
            return (src,)
        if t.dest == PREVIOUS:
            return _predecessors(self, src)
        return (t.dest,)

    def changes_since(self, older: Lifecycle) -> LifecycleChanges:
        """What this version of a lifecycle drops and adds compared with ``older``.

        Check a new version against the one in use before shipping it: every state that
        disappeared needs a mapping when open cases are migrated (``Engine.migrate``).
        """
        if not isinstance(older, Lifecycle):
            raise TypeError(f"changes_since needs a Lifecycle, got {type(older).__name__}")
        old_states = [s.name for s in older.states]
        new_states = [s.name for s in self.states]
        return LifecycleChanges(
            lifecycle=self.id,
            from_version=older.version,
            to_version=self.version,
            removed_states=tuple(n for n in old_states if n not in new_states),
            added_states=tuple(n for n in new_states if n not in old_states),
            removed_triggers=tuple(t for t in older.triggers if t not in self.triggers),
            added_triggers=tuple(t for t in self.triggers if t not in older.triggers),
        )

    # --- data --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (str, int, bool, list, dict) of the definition; callables by name."""
        return {
            "id": self.id,
            "version": self.version,
            "zh": self.zh,
            "en": self.en,
            "states": [
                {
                    "name": s.name,
                    "zh": s.zh,
                    "en": s.en,
                    "category": s.category.value,
                    "initial": s.initial,
                    "terminal": s.terminal,
                    "on_enter": [callable_name(h) for h in s.on_enter],
                    "on_exit": [callable_name(h) for h in s.on_exit],
                    "assessments": [str(p) for p in s.assessments],
                }
                for s in self.states
            ],
            "transitions": [
                {
                    "trigger": t.trigger,
                    "source": list(t.source),
                    "dest": t.dest,
                    "event": t.event,
                    "guards": [callable_name(g) for g in t.guards],
                    "before": [callable_name(h) for h in t.before],
                    "after": [callable_name(h) for h in t.after],
                    "zh": t.zh,
                    "en": t.en,
                    **({"approval": t.approval} if t.approval is not None else {}),
                }
                for t in self.transitions
            ],
        }

    @classmethod
    def from_dict(  # noqa: PLR0915 - one pass that collects every problem of the dict
        cls,
        data: Mapping[str, Any],
        *,
        guards: Mapping[str, Guard] | None = None,
        hooks: Mapping[str, Hook] | None = None,
    ) -> Lifecycle:
        """Build a lifecycle from a plain dict, resolving guard and hook names in the mappings.

        Names resolve only in the mappings given: a :class:`~casework.catalogue.Catalogue`
        passes casework's built-in guards and the app's own (``catalogue.lifecycle_from_dict``).
        Every problem found (unknown keys, unknown names, a broken graph) is reported at once.
        """
        given_guards = guards is not None
        guards = guards or {}
        hooks = hooks or {}
        raw_id = data.get("id", "<unnamed>") if isinstance(data, Mapping) else "<unnamed>"
        lid = raw_id if isinstance(raw_id, str) and raw_id else "<unnamed>"
        problems: list[str] = []
        if not isinstance(data, Mapping):
            raise DefinitionError(lid, [f"expected a mapping, got {type(data).__name__}"])

        lost = False  # an item could not be built: the graph's problems would only echo it

        def resolve(
            kind: str, names: Any, table: Mapping[str, Any], where: str, path: str
        ) -> list[Any]:
            found = []
            if names is None:
                names = ()
            shaped = _names(names)
            if not isinstance(shaped, tuple):
                problems.append(f"{path}: expected a {kind} name or a list of names, got {names!r}")
                return []
            for i, name in enumerate(shaped):
                if callable(name):
                    found.append(name)
                elif not isinstance(name, str):
                    problems.append(f"{path}[{i}]: expected a {kind} name, got {name!r}")
                elif name in table:
                    found.append(table[name])
                elif kind == "guard" and not given_guards:
                    problems.append(
                        f"{where}: unknown guard {name!r} (no guards= given: build it with "
                        "catalogue.lifecycle_from_dict, which knows casework's built-in guards)"
                    )
                else:
                    problems.append(f"{where}: unknown {kind} {name!r}")
            return found

        def take(
            item: Any, where: str, allowed: set[str], required: tuple[str, ...] = ()
        ) -> dict[str, Any] | None:
            if not isinstance(item, Mapping):
                problems.append(f"{where}: expected a mapping, got {type(item).__name__}")
                return None
            extra = sorted(set(item) - allowed, key=str)
            if extra:
                problems.append(f"{where}: unknown keys {extra}{_suggest(extra, allowed)}")
            missing = [k for k in required if k not in item]
            if missing:
                problems.append(f"{where}: missing {', '.join(repr(k) for k in missing)}")
                return None
            return {k: v for k, v in item.items() if k in allowed}

        def items(key: str) -> list[Any]:
            nonlocal lost
            value = top.get(key, [])
            if isinstance(value, list | tuple):
                return list(value)
            problems.append(f"{key}: expected a list, got {value!r}")
            lost = True
            return []

        def build(kind: type[Any], fields: dict[str, Any] | None, path: str, where: str) -> Any:
            nonlocal lost
            if fields is not None:
                try:
                    return kind(**fields)
                except DefinitionError as exc:  # each field's problem, at its path in the dict
                    problems.extend(f"{path}.{p}" for p in exc.problems)
                except (TypeError, ValueError) as exc:
                    problems.append(f"{where}: {exc}")
            lost = True
            return None

        top = take(data, "lifecycle", {"id", "version", "zh", "en", "states", "transitions"}) or {}
        states = []
        for i, raw in enumerate(items("states")):
            path = f"states[{i}]"
            s = take(raw, path, _STATE_KEYS, ("name",))
            if s is not None:
                where = f"{path} ({s.get('name', '?')})"
                for key in ("on_enter", "on_exit"):
                    s[key] = resolve("hook", s.get(key), hooks, where, f"{path}.{key}")
            if (state := build(State, s, path, path)) is not None:
                states.append(state)
        transitions = []
        for i, raw in enumerate(items("transitions")):
            path = f"transitions[{i}]"
            t = take(raw, path, _TRANSITION_KEYS, ("trigger", "source"))
            if t is not None:
                t.setdefault("dest", None)  # no destination: internal (TOML has no null)
                where = f"{path} ({t.get('trigger', '?')})"
                t["guards"] = resolve("guard", t.get("guards"), guards, where, f"{path}.guards")
                for key in ("before", "after"):
                    t[key] = resolve("hook", t.get(key), hooks, where, f"{path}.{key}")
            if (transition := build(Transition, t, path, path)) is not None:
                transitions.append(transition)
        if lost:  # the graph of a half-read dict would only echo the items that are missing
            raise DefinitionError(lid, problems)
        try:
            built = cls(
                id=top.get("id", ""),
                version=top.get("version", 1),
                zh=top.get("zh", ""),
                en=top.get("en", ""),
                states=states,
                transitions=transitions,
            )
        except DefinitionError as exc:  # report the graph's problems with the dict's own
            problems.extend(exc.problems)
        if problems:
            raise DefinitionError(lid, problems)
        return built

    def to_dot(self, lang: str = "en") -> str:
        """The lifecycle as Graphviz DOT text (no extra needed to produce it)."""
        lines = [f'digraph "{self.id}" {{', "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for s in self.states:
            shape = "doublecircle" if s.terminal else ("box" if s.is_open else "box, style=dashed")
            attrs_ = f'label="{_dot_escape(s.label(lang))}", shape={shape}'
            if s.initial:
                attrs_ += ", penwidth=2"
            lines.append(f'  "{s.name}" [{attrs_}];')
        for t in self.transitions:
            label = (t.zh if lang == "zh" else t.en) or t.trigger
            for src in self.sources(t):
                for dst in self._destinations(t, src):
                    style = ", style=dotted" if t.dest is None else ""
                    lines.append(f'  "{src}" -> "{dst}" [label="{_dot_escape(label)}"{style}];')
        lines.append("}")
        return "\n".join(lines)


@attrs.frozen
class LifecycleChanges:
    """The states and triggers a new version of a lifecycle dropped and added."""

    lifecycle: str
    from_version: int
    to_version: int
    removed_states: tuple[str, ...] = ()
    added_states: tuple[str, ...] = ()
    removed_triggers: tuple[str, ...] = ()
    added_triggers: tuple[str, ...] = ()

    @property
    def breaking(self) -> bool:
        """True when something disappeared (open cases then need an explicit mapping)."""
        return bool(self.removed_states or self.removed_triggers)

    def __str__(self) -> str:
        head = f"{self.lifecycle} v{self.from_version} -> v{self.to_version}"
        parts = [
            f"{what}: {', '.join(names)}"
            for what, names in (
                ("states removed", self.removed_states),
                ("states added", self.added_states),
                ("triggers removed", self.removed_triggers),
                ("triggers added", self.added_triggers),
            )
            if names
        ]
        return f"{head}: {'; '.join(parts) or 'no change of states or triggers'}"


_STATE_KEYS = {
    "name",
    "zh",
    "en",
    "category",
    "initial",
    "terminal",
    "on_enter",
    "on_exit",
    "assessments",
}
_TRANSITION_KEYS = {
    "trigger",
    "source",
    "dest",
    "event",
    "guards",
    "before",
    "after",
    "zh",
    "en",
    "approval",
}


#: Keys other libraries use for a transition's fields, and the one casework spells them with.
_ALIASES = {
    "from": "source",
    "src": "source",
    "sources": "source",
    "to": "dest",
    "destination": "dest",
    "target": "dest",
    "conditions": "guards",
    "guard": "guards",
    "on_entry": "on_enter",
    "enter": "on_enter",
    "exit": "on_exit",
    "type": "category",
    "label": "en",
}


def _suggest(unknown: Iterable[Any], allowed: set[str]) -> str:
    """``" (did you mean 'source' for 'from'?)"`` for the unknown keys with a likely spelling."""
    hints = []
    for key in unknown:
        if not isinstance(key, str):
            continue
        guess = _ALIASES.get(key.lower())
        if guess not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            guess = close[0] if close else None
        if guess is not None:
            hints.append(f"{guess!r} for {key!r}")
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _expand(states: Iterable[State], selectors: Iterable[str]) -> Iterator[str]:
    states = tuple(states)
    for sel in selectors:
        if sel == ANY:
            yield from (s.name for s in states if not s.terminal)
        elif sel == ANY_OPEN:
            yield from (s.name for s in states if s.is_open and not s.terminal)
        elif sel == ANY_CLOSED:
            yield from (s.name for s in states if not s.is_open and not s.terminal)
        else:
            yield sel


def _predecessors(lc: Lifecycle, state: str) -> tuple[str, ...]:
    """States from which a fixed-destination transition leads into ``state``."""
    found: dict[str, None] = {}
    for t in lc.transitions:
        if t.dest == state:
            for src in _expand(lc.states, t.source):
                if src != state:
                    found[src] = None
    return tuple(found)


def _shape_problems(lc: Lifecycle) -> Iterator[str]:
    """Wrong types in a lifecycle built in code: reported before the graph is looked at."""
    for field, kind in (("states", State), ("transitions", Transition)):
        value = getattr(lc, field)
        if not isinstance(value, tuple):
            yield f"{field}: expected a list of {kind.__name__}, got {value!r}"
            continue
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                yield f"{field}[{i}]: expected a {kind.__name__}, got {item!r}"


def _validate(lc: Lifecycle) -> Iterator[str]:
    if not isinstance(lc.id, str) or not lc.id:
        yield f"id: the lifecycle needs a non-empty string id, got {lc.id!r}"
    if isinstance(lc.version, bool) or not isinstance(lc.version, int) or lc.version < 1:
        yield f"version must be a positive integer, got {lc.version!r}"
    for field in ("zh", "en"):
        if (p := _text_problem(field, getattr(lc, field))) is not None:
            yield p
    shape = list(_shape_problems(lc))
    if shape:
        yield from shape
        return
    names = [s.name for s in lc.states]
    if not names:
        yield "no states"
        return
    for n in names:
        if not isinstance(n, str) or not n.isidentifier():
            yield f"state name {n!r} must be an identifier"
    for n in sorted({n for n in names if names.count(n) > 1}):
        yield f"state {n!r} is defined more than once"
    initial = [s.name for s in lc.states if s.initial]
    if len(initial) != 1:
        yield f"exactly one initial state is required, found {len(initial)}: {initial}"
    yield from _validate_transitions(lc, set(names))
    yield from _validate_graph(lc, names, initial)


def _validate_transitions(lc: Lifecycle, known: set[str]) -> Iterator[str]:
    selectors = {ANY, ANY_OPEN, ANY_CLOSED}
    event_of: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for t in lc.transitions:
        where = f"transition {t.trigger!r}"
        if not isinstance(t.trigger, str) or not t.trigger.isidentifier():
            yield f"{where}: trigger must be an identifier"
        for src in t.source:
            if src not in known and src not in selectors:
                yield f"{where}: unknown source state {src!r}"
        if not t.source:
            yield f"{where}: no source state"
        if t.dest is not None and t.dest != PREVIOUS and t.dest not in known:
            yield f"{where}: unknown destination state {t.dest!r}"
        if t.trigger in LIBRARY_COMMANDS:
            if t.dest is not None:
                yield f"{where}: a library command must be an internal transition (dest None)"
            if t.event and t.event != LIBRARY_COMMANDS[t.trigger]:
                yield (
                    f"{where}: records {LIBRARY_COMMANDS[t.trigger]!r}, "
                    f"not {t.event!r} (library command)"
                )
        elif not t.event:
            yield f"{where}: needs an event name (the past-tense fact it records)"
        if t.approval is not None:
            yield from _approval_problems(t, where)
        if t.event_type in RESERVED_EVENTS:
            yield f"{where}: {t.event_type!r} is reserved for casework's own events"
        previous = event_of.setdefault(t.trigger, t.event_type)
        if previous != t.event_type:
            yield f"{where}: records {t.event_type!r} here but {previous!r} elsewhere"
        for kind, funcs in (("guard", t.guards), ("hook", t.before + t.after)):
            for f in funcs:
                if not callable(f):
                    yield f"{where}: {kind} {f!r} is not callable"
        for src in set(_expand(lc.states, t.source)):
            if (src, t.trigger) in seen:
                yield f"trigger {t.trigger!r} is defined twice from state {src!r}"
            seen.add((src, t.trigger))
    assessed: set[str] = set()
    for t in lc.transitions:
        if t.trigger == "record_assessment":
            assessed.update(_expand(lc.states, t.source))
    for s in lc.states:
        for h in s.on_enter + s.on_exit:
            if not callable(h):
                yield f"state {s.name!r}: hook {h!r} is not callable"
        if s.assessments and s.name not in assessed:
            yield (
                f"state {s.name!r} lists assessments, but record_assessment is not allowed from it"
            )


def _approval_problems(t: Transition, where: str) -> Iterator[str]:
    roles = [r.value for r in Role]
    if t.approval == RECEIVER:
        if t.trigger not in RECEIVER_KEYS:
            yield (
                f"{where}: only {', '.join(sorted(RECEIVER_KEYS))} name a receiver to accept "
                "a handoff"
            )
    elif t.approval not in roles:
        yield f"{where}: approval {t.approval!r} is not a role ({', '.join(roles)}) or {RECEIVER!r}"


def _validate_graph(lc: Lifecycle, names: list[str], initial: list[str]) -> Iterator[str]:
    known = set(names)
    if len(initial) != 1 or any(
        (t.dest not in known and t.dest not in (None, PREVIOUS)) for t in lc.transitions
    ):
        return
    moves: dict[str, set[str]] = {n: set() for n in names}
    for t in lc.transitions:
        if t.dest is None:
            continue
        for src in _expand(lc.states, t.source):
            if src not in moves:
                continue
            if t.dest == PREVIOUS:
                moves[src].update(_predecessors(lc, src))
            else:
                moves[src].add(t.dest)
    reached = {initial[0]}
    frontier = [initial[0]]
    while frontier:
        for nxt in moves[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    for n in names:
        if n not in reached:
            yield f"state {n!r} cannot be reached from the initial state {initial[0]!r}"
    for s in lc.states:
        if s.terminal and moves[s.name]:
            yield f"terminal state {s.name!r} has transitions out of it"
        if not s.terminal and not moves[s.name]:
            yield f"state {s.name!r} has no way out; mark it terminal if that is intended"

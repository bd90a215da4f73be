"""The read side's input: a station's cases and journals, and the facts indicators count.

A :class:`Dataset` is built once (from a store, or from cases and journals in memory) and
never writes anything.  It reads the station records out of the journals (the latest
registration of an id wins) and derives, on first use, the time-ordered facts every indicator
counts: cases opened, entries into each state, held sessions.  Times are compared as
recorded: timezone-aware times by their own wall clock.
"""

from __future__ import annotations

import bisect
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, ParamSpec, TypeVar

import attrs

from casework.case import Case
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import InvalidValue, UnknownDefinition
from casework.events import MIGRATED_EVENT
from casework.journal import JOURNAL_OPENED, Journal
from casework.lifecycle import Lifecycle, StateClass
from casework.recording import EVENT_TYPES
from casework.records import Worker
from casework.reporting.labels import Label, state_labels
from casework.reporting.period import Period
from casework.station import (
    Activity,
    PartnerOrganisation,
    Project,
    Station,
    Volunteer,
    VolunteerService,
    VolunteerTeam,
)
from casework.store.errors import UnknownLifecycle

__all__ = [
    "ActivityTotals",
    "CaseFact",
    "Dataset",
    "Fact",
    "in_period",
    "reads_dataset",
    "state_at",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def reads_dataset(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Refuse, with :class:`~casework.errors.InvalidValue` naming the argument, a first argument
    that is no :class:`Dataset` and a ``period`` that is neither ``None`` nor a
    :class:`~casework.reporting.period.Period` (``case_flow(ds, "2023")``).

    .. versionadded:: 0.12
    """
    names = list(inspect.signature(func).parameters)
    at = names.index("period") if "period" in names else None
    where = func.__name__

    @functools.wraps(func)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        ds = args[0] if args else kwargs.get(names[0])
        if not isinstance(ds, Dataset):
            raise InvalidValue(
                f"{where}: {names[0]}", f"expected a Dataset, got {type(ds).__name__}"
            )
        if at is not None:
            period = args[at] if len(args) > at else kwargs.get("period")
            if period is not None and not isinstance(period, Period):
                raise InvalidValue(
                    f"{where}: period",
                    f"expected a Period (Period.year(2023), Period.month(2023, 5)), got {period!r}",
                )
        return func(*args, **kwargs)

    return checked


#: A dated fact: (when, subject id, amount).  Subjects are case, activity or volunteer ids.
Fact = tuple[datetime, str, float]

R = TypeVar("R")


def _naive(when: datetime) -> datetime:
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def in_period(facts: Sequence[Fact], period: Period | None) -> Sequence[Fact]:
    """The facts (sorted by time) that fall in ``period`` (all of them for ``None``)."""
    if period is None:
        return facts
    lo = bisect.bisect_left(facts, period.start_at, key=lambda f: f[0])
    hi = bisect.bisect_left(facts, period.end_at, key=lambda f: f[0])
    return facts[lo:hi]


_DAY = timedelta(days=1)


class CaseFact(NamedTuple):
    """What indicators read of a case besides its dated facts (times as recorded, naive).

    A named tuple: a projection makes one per case, so it must be cheap to make.
    """

    id: str
    programme: str | None
    opened_at: datetime
    last_at: datetime
    is_open: bool
    planned_sessions: int | None


@attrs.frozen
class ActivityTotals:
    """Activities of one kind in a period: how many, their participants, and the volunteer
    hours listed on them.
    """

    activities: int
    participants: int
    volunteer_hours: float

    def __add__(self, other: ActivityTotals) -> ActivityTotals:
        return ActivityTotals(
            self.activities + other.activities,
            self.participants + other.participants,
            self.volunteer_hours + other.volunteer_hours,
        )


def state_at(case: Case, at: datetime) -> str | None:
    """The case's state at ``at``: that of its latest event dated at or before ``at``.

    None when the case was not yet opened then.
    """
    history = case.history
    i = bisect.bisect_right(history, at, key=lambda e: e.at.replace(tzinfo=None))
    return history[i - 1].state if i else None


def _durations(case: Case, until: datetime) -> dict[str, float]:
    """Days ``case`` spent in each state up to ``until`` (events after it are ignored).

    Times are summed exactly (as durations) and turned into days once per state.
    """
    spent: dict[str, timedelta] = {}
    history = case.history
    for i, ev in enumerate(history):
        start = ev.at.replace(tzinfo=None)
        if start > until:
            break
        nxt = history[i + 1].at.replace(tzinfo=None) if i + 1 < len(history) else until
        stop = min(nxt, until)
        spent[ev.state] = spent.get(ev.state, timedelta()) + (stop - start)
    return {state: t / _DAY for state, t in spent.items()}


def _check_unique(where: str, items: Sequence[Case | Journal], kind: type) -> None:
    ids: set[str] = set()
    for item in items:
        if not isinstance(item, kind):
            raise InvalidValue(where, f"expected {kind.__name__} objects, got {item!r}")
        if item.id in ids:
            raise InvalidValue(where, f"{item.id!r} appears twice")
        ids.add(item.id)


def _shipped() -> dict[str, Lifecycle]:
    return {lc.id: lc for lc in DEFAULT_CATALOGUE.lifecycles}


class Dataset:
    """A station's cases and journals, as read by reports (never changed by them).

    ``Dataset(cases, journals)`` from objects in memory; :meth:`from_store` from a store.
    """

    #: The district's name when the dataset is several stations' (see ``District``).
    district: str | None = None

    def __init__(self, cases: Iterable[Case] = (), journals: Iterable[Journal] = ()) -> None:
        self.cases: tuple[Case, ...] = tuple(cases)
        self.journals: tuple[Journal, ...] = tuple(journals)
        for where, items, kind in (
            ("cases", self.cases, Case),
            ("journals", self.journals, Journal),
        ):
            ids = set()
            for item in items:
                if not isinstance(item, kind):
                    raise InvalidValue(where, f"expected {kind.__name__} objects, got {item!r}")
                if item.id in ids:
                    raise InvalidValue(where, f"{item.id!r} appears twice")
                ids.add(item.id)
        self._records: dict[str, dict[str, Any]] = {t: {} for t in EVENT_TYPES}
        self._services: list[VolunteerService] = []
        for journal in self.journals:
            for ev in journal.history:
                spec = EVENT_TYPES.get(ev.type)
                if spec is None:
                    continue
                record: Any = ev.payload.get(spec[0])
                expected: Any = spec[1]
                if not isinstance(record, expected):
                    continue
                if isinstance(record, VolunteerService):
                    self._services.append(record)
                else:
                    self._records[ev.type][record.id] = record
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"<Dataset: {len(self.cases)} cases, {len(self.activities)} activities, "
            f"{len(self.journals)} journals>"
        )

    @classmethod
    def from_store(
        cls,
        store: Any,
        *,
        catalogue: Catalogue | None = None,
        lifecycles: Mapping[str, Lifecycle] | Iterable[Lifecycle] | None = None,
    ) -> Dataset:
        """Every case and journal in ``store``, read in one pass over ``store.stream()``.

        Cases are replayed with the ``catalogue`` (default: the store's own, else the shipped
        one plus ``lifecycles``), each event under the lifecycle version it was recorded with.
        """
        if catalogue is None and lifecycles is not None:
            given = lifecycles.values() if isinstance(lifecycles, Mapping) else lifecycles
            catalogue = DEFAULT_CATALOGUE.extended(lifecycles=given)
        if catalogue is None:
            catalogue = getattr(store, "catalogue", None) or DEFAULT_CATALOGUE
        streams: dict[str, list[Any]] = {}
        for ev in store.stream():
            streams.setdefault(ev.case_id, []).append(ev)
        cases, journals = [], []
        for stream_id, events in streams.items():
            events.sort(key=lambda e: e.seq)
            if events[0].type == JOURNAL_OPENED:
                journals.append(Journal.replay(events))
                continue
            try:
                cases.append(Case.replay(events, catalogue))
            except UnknownDefinition as exc:  # as the store itself would say it
                raise UnknownLifecycle(stream_id, exc.id, exc.known, exc.version) from exc
        return cls(cases, journals)

    # --- station records --------------------------------------------------------------------

    def _of(self, event_type: str, _cls: type[R]) -> dict[str, R]:
        return self._records[event_type]

    @property
    def station(self) -> Station | None:
        """The station's details, if a journal registered them (the latest wins)."""
        stations = list(self._of("station_registered", Station).values())
        return stations[-1] if stations else None

    @property
    def projects(self) -> dict[str, Project]:
        """Registered projects by id."""
        return self._of("project_registered", Project)

    @property
    def teams(self) -> dict[str, VolunteerTeam]:
        """Registered volunteer teams by id."""
        return self._of("team_registered", VolunteerTeam)

    @property
    def volunteers(self) -> dict[str, Volunteer]:
        """Registered volunteers by id."""
        return self._of("volunteer_registered", Volunteer)

    @property
    def partners(self) -> dict[str, PartnerOrganisation]:
        """Registered partner organisations by id."""
        return self._of("partner_registered", PartnerOrganisation)

    @property
    def workers(self) -> dict[str, Worker]:
        """Registered staff by id."""
        return self._of("worker_registered", Worker)

    @property
    def activities(self) -> tuple[Activity, ...]:
        """Recorded activities, by date."""
        if "activities" not in self._cache:
            found = self._of("activity_recorded", Activity).values()
            self._cache["activities"] = tuple(sorted(found, key=lambda a: (a.on, a.id)))
        acts: tuple[Activity, ...] = self._cache["activities"]
        return acts

    @property
    def services(self) -> tuple[VolunteerService, ...]:
        """Volunteer hours recorded outside activities, by date."""
        return tuple(sorted(self._services, key=lambda s: s.on))

    @property
    def project_labels(self) -> dict[str, Label]:
        """Each registered project's name as its display label (names are not translated)."""
        return {p.id: Label(p.name, p.name) for p in self.projects.values()}

    def project_of(self, case: Case) -> Project | None:
        """The registered project a case's ``programme`` names (by id or name), if any."""
        if case.programme is None:
            return None
        found = self.projects.get(case.programme)
        if found is not None:
            return found
        for p in self.projects.values():
            if p.includes(case.programme):
                return p
        return None

    def project_key(self, case: Case) -> str | None:
        """The id of the case's project if registered, else its ``programme`` as recorded."""
        return self.project_key_of(case.programme)

    def project_key_of(self, programme: str | None) -> str | None:
        """The id of the registered project ``programme`` names, else ``programme`` itself."""
        if programme is None:
            return None
        keys: dict[str, str] = self._cache.setdefault("project_keys", {})  # asked per case
        if programme not in keys:
            keys[programme] = self._project_key_of(programme)
        return keys[programme]

    def _project_key_of(self, programme: str) -> str:
        found = self.projects.get(programme)
        if found is not None:
            return found.id
        for p in self.projects.values():
            if p.includes(programme):
                return p.id
        return programme

    @property
    def lifecycles(self) -> tuple[Lifecycle, ...]:
        """The lifecycles the cases follow (those casework ships when there are no cases)."""
        found: dict[str, Lifecycle] = {}
        for c in self.cases:
            found.setdefault(c.lifecycle.id, c.lifecycle)
        return tuple(found.values()) or tuple(_shipped().values())

    @property
    def state_labels(self) -> dict[str, Label]:
        """Labels of every state of the cases' lifecycles, from their definitions."""
        return state_labels(self.lifecycles)

    # --- facts ------------------------------------------------------------------------------
    #
    # Indicators read cases only through the methods below, so a dataset kept in fact tables
    # (casework.reporting.projections) answers them without replaying a case.

    def case_facts(self) -> Sequence[CaseFact]:
        """Each case's programme, opening and latest times, openness and planned sessions."""
        if "case_facts" not in self._cache:
            self._cache["case_facts"] = tuple(
                CaseFact(
                    c.id,
                    c.programme,
                    _naive(c.opened_at),
                    _naive(c.history[-1].at),
                    c.is_open,
                    c.planned_sessions,
                )
                for c in self.cases
            )
        facts: Sequence[CaseFact] = self._cache["case_facts"]
        return facts

    def latest(self) -> datetime:
        """The time of the latest event of any case or journal (``datetime.min`` if none)."""
        times = [_naive(c.history[-1].at) for c in self.cases if c.history]
        times += [_naive(j.history[-1].at) for j in self.journals]
        return max(times) if times else datetime.min

    def states_at(self, at: datetime) -> dict[str, int]:
        """How many cases were in each state at ``at`` (cases not yet opened are left out)."""
        counts: dict[str, int] = {}
        for case in self.cases:
            state = state_at(case, at)
            if state is not None:
                counts[state] = counts.get(state, 0) + 1
        return counts

    def open_at(self, at: datetime) -> int:
        """How many cases were in an open-class state at ``at``."""
        n = 0
        for case in self.cases:
            state = state_at(case, at)
            if state is not None and case.lifecycle.state(state).category is StateClass.OPEN:
                n += 1
        return n

    def state_days(
        self, until: datetime, states: Iterable[str] | None = None
    ) -> dict[str, list[float]]:
        """Per state, the days each case opened by ``until`` spent in it up to ``until``
        (summed over the case's stays; cases never in the state are not listed), sorted.

        ``states`` keeps only those states (all of them for ``None``).
        """
        wanted = None if states is None else set(states)
        out: dict[str, list[float]] = {}
        for case in self.cases:
            if _naive(case.opened_at) > until:
                continue
            for state, days in _durations(case, until).items():
                if wanted is None or state in wanted:
                    out.setdefault(state, []).append(days)
        for values in out.values():
            values.sort()
        return out

    def _facts(self, name: str) -> list[Fact]:
        if name not in self._cache:
            self._derive()
        facts: list[Fact] = self._cache[name]
        return facts

    def _derive(self) -> None:
        opened: list[Fact] = []
        sessions: list[Fact] = []
        entries: dict[str, list[Fact]] = {}
        for case in self.cases:
            previous = None
            for ev in case.history:
                if ev.state != previous:
                    if ev.type != MIGRATED_EVENT:  # a state renamed by a new version: no entry
                        entries.setdefault(ev.state, []).append((_naive(ev.at), case.id, 1))
                    previous = ev.state
            for s in case.sessions:  # as corrected: a voided session is not among them
                if s.held and s.held_at is not None:
                    sessions.append((_naive(s.held_at), case.id, 1))
            opened.append((_naive(case.opened_at), case.id, 1))
        for facts in (opened, sessions, *entries.values()):
            facts.sort()
        self._cache["opened"] = opened
        self._cache["sessions"] = sessions
        self._cache["entries"] = entries

    def opened(self, period: Period | None = None) -> Sequence[Fact]:
        """``(when, case id, 1)`` for each case opened in ``period``."""
        return in_period(self._facts("opened"), period)

    def entries(self, state: str, period: Period | None = None) -> Sequence[Fact]:
        """``(when, case id, 1)`` each time a case entered ``state`` in ``period``.

        A case enters a state with the first event that leaves it there (its opening event
        enters the initial state); internal events in the same state are not entries.
        """
        return in_period(self._entries().get(state, []), period)

    def _entries(self) -> dict[str, list[Fact]]:
        """Entries by state (derived with the other facts on first use)."""
        if "entries" not in self._cache:
            self._derive()
        entries: dict[str, list[Fact]] = self._cache["entries"]
        return entries

    def held_per_case(self, period: Period | None = None) -> dict[str, int]:
        """Held sessions in ``period`` (by their ``held_at``) per case id, for cases with any."""
        held: dict[str, int] = {}
        for _, case_id, _ in self.held_sessions(period):
            held[case_id] = held.get(case_id, 0) + 1
        return held

    def held_sessions(self, period: Period | None = None) -> Sequence[Fact]:
        """``(held at, case id, 1)`` for each held session in ``period`` (by its ``held_at``)."""
        return in_period(self._facts("sessions"), period)

    def activity_facts(self, period: Period | None = None) -> list[Activity]:
        """The activities held in ``period`` (by their day)."""
        acts = self.activities
        if period is None:
            return list(acts)
        lo = bisect.bisect_left(acts, period.start, key=lambda a: a.on)
        hi = bisect.bisect_left(acts, period.end, key=lambda a: a.on)
        return list(acts[lo:hi])

    # --- counts (what measures read; a projection answers them in the database) ----------

    def opened_count(self, period: Period | None = None) -> int:
        """How many cases were opened in ``period`` (``len(opened(period))``)."""
        return len(self.opened(period))

    def entered_count(self, state: str, period: Period | None = None) -> int:
        """How many distinct cases entered ``state`` in ``period`` (see :meth:`entries`)."""
        return len({case_id for _, case_id, _ in self.entries(state, period)})

    def held_count(self, period: Period | None = None) -> int:
        """How many sessions were held in ``period`` (``len(held_sessions(period))``)."""
        return len(self.held_sessions(period))

    def activity_totals(self, period: Period | None = None) -> dict[str, ActivityTotals]:
        """Per activity kind (its code) with any activity in ``period``: how many, their
        participants and the volunteer hours listed on them.
        """
        out: dict[str, ActivityTotals] = {}
        for a in self.activity_facts(period):
            mine = ActivityTotals(1, a.participants, float(a.volunteer_hours))
            kind = a.kind.value
            out[kind] = out[kind] + mine if kind in out else mine
        return out

    def hours_by_volunteer(self, period: Period | None = None) -> dict[str, float]:
        """Each volunteer's hours in ``period``: at activities held then, and recorded outside
        activities on a day in it (volunteers without hours are not listed).
        """
        hours: dict[str, float] = {}
        for a in self.activity_facts(period):
            for v in a.volunteers:
                hours[v.volunteer] = hours.get(v.volunteer, 0.0) + v.hours
        for s in self.services:
            if period is None or s.on in period:
                hours[s.volunteer] = hours.get(s.volunteer, 0.0) + s.hours
        return hours

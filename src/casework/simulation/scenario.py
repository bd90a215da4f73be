"""What a simulated project is: a :class:`Scenario`, frozen data validated when it is built.

A scenario says how children are referred (rate, monthly seasonality, screening pass rate,
consent rate), who serves them (teams with weekly session capacity), the service plan
(sessions, cadence, no-show and dropout probabilities), how long each step takes, station
holidays, and how MHT scores change.  It is a value: printable, comparable, picklable (so it
travels to worker processes), loadable from a dict or a TOML file, and changed by
:meth:`Scenario.with_changes` (which validates again).

Every check runs before anything is simulated, and every problem is reported at once, each
named by its path in the scenario (``plan.dropout``, ``teams[1].sessions_per_week``), in a
:class:`ScenarioError`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs

from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.errors import InvalidValue, UnknownDefinition
from casework.lifecycle import Lifecycle

__all__ = [
    "CADENCES",
    "ChangeModel",
    "Holiday",
    "Outreach",
    "OutreachGroup",
    "PlanSpec",
    "Problem",
    "Referrals",
    "Scenario",
    "ScenarioError",
    "Team",
    "Timing",
    "load_scenarios",
    "resolve_lifecycle",
]

#: A problem found in a scenario: (path of the parameter, what is wrong with it).
Problem = tuple[str, str]

#: Session cadences and the number of weeks between two sessions of one case.
CADENCES: Mapping[str, int] = {"weekly": 1, "fortnightly": 2}

#: MHT total range: the eight content scales have 90 items between them.
MHT_TOTAL_MAX = 90


class ScenarioError(InvalidValue):
    """A scenario was refused; ``problems`` lists every ``(path, problem)`` found, not just one.

    It is an :class:`~casework.errors.InvalidValue` whose ``where`` is the first path.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        listing = "\n".join(f"  - {path}: {msg}" for path, msg in self.problems)
        super().__init__(
            self.problems[0][0] if self.problems else "scenario",
            f"{len(self.problems)} problem(s) in the scenario:\n{listing}",
        )

    def __str__(self) -> str:
        return self.problem


# --- checks shared by the sections --------------------------------------------------------------


def _number(
    path: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    above: float | None = None,
    integer: bool = False,
) -> list[Problem]:
    """Problems with a number: wrong type, not finite, or out of range."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        what = "a whole number" if integer else "a number"
        return [(path, f"must be {what}, got {value!r}")]
    x = float(value)
    if not math.isfinite(x):
        return [(path, f"must be finite, got {value!r}")]
    if lo is not None and hi is not None and not lo <= x <= hi:
        return [(path, f"must be between {lo:g} and {hi:g}, got {value!r}")]
    if lo is not None and x < lo:
        return [(path, f"must be at least {lo:g}, got {value!r}")]
    if above is not None and not x > above:
        return [(path, f"must be more than {above:g}, got {value!r}")]
    return []


def _probability(path: str, value: Any) -> list[Problem]:
    return _number(path, value, lo=0.0, hi=1.0)


def _text(path: str, value: Any) -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [(path, f"must be a non-empty string, got {value!r}")]
    return []


def _date(path: str, value: Any) -> list[Problem]:
    if isinstance(value, datetime) or not isinstance(value, date):
        return [(path, f"must be a date, got {value!r}")]
    return []


def _tuple(value: Any) -> Any:
    """Lists become tuples (so scenarios hash and compare); anything else is checked later."""
    return tuple(value) if isinstance(value, list | tuple) else value


class _Section:
    """Validation shared by every section: all problems of a section are raised together."""

    def _problems(self) -> list[Problem]:
        raise NotImplementedError

    def __attrs_post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ScenarioError(problems)


# --- the sections -------------------------------------------------------------------------------


@attrs.frozen
class Referrals(_Section):
    """How children reach the station, and how many go on to be served.

    ``per_week``: mean referrals a week (a Poisson process), scaled each month by
    ``seasonality`` (12 factors, January first; e.g. more after school starts in September).
    ``screening_pass``: share of consenting children whose screening MHT is high enough to be
    admitted.  ``consent``: share of families where child and guardian both consent.
    """

    per_week: float
    seasonality: tuple[float, ...] = attrs.field(default=(1.0,) * 12, converter=_tuple)
    screening_pass: float = 0.8
    consent: float = 0.9

    def _problems(self) -> list[Problem]:
        p = [
            *_number("referrals.per_week", self.per_week, lo=0),
            *_probability("referrals.screening_pass", self.screening_pass),
            *_probability("referrals.consent", self.consent),
        ]
        s = self.seasonality
        if not isinstance(s, tuple) or len(s) != 12:
            p.append(("referrals.seasonality", f"must be 12 monthly factors, got {s!r}"))
        else:
            for i, f in enumerate(s):
                p += _number(f"referrals.seasonality[{i}]", f, lo=0)
            if not p and self.per_week > 0 and not any(s):
                p.append(("referrals.seasonality", "every factor is 0: no child can be referred"))
        return p

    def rate_per_day(self, month: int) -> float:
        """Referrals a day in ``month`` (1-12)."""
        return self.per_week * self.seasonality[month - 1] / 7.0


@attrs.frozen
class Team(_Section):
    """Workers of one kind: ``count`` people, each holding ``sessions_per_week`` session slots.

    ``role`` is a :class:`~casework.records.Role` value.  Social workers lead cases (each case
    gets one, in turn); anyone with session capacity delivers sessions.  A worker with 2
    sessions a week holds two weekly cases or four fortnightly ones at a time.
    """

    name: str
    role: str = "social_worker"
    count: int = 1
    sessions_per_week: float = 1.0

    def _problems(self) -> list[Problem]:
        from casework.records import Role

        p = [
            *_text("team.name", self.name),
            *_number("team.count", self.count, lo=0, integer=True),
            *_number("team.sessions_per_week", self.sessions_per_week, lo=0),
        ]
        roles = {r.value for r in Role}
        if self.role not in roles:
            p.append(("team.role", f"{self.role!r} is not one of: {', '.join(sorted(roles))}"))
        if not p and self.sessions_per_week != int(self.sessions_per_week):
            p.append(("team.sessions_per_week", "slots are whole sessions a week"))
        return p

    @property
    def workers(self) -> tuple[str, ...]:
        """The ids of the team's workers (``NAME-1``, ``NAME-2``...), as sessions record them."""
        return tuple(f"{self.name}-{i + 1}" for i in range(self.count))

    @property
    def capacity_per_week(self) -> float:
        """Sessions the whole team can hold in a working week."""
        return self.count * self.sessions_per_week


@attrs.frozen
class Holiday(_Section):
    """Days (``start`` to ``end``, both included) when no session is held: 春节, 国庆."""

    name: str
    start: date
    end: date

    def _problems(self) -> list[Problem]:
        p = [
            *_text("holiday.name", self.name),
            *_date("holiday.start", self.start),
            *_date("holiday.end", self.end),
        ]
        if not p and self.end < self.start:
            p.append(("holiday.end", f"{self.end} is before the start {self.start}"))
        return p

    def covers(self, day: date) -> bool:
        """True when ``day`` falls in the holiday."""
        return self.start <= day <= self.end


@attrs.frozen
class PlanSpec(_Section):
    """The service plan every admitted child gets, and how families keep to it.

    ``no_show``: chance a scheduled session does not happen because the family is not there
    (it is recorded as a no-show and rescheduled at the next slot).  ``dropout``: chance a
    family leaves during the intervention (the guardian withdraws consent and the case is
    withdrawn with a reason).  ``grace_weeks``: after the plan's own length plus this many
    weeks the intervention is ended early and evaluated as it stands.
    """

    sessions: int = 10
    cadence: str = "weekly"
    no_show: float = 0.1
    dropout: float = 0.1
    grace_weeks: int = 8

    def _problems(self) -> list[Problem]:
        p = [
            *_number("plan.sessions", self.sessions, lo=1, integer=True),
            *_probability("plan.no_show", self.no_show),
            *_probability("plan.dropout", self.dropout),
            *_number("plan.grace_weeks", self.grace_weeks, lo=0, integer=True),
        ]
        if self.cadence not in CADENCES:
            p.append(("plan.cadence", f"{self.cadence!r} is not one of: {', '.join(CADENCES)}"))
        elif not p and self.no_show == 1:
            p.append(("plan.no_show", "1 means no session is ever held"))
        return p

    @property
    def interval_weeks(self) -> int:
        """Weeks between two sessions of one case."""
        return CADENCES[self.cadence]


@attrs.frozen
class Timing(_Section):
    """Days each step of the process takes (means of exponential delays, except ``close``)."""

    screen_days: float = 7.0
    consent_days: float = 3.0
    assess_days: float = 5.0
    plan_days: float = 3.0
    first_session_days: float = 3.0
    close_days: float = 7.0

    def _problems(self) -> list[Problem]:
        return [
            problem
            for f in attrs.fields(type(self))
            for problem in _number(f"timing.{f.name}", getattr(self, f.name), lo=0)
        ]


@attrs.frozen
class ChangeModel(_Section):
    """How MHT totals are drawn, so that real 100-item protocols can be generated and scored.

    A child's baseline total is drawn from Normal(``baseline_mean``, ``baseline_sd``); after the
    full plan it is expected to fall by ``expected_reduction`` points (pro rata for a plan ended
    early) with Normal(0, ``change_sd``) noise; each answer is then drawn item by item, so the
    scored total also carries the test's own sampling noise.  ``reliability`` and
    ``reliability_sd`` (both or neither) are the r and SD for reliable change; without them they
    are estimated from each run's own simulated baselines (KR-20).
    """

    baseline_mean: float = 60.0
    baseline_sd: float = 10.0
    expected_reduction: float = 15.0
    change_sd: float = 8.0
    screened_out_mean: float = 30.0
    crisis_rate: float = 0.01
    validity_yes: float = 0.1
    reliability: float | None = None
    reliability_sd: float | None = None

    def _problems(self) -> list[Problem]:
        p = [
            *_number("mht.baseline_mean", self.baseline_mean, lo=0, hi=MHT_TOTAL_MAX),
            *_number("mht.baseline_sd", self.baseline_sd, lo=0),
            *_number(
                "mht.expected_reduction",
                self.expected_reduction,
                lo=-MHT_TOTAL_MAX,
                hi=MHT_TOTAL_MAX,
            ),
            *_number("mht.change_sd", self.change_sd, lo=0),
            *_number("mht.screened_out_mean", self.screened_out_mean, lo=0, hi=MHT_TOTAL_MAX),
            *_probability("mht.crisis_rate", self.crisis_rate),
            *_probability("mht.validity_yes", self.validity_yes),
        ]
        if (self.reliability is None) != (self.reliability_sd is None):
            p.append(
                ("mht.reliability", "give reliability and reliability_sd together, or neither")
            )
        if self.reliability is not None:
            r = _number("mht.reliability", self.reliability, lo=0)
            if not r and self.reliability >= 1:
                r = [("mht.reliability", f"must be below 1, got {self.reliability!r}")]
            p += r
        if self.reliability_sd is not None:
            p += _number("mht.reliability_sd", self.reliability_sd, above=0)
        return p

    @property
    def reliability_source(self) -> str:
        """Where the reliable-change figures' r and SD come from."""
        if self.reliability is None:
            return "estimated from each run's simulated baselines (KR-20)"
        return f"supplied: r={self.reliability:g}, SD={self.reliability_sd:g}"


@attrs.frozen
class OutreachGroup(_Section):
    """People under watch of one target group: how many, how often visited, what visits find.

    ``target_group`` is a :class:`~casework.records.TargetGroup` value; ``people`` are registered
    at the start.  ``visit_every`` (days) defaults to the group's rhythm in
    :data:`~casework.outreach.DEFAULT_VISIT_DAYS`.  ``minutes``: worker time one visit takes,
    travel included.  ``need_rate``: share of visits that find a need; ``referral_share``: share
    of those that become a referral (a case opened from the visit).
    """

    target_group: str
    people: int
    visit_every: int | None = None
    minutes: float = 60.0
    need_rate: float = 0.05
    referral_share: float = 0.5

    def _problems(self) -> list[Problem]:
        from casework.outreach import DEFAULT_VISIT_DAYS
        from casework.records import TargetGroup

        p = [
            *_number("group.people", self.people, lo=0, integer=True),
            *_number("group.minutes", self.minutes, above=0),
            *_probability("group.need_rate", self.need_rate),
            *_probability("group.referral_share", self.referral_share),
        ]
        groups = {g.value for g in TargetGroup}
        if self.target_group not in groups:
            p.append(
                (
                    "group.target_group",
                    f"{self.target_group!r} is not one of: {', '.join(sorted(groups))}",
                )
            )
        if self.visit_every is not None:
            p += _number("group.visit_every", self.visit_every, lo=1, integer=True)
        elif self.target_group in groups and self.target_group not in DEFAULT_VISIT_DAYS:
            p.append(
                ("group.visit_every", f"no default rhythm for {self.target_group!r}: give one")
            )
        return p

    @property
    def interval(self) -> int:
        """Days between two visits to one person (given, or the group's default rhythm)."""
        from casework.outreach import DEFAULT_VISIT_DAYS

        return (
            self.visit_every
            if self.visit_every is not None
            else DEFAULT_VISIT_DAYS[self.target_group]
        )

    @property
    def visits_per_year(self) -> float:
        """Visits the group needs in a year if everybody is visited on their rhythm."""
        return self.people * 365.0 / self.interval


@attrs.frozen
class Outreach(_Section):
    """The outreach register (走访): people under watch by group, and the time workers give it.

    Every worker of the visiting ``teams`` (default: the social-worker teams) gives
    ``hours_per_week`` to outreach, spread evenly over the weekdays (Monday to Friday, holidays
    left out), beside their session slots: sessions keep their own timetable, so visits and
    sessions never compete for the same hour.  People are shared among the visiting workers in
    turn; each worker visits the people due first, on or after the day they are due, as long as
    that day's outreach hours last; the rest wait and become overdue.
    """

    groups: tuple[OutreachGroup, ...] = attrs.field(converter=_tuple)
    hours_per_week: float = 8.0
    teams: tuple[str, ...] = attrs.field(default=(), converter=_tuple)

    _LISTS: ClassVar[Mapping[str, type[_Section]]] = {"groups": OutreachGroup}

    def _problems(self) -> list[Problem]:
        p = _number("outreach.hours_per_week", self.hours_per_week, lo=0)
        if not isinstance(self.groups, tuple) or not all(
            isinstance(g, OutreachGroup) for g in self.groups
        ):
            p.append(("outreach.groups", f"must be a list of OutreachGroup, got {self.groups!r}"))
        elif not self.groups:
            p.append(("outreach.groups", "no group: nobody is under watch"))
        else:
            names = [g.target_group for g in self.groups]
            if len(set(names)) != len(names):
                p.append(("outreach.groups", f"one entry per target group, got {names}"))
        if not isinstance(self.teams, tuple) or not all(isinstance(t, str) for t in self.teams):
            p.append(("outreach.teams", f"must be a list of team names, got {self.teams!r}"))
        return p

    @property
    def minutes_per_year(self) -> float:
        """Worker minutes a year that visiting everybody on their rhythm takes."""
        return sum(g.visits_per_year * g.minutes for g in self.groups)


#: The triggers the simulation fires: a lifecycle it drives must define every one.
DRIVEN_TRIGGERS = (
    "screen",
    "screen_out",
    "admit",
    "assess",
    "plan",
    "start_intervention",
    "evaluate",
    "end_early",
    "close",
    "withdraw",
    "record_consent",
    "set_plan",
    "record_session",
    "record_assessment",
)


def resolve_lifecycle(name: str, catalogue: Catalogue | None = None) -> Lifecycle:
    """The lifecycle a scenario names, from ``catalogue`` (default: the shipped one).

    The simulation walks children along the standard path, so the lifecycle must define the
    triggers it fires (:data:`DRIVEN_TRIGGERS`): a station's own version of the standard
    process does; a process of another shape is refused, naming what it lacks.
    """
    found = catalogue if catalogue is not None else DEFAULT_CATALOGUE
    try:
        lifecycle = found.lifecycle(name)
    except UnknownDefinition as exc:
        known = ", ".join(sorted({lc.id for lc in found.lifecycles}))
        raise ScenarioError([("lifecycle", f"{name!r} is not one of: {known}")]) from exc
    missing = [t for t in DRIVEN_TRIGGERS if t not in lifecycle.triggers]
    if missing:
        raise ScenarioError(
            [("lifecycle", f"{name!r} lacks triggers the simulation fires: {', '.join(missing)}")]
        )
    return lifecycle


@attrs.frozen
class Scenario(_Section):
    """A project to simulate, from ``start`` (included) to ``end`` (excluded).

    Build it in Python, or from a dict / TOML with :meth:`from_dict` / :func:`load_scenarios`.
    Problems are reported all at once, by path, in a :class:`ScenarioError`.
    """

    name: str
    start: date
    end: date
    referrals: Referrals
    teams: tuple[Team, ...] = attrs.field(converter=_tuple)
    plan: PlanSpec = PlanSpec()
    timing: Timing = Timing()
    mht: ChangeModel = ChangeModel()
    holidays: tuple[Holiday, ...] = attrs.field(default=(), converter=_tuple)
    lifecycle: str = "standard_mht"
    programme: str = "simulated project"
    outreach: Outreach | None = None

    _SECTIONS: ClassVar[Mapping[str, type[_Section]]] = {
        "referrals": Referrals,
        "plan": PlanSpec,
        "timing": Timing,
        "mht": ChangeModel,
        "outreach": Outreach,
    }
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset({"outreach"})
    _LISTS: ClassVar[Mapping[str, type[_Section]]] = {"teams": Team, "holidays": Holiday}

    def _problems(self) -> list[Problem]:
        p = [*_text("name", self.name), *_date("start", self.start), *_date("end", self.end)]
        p += _text("programme", self.programme)
        if not p and self.end <= self.start:
            p.append(("end", f"{self.end} is not after the start {self.start}"))
        for key, kind in self._SECTIONS.items():
            if key in self._OPTIONAL and getattr(self, key) is None:
                continue
            if not isinstance(getattr(self, key), kind):
                p.append((key, f"must be a {kind.__name__}, got {getattr(self, key)!r}"))
        for key, kind in self._LISTS.items():
            items = getattr(self, key)
            if not isinstance(items, tuple) or not all(isinstance(t, kind) for t in items):
                p.append((key, f"must be a list of {kind.__name__}, got {items!r}"))
        if p:
            return p
        if not self.teams:
            p.append(("teams", "no team: nobody would serve the children"))
        names = [t.name for t in self.teams]
        if len(set(names)) != len(names):
            p.append(("teams", f"team names must be unique, got {names}"))
        if self.referrals.per_week > 0 and self.capacity_per_week == 0:
            p.append(("teams", "children are referred but no team has session capacity (all 0)"))
        p += _text("lifecycle", self.lifecycle)  # found in the catalogue when the run starts
        if self.outreach is not None:
            known = set(names)
            for i, team in enumerate(self.outreach.teams):
                if team not in known:
                    p.append((f"outreach.teams[{i}]", f"{team!r} is not a team of the scenario"))
            if not p and not self.visitors and any(g.people for g in self.outreach.groups):
                p.append(("outreach.teams", "people are under watch but no worker visits them"))
            refers = any(
                g.people and g.need_rate and g.referral_share for g in self.outreach.groups
            )
            if not p and refers and self.capacity_per_week == 0:
                p.append(("teams", "outreach refers people but no team has session capacity"))
        return p

    # --- derived views ---------------------------------------------------------------------

    @property
    def days(self) -> int:
        """Length of the simulated period in days."""
        return (self.end - self.start).days

    @property
    def capacity_per_week(self) -> float:
        """Sessions all teams can hold in a working week."""
        return sum(t.capacity_per_week for t in self.teams)

    @property
    def visitors(self) -> tuple[str, ...]:
        """The workers who make outreach visits (none without an ``outreach`` section)."""
        if self.outreach is None:
            return ()
        chosen = self.outreach.teams
        return tuple(
            w
            for t in self.teams
            if (t.name in chosen if chosen else t.role == "social_worker")
            for w in t.workers
        )

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is in one of the station's holidays."""
        return any(h.covers(day) for h in self.holidays)

    def __str__(self) -> str:
        r, pl = self.referrals, self.plan
        teams = ", ".join(f"{t.count} {t.name} x {t.sessions_per_week:g}/week" for t in self.teams)
        lines = [
            f"Scenario {self.name!r} ({self.programme}): {self.start} to {self.end}",
            f"  referrals {r.per_week:g}/week, screening pass {r.screening_pass:.0%}, "
            f"consent {r.consent:.0%}",
            f"  teams: {teams} (capacity {self.capacity_per_week:g} sessions/week)",
            f"  plan: {pl.sessions} sessions {pl.cadence}, no-show {pl.no_show:.0%}, "
            f"dropout {pl.dropout:.0%}",
            f"  MHT baseline {self.mht.baseline_mean:g}±{self.mht.baseline_sd:g}, "
            f"expected reduction {self.mht.expected_reduction:g}±{self.mht.change_sd:g}",
        ]
        if self.outreach is not None:
            o = self.outreach
            groups = ", ".join(
                f"{g.people} {g.target_group} every {g.interval}d x {g.minutes:g}min"
                for g in o.groups
            )
            lines.append(
                f"  outreach: {groups}; {len(self.visitors)} visitors x {o.hours_per_week:g}h/week"
            )
        if self.holidays:
            lines.append(
                "  holidays: " + ", ".join(f"{h.name} {h.start}..{h.end}" for h in self.holidays)
            )
        return "\n".join(lines)

    # --- as data -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (dates stay dates, as in TOML); ``from_dict`` inverts it."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build a scenario from plain data, reporting every problem (unknown keys too) at once."""
        problems: list[Problem] = []
        kwargs = _build(cls, data, "", problems, nested=True)
        if problems:
            raise ScenarioError(problems)
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems) from None

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with ``changes`` applied, validated again.

        Keys may be dotted paths (``{"plan.dropout": 0.25}``) or nested tables
        (``{"plan": {"dropout": 0.25}}``); a list (``teams``) is replaced whole.
        """
        return Scenario.from_dict(merge(self.to_dict(), changes))


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` laid over it: tables merge key by key, anything else replaces."""
    out = dict(base)
    for key, given in changes.items():
        head, _, rest = key.partition(".")
        value = {rest: given} if rest else given
        if isinstance(value, Mapping) and isinstance(out.get(head), Mapping):
            out[head] = merge(out[head], value)
        else:
            out[head] = value
    return out


def _convert(kind: type, value: Any) -> Any:
    """Input conversions a dict or TOML needs: ISO strings to dates, lists to tuples."""
    if kind is date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _build(
    cls: type[_Section], data: Any, prefix: str, problems: list[Problem], *, nested: bool = False
) -> dict[str, Any]:
    """Keyword arguments for ``cls`` from ``data``; problems are collected with their paths."""
    if not isinstance(data, Mapping):
        problems.append((prefix.rstrip(".") or "scenario", f"must be a table, got {data!r}"))
        return {}
    fields = {f.name: f for f in attrs.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            problems.append((f"{prefix}{key}", f"unknown key (known: {known})"))
    for name, f in fields.items():
        if name not in data and f.default is attrs.NOTHING:
            problems.append((f"{prefix}{name}", "missing"))
    kwargs: dict[str, Any] = {}
    sections: Mapping[str, type[_Section]] = getattr(cls, "_SECTIONS", {}) if nested else {}
    lists: Mapping[str, type[_Section]] = getattr(cls, "_LISTS", {})
    optional: frozenset[str] = getattr(cls, "_OPTIONAL", frozenset())
    for name, value in data.items():
        if name not in fields:
            continue
        if name in optional and value is None:
            kwargs[name] = None
        elif name in sections:
            sub = sections[name]
            kwargs[name] = _section(sub, value, f"{prefix}{name}.", problems)
        elif name in lists:
            sub = lists[name]
            if not isinstance(value, list | tuple):
                problems.append((f"{prefix}{name}", f"must be a list of tables, got {value!r}"))
                continue
            kwargs[name] = tuple(
                _section(sub, item, f"{prefix}{name}[{i}].", problems)
                for i, item in enumerate(value)
            )
        else:
            kwargs[name] = _convert(date if name in ("start", "end") else object, value)
    return kwargs


def _section(cls: type[_Section], data: Any, prefix: str, problems: list[Problem]) -> Any:
    before = len(problems)
    kwargs = _build(cls, data, prefix, problems)
    if any(msg == "missing" for _, msg in problems[before:]) or not isinstance(data, Mapping):
        return None  # unknown keys are reported and left out; the rest is still checked
    if any(isinstance(v, tuple) and None in v for v in kwargs.values()):
        return None  # a nested entry was refused, and is reported already
    try:
        return cls(**kwargs)
    except ScenarioError as exc:
        # a section's own paths are "plan.dropout" or "team.count": re-root them at ``prefix``
        for path, msg in exc.problems:
            problems.append((prefix + path.split(".", 1)[-1], msg))
        return None


def load_scenarios(source: str | Path | Mapping[str, Any]) -> tuple[Scenario, ...]:
    """The scenario in a TOML file (a path, TOML text, or the parsed dict), then its variants.

    A ``[variants.NAME]`` table holds changes to the base scenario (as for
    :meth:`Scenario.with_changes`); each variant is named ``NAME`` unless it sets ``name``.
    Every problem, in the base and in every variant, is reported together.
    """
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path: Path | None = source if isinstance(source, Path) else None
        if isinstance(source, str) and "\n" not in source and source.endswith(".toml"):
            path = Path(source)
        text = path.read_text("utf-8") if path is not None else str(source)  # OSError: as open()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = f"{path} (toml)" if path is not None else "toml"
            raise ScenarioError([(where, str(exc))]) from None
    variants = data.pop("variants", {})
    problems: list[Problem] = []
    base: Scenario | None = None
    try:
        base = Scenario.from_dict(data)
    except ScenarioError as exc:
        problems += exc.problems
    if not isinstance(variants, Mapping):
        problems.append(("variants", f"must be a table of tables, got {variants!r}"))
        variants = {}
    found = [base] if base is not None else []
    in_base = set(problems)  # a variant inherits the base's problems: report those once
    for vname, changes in variants.items():
        if not isinstance(changes, Mapping):
            problems.append((f"variants.{vname}", "must be a table of changes"))
            continue
        try:
            found.append(Scenario.from_dict(merge(data, {"name": vname, **changes})))
        except ScenarioError as exc:
            problems += [
                (f"variants.{vname}.{path}", msg)
                for path, msg in exc.problems
                if (path, msg) not in in_base
            ]
    if problems:
        raise ScenarioError(_unique(problems))
    return tuple(s for s in found if s is not None)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: dict[Problem, None] = {}
    for p in problems:
        seen.setdefault(p, None)
    return list(seen)

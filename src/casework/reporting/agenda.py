"""The agenda: what is due, and what is late, for each worker on a given day.

:func:`agenda` is a function of the events and the due-work rules (:mod:`casework.due`) **as
of a date**: events dated after that day are ignored, so the agenda of any past day can be
computed again and the same events always give the same items.  It is derived, never
stored, and never changes anything.  Each :class:`AgendaItem` names the case (or the person
under watch), the rule, the due date, the days overdue, the assigned worker and station, and
what to do: the rule's label in Chinese and English, and the trigger (or register command)
that clears it.  Items carry ids and codes only, never names: the agenda is private by
default like every output.

An :class:`Agenda` reads as rows (:attr:`Agenda.rows`), a :class:`~casework.reporting.table.Table`
(:meth:`Agenda.table`), a DataFrame (:meth:`Agenda.to_pandas`) and HTML in a notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from casework.case import Case
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.due import Anchor, DueRule
from casework.erasure import erasure_dates
from casework.errors import InvalidValue
from casework.events import Event
from casework.journal import JOURNAL_OPENED, Journal
from casework.lifecycle import Lifecycle
from casework.recording import EVENT_TYPES
from casework.records import Worker
from casework.register import Register
from casework.reporting import labels
from casework.reporting.labels import Label
from casework.reporting.table import Table
from casework.retention import RETENTION_RULE
from casework.station import Project

__all__ = ["Agenda", "AgendaItem", "agenda", "agenda_from_store"]

#: The columns of the agenda's table, in order.
COLUMNS = (
    "due",
    "days_overdue",
    "subject",
    "rule",
    "trigger",
    "detail",
    "worker",
    "station",
)


@attrs.frozen(order=False)
class AgendaItem:
    """One piece of due work.

    ``kind`` is ``"case"``, ``"resident"`` (a person under watch; ``subject`` their id) or
    ``"erasure"`` (rule ``"retention"``: a client whose personal data a retention rule
    erases on ``due``; ``subject`` the client's id, ``detail`` the retention rule's id).
    ``opens`` is the day the item appeared on the agenda, ``due`` the day it is due;
    ``days_overdue`` counts the days since (0 until it is late).  ``trigger`` is what clears
    it (a trigger the case accepts now, or the register's command); ``zh`` and ``en`` say
    what to do.  ``detail`` tells which one (a session number, a consent's giver).
    """

    subject: str
    kind: str
    rule: str
    due: date
    opens: date
    days_overdue: int
    trigger: str
    zh: str
    en: str
    worker: str | None = None
    station: str | None = None
    detail: str = ""
    lifecycle: str | None = None
    state: str | None = None

    @property
    def overdue(self) -> bool:
        """True when the item is late."""
        return self.days_overdue > 0

    @property
    def key(self) -> tuple[str, str, date, str]:
        """What identifies the item from one day's agenda to the next."""
        return (self.subject, self.rule, self.due, self.detail)

    def label(self, lang: str = "en") -> str:
        """What to do, in ``lang``."""
        return self.zh if labels.check_lang(lang) == "zh" else self.en

    def to_dict(self) -> dict[str, Any]:
        """The item as a plain dict (dates as dates, codes as codes)."""
        return attrs.asdict(self)


def _lang(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    labels.check_lang(value)


def _items(value: Iterable[AgendaItem]) -> tuple[AgendaItem, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class Agenda:
    """The due items of one day, overdue first (most overdue first), then by due date."""

    on: date
    items: tuple[AgendaItem, ...] = attrs.field(converter=_items)
    lang: str = attrs.field(default="en", validator=_lang)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[AgendaItem]:
        return iter(self.items)

    def filter(
        self,
        *,
        worker: str | None = None,
        station: str | None = None,
        rule: str | Iterable[str] | None = None,
        overdue: bool = False,
    ) -> Agenda:
        """The items of one worker, station or rule(s); ``overdue`` keeps only late ones."""
        rules = {rule} if isinstance(rule, str) else (set(rule) if rule is not None else None)
        kept = [
            i
            for i in self.items
            if (worker is None or i.worker == worker)
            and (station is None or i.station == station)
            and (rules is None or i.rule in rules)
            and (not overdue or i.overdue)
        ]
        return attrs.evolve(self, items=kept)

    def in_lang(self, lang: str) -> Agenda:
        """The same agenda, displayed in ``lang``."""
        return attrs.evolve(self, lang=labels.check_lang(lang))

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The items as plain dicts, codes not labels (``zh`` and ``en`` say what to do)."""
        return [i.to_dict() for i in self.items]

    def table(self, lang: str | None = None) -> Table:
        """The agenda as a :class:`~casework.reporting.table.Table` (the rule column shows
        what to do in the table's language)."""
        rows = [{c: getattr(i, c) or None for c in COLUMNS} for i in self.items]
        for row, item in zip(rows, self.items, strict=True):
            row["days_overdue"] = item.days_overdue
            row["detail"] = item.detail or None
        rule_labels = {i.rule: Label(i.zh, i.en) for i in self.items}
        title = Label(f"待办事项（{self.on.isoformat()}）", f"agenda for {self.on.isoformat()}")
        return Table(
            "agenda",
            COLUMNS,
            rows,
            title,
            value_labels={"rule": rule_labels},
            lang=lang or self.lang,
        )

    def to_pandas(self, lang: str | None = None) -> Any:
        """The agenda as a pandas DataFrame (needs ``casework[notebook]``)."""
        return self.table().to_pandas(lang)

    def to_text(self, lang: str | None = None) -> str:
        """The agenda as an aligned text table."""
        return self.table(lang).to_text()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        late = sum(1 for i in self.items if i.overdue)
        return f"<Agenda {self.on.isoformat()}: {len(self.items)} items, {late} overdue>"

    def _repr_html_(self) -> str:
        return self.table().to_html()


# --- computing the agenda ----------------------------------------------------------------------


def _day(on: date | datetime) -> date:
    if isinstance(on, datetime):
        return on.date()
    if isinstance(on, date):
        return on
    raise InvalidValue("on", f"expected a date, got {on!r}")


def _until(events: Sequence[Event], on: date) -> list[Event]:
    """The events dated on or before ``on`` (a log is in time order)."""
    kept = []
    for e in events:
        if e.at.date() > on:
            break
        kept.append(e)
    return kept


def _applies(rule: DueRule, case: Case) -> bool:
    lc = case.lifecycle
    if rule.lifecycles and lc.id not in rule.lifecycles:
        return False
    if not rule.lifecycles and not all(lc.has_state(s) for s in rule.states):
        return False
    return case.state in rule.states


def _entered(case: Case, states: Sequence[str]) -> datetime:
    """When the case entered the current run of ``states`` (it is in one of them)."""
    start = case.history[-1].at
    for e in reversed(case.history):
        if e.state not in states:
            break
        start = e.at
    return start


def _clearing(case: Case, rule: DueRule, since: datetime | date) -> list[Event]:
    """The case's events that clear ``rule``'s item, dated on or after ``since``."""
    day = since.date() if isinstance(since, datetime) else since
    found = []
    for e in case.history:
        if e.at.date() < day or (e.trigger not in rule.clears and e.type not in rule.clears):
            continue
        if case.voided(e.seq):
            continue
        if rule.phase is not None and e.type == "assessment_recorded":
            given = case.effective(e).payload.get("assessment")
            if getattr(given, "phase", None) != rule.phase:
                continue
        found.append(e)
    return found


def _anchors(case: Case, rule: DueRule) -> list[tuple[date, str, bool]]:
    """(due date, detail, clearable by events) for each item the rule gives for the case."""
    after = timedelta(days=rule.after)
    if rule.anchor is Anchor.ENTERED:
        start = _entered(case, rule.states)
        if rule.repeat:
            cleared = _clearing(case, rule, start)
            if cleared:
                start = max(start, cleared[-1].at)
            return [(start.date() + after, "", False)]
        return [(start.date() + after, "", True)]
    plan = case.plan
    if rule.anchor is Anchor.NEXT_SESSION:
        if plan is None or not plan.schedule or case.held_sessions >= plan.sessions:
            return []
        n = case.held_sessions
        return [(plan.schedule[n].date() + after, str(n + 1), False)]
    if rule.anchor is Anchor.LAST_SESSION:
        if plan is None:
            return []
        if plan.schedule:
            last = plan.schedule[-1].date()
        else:
            held = [s.held_at for s in case.sessions if s.held and s.held_at is not None]
            if case.held_sessions < plan.sessions or not held:
                return []
            last = max(held).date()
        return [(last + after, "", True)]
    if rule.anchor is Anchor.CONSENT:
        latest: dict[tuple[str, str | None, str], datetime] = {}
        for c in case.consents:  # the case as of the day: a later withdrawal is not applied
            if c.withdrawn_at is None:
                k = (c.giver.value, c.giver_id, c.scope)
                latest[k] = max(latest.get(k, c.given_at), c.given_at)
        return [
            (given.date() + after, ":".join(p for p in (g, gid, scope) if p), False)
            for (g, gid, scope), given in sorted(latest.items())
        ]
    return []  # pragma: no cover - the visit anchor is read off the register


def _sessions_left(case: Case) -> bool:
    return case.plan is not None and case.held_sessions < case.plan.sessions


#: Library commands that the state allows but the case's data may not: a session needs a
#: plan with sessions left.
_READY: dict[str, Callable[[Case], bool]] = {"record_session": _sessions_left}


def _trigger(case: Case, rule: DueRule) -> str:
    """The first clearing trigger the case accepts in its state (else the rule's first)."""
    lc = case.lifecycle
    for name in rule.clears:
        ready = _READY.get(name)
        if lc.transition(case.state, name) is not None and (ready is None or ready(case)):
            return name
    return rule.clears[0]


def _case_items(
    case: Case, rules: Sequence[DueRule], on: date, station: str | None
) -> Iterator[AgendaItem]:
    for rule in rules:
        if not rule.on_cases or not _applies(rule, case):
            continue
        for due, detail, clearable in _anchors(case, rule):
            opens = due - timedelta(days=rule.notice)
            if on < opens:
                continue
            if clearable and _clearing(case, rule, opens):
                continue
            yield AgendaItem(
                subject=case.id,
                kind="case",
                rule=rule.id,
                due=due,
                opens=opens,
                days_overdue=max(0, (on - due).days),
                trigger=_trigger(case, rule),
                zh=rule.zh,
                en=rule.en,
                worker=case.worker,
                station=station,
                detail=detail,
                lifecycle=case.lifecycle.id,
                state=case.state,
            )


def _waiting_items(
    case: Case, on: date, station: str | None, workers: Mapping[str, Worker] | None
) -> Iterator[AgendaItem]:
    """What waits on ``case`` for an approver (or a handoff's receiver), on their agenda.

    A role's approval is listed under each of ``workers`` who holds the role (never the one
    who asked), or under the role's name when the workers are not given.
    """
    for request in case.pending:
        asked = request.at.date()
        if asked > on:
            continue
        label = next((t for t in case.lifecycle.transitions if t.trigger == request.trigger), None)
        zh = (label.zh if label is not None else "") or request.trigger
        en = (label.en if label is not None else "") or request.trigger
        if request.handoff:
            deciders: list[str] = [request.approver]
        elif workers is not None:
            deciders = [
                w.id
                for w in workers.values()
                if w.role == request.approver and w.id != request.requested_by
            ]
        else:
            deciders = [request.approver]
        for decider in deciders:
            yield AgendaItem(
                subject=case.id,
                kind="case",
                rule="handoff" if request.handoff else "approval",
                due=asked,
                opens=asked,
                days_overdue=max(0, (on - asked).days),
                trigger="accept" if request.handoff else "approve",
                zh=f"{'接收转移' if request.handoff else '审批'}：{zh}",
                en=f"{'accept the handoff' if request.handoff else 'approve'}: {en}",
                worker=decider,
                station=station,
                detail=f"#{request.seq} {request.trigger} asked by {request.requested_by}",
                lifecycle=case.lifecycle.id,
                state=case.state,
            )


def _registered_workers(journal: Journal) -> Iterator[Worker]:
    """The staff a station's journal registered (the latest record of each wins)."""
    for ev in journal.history:
        if ev.type == "worker_registered":
            worker = ev.payload.get("worker")
            if isinstance(worker, Worker):
                yield worker


def _register_items(journal: Journal, rules: Sequence[DueRule], on: date) -> Iterator[AgendaItem]:
    visit_rules = [r for r in rules if r.anchor is Anchor.VISIT]
    if not visit_rules:
        return
    register = Register.of(journal, until=on)
    for person in register.residents.values():
        last = register.last_visit(person.id)
        since = register.registered_at[person.id].date()
        if last is not None and last.on > since:
            since = last.on
        due = since + timedelta(days=person.visit_every)
        worker = person.worker or (last.worker if last is not None else None)
        for rule in visit_rules:
            opens = due - timedelta(days=rule.notice)
            if on < opens:
                continue
            yield AgendaItem(
                subject=person.id,
                kind="resident",
                rule=rule.id,
                due=due,
                opens=opens,
                days_overdue=max(0, (on - due).days),
                trigger=rule.clears[0],
                zh=rule.zh,
                en=rule.en,
                worker=worker,
                station=journal.station,
            )


def _stations(journals: Sequence[Journal]) -> list[tuple[Project, str]]:
    """Every project registered in ``journals``, with its journal's station."""
    spec = EVENT_TYPES["project_registered"]
    found = []
    for j in journals:
        for p in j.payloads("project_registered"):
            project = p.get(spec[0])
            if isinstance(project, Project):
                found.append((project, j.station))
    return found


def _station_of(
    case: Case, projects: Sequence[tuple[Project, str]], only: str | None
) -> str | None:
    for project, station in projects:
        if project.includes(case.programme):
            return station
    return only


@attrs.frozen
class _Followed:
    """The lifecycle versions a case followed (its own), else the catalogue's: what replaying
    the case's earlier events needs, whatever catalogue the caller has."""

    case: Case
    catalogue: Catalogue

    def lifecycle(self, id: str, version: int | None = None) -> Lifecycle:
        for lc in (self.case.lifecycle, *(lc for _, lc in self.case.earlier)):
            if lc.id == id and (version is None or lc.version == version):
                return lc
        return self.catalogue.lifecycle(id, version)


def _erasure_items(
    cases: Sequence[Case],
    catalogue: Catalogue,
    on: date,
    projects: Sequence[tuple[Project, str]],
    only: str | None,
) -> Iterator[AgendaItem]:
    """Erasures coming due: one item per client, ``notice`` days ahead of the erasure date."""
    if not catalogue.retention:
        return
    last = {c.client.id: c for c in cases}
    for due in erasure_dates(cases, catalogue=catalogue):
        opens = due.due - timedelta(days=due.rule.notice)
        if on < opens:
            continue
        case = last[due.subject]
        yield AgendaItem(
            subject=due.subject,
            kind="erasure",
            rule=RETENTION_RULE,
            due=due.due,
            opens=opens,
            days_overdue=max(0, (on - due.due).days),
            trigger="erase_personal_data",
            zh=f"删除个人信息（{due.rule.zh}）",
            en=f"erase the personal data ({due.rule.en})",
            worker=due.worker,
            station=_station_of(case, projects, only),
            detail=due.rule.id,
            lifecycle=case.lifecycle.id,
            state=case.state,
        )


def _order(item: AgendaItem) -> tuple[int, date, str, str, str]:
    return (-item.days_overdue, item.due, item.subject, item.rule, item.detail)


def agenda(
    cases: Iterable[Case] = (),
    journals: Iterable[Journal] = (),
    *,
    on: date | datetime,
    catalogue: Catalogue | None = None,
    rules: Iterable[DueRule] | None = None,
    worker: str | None = None,
    station: str | None = None,
    rule: str | Iterable[str] | None = None,
    overdue: bool = False,
    lang: str = "en",
    workers: Iterable[Worker] | Mapping[str, Worker] | None = None,
) -> Agenda:
    """The agenda of day ``on`` for ``cases`` and the outreach registers in ``journals``.

    Requests waiting for approval (and handoffs waiting for their receiver) are on the
    approver's agenda: under each of ``workers`` holding the role (default: the workers the
    journals registered), else under the role's name.

    Each case is read as its events were at the end of ``on`` (later events, corrections
    included, are ignored).  ``rules`` default to the catalogue's due rules (the shipped
    ones unless the app's catalogue says otherwise); the catalogue also replays cases that
    were migrated between lifecycle versions.  A case's station is the station of the
    journal that registered its project (or the one station of ``journals``).

    The catalogue's retention rules (:mod:`casework.retention`) add an item per client whose
    personal data is to be erased, rule ``"retention"``, due on the erasure date and shown
    from the rule's ``notice`` days before it (until the erasure is recorded).
    """
    day = _day(on)
    catalogue = catalogue if catalogue is not None else DEFAULT_CATALOGUE
    chosen = tuple(rules) if rules is not None else catalogue.due_rules
    journals = tuple(journals)
    projects = _stations(journals)
    stations = {j.station for j in journals}
    only = next(iter(stations)) if len(stations) == 1 else None
    if workers is None:
        known = {w.id: w for j in journals for w in _registered_workers(j)}
        staff: Mapping[str, Worker] | None = known or None
    else:
        staff = dict(workers) if isinstance(workers, Mapping) else {w.id: w for w in workers}
    items: list[AgendaItem] = []
    read: list[Case] = []
    for case in cases:
        events = _until(case.history, day)
        if not events:
            continue
        as_of = (
            case
            if len(events) == len(case.history)
            else Case.replay(events, _Followed(case, catalogue))
        )
        read.append(as_of)
        where = _station_of(as_of, projects, only)
        items.extend(_case_items(as_of, chosen, day, where))
        items.extend(_waiting_items(as_of, day, where, staff))
    for journal in journals:
        items.extend(_register_items(journal, chosen, day))
    items.extend(_erasure_items(read, catalogue, day, projects, only))
    found = Agenda(day, sorted(items, key=_order), lang=labels.check_lang(lang))
    return found.filter(worker=worker, station=station, rule=rule, overdue=overdue)


def agenda_from_store(
    store: Any,
    *,
    on: date | datetime,
    catalogue: Catalogue | None = None,
    **options: Any,
) -> Agenda:
    """:func:`agenda` of every case and journal in ``store`` (read, never written).

    ``options`` are :func:`agenda`'s (rules, worker, station, rule, overdue, lang).
    """
    day = _day(on)
    if catalogue is None:
        catalogue = getattr(store, "catalogue", None) or DEFAULT_CATALOGUE
    streams: dict[str, list[Event]] = {}
    for ev in store.stream():
        if ev.at.date() <= day:
            streams.setdefault(ev.case_id, []).append(ev)
    cases, journals = [], []
    for events in streams.values():
        events.sort(key=lambda e: e.seq)
        if events[0].type == JOURNAL_OPENED:
            journals.append(Journal.replay(events))
        elif events[0].seq == 1:
            cases.append(Case.replay(events, catalogue))
    return agenda(cases, journals, on=day, catalogue=catalogue, **options)

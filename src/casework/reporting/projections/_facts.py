"""The fact tables: their columns, and the rows a case or a journal event gives them.

Rows are plain tuples of text and numbers (times as fixed-width ISO text of the wall clock
recorded, like :func:`casework.store.time_key` but without moving aware times to UTC: the
read side compares times as recorded, see :mod:`casework.reporting.dataset`).  A case's rows
are derived from the case *as replayed*, so corrections and voids are in them: a corrected
session shows its corrected data, a voided one is not there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

import attrs

from casework.case import Case
from casework.events import MIGRATED_EVENT, Event
from casework.recording import EVENT_TYPES
from casework.station import Activity, VolunteerService

__all__ = ["CASE_TABLES", "JOURNAL_TABLES", "TABLES", "Column", "TableDef", "case_rows", "stamp"]


@attrs.frozen
class Column:
    """One column of a fact table: name, SQL type (``TEXT``, ``INTEGER``, ``REAL``), and
    whether it is personal (left out of notebook tables unless asked for).
    """

    name: str
    sql: str = "TEXT"
    personal: bool = False


@attrs.frozen
class TableDef:
    """A fact table: its name, its columns, and the column its rows are kept by."""

    name: str
    columns: tuple[Column, ...]
    doc: str
    key: str = "case_id"

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)


def _cols(spec: str) -> tuple[Column, ...]:
    """``"case_id seq:INTEGER notes!"``: name, ``:TYPE``, ``!`` for personal."""
    out = []
    for word in spec.split():
        personal = word.endswith("!")
        name, _, sql = word.rstrip("!").partition(":")
        out.append(Column(name, sql or "TEXT", personal))
    return tuple(out)


CASES = TableDef(
    "cases",
    _cols(
        "case_id lifecycle lifecycle_version:INTEGER state is_open:INTEGER worker programme "
        "opened_at last_at version:INTEGER planned_sessions:INTEGER held_sessions:INTEGER "
        "inconsistencies:INTEGER client_id pseudonym sex birth_date! name! opened_position:INTEGER"
    ),
    "One row per case: its current facts (as corrected), and the log position of its opening "
    "(cases are listed in that order, as a replay of the log meets them).",
)
SPELLS = TableDef(
    "spells",
    _cols(
        "case_id n:INTEGER state entered_at left_at entered_seq:INTEGER entry:INTEGER "
        "is_open_class:INTEGER entered_us:BIGINT left_us:BIGINT"
    ),
    "One row per stay of a case in a state: entered at the first event leaving the case in it, "
    "left at the next state's first event (NULL while the case is still in it).  ``entry`` is 0 "
    "for a stay that began with a migration (a state renamed by a new version).  ``entered_us`` "
    "and ``left_us`` are the same times as whole microseconds since 1970 (of the wall clock "
    "recorded), which the days in a state are summed from.",
)
SESSIONS = TableDef(
    "sessions",
    _cols(
        "case_id n:INTEGER number:INTEGER status held_at scheduled_at mode "
        "duration_minutes:INTEGER worker notes!"
    ),
    "One row per session record of a case, as corrected (voided ones are not there).",
)
ASSESSMENTS = TableDef(
    "assessments",
    _cols(
        "case_id n:INTEGER instrument version phase at by total:REAL valid:INTEGER flags band "
        "scales"
    ),
    "One row per assessment of a case, as corrected: total, validity, flags (comma-separated), "
    "band, and the scale raw scores as JSON (``{scale: score}``).",
)
CONSENTS = TableDef(
    "consents",
    _cols("case_id n:INTEGER giver giver_id scope given_at withdrawn_at"),
    "One row per consent of a case, as corrected, with its withdrawal time if withdrawn.",
)
ACTIVITIES = TableDef(
    "activities",
    _cols(
        "activity_id journal_id kind on_day title place participants:INTEGER project "
        "volunteer_hours:REAL notes!"
    ),
    "One row per community activity (the latest recording of an id wins).",
    key="activity_id",
)
VOLUNTEER_HOURS = TableDef(
    "volunteer_hours",
    _cols(
        "journal_id seq:INTEGER n:INTEGER activity_id volunteer on_day hours:REAL project "
        "description!"
    ),
    "One row per volunteer's hours: at an activity (``activity_id`` set) or recorded outside "
    "one (``activity_id`` NULL).",
    key="journal_id",
)

JOURNALS = TableDef(
    "journals",
    _cols("journal_id station version:INTEGER last_at"),
    "One row per station journal: its station, version and latest event's time.",
    key="journal_id",
)
REGISTRATIONS = TableDef(
    "registrations",
    _cols("journal_id seq:INTEGER position:INTEGER type"),
    "Where each registration (station, project, team, volunteer, partner, staff) is in the "
    "log: a reader decodes those few events to get the records.",
    key="journal_id",
)

#: The tables derived from cases (all keyed by ``case_id``).
CASE_TABLES: Final = (CASES, SPELLS, SESSIONS, ASSESSMENTS, CONSENTS)
#: The tables derived from station journals.
JOURNAL_TABLES: Final = (ACTIVITIES, VOLUNTEER_HOURS, JOURNALS, REGISTRATIONS)
#: Every fact table by name.
TABLES: Final[Mapping[str, TableDef]] = {t.name: t for t in (*CASE_TABLES, *JOURNAL_TABLES)}


def stamp(when: date | datetime | None) -> str | None:
    """A time as sortable text of its recorded wall clock (a date as its midnight)."""
    if when is None:
        return None
    if type(when) is datetime:  # the hot path: plain isoformat() is twice as fast as timespec=
        if when.tzinfo is not None:
            when = when.replace(tzinfo=None)
        text = when.isoformat()
        return text if when.microsecond else text + ".000000"
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    return when.replace(tzinfo=None).isoformat(timespec="microseconds")


_EPOCH: Final = datetime(1970, 1, 1)
_MICROSECOND: Final = timedelta(microseconds=1)


def micros(when: date | datetime) -> int:
    """A time as whole microseconds since 1970 of its recorded wall clock (as :func:`stamp`
    reads it, so that SQL sums of them equal the replayed path's sums of timedeltas).
    """
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    if when.tzinfo is not None:
        when = when.replace(tzinfo=None)
    return (when - _EPOCH) // _MICROSECOND


def _day(when: date | None) -> str | None:
    return None if when is None else when.isoformat()


def case_rows(case: Case, opened_position: int = 0) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of every case table for ``case`` (as replayed, so as corrected)."""
    lc = case.lifecycle
    client = case.client
    last = case.history[-1]
    cid = case.id
    spells = list(_spells(case))  # the first entered the initial state at the opening
    rows: dict[str, list[tuple[Any, ...]]] = {
        "cases": [
            (
                cid,
                lc.id,
                lc.version,
                case.state,
                int(case.is_open),
                case.worker,
                case.programme,
                spells[0][3],
                stamp(last.at),
                case.version,
                case.planned_sessions,
                case.held_sessions,
                len(case.inconsistencies),
                client.id,
                client.pseudonym,
                client.sex.value,
                _day(client.birth_date),
                client.name,
                opened_position,
            )
        ],
        "spells": spells,
        "sessions": [
            (
                cid,
                n,
                s.number,
                s.status.value,
                stamp(s.held_at),
                stamp(s.scheduled_at),
                s.mode.value,
                s.duration_minutes,
                s.worker,
                s.notes,
            )
            for n, s in enumerate(case.sessions, start=1)
        ],
        "assessments": [
            (
                cid,
                n,
                a.instrument,
                a.version,
                a.phase.value,
                stamp(a.at),
                a.by,
                float(a.result.total),
                int(a.result.valid),
                ",".join(a.result.flags),
                None if a.result.band is None else a.result.band.key,
                json.dumps({k: a.result.scales[k].raw for k in a.result.scales}, sort_keys=True),
            )
            for n, a in enumerate(case.assessments, start=1)
        ],
        "consents": [
            (
                cid,
                n,
                c.giver.value,
                c.giver_id,
                c.scope,
                stamp(c.given_at),
                stamp(c.withdrawn_at),
            )
            for n, c in enumerate(case.consents, start=1)
        ],
    }
    return rows


def _spells(case: Case) -> Iterator[tuple[Any, ...]]:
    """Stays in a state, as :meth:`Dataset.entries` counts entries (a migration is none):
    each stay is left when the next one is entered (one time stamped for both).
    """
    case_id = case.id
    plain = not case.earlier  # never migrated: every event under the current version
    state_of = case.lifecycle.state
    spell: list[Any] | None = None
    for ev in case.history:
        if spell is not None and ev.state == spell[2]:
            continue
        at = stamp(ev.at)
        us = micros(ev.at)
        n = 1
        if spell is not None:
            spell[4] = at
            spell[9] = us
            n = spell[1] + 1
            yield tuple(spell)
        state = (state_of if plain else case.lifecycle_at(ev.seq).state)(ev.state)
        spell = [
            case_id,
            n,
            ev.state,
            at,
            None,
            ev.seq,
            int(ev.type != MIGRATED_EVENT),
            int(state.is_open),
            us,
            None,
        ]
    if spell is not None:
        yield tuple(spell)


def journal_rows(
    ev: Event,
) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """What one journal event gives: an activity row (or None), and volunteer-hours rows."""
    spec = EVENT_TYPES.get(ev.type)
    if spec is None:
        return None, []
    record = ev.payload.get(spec[0])
    if isinstance(record, Activity):
        activity = (
            record.id,
            ev.case_id,
            record.kind.value,
            _day(record.on),
            record.title,
            record.place,
            record.participants,
            record.project,
            float(record.volunteer_hours),
            record.notes,
        )
        hours = [
            (
                ev.case_id,
                ev.seq,
                n,
                record.id,
                v.volunteer,
                _day(record.on),
                float(v.hours),
                None,
                "",
            )
            for n, v in enumerate(record.volunteers, start=1)
        ]
        return activity, hours
    if isinstance(record, VolunteerService):
        row = (
            ev.case_id,
            ev.seq,
            0,
            None,
            record.volunteer,
            _day(record.on),
            float(record.hours),
            record.project,
            record.description,
        )
        return None, [row]
    return None, []


def select(table: TableDef, include_personal: bool) -> Sequence[str]:
    """The columns a reader gets: all of them, or those that are not personal."""
    return [c.name for c in table.columns if include_personal or not c.personal]

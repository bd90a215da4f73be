"""The outreach register in a station's journal: people under watch and the visits to them.

:func:`register_resident` adds a person under watch (``resident_registered``), refusing the
same person twice (the same id, or the same name, birth date and guardian under another id)
with a :class:`~casework.errors.AlreadyRegistered` naming the id already there.
:func:`record_visit` records an outreach visit (``outreach_visit_recorded``) to a registered
person.  :class:`Register` reads the register back out of a journal.  Opening a case from a
visit that found a need is :func:`casework.referral.open_from_visit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

import attrs

from casework.errors import AlreadyRegistered, InvalidValue
from casework.events import Event
from casework.journal import Journal
from casework.outreach import OutreachVisit, Resident, VisitReferral

if TYPE_CHECKING:
    from casework.engine import EventSink

__all__ = [
    "JOURNAL_COMMANDS",
    "REFERRAL_EVENT",
    "RESIDENT_EVENT",
    "VISIT_EVENT",
    "Register",
    "record_visit",
    "register_resident",
]

RESIDENT_EVENT: Final = "resident_registered"
VISIT_EVENT: Final = "outreach_visit_recorded"
REFERRAL_EVENT: Final = "outreach_referral_recorded"
#: The register's commands and the journal event each records (due-work rules name commands).
JOURNAL_COMMANDS: Final = {
    "register_resident": RESIDENT_EVENT,
    "record_visit": VISIT_EVENT,
    "open_from_visit": REFERRAL_EVENT,
}


@attrs.frozen
class Register:
    """The outreach register as a journal's events say (read it; change it by recording).

    ``until`` (a date) reads the register as it was at the end of that day.
    """

    journal: str
    station: str
    residents: dict[str, Resident]
    visits: tuple[OutreachVisit, ...]
    referrals: tuple[VisitReferral, ...]
    registered_at: dict[str, datetime]

    @classmethod
    def of(cls, journal: Journal, until: date | None = None) -> Register:
        """The register of ``journal`` (up to the end of ``until``, when given)."""
        if not isinstance(journal, Journal):
            raise InvalidValue("journal", f"expected a Journal, got {journal!r}")
        residents: dict[str, Resident] = {}
        at: dict[str, datetime] = {}
        visits: list[OutreachVisit] = []
        referrals: list[VisitReferral] = []
        for ev in journal.history:
            if until is not None and ev.at.date() > until:
                break
            if ev.type == RESIDENT_EVENT:
                r = ev.payload["resident"]
                residents[r.id] = r
                at[r.id] = ev.at
            elif ev.type == VISIT_EVENT:
                visits.append(ev.payload["visit"])
            elif ev.type == REFERRAL_EVENT:
                referrals.append(ev.payload["referral"])
        return cls(journal.id, journal.station, residents, tuple(visits), tuple(referrals), at)

    def visits_to(self, resident: str) -> tuple[OutreachVisit, ...]:
        """The visits to one person, oldest first."""
        return tuple(sorted((v for v in self.visits if v.resident == resident), key=_on))

    def last_visit(self, resident: str) -> OutreachVisit | None:
        """The latest visit to ``resident``, or None before the first."""
        found = self.visits_to(resident)
        return found[-1] if found else None

    def visit(self, visit_id: str) -> OutreachVisit:
        """The visit ``visit_id`` (:class:`InvalidValue` when there is none)."""
        for v in self.visits:
            if v.id == visit_id:
                return v
        raise InvalidValue("visit", f"no outreach visit {visit_id!r} in {self.journal!r}")

    def referral_of(self, visit_id: str) -> VisitReferral | None:
        """The case a visit opened, as its link, or None."""
        return next((r for r in self.referrals if r.visit == visit_id), None)

    def same_person(self, resident: Resident) -> str | None:
        """The id of a registered person who is ``resident`` (same id, or same identity)."""
        if resident.id in self.residents:
            return resident.id
        for other in self.residents.values():
            if other.identity == resident.identity:
                return other.id
        return None


def _on(visit: OutreachVisit) -> date:
    return visit.on


def _check_journal(journal: Journal) -> None:
    if not isinstance(journal, Journal):
        raise InvalidValue("journal", f"expected a Journal, got {journal!r}")


def register_resident(
    journal: Journal,
    resident: Resident,
    *,
    by: str,
    at: date | datetime | None = None,
    store: EventSink | None = None,
) -> Event:
    """Register a person under watch (dated on the record's ``registered`` day unless ``at``).

    Refused with :class:`~casework.errors.AlreadyRegistered` (its ``existing`` is the id already
    registered) for a known id, or for a known person under a new id (same name, birth date
    and guardian).
    """
    _check_journal(journal)
    if not isinstance(resident, Resident):
        raise InvalidValue("resident", f"expected a Resident, got {resident!r}")
    existing = Register.of(journal).same_person(resident)
    if existing is not None:
        why = (
            f"resident {existing!r} is already registered"
            if existing == resident.id
            else f"this person is already registered as {existing!r} "
            "(same name, birth date and guardian)"
        )
        raise AlreadyRegistered("resident", why, existing)
    when = resident.registered if at is None else at
    return journal.record(RESIDENT_EVENT, at=when, by=by, store=store, resident=resident)


def record_visit(
    journal: Journal,
    visit: OutreachVisit,
    *,
    by: str | None = None,
    at: date | datetime | None = None,
    store: EventSink | None = None,
) -> Event:
    """Record an outreach visit to a registered person (dated on its day unless ``at``).

    ``by`` defaults to the visit's worker.  The visit's id is new; its person is registered.
    """
    _check_journal(journal)
    if not isinstance(visit, OutreachVisit):
        raise InvalidValue("visit", f"expected an OutreachVisit, got {visit!r}")
    register = Register.of(journal)
    if visit.resident not in register.residents:
        raise InvalidValue(
            "OutreachVisit.resident", f"no resident {visit.resident!r} is registered"
        )
    if any(v.id == visit.id for v in register.visits):
        raise AlreadyRegistered("OutreachVisit.id", f"visit {visit.id!r} is recorded", visit.id)
    when = visit.on if at is None else at
    return journal.record(VISIT_EVENT, at=when, by=by or visit.worker, store=store, visit=visit)


def residents(journals: Iterable[Journal]) -> dict[str, Resident]:
    """Every person under watch in ``journals``, by id."""
    found: dict[str, Resident] = {}
    for j in journals:
        found.update(Register.of(j).residents)
    return found

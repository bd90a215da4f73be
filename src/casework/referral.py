"""Opening a case from an outreach visit that found a need, linked both ways.

The case's opening event carries a :class:`~casework.outreach.VisitReferral` as its referral
source (``case.referral``); the station's journal records the same link
(``outreach_referral_recorded``), so the register knows which case each visit opened.
"""

from __future__ import annotations

from datetime import date, datetime

from casework.case import Case
from casework.engine import Engine
from casework.errors import AlreadyRegistered, InvalidValue
from casework.journal import Journal
from casework.outreach import VisitReferral
from casework.records import Client, as_datetime
from casework.register import REFERRAL_EVENT, Register

__all__ = ["open_from_visit"]


def open_from_visit(
    engine: Engine,
    journal: Journal,
    visit_id: str,
    case_id: str,
    client: Client,
    *,
    at: date | datetime,
    by: str,
    worker: str | None = None,
    programme: str | None = None,
) -> Case:
    """Open case ``case_id`` for the need found at visit ``visit_id`` of ``journal``.

    Refused (nothing recorded) when the visit is unknown, found no need, or already opened a
    case (:class:`~casework.errors.AlreadyRegistered` naming that case).  The case is opened
    first (with the engine's store), then the link is recorded in the journal (with the same
    store), so a refused case leaves the journal as it was.  ``worker`` defaults to the
    visit's worker.
    """
    if not isinstance(journal, Journal):
        raise InvalidValue("journal", f"expected a Journal, got {journal!r}")
    register = Register.of(journal)
    visit = register.visit(visit_id)
    if not visit.found_need:
        raise InvalidValue("visit", f"visit {visit_id!r} found no need to open a case for")
    done = register.referral_of(visit_id)
    if done is not None:
        raise AlreadyRegistered(
            "visit", f"visit {visit_id!r} already opened case {done.case!r}", done.case
        )
    if as_datetime(at) < journal.history[-1].at:
        raise InvalidValue("at", "the case would be opened before the journal's latest event")
    link = VisitReferral(journal.id, visit.id, visit.resident, case_id)
    case = engine.open(
        case_id,
        client,
        at=at,
        by=by,
        worker=worker or visit.worker,
        programme=programme,
        referral=link,
    )
    journal.record(REFERRAL_EVENT, at=at, by=by, store=engine.store, referral=link)
    return case

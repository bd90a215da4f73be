"""Approval turnaround (审批时效): how long requests wait for their approver's decision.

Defined once, here: for a period, each request (an ``approval_requested`` event, a handoff's
included) **decided** in the period counts once, under the trigger it asked for; its
turnaround is the number of calendar days from the day it was requested to the day it was
decided (the same day: 0), where the decision is the event that approved it (it carries
``approval={"request": seq, ...}``) or the ``approval_refused`` event naming it
(``request``).  :func:`approval_turnaround` gives, per trigger, the requests decided, how many
were approved and refused, the median days, and the requests still waiting at the period's
end (requested by then, undecided by then).  The yearly ledger shows it only when the
station's cases have any request (:func:`has_approvals`), so other stations' reports are
unchanged.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping
from datetime import date

import attrs

from casework.case import Case
from casework.events import APPROVAL_REFUSED, APPROVAL_REQUESTED, Event
from casework.reporting import labels
from casework.reporting.dataset import Dataset
from casework.reporting.period import Period
from casework.reporting.table import Table

__all__ = ["Request", "approval_turnaround", "has_approvals", "requests"]

_TITLE = labels.INDICATORS["approval_turnaround"]
COLUMNS = ("request", "decided", "approved", "refused", "median_days", "pending_at_end")


@attrs.frozen
class Request:
    """One request for approval and its decision (``decided``/``approved`` None while waiting)."""

    case: str
    seq: int
    trigger: str
    requested: date
    decided: date | None
    approved: bool | None

    @property
    def days(self) -> int | None:
        """Calendar days from request to decision (None while it waits)."""
        return None if self.decided is None else (self.decided - self.requested).days


def _decides(ev: Event) -> int | None:
    """The request an event decides (approves or refuses), or None."""
    if ev.type == APPROVAL_REFUSED:
        seq = ev.payload.get("request")
        return seq if isinstance(seq, int) else None
    approval = ev.payload.get("approval")
    if isinstance(approval, Mapping):
        seq = approval.get("request")
        return seq if isinstance(seq, int) else None
    return None


def requests(case: Case) -> Iterator[Request]:
    """Every request for approval of ``case``, oldest first, with its decision if any."""
    asked: dict[int, Event] = {}
    decided: dict[int, Event] = {}
    for ev in case.history:
        if ev.type == APPROVAL_REQUESTED:
            asked[ev.seq] = ev
            continue
        seq = _decides(ev)
        if seq is not None and seq in asked and seq not in decided:
            decided[seq] = ev
    for seq, ev in asked.items():
        d = decided.get(seq)
        yield Request(
            case.id,
            seq,
            str(ev.payload.get("requested", ev.trigger)),
            ev.at.date(),
            None if d is None else d.at.date(),
            None if d is None else d.type != APPROVAL_REFUSED,
        )


def has_approvals(ds: Dataset) -> bool:
    """True when any case of ``ds`` has a request for approval (or a handoff)."""
    return any(ev.type == APPROVAL_REQUESTED for c in ds.cases for ev in c.history)


def approval_turnaround(ds: Dataset, period: Period, *, lang: str = "en") -> Table:
    """Requests decided in ``period`` per trigger: count, approved, refused, median days, and
    requests still waiting at the period's end (see the module's definition)."""
    decided: dict[str, list[Request]] = {}
    waiting: dict[str, int] = {}
    last = period.end
    for case in ds.cases:
        for r in requests(case):
            if r.decided is not None and period.start <= r.decided < period.end:
                decided.setdefault(r.trigger, []).append(r)
            if r.requested < last and (r.decided is None or r.decided >= last):
                waiting[r.trigger] = waiting.get(r.trigger, 0) + 1
    rows: list[dict[str, object]] = []
    for trigger in sorted(set(decided) | set(waiting)):
        done = decided.get(trigger, [])
        days = [r.days for r in done if r.days is not None]
        rows.append(
            {
                "request": trigger,
                "decided": len(done),
                "approved": sum(1 for r in done if r.approved),
                "refused": sum(1 for r in done if not r.approved),
                "median_days": float(statistics.median(days)) if days else None,
                "pending_at_end": waiting.get(trigger, 0),
            }
        )
    return Table("approval_turnaround", COLUMNS, rows, _TITLE, lang=labels.check_lang(lang))

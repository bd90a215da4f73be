"""Calibration: a station's own history (a store of real cases) turned into scenario parameters.

Every estimate is read from events, with the number of cases or sessions it rests on, so a
planner can see when a figure stands on five children.  :meth:`Calibration.apply` lays the
estimates over a scenario (leaving parameters without data as they were).

* arrivals: cases opened in the window / weeks in the window;
* consent: of the cases screened that reached a consent decision, the share with consent
  recorded (a withdrawal before any consent counts as declined);
* screening pass: admitted / (admitted + screened out);
* no-show: no-show sessions / sessions recorded;
* dropout: of the cases that started the intervention and left it, the share withdrawn;
* MHT: baseline mean and SD, and the change from baseline to post of children who finished
  the plan (mean reduction and SD of the change).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import attrs

from casework.assessment import Phase, baseline, post_after
from casework.case import Case
from casework.errors import InvalidValue
from casework.records import as_datetime
from casework.simulation.scenario import Scenario
from casework.simulation.table import Table

__all__ = ["Calibration", "Estimate", "calibrate"]


class _CaseSource(Protocol):
    def cases(self) -> Sequence[Any]: ...

    def load(self, case_id: str) -> Case: ...


@attrs.frozen
class Estimate:
    """One estimated parameter: its scenario path, value, and how many observations it rests on."""

    parameter: str
    value: float
    n: int
    basis: str


@attrs.frozen(repr=False)
class Calibration:
    """Estimates from real cases; ``window`` is the period arrivals were counted over."""

    estimates: tuple[Estimate, ...]
    cases: int
    window: tuple[datetime, datetime]

    def get(self, parameter: str) -> Estimate | None:
        """The estimate of ``parameter`` (a scenario path such as ``plan.no_show``), if any."""
        return next((e for e in self.estimates if e.parameter == parameter), None)

    def changes(self) -> dict[str, float]:
        """The estimates as scenario changes (``{"plan.no_show": 0.12, ...}``)."""
        return {e.parameter: e.value for e in self.estimates}

    def apply(self, scenario: Scenario) -> Scenario:
        """``scenario`` with every estimated parameter replaced (validated again)."""
        return scenario.with_changes(self.changes())

    def table(self) -> Table:
        """The estimates as a table."""
        rows = [
            {"parameter": e.parameter, "estimate": round(e.value, 4), "n": e.n, "basis": e.basis}
            for e in self.estimates
        ]
        a, b = self.window
        title = f"calibration from {self.cases} cases, {a:%Y-%m-%d} to {b:%Y-%m-%d}"
        return Table(("parameter", "estimate", "n", "basis"), rows, title)

    def __repr__(self) -> str:
        return str(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _load(source: _CaseSource | Iterable[Case]) -> list[Case]:
    if hasattr(source, "cases") and hasattr(source, "load"):
        return [source.load(s.case_id) for s in source.cases()]
    return list(source)


def calibrate(
    source: _CaseSource | Iterable[Case],
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> Calibration:
    """Estimate scenario parameters from a store (or a list of cases).

    Arrivals are counted over ``[start, end)``; by default from the first case's opening to
    the latest event of any case.  Pass the real period you recorded over: a station that
    opened five cases in one week of a year has a rate of five a year, not five a week.
    """
    cases = _load(source)
    if not cases:
        raise InvalidValue("source", "no cases to calibrate from")
    lo = as_datetime(start) if start is not None else min(c.opened_at for c in cases)
    hi = as_datetime(end) if end is not None else max(c.history[-1].at for c in cases)
    if hi <= lo:
        hi = lo + timedelta(days=1)
    found: list[Estimate] = []
    opened = sum(1 for c in cases if lo <= c.opened_at < hi)
    weeks = (hi - lo).total_seconds() / (7 * 86400)
    found.append(
        Estimate(
            "referrals.per_week", opened / weeks, opened, f"{opened} opened in {weeks:.1f} weeks"
        )
    )
    consented = declined = admitted = screened_out = held = no_show = 0
    left = dropped = 0
    for case in cases:
        types = [e.type for e in case.history]
        has_consent = "consent_recorded" in types
        if "screening_started" in types:
            if has_consent:
                consented += 1
            elif case.state == "withdrawn":
                declined += 1
        admitted += "admitted" in types
        screened_out += "screened_out" in types
        for e in case.history:
            if e.type == "session_recorded" and not case.voided(e.seq):
                if case.effective(e).payload["session"].held:  # as corrected
                    held += 1
                else:
                    no_show += 1
        if "intervention_started" in types:
            i = types.index("intervention_started")
            after = types[i + 1 :]
            if "withdrawn" in after:
                left += 1
                dropped += 1
            elif "evaluation_started" in after or "intervention_ended_early" in after:
                left += 1
    _share(found, "referrals.consent", consented, consented + declined, "consented")
    _share(found, "referrals.screening_pass", admitted, admitted + screened_out, "admitted")
    _share(found, "plan.no_show", no_show, held + no_show, "sessions were no-shows")
    _share(found, "plan.dropout", dropped, left, "who left the intervention withdrew")
    found += _mht(cases)
    return Calibration(tuple(found), len(cases), (lo, hi))


def _share(found: list[Estimate], parameter: str, k: int, n: int, what: str) -> None:
    if n > 0:
        found.append(Estimate(parameter, k / n, n, f"{k} of {n} {what}"))


def _mht(cases: Sequence[Case]) -> list[Estimate]:
    base = [a.result.total for c in cases if (a := baseline(c, "mht")) is not None]
    out = []
    if len(base) >= 2:
        n = len(base)
        out.append(Estimate("mht.baseline_mean", statistics.fmean(base), n, "baseline MHT totals"))
        out.append(Estimate("mht.baseline_sd", statistics.stdev(base), n, "baseline MHT totals"))
    changes = []
    for c in cases:
        if not any(e.type == "evaluation_started" for e in c.history):
            continue  # a full plan only: an early end would understate the plan's effect
        pre = baseline(c, "mht")
        post = post_after(c, pre) if pre is not None else None
        if pre is not None and post is not None and post.phase == Phase.POST:
            changes.append(float(post.result.total - pre.result.total))
    if len(changes) >= 2:
        n = len(changes)
        basis = "post - baseline MHT totals after the full plan"
        out.append(Estimate("mht.expected_reduction", -statistics.fmean(changes), n, basis))
        out.append(Estimate("mht.change_sd", statistics.stdev(changes), n, basis))
    return out

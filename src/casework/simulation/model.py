"""The discrete-event model: SimPy processes that drive real cases through the real engine.

One SimPy environment is one run of a scenario.  Its clock counts days from the scenario's
start; :meth:`Simulation.at` maps it onto datetimes, and every command carries that time (the
model never reads the wall clock).  Referrals arrive as a Poisson process thinned by monthly
seasonality; each referral becomes a case process that issues the same commands a worker would:
open, screen, record consents (or withdraw when the family declines), a screening MHT, admit or
screen out, assess with a baseline MHT, plan, then wait for a session slot (the waiting list),
set the plan, start the intervention, record sessions (held or no-show), and either withdraw
(dropout) or record a post MHT, evaluate (or end early) and close.

Capacity is a :class:`simpy.Store` of session slots: a worker with ``k`` sessions a week owns
``k`` slots for weekly plans (``2k`` for fortnightly); a case holds one slot for its whole
intervention, so cases queue for slots in referral order.  No session is held on a holiday:
it moves to the next cadence date outside the holiday.

With an ``outreach`` section, a further process makes the register's visits week by week
(:mod:`casework.simulation.outreach`), recording them in a station journal, and a visit whose
need becomes a referral starts the same case process, its case opened from the visit.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from casework.assessment import Phase
from casework.case import Case
from casework.catalogue import Catalogue
from casework.engine import Engine, EventSink
from casework.errors import GuardFailed
from casework.journal import Journal
from casework.lifecycle import Lifecycle
from casework.outreach import OutreachVisit, Resident
from casework.plan import SessionMode, SessionPlan, SessionRecord, SessionStatus
from casework.records import Client, Consent, ConsentGiver, Guardian, TargetGroup
from casework.simulation._deps import require_simpy
from casework.simulation.answers import SCALE_ITEMS, protocol
from casework.simulation.capacity import Slot, first_date, holiday_days, slots
from casework.simulation.outreach import Rounds
from casework.simulation.scenario import Scenario, resolve_lifecycle

if TYPE_CHECKING:
    import simpy

    from casework.simulation.metrics import Metrics

__all__ = ["Run", "Simulation", "simulate"]

SESSION_MINUTES = 60
GOALS = ("reduce anxiety", "build confidence")
_SCALES = tuple(SCALE_ITEMS)
_RELATIONS = ("mother", "father", "grandmother", "grandfather")

Process = Generator[Any, Any, None]


@attrs.frozen(repr=False)
class Run:
    """One simulated run: the scenario, its seed, and every case with its full event log.

    The cases are ordinary :class:`~casework.Case` objects built by the engine, so reports,
    exports and stores read them as they read real ones.  ``journal`` is the station's journal
    holding the outreach register (people under watch, visits, cases opened from visits) when
    the scenario has an ``outreach`` section, else None.
    """

    scenario: Scenario
    seed: int
    cases: tuple[Case, ...]
    journal: Journal | None = None

    def __repr__(self) -> str:
        events = sum(c.version for c in self.cases)
        return (
            f"<Run {self.scenario.name!r} seed={self.seed}: "
            f"{len(self.cases)} cases, {events} events>"
        )

    def metrics(self) -> Metrics:
        """The run's indicators, computed from the cases' events."""
        from casework.simulation.metrics import measure

        return measure(self.scenario, self.cases, seed=self.seed, journal=self.journal)


class Simulation:
    """One run of ``scenario``: build it, then :meth:`run` it once.

    ``store`` (any store, or anything with ``append``) receives every event as the engine
    accepts it; ``lifecycle`` overrides the lifecycle the scenario names.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        store: EventSink | None = None,
        lifecycle: Lifecycle | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        simpy = require_simpy()
        self.scenario = scenario
        self.seed = seed
        self.rng = random.Random(seed)
        self.env = simpy.Environment()
        chosen = lifecycle or resolve_lifecycle(scenario.lifecycle, catalogue)
        self.engine = Engine(chosen, catalogue=catalogue, store=store)
        self.origin = datetime(scenario.start.year, scenario.start.month, scenario.start.day)
        self.cases: list[Case] = []
        self.slots = simpy.Store(self.env)
        self.slots.items.extend(slots(scenario))
        self.off = holiday_days(scenario)
        self.leads = [
            w for t in scenario.teams if t.role == "social_worker" for w in t.workers
        ] or ["station"]
        self._referred = 0
        self.journal: Journal | None = None
        self._ran = False

    # --- time --------------------------------------------------------------------------------

    def at(self, day: float) -> datetime:
        """The datetime of simulated day ``day`` (to the minute)."""
        return self.origin + timedelta(minutes=round(day * 1440))

    def _day(self, day: float) -> date:
        return (self.origin + timedelta(days=day)).date()

    def _wait(self, days: float) -> simpy.Timeout:
        timeout: simpy.Timeout = self.env.timeout(days)
        return timeout

    def _exp(self, mean: float) -> float:
        return self.rng.expovariate(1.0 / mean) if mean > 0 else 0.0

    # --- running -----------------------------------------------------------------------------

    def run(self) -> Run:
        """Simulate from the scenario's start to its end and return the cases."""
        if self._ran:
            raise RuntimeError("a Simulation runs once; build another for another run")
        self._ran = True
        self.env.process(self._arrivals())
        if self.scenario.outreach is not None:
            self.env.process(self._outreach())
        self.env.run(until=self.scenario.days)
        return Run(self.scenario, self.seed, tuple(self.cases), self.journal)

    def _arrivals(self) -> Process:
        """Referrals: a Poisson process at the peak monthly rate, thinned month by month."""
        ref = self.scenario.referrals
        rates = [ref.rate_per_day(m) for m in range(1, 13)]
        peak = max(rates)
        if peak <= 0:
            return
        rng = self.rng
        horizon = self.scenario.days
        while True:
            yield self._wait(rng.expovariate(peak))
            if self.env.now >= horizon:
                return
            if rng.random() * peak < rates[self._day(self.env.now).month - 1]:
                self._referred += 1
                self.env.process(self._case(self._referred))

    # --- outreach ------------------------------------------------------------------------------

    def _outreach(self) -> Process:
        """The outreach register: visits week by week, and the needs they find as referrals.

        The register is a real station journal: people are registered at the start and every
        visit is recorded (``resident_registered``, ``outreach_visit_recorded``, the events
        :mod:`casework.register` writes), and a visit whose need becomes a referral opens its
        case with :func:`casework.referral.open_from_visit`, so the case is linked to the visit
        both ways and then follows the same flow as every other referral.
        """
        sc = self.scenario
        store = self.engine.store
        rounds = Rounds(sc, self.seed)
        journal = Journal.open(
            f"{sc.name}-{self.seed}-register",
            station=sc.name,
            at=self.at(0),
            by="station",
            store=store,
        )
        self.journal = journal
        for person in rounds.people:
            journal.record(
                "resident_registered",
                at=self.at(0),
                by="station",
                store=store,
                resident=person.resident,
            )
        for week in range(0, sc.days, 7):
            for planned in rounds.week(week):
                yield self._wait(planned.time - self.env.now)
                person = planned.person
                visit = OutreachVisit(
                    f"{person.resident.id}-v{planned.number}",
                    person.resident.id,
                    self._day(planned.time),
                    planned.worker,
                    needs=frozenset({"need found"}) if planned.need else frozenset(),
                )
                journal.record(
                    "outreach_visit_recorded",
                    at=self.at(planned.time),
                    by=planned.worker,
                    store=store,
                    visit=visit,
                )
                if planned.referral:
                    self._referred += 1
                    self.env.process(self._case(self._referred, found=(person.resident, visit)))

    # --- one case ------------------------------------------------------------------------------

    def _client(self, n: int, referred: datetime) -> Client:
        rng = self.rng
        case_id = self._case_id(n)
        age_days = rng.randint(6 * 365 + 2, 15 * 365)
        relation = _RELATIONS[rng.randrange(len(_RELATIONS))]
        return Client(
            f"{case_id}-c",
            f"child {n}",
            referred.date() - timedelta(days=age_days),
            "female" if rng.random() < 0.5 else "male",
            (Guardian(f"{case_id}-g1", relation),),
            (TargetGroup.CHILD_IN_DIFFICULTY,),
        )

    def _case_id(self, n: int) -> str:
        return f"{self.scenario.name}-{self.seed}-{n:04d}"

    def _case(self, n: int, found: tuple[Resident, OutreachVisit] | None = None) -> Process:
        """One referral, from opening to closure (or an earlier exit).

        ``found``: the person under watch and the visit that found the need, for a case that
        outreach opened (its client is that person, its referral source that visit).
        """
        sc, rng, eng, env = self.scenario, self.rng, self.engine, self.env
        timing, mht = sc.timing, sc.mht
        referred = self.at(env.now)
        lead = self.leads[(n - 1) % len(self.leads)]
        if found is None:
            client = self._client(n, referred)
            case = eng.open(
                self._case_id(n),
                client,
                at=referred,
                by=lead,
                worker=lead,
                programme=sc.programme,
            )
        else:
            from casework.referral import open_from_visit

            resident, visit = found
            if visit.worker in self.leads:
                lead = visit.worker
            client = Client(
                f"{self._case_id(n)}-c",
                f"person {n}",
                resident.birth_date,
                "female" if n % 2 else "male",
                (Guardian(f"{self._case_id(n)}-g1", "family member"),),
                tuple(resident.target_groups),
            )
            assert self.journal is not None
            case = open_from_visit(
                eng,
                self.journal,
                visit.id,
                self._case_id(n),
                client,
                at=referred,
                by=lead,
                worker=lead,
                programme=sc.programme,
            )
        self.cases.append(case)

        yield self._wait(self._exp(timing.screen_days))
        eng.fire(case, "screen", at=self.at(env.now), by=lead)

        yield self._wait(self._exp(timing.consent_days))
        now = self.at(env.now)
        if rng.random() >= sc.referrals.consent:
            eng.fire(case, "withdraw", at=now, by=lead, reason="the family declined consent")
            return
        eng.record_consent(case, Consent(ConsentGiver.CLIENT, now), by=lead)
        guardian = client.guardians[0].id
        eng.record_consent(case, Consent(ConsentGiver.GUARDIAN, now, giver_id=guardian), by=lead)

        # the child's level: drawn once, measured at screening, baseline and post
        level = rng.gauss(mht.baseline_mean, mht.baseline_sd)
        if rng.random() < sc.referrals.screening_pass:
            focus = _SCALES[rng.randrange(len(_SCALES))]
            answers = self._answers(level, screen_in=focus)
        else:
            answers = self._answers(rng.gauss(mht.screened_out_mean, mht.baseline_sd / 2), out=True)
        eng.record_assessment(case, "mht", answers, phase=Phase.SCREENING, at=now, by=lead)
        try:
            eng.fire(case, "admit", at=now, by=lead)
        except GuardFailed:
            # the lifecycle's own screening rule decides, whatever the draw intended
            eng.fire(case, "screen_out", at=now, by=lead, reason="screening MHT below thresholds")
            return

        yield self._wait(self._exp(timing.assess_days))
        now = self.at(env.now)
        eng.fire(case, "assess", at=now, by=lead)
        eng.record_assessment(
            case, "mht", self._answers(level), phase=Phase.BASELINE, at=now, by=lead
        )

        yield self._wait(self._exp(timing.plan_days))
        eng.fire(case, "plan", at=self.at(env.now), by=lead)

        # the waiting list: the case waits in planning until a worker's slot is free
        slot: Slot = yield self.slots.get()
        yield from self._intervention(case, lead, level, slot)

    def _intervention(self, case: Case, lead: str, level: float, slot: Slot) -> Process:
        sc, rng, eng, env = self.scenario, self.rng, self.engine, self.env
        plan_spec, mht = sc.plan, sc.mht
        step = 7 * plan_spec.interval_weeks
        hour = slot.hour / 24
        first = first_date(sc, slot, env.now + self._exp(sc.timing.first_session_days))
        now = self.at(env.now)
        # the slot's dates (what SessionPlan.recurring would expand, without rrule's cost)
        dates = tuple(self.at(first + hour + step * k) for k in range(plan_spec.sessions))
        plan = SessionPlan(plan_spec.sessions, dates, GOALS)
        eng.set_plan(case, plan, at=now, by=lead)
        eng.fire(case, "start_intervention", at=now, by=lead)

        drop_after = rng.randrange(plan_spec.sessions) if rng.random() < plan_spec.dropout else -1
        deadline = first + step * plan_spec.sessions + 7 * plan_spec.grace_weeks
        day, number = first, 1
        while case.held_sessions < plan_spec.sessions:
            while day in self.off:
                day += step
            if day > deadline:
                break
            yield self._wait(day + hour - env.now)
            when = self.at(day + hour)
            if case.held_sessions == drop_after:
                self.slots.put(slot)
                reason = "the family dropped out"
                eng.withdraw_consent(
                    case,
                    ConsentGiver.GUARDIAN,
                    at=when,
                    by=lead,
                    reason=reason,
                    giver_id=case.client.guardians[0].id,
                )
                eng.fire(case, "withdraw", at=when, by=lead, reason=reason)
                return
            if rng.random() < plan_spec.no_show:
                record = SessionRecord(
                    number, SessionStatus.NO_SHOW, scheduled_at=when, worker=slot.worker
                )
            else:
                record = SessionRecord(
                    number,
                    held_at=when,
                    scheduled_at=when,
                    mode=SessionMode.HOME_VISIT,
                    duration_minutes=SESSION_MINUTES,
                    worker=slot.worker,
                )
                number += 1
            eng.record_session(case, record, by=slot.worker)
            day += step

        # the slot is free once the last session is over
        self.slots.put(slot)
        done = case.held_sessions / plan_spec.sessions
        post_level = level - mht.expected_reduction * done + rng.gauss(0.0, mht.change_sd)
        yield self._wait(7.0)
        now = self.at(env.now)
        eng.record_assessment(
            case, "mht", self._answers(post_level), phase=Phase.POST, at=now, by=lead
        )
        if done < 1:
            reason = f"{case.held_sessions} of {plan_spec.sessions} sessions held in the time given"
            eng.fire(case, "end_early", at=now, by=lead, reason=reason)
        else:
            eng.fire(case, "evaluate", at=now, by=lead)
        yield self._wait(self._exp(sc.timing.close_days))
        reason = "plan completed" if done == 1 else "intervention ended early"
        eng.fire(case, "close", at=self.at(env.now), by=lead, reason=reason)

    def _answers(
        self, level: float, *, screen_in: str | None = None, out: bool = False
    ) -> tuple[bool, ...]:
        mht = self.scenario.mht
        return protocol(
            self.rng,
            level,
            crisis_rate=mht.crisis_rate,
            validity_yes=mht.validity_yes,
            screen_in=screen_in,
            screen_out=out,
        )


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    store: EventSink | None = None,
    lifecycle: Lifecycle | None = None,
    catalogue: Catalogue | None = None,
) -> Run:
    """Run ``scenario`` once with ``seed``: the same seed gives the same cases, event for event.

    Pass ``store`` to persist every event (as a real station's engine would); the scenario's
    lifecycle is found in ``catalogue`` (default: the store's, else the shipped one).
    """
    if catalogue is None:
        catalogue = getattr(store, "catalogue", None)
    sim = Simulation(scenario, seed=seed, store=store, lifecycle=lifecycle, catalogue=catalogue)
    return sim.run()

"""Random programs of valid and invalid commands against the standard lifecycle.

After every step: replay equals the live case; the state is a defined state; held sessions
never exceed the plan; event times never go backwards; a rejected command changed nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from casework import (
    DEFAULT_CATALOGUE,
    MHT_LIFECYCLE,
    STANDARD,
    CommandRejected,
    Consent,
    ConsentGiver,
    Engine,
    GuardFailed,
    Lifecycle,
    SessionPlan,
    SessionRecord,
    SessionStatus,
    TransitionNotAllowed,
    UnknownTrigger,
    Worker,
    standard_lifecycle,
)
from casework.lifecycle import LIBRARY_COMMANDS
from strategies import MHT_HIGH, MHT_LOW, T0, child, drive_to, mht_answers, snapshot

STATE_TRIGGERS = [t for t in STANDARD.triggers if t not in LIBRARY_COMMANDS]
reasons = st.sampled_from([None, "", "  ", "client's choice", "consent withdrawn"])


class StandardLifecycle(RuleBasedStateMachine):
    """One case of the standard lifecycle, driven by random commands."""

    lifecycle = STANDARD
    mht = False

    @initialize(
        minor=st.booleans(),
        start=st.sampled_from(
            [
                "referral",
                "screening",
                "intake",
                "assessment",
                "planning",
                "intervention",
                "evaluation",
                "closed",
            ]
        ),
    )
    def open_case(self, minor: bool, start: str) -> None:
        """Open a case and walk it along the main path to a random starting state."""
        self.engine = self.make_engine()
        born = T0.date().replace(year=T0.year - (10 if minor else 30))
        self.case = self.engine.open("case-1", child(born), at=T0, by="wu", worker="wu")
        if start != "referral":
            drive_to(self.engine, self.case, start, mht=self.mht)
        self.now = T0
        self.session_no = len(self.case.sessions)

    # --- helpers --------------------------------------------------------------------------

    def make_engine(self) -> Engine:
        return Engine(self.lifecycle)

    def attempt(self, run, trigger: str) -> None:  # type: ignore[no-untyped-def]
        """Run one command; check it either appended exactly one event or changed nothing."""
        before = snapshot(self.case)
        allowed_here = trigger in self.lifecycle.triggers_from(self.case.state)
        try:
            event = run()
        except CommandRejected as exc:
            assert self.case == before, "a rejected command changed the case"
            assert exc.state == before.state and exc.trigger == trigger
            assert exc.reasons, "a rejection must say why"
            if trigger not in self.lifecycle.triggers:
                assert isinstance(exc, UnknownTrigger)
            elif not allowed_here:
                assert isinstance(exc, TransitionNotAllowed)
            return
        assert allowed_here, f"{trigger} accepted from {before.state}"
        n = before.version
        assert self.case.history[:n] == before.history
        assert self.case.history[n] is event
        extra = self.case.history[n + 1 :]
        assert [e.type for e in extra] in ([], ["alert_raised"])
        assert event.seq == before.version + 1
        assert event.trigger == trigger
        if event.type == "approval_requested":  # nothing moves until it is approved
            assert event.state == before.state and self.case.worker == before.worker
            return
        dests = self.lifecycle.destinations(before.state, trigger)
        assert event.state in dests

    def tick(self, days: int) -> None:
        self.now += timedelta(days=days)

    # --- rules ----------------------------------------------------------------------------

    @rule(
        trigger=st.sampled_from([*STATE_TRIGGERS, "fly", "record_assessment"]),
        reason=reasons,
        agency=st.sampled_from([None, "county hospital"]),
        days=st.integers(0, 20),
    )
    def fire(self, trigger: str, reason: str | None, agency: str | None, days: int) -> None:
        self.tick(days)
        payload = {k: v for k, v in (("reason", reason), ("agency", agency)) if v is not None}
        self.attempt(
            lambda: self.engine.fire(self.case, trigger, at=self.now, by="wu", **payload),
            trigger,
        )

    @rule(days=st.integers(0, 8))
    def progress(self, days: int) -> None:
        """Take the main path's next step, with what it needs (so runs get deep)."""
        self.tick(days)
        state, engine, case, now = self.case.state, self.engine, self.case, self.now
        if state in ("screening", "withdrawn", "closed", "follow_up"):
            for giver, gid in ((ConsentGiver.CLIENT, None), (ConsentGiver.GUARDIAN, "g-1")):
                if not case.consent_active(giver, now):
                    consent = Consent(giver, now, giver_id=gid)
                    self.attempt(
                        lambda c=consent: engine.record_consent(case, c, by="wu"), "record_consent"
                    )
        if self.mht:
            phase = {"screening": "screening", "assessment": "baseline"}.get(state)
            if state == "intervention" and case.held_sessions >= (case.planned_sessions or 0):
                phase = "post"
            if phase is not None and not any(a.phase == phase for a in case.assessments):
                answers = MHT_LOW if phase == "post" else MHT_HIGH
                self.attempt(
                    lambda: engine.record_assessment(
                        case, "mht", answers, phase=phase, at=now, by="wu"
                    ),
                    "record_assessment",
                )
                return
        if state == "planning" and case.plan is None:
            self.attempt(lambda: engine.set_plan(case, SessionPlan(3), at=now, by="wu"), "set_plan")
        if state == "intervention" and case.held_sessions < (case.planned_sessions or 0):
            self.session_no += 1
            session = SessionRecord(self.session_no, held_at=now)
            self.attempt(lambda: engine.record_session(case, session, by="wu"), "record_session")
            return
        step = {
            "referral": "screen",
            "screening": "admit",
            "intake": "assess",
            "assessment": "plan",
            "planning": "start_intervention",
            "intervention": "evaluate",
            "evaluation": "close",
            "closed": "follow_up",
            "follow_up": "reopen",
            "aftercare": "reopen",
            "withdrawn": "reopen",
            "suspended": "resume",
        }.get(state)
        if step is not None:
            self.attempt(lambda: engine.fire(case, step, at=now, by="wu", reason="next step"), step)

    @rule(data=st.data(), days=st.integers(0, 3))
    def advance(self, data: st.DataObject, days: int) -> None:
        """Fire a trigger the current state defines, with the data guards ask for."""
        options = [
            t for t in self.lifecycle.triggers_from(self.case.state) if t not in LIBRARY_COMMANDS
        ]
        if not options:
            return
        trigger = data.draw(st.sampled_from(options))
        self.tick(days)
        self.attempt(
            lambda: self.engine.fire(
                self.case, trigger, at=self.now, by="wu", reason="r", agency="county hospital"
            ),
            trigger,
        )

    @rule(giver=st.sampled_from(list(ConsentGiver)), guardian=st.sampled_from(["g-1", "x"]))
    def record_consent(self, giver: ConsentGiver, guardian: str) -> None:
        gid = guardian if giver is ConsentGiver.GUARDIAN else None
        consent = Consent(giver, self.now, giver_id=gid)
        self.attempt(
            lambda: self.engine.record_consent(self.case, consent, by="wu"), "record_consent"
        )

    @rule(giver=st.sampled_from(list(ConsentGiver)), reason=reasons, days=st.integers(0, 5))
    def withdraw_consent(self, giver: ConsentGiver, reason: str | None, days: int) -> None:
        self.tick(days)
        self.attempt(
            lambda: self.engine.withdraw_consent(
                self.case, giver, at=self.now, by="wu", reason=reason or ""
            ),
            "withdraw_consent",
        )

    @rule(sessions=st.integers(1, 12))
    def set_plan(self, sessions: int) -> None:
        self.attempt(
            lambda: self.engine.set_plan(self.case, SessionPlan(sessions), at=self.now, by="wu"),
            "set_plan",
        )

    @rule(extra=st.integers(-2, 3), reason=reasons)
    def revise_plan(self, extra: int, reason: str | None) -> None:
        sessions = (self.case.planned_sessions or 10) + extra
        self.attempt(
            lambda: self.engine.revise_plan(
                self.case, sessions, reason=reason or "", at=self.now, by="wu"
            ),
            "revise_plan",
        )

    @rule(status=st.sampled_from(list(SessionStatus)), days=st.integers(0, 8))
    def record_session(self, status: SessionStatus, days: int) -> None:
        self.tick(days)
        self.session_no += 1
        held = self.now if status is SessionStatus.HELD else None
        session = SessionRecord(self.session_no, status, held_at=held, scheduled_at=self.now)
        was_closed = not self.case.is_open
        held_before = self.case.held_sessions
        cid = f"session-{self.session_no}"
        self.attempt(
            lambda: self.engine.record_session(self.case, session, by="wu", command_id=cid),
            "record_session",
        )
        if was_closed:
            assert self.case.held_sessions == held_before, "a closed case accepted a session"

    @rule(
        phase=st.sampled_from(["screening", "baseline", "mid", "post", "follow_up"]),
        answers=st.sampled_from(["high", "low", "doubtful", "crisis", "short"]),
        override=st.sampled_from([None, "checked with the child"]),
    )
    def record_assessment(self, phase: str, answers: str, override: str | None) -> None:
        protocol = {
            "high": MHT_HIGH,
            "low": MHT_LOW,
            "doubtful": mht_answers(*range(1, 16), *range(82, 96, 2)),
            "crisis": mht_answers(85, 97),
            "short": MHT_LOW[:60],
        }[answers]
        before, version = len(self.case.alerts), self.case.version
        self.attempt(
            lambda: self.engine.record_assessment(
                self.case,
                "mht",
                protocol,
                phase=phase,
                at=self.now,
                by="wu",
                override_reason=override,
            ),
            "record_assessment",
        )
        if answers == "crisis" and self.case.version > version:
            assert len(self.case.alerts) == before + 1

    @rule(data=st.data(), same_id=st.booleans())
    def retry_a_session(self, data: st.DataObject, same_id: bool) -> None:
        """Submit a recorded session again: with its command id (a no-op returning the
        original event) or as the same content without one (refused, or new if it is not
        held under the plan in force): it never counts twice.
        """
        recorded = [e for e in self.case.history if e.type == "session_recorded"]
        if not recorded:
            session = SessionRecord(1, held_at=self.now)
            cid = f"s-{self.case.version}"
            try:
                first = self.engine.record_session(self.case, session, by="wu", command_id=cid)
            except CommandRejected:
                return
            assert self.engine.record_session(self.case, session, by="wu", command_id=cid) is first
            return
        ev = data.draw(st.sampled_from(recorded))
        session, held_before = ev.payload["session"], self.case.held_sessions
        cid = ev.payload.get("command_id")
        version = self.case.version
        try:
            again = self.engine.record_session(
                self.case, session, by="wu", at=ev.at if same_id else max(ev.at, self.now),
                command_id=cid if same_id else None,
            )  # fmt: skip
        except CommandRejected:
            assert self.case.version == version
            return
        if same_id and cid is not None:
            assert again is ev and self.case.version == version
        else:
            assert self.case.held_sessions <= held_before + 1

    @rule(to=st.sampled_from(["wu", "li", ""]), reason=reasons)
    def transfer(self, to: str, reason: str | None) -> None:
        self.attempt(
            lambda: self.engine.transfer(self.case, to, reason=reason or "", at=self.now, by="wu"),
            "transfer",
        )

    # --- corrections ------------------------------------------------------------------------

    def data_events(self, kinds: frozenset[str]) -> list[int]:
        return [e.seq for e in self.case.history if e.type in kinds]

    def fix(self, run, kind: str) -> None:  # type: ignore[no-untyped-def]
        """Run a correction or void: one event pointing to an earlier one, or nothing at all."""
        before = snapshot(self.case)
        try:
            fixed = run()
        except CommandRejected as exc:
            assert self.case == before, "a refused correction changed the case"
            assert exc.reasons
            return
        event(f"{kind} accepted" + (" (inconsistent)" if self.case.inconsistencies else ""))
        assert self.case.history[:-1] == before.history
        assert fixed.type == kind and fixed.state == before.state
        assert 1 <= fixed.payload["target"] < fixed.seq

    @rule(
        data=st.data(),
        status=st.sampled_from(list(SessionStatus)),
        hours=st.integers(-5, 5),
        reason=reasons,
    )
    def correct_a_session(
        self, data: st.DataObject, status: SessionStatus, hours: int, reason: str | None
    ) -> None:
        """Replace a recorded session (a wrong date, a no-show entered as held...)."""
        seqs = [*self.data_events(frozenset({"session_recorded"})), 1]
        seq = data.draw(st.sampled_from(seqs))
        original = self.case.history[seq - 1]
        number = original.payload["session"].number if seq > 1 else 1
        when = original.at + timedelta(hours=hours)
        held = when if status is SessionStatus.HELD else None
        new = SessionRecord(number, status, held_at=held, scheduled_at=when)
        self.fix(
            lambda: self.engine.correct(
                self.case, seq, new, reason=reason or "", at=self.now, by="wu"
            ),
            "corrected",
        )

    @rule(data=st.data(), reason=reasons)
    def void_a_record(self, data: st.DataObject, reason: str | None) -> None:
        """Mark any earlier event entered in error (state changes are always refused)."""
        seq = data.draw(st.integers(1, self.case.version))
        self.fix(
            lambda: self.engine.void(self.case, seq, reason=reason or "", at=self.now, by="wu"),
            "voided",
        )

    @precondition(
        lambda self: self.case.version > 1 and self.lifecycle.triggers_from(self.case.state)
    )
    @rule(days=st.integers(1, 30))
    def backdated(self, days: int) -> None:
        """A command dated before the latest event is always refused."""
        before = snapshot(self.case)
        at = self.case.last_at - timedelta(days=days)  # type: ignore[operator]
        trigger = self.lifecycle.triggers_from(self.case.state)[0]
        try:
            self.engine.fire(self.case, trigger, at=at, by="wu", reason="r", agency="a")
        except GuardFailed as exc:
            assert "chronological" in exc.failed
        else:
            raise AssertionError("a backdated command was accepted")
        assert self.case == before

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def note_state(self) -> None:
        event(f"reached {self.case.state}")

    @invariant()
    def replay_equals_live(self) -> None:
        assert self.engine.replay(self.case.history) == self.case

    @invariant()
    def corrections_are_what_the_case_reads(self) -> None:
        """The case's sessions are the recorded ones, each as last corrected, voids left out."""
        latest: dict[int, object] = {}
        for ev in self.case.history:
            if ev.type == "corrected":
                latest[ev.payload["target"]] = ev.payload.get("session", latest.get(0))
            elif ev.type == "voided":
                latest[ev.payload["target"]] = None
        expected, held = [], set()
        previous = None
        for ev in self.case.history:
            lc = self.case.lifecycle_at(ev.seq)  # the version the event was recorded under
            if (
                previous is not None
                and ev.type != "migrated"
                and not lc.state(previous).is_open
                and lc.state(ev.state).is_open
            ):
                held = set()  # a reopening ends the plan in force
            previous = ev.state
            if ev.type == "plan_set" and not (ev.seq in latest and latest[ev.seq] is None):
                held = set()  # held sessions count toward the plan in force
            if ev.type == "session_recorded":
                session = latest.get(ev.seq, ev.payload["session"])
                if session is not None:
                    expected.append(session)
                    if session.held:  # type: ignore[attr-defined]
                        held.add(session.number)  # type: ignore[attr-defined]
        assert list(self.case.sessions) == expected
        # the distinct session numbers held under the plan in force
        assert self.case.held_sessions == len(held)
        for ev in self.case.history:
            if ev.type in ("corrected", "voided"):
                target = self.case.history[ev.payload["target"] - 1]
                assert target.type not in ("corrected", "voided")
                assert ev.state == self.case.history[ev.seq - 2].state  # never a state change

    @invariant()
    def command_ids_are_recorded_once(self) -> None:
        ids = [e.payload["command_id"] for e in self.case.history if "command_id" in e.payload]
        assert len(ids) == len(set(ids))
        assert self.case.commands == {
            e.payload["command_id"]: e.seq for e in self.case.history if "command_id" in e.payload
        }

    @invariant()
    def state_is_defined(self) -> None:
        assert self.lifecycle.has_state(self.case.state)

    @invariant()
    def held_never_exceeds_plan(self) -> None:
        held = sum(1 for s in self.case.sessions if s.held)
        assert held >= self.case.held_sessions
        if self.case.plan is not None:
            assert self.case.held_sessions <= self.case.plan.sessions
        else:
            assert self.case.held_sessions == 0

    @invariant()
    def time_and_sequence_move_forward(self) -> None:
        events = self.case.history
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert all(a.at <= b.at for a, b in itertools.pairwise(events))

    @invariant()
    def sessions_only_in_intervention(self) -> None:
        for ev in self.case.history:
            if ev.type == "session_recorded":
                assert ev.state == "intervention"

    @invariant()
    def every_crisis_is_followed_by_its_alert(self) -> None:
        events = self.case.history
        for i, ev in enumerate(events):
            if ev.type == "assessment_recorded" and ev.payload["assessment"].crisis_flags:
                assert events[i + 1].type == "alert_raised"
                assert events[i + 1].payload["flags"] == ev.payload["assessment"].crisis_flags

    @invariant()
    def admitted_only_with_consent(self) -> None:
        for i, ev in enumerate(self.case.history):
            if ev.type in ("admitted", "reopened"):
                partial = self.engine.replay(self.case.history[:i])
                assert partial.consent_active(ConsentGiver.CLIENT, ev.at)
                if partial.client.is_minor(ev.at):
                    assert partial.consent_active(ConsentGiver.GUARDIAN, ev.at)


StandardLifecycle.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None
)
TestStandardLifecycle = StandardLifecycle.TestCase


class MHTLifecycle(StandardLifecycle):
    """The same programs against the standard lifecycle with the MHT rules."""

    lifecycle = MHT_LIFECYCLE
    mht = True

    @invariant()
    def mht_rules_held(self) -> None:
        phases = []
        for ev in self.case.history:
            if ev.type == "assessment_recorded":
                phases.append(ev.payload["assessment"].phase.value)
            if ev.type == "admitted":
                assert "screening" in phases
            if ev.type == "evaluation_started":
                assert "post" in phases


MHTLifecycle.TestCase.settings = StandardLifecycle.TestCase.settings
TestMHTLifecycle = MHTLifecycle.TestCase


def _renamed(lc: Lifecycle, old: str, new: str, version: int) -> Lifecycle:
    """``lc`` as a new version with one state renamed (its transitions following it)."""
    data = lc.to_dict()
    data["version"] = version
    for state in data["states"]:
        if state["name"] == old:
            state["name"] = new
    for t in data["transitions"]:
        t["source"] = [new if s == old else s for s in t["source"]]
        if t["dest"] == old:
            t["dest"] = new
    return DEFAULT_CATALOGUE.lifecycle_from_dict(data)


STANDARD_V2 = _renamed(STANDARD, "follow_up", "aftercare", 2)
VERSIONS = DEFAULT_CATALOGUE.extended(lifecycles=[STANDARD_V2])


class MigratedMidway(StandardLifecycle):
    """The same programs, with the case moved to a version 2 (a state renamed) at some step."""

    migrated = False

    def make_engine(self) -> Engine:
        return Engine(STANDARD, catalogue=VERSIONS)  # replay finds both versions

    @precondition(lambda self: not self.migrated)
    @rule(days=st.integers(0, 5), reason=reasons)
    def migrate(self, days: int, reason: str | None) -> None:
        self.tick(days)
        new = Engine(STANDARD_V2, catalogue=VERSIONS)
        before = snapshot(self.case)
        try:
            ev = new.migrate(
                self.case, states={"follow_up": "aftercare"}, at=self.now, by="wu",
                reason=reason or "",
            )  # fmt: skip
        except CommandRejected:
            assert self.case == before
            assert not (reason or "").strip()
            return
        assert ev.state == {"follow_up": "aftercare"}.get(before.state, before.state)
        self.engine, self.lifecycle, self.migrated = new, STANDARD_V2, True

    @invariant()
    def follows_the_version_it_was_moved_to(self) -> None:
        if self.migrated:
            assert self.case.lifecycle is STANDARD_V2
            assert self.case.state != "follow_up"
            assert self.case.lifecycle_at(1) is STANDARD


MigratedMidway.TestCase.settings = StandardLifecycle.TestCase.settings
TestMigratedMidway = MigratedMidway.TestCase


WITH_APPROVALS = standard_lifecycle(
    id="standard_approved", approvals=("close", "set_plan"), handoffs=("transfer", "refer_out")
)
STAFF = [Worker("wu"), Worker("li"), Worker("zhang", "supervisor")]


class WithApprovals(StandardLifecycle):
    """The same programs on a lifecycle whose closures and plans need a supervisor, and whose
    transfers and referrals out the receiver accepts."""

    lifecycle = WITH_APPROVALS

    def make_engine(self) -> Engine:
        return Engine(WITH_APPROVALS, workers=STAFF)

    @initialize(
        minor=st.booleans(),
        start=st.sampled_from(["referral", "screening", "intake", "assessment", "planning"]),
    )
    def open_case(self, minor: bool, start: str) -> None:
        """As the base machine, but no further than planning: beyond it a plan needs approval."""
        super().open_case(minor, start)

    @precondition(lambda self: bool(self.case.pending))
    @rule(data=st.data(), by=st.sampled_from(["wu", "li", "zhang", "stranger", "county hospital"]),
          approve=st.booleans(), reason=reasons)  # fmt: skip
    def decide(self, data: st.DataObject, by: str, approve: bool, reason: str | None) -> None:
        request = data.draw(st.sampled_from(self.case.pending))
        before = snapshot(self.case)
        try:
            if approve:
                ev = self.engine.approve(self.case, request.seq, by=by, at=self.now)
            else:
                ev = self.engine.refuse(
                    self.case, request.seq, reason=reason or "", by=by, at=self.now
                )
        except CommandRejected:
            assert self.case == before, "a refused decision changed the case"
            return
        assert by != request.requested_by, "a request was decided by the one who made it"
        assert request not in self.case.pending
        if not approve:
            assert ev.type == "approval_refused"
            assert (self.case.state, self.case.worker, self.case.plan) == (
                before.state, before.worker, before.plan,
            ), "a refusal moved the case"  # fmt: skip
        event(f"{'approved' if approve else 'refused'} {request.trigger}")

    @precondition(lambda self: bool(self.case.pending))
    @rule(days=st.integers(0, 3))
    def the_right_person_approves(self, days: int) -> None:
        """The supervisor approves (or the receiver accepts) the oldest request: runs get deep."""
        self.tick(days)
        request = self.case.pending[0]
        by = request.approver if request.handoff else "zhang"
        before = snapshot(self.case)
        try:
            self.engine.approve(self.case, request.seq, by=by, at=self.now)
        except CommandRejected:  # its guards, asked again now, may refuse
            assert self.case == before
            return
        event(f"approved {request.trigger}")

    @invariant()
    def pending_is_what_the_log_says(self) -> None:
        asked = {e.seq: e for e in self.case.history if e.type == "approval_requested"}
        for e in self.case.history:
            settled = e.payload.get("request") if e.type == "approval_refused" else None
            approval = e.payload.get("approval")
            if isinstance(approval, dict) or hasattr(approval, "get"):
                settled = approval.get("request")  # type: ignore[union-attr]
                assert e.actor != approval.get("requested_by")  # type: ignore[union-attr]
            asked.pop(settled, None)  # type: ignore[arg-type]
        assert [a.seq for a in self.case.pending] == sorted(asked)


WithApprovals.TestCase.settings = StandardLifecycle.TestCase.settings
TestWithApprovals = WithApprovals.TestCase

"""The outreach register: people under watch, visits, cases opened from a visit, duplicates."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from casework import (
    STANDARD,
    AlreadyRegistered,
    Engine,
    InvalidValue,
    OutreachVisit,
    Register,
    Resident,
    VisitReferral,
    open_from_visit,
    record_visit,
    register_resident,
)
from casework.journal import Journal
from casework.recording import register as register_record
from casework.serialize import default_codec
from casework.store import MemoryStore, SQLiteStore
from strategies import child

WANG = Resident(
    "r-wang", "王秀英", date(1944, 5, 2), {"elderly_living_alone"}, date(2023, 1, 5), worker="wu"
)
DUODUO = Resident(
    "r-duo",
    "朵朵",
    date(2013, 2, 17),
    {"child_in_difficulty"},
    date(2023, 1, 5),
    guardian="奶奶 李桂兰",
)


def _journal(store: MemoryStore | SQLiteStore | None = None) -> Journal:
    return Journal.open("j-1", station="shiqiao", at=date(2023, 1, 2), by="admin", store=store)


def test_a_residents_visit_rule_defaults_to_the_shortest_of_their_groups() -> None:
    """Elderly living alone: every 30 days; a child in difficulty: every 60; both: 30."""
    assert WANG.visit_every == 30
    assert DUODUO.visit_every == 60
    both = Resident("r", "x", date(1950, 1, 1), {"elderly_living_alone", "elderly"}, date.today())
    assert both.visit_every == 30
    assert Resident("r", "x", date(1950, 1, 1), {"own"}, date.today(), visit_every=14).visit_every


def test_a_resident_of_no_known_group_needs_a_rule() -> None:
    with pytest.raises(InvalidValue, match="visit_every"):
        Resident("r", "x", date(1950, 1, 1), {"own_group"}, date(2023, 1, 1))
    with pytest.raises(InvalidValue, match="target group"):
        Resident("r", "x", date(1950, 1, 1), (), date(2023, 1, 1), visit_every=30)
    with pytest.raises(InvalidValue, match="positive"):
        Resident("r", "x", date(1950, 1, 1), {"elderly"}, date(2023, 1, 1), visit_every=0)


def test_personal_fields_are_marked() -> None:
    import attrs

    personal = {f.name for f in attrs.fields(Resident) if f.metadata.get("personal")}
    assert personal == {"name", "birth_date", "guardian", "address"}
    assert [f.name for f in attrs.fields(OutreachVisit) if f.metadata.get("personal")] == ["notes"]


def test_registering_the_same_id_twice_is_refused_with_the_existing_id() -> None:
    journal = _journal()
    register_resident(journal, WANG, by="wu")
    with pytest.raises(AlreadyRegistered) as caught:
        register_resident(journal, WANG, by="wu")
    assert caught.value.existing == "r-wang"
    assert journal.version == 2


def test_the_same_person_under_another_id_is_refused_with_the_existing_id() -> None:
    """Same name, birth date and guardian: the same person, whatever the new id."""
    import attrs

    journal = _journal()
    register_resident(journal, DUODUO, by="wu")
    again = attrs.evolve(DUODUO, id="r-duo-2", target_groups={"child_of_divorced_family"})
    with pytest.raises(AlreadyRegistered, match="already registered as 'r-duo'") as caught:
        register_resident(journal, again, by="wu")
    assert caught.value.existing == "r-duo"
    assert pickle.loads(pickle.dumps(caught.value)).existing == "r-duo"
    other_guardian = attrs.evolve(again, guardian="father")
    register_resident(journal, other_guardian, by="wu")  # another child of the same name
    assert set(Register.of(journal).residents) == {"r-duo", "r-duo-2"}


def test_the_generic_register_refuses_residents() -> None:
    """Residents go through register_resident, which checks for duplicates."""
    with pytest.raises(InvalidValue, match="expected one of"):
        register_record(_journal(), WANG, at=date(2023, 1, 5), by="wu")


def test_a_visit_is_recorded_for_a_registered_person_only() -> None:
    journal = _journal()
    register_resident(journal, WANG, by="wu")
    visit = OutreachVisit("v-1", "r-wang", date(2023, 2, 1), "wu", needs={"meals"}, notes="腿疼")
    event = record_visit(journal, visit)
    assert event.actor == "wu" and event.at == datetime(2023, 2, 1)
    with pytest.raises(InvalidValue, match="no resident 'r-nobody'"):
        record_visit(journal, OutreachVisit("v-2", "r-nobody", date(2023, 2, 2), "wu"))
    with pytest.raises(AlreadyRegistered):
        record_visit(journal, visit)
    reg = Register.of(journal)
    assert reg.last_visit("r-wang") == visit and reg.visits_to("r-wang") == (visit,)
    assert Register.of(journal, until=date(2023, 1, 31)).visits == ()


def test_a_visit_that_found_a_need_opens_a_case_linked_both_ways() -> None:
    store = MemoryStore()
    engine = Engine(STANDARD, store=store)
    journal = _journal(store)
    register_resident(journal, DUODUO, by="wu", store=store)
    found = OutreachVisit("v-1", "r-duo", date(2023, 3, 1), "wu", needs={"emotional_support"})
    record_visit(journal, found, store=store)
    case = open_from_visit(engine, journal, "v-1", "SQ-1", child(), at=date(2023, 3, 2), by="wu")
    link = VisitReferral("j-1", "v-1", "r-duo", "SQ-1")
    assert case.referral == link and case.worker == "wu"
    assert Register.of(journal).referral_of("v-1") == link
    assert store.load("SQ-1").referral == link  # replayed from the store
    assert store.journal("j-1").history[-1].payload["referral"] == link
    with pytest.raises(AlreadyRegistered, match="already opened case 'SQ-1'") as caught:
        open_from_visit(engine, journal, "v-1", "SQ-2", child(), at=date(2023, 3, 3), by="wu")
    assert caught.value.existing == "SQ-1"


def test_a_visit_that_found_nothing_opens_no_case() -> None:
    engine = Engine(STANDARD)
    journal = _journal()
    register_resident(journal, WANG, by="wu")
    record_visit(journal, OutreachVisit("v-1", "r-wang", date(2023, 2, 1), "wu"))
    with pytest.raises(InvalidValue, match="found no need"):
        open_from_visit(engine, journal, "v-1", "SQ-1", child(), at=date(2023, 2, 2), by="wu")
    with pytest.raises(InvalidValue, match="no outreach visit 'v-9'"):
        open_from_visit(engine, journal, "v-9", "SQ-1", child(), at=date(2023, 2, 2), by="wu")
    assert journal.version == 3


def test_a_case_opened_by_hand_has_no_referral_source() -> None:
    case = Engine(STANDARD).open("c", child(), at=date(2023, 1, 1), by="wu")
    assert case.referral is None
    assert "referral" not in case.history[0].payload  # earlier events stay as they were


def test_the_register_round_trips_through_sqlite_and_the_codec(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        journal = _journal(store)
        register_resident(journal, WANG, by="wu", store=store)
        record_visit(
            journal,
            OutreachVisit("v-1", "r-wang", date(2023, 2, 1), "wu", "phone", {"meals"}, "notes"),
            store=store,
        )
        assert store.journal("j-1") == journal
    codec = default_codec().without_personal()
    text = codec.dumps_event(journal.history[1])
    assert "王秀英" not in text and "1944" not in text and "r-wang" in text


# --- the register as a state machine --------------------------------------------------------


class RegisterMachine(RuleBasedStateMachine):
    """Random registrations (duplicates included), visits and cases opened from visits."""

    visits = Bundle("visits")

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.engine = Engine(STANDARD, store=self.store)
        self.journal = _journal(self.store)
        self.day = date(2023, 1, 3)
        self.people: dict[tuple[str, date, str | None], str] = {}  # identity -> id
        self.ids: set[str] = set()
        self.cases: dict[str, str] = {}  # visit -> case

    def _tick(self, days: int) -> date:
        self.day += timedelta(days=days)
        return self.day

    @rule(
        pid=st.sampled_from(["r1", "r2", "r3", "r4", "r5"]),
        name=st.sampled_from(["王", "李"]),
        born=st.sampled_from([date(1944, 1, 1), date(2013, 2, 17)]),
        guardian=st.sampled_from([None, "奶奶"]),
    )
    def register(self, pid: str, name: str, born: date, guardian: str | None) -> None:
        person = Resident(pid, name, born, {"elderly"}, self._tick(0), guardian=guardian)
        existing = pid if pid in self.ids else self.people.get(person.identity)
        if existing is None:
            register_resident(self.journal, person, by="li", store=self.store)
            self.people[person.identity] = pid
            self.ids.add(pid)
            return
        version = self.journal.version
        with pytest.raises(AlreadyRegistered) as caught:
            register_resident(self.journal, person, by="li", store=self.store)
        assert caught.value.existing == existing and self.journal.version == version

    @rule(target=visits, days=st.integers(0, 40), need=st.booleans(), n=st.integers(0, 9))
    def visit(self, days: int, need: bool, n: int) -> str:
        if not self.ids:
            return ""
        who = sorted(self.ids)[n % len(self.ids)]
        vid = f"v{self.journal.version}"
        needs = {"support"} if need else set()
        record_visit(
            self.journal,
            OutreachVisit(vid, who, self._tick(days), "li", needs=needs),
            store=self.store,
        )
        return vid

    @rule(vid=visits)
    def open_case(self, vid: str) -> None:
        if not vid:
            return
        reg = Register.of(self.journal)
        visit = reg.visit(vid)
        case_id = f"SQ-{vid}"
        if not visit.found_need or vid in self.cases:
            with pytest.raises(InvalidValue):
                open_from_visit(self.engine, self.journal, vid, case_id, child(),
                                at=self._tick(0), by="li")  # fmt: skip
            return
        open_from_visit(self.engine, self.journal, vid, case_id, child(), at=self._tick(1),
                        by="li")  # fmt: skip
        self.cases[vid] = case_id

    @invariant()
    def the_register_is_what_was_recorded_and_replays(self) -> None:
        reg = Register.of(self.journal)
        assert set(reg.residents) == self.ids
        assert {r.visit: r.case for r in reg.referrals} == self.cases
        assert Journal.replay(self.store.events("j-1")) == self.journal
        for vid, case_id in self.cases.items():
            assert self.store.load(case_id).referral == reg.referral_of(vid)


TestRegister = RegisterMachine.TestCase
TestRegister.settings = settings(max_examples=40, stateful_step_count=25)

"""Privacy by default: a recognisable name planted in every personal field never leaks."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from casework import Engine, Guardian, SessionRecord, Worker
from casework.demo import run_xuzhuang
from casework.journal import Journal
from casework.reporting import (
    Activity,
    Dataset,
    Period,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
    YearReport,
    activities_by_kind,
    activity_register,
    age_band,
    case_flow,
    case_register,
    cases_by_state,
    completion,
    monthly,
    outcomes,
    person_times,
    pseudonymise,
    record_activity,
    record_volunteer_hours,
    register,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
    volunteer_register,
)
from casework.standard import MHT_LIFECYCLE

SECRET = "ZHANG-SECRET-名字"
BIRTH = date(2012, 7, 19)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    """The Xuzhuang demo with the secret in every personal field, plus a station journal."""
    _, cases = run_xuzhuang(Engine(MHT_LIFECYCLE))
    planted = []
    for case in cases:
        client = case.client
        secret_client = type(client)(
            client.id,
            client.pseudonym,
            BIRTH,
            client.sex,
            [Guardian(g.id, g.relation, name=SECRET) for g in client.guardians],
            client.tags,
            name=SECRET,
        )
        history = []
        for ev in case.history:
            payload = dict(ev.payload)
            if ev.type == "case_opened":
                payload["client"] = secret_client
            if ev.type == "session_recorded":
                s = payload["session"]
                payload["session"] = SessionRecord(
                    s.number, held_at=s.held_at, worker=s.worker, notes=f"notes {SECRET}"
                )
            history.append(type(ev)(**{**_fields(ev), "payload": payload}))
        planted.append(type(case).replay(history, MHT_LIFECYCLE))
    j = Journal.open("station", station="许庄", at=date(2023, 1, 1), by="wu")
    register(j, Worker("wu-chao", name=SECRET), at=date(2023, 1, 1), by="wu")
    register(j, VolunteerTeam("t1", "心桥心理咨询师志愿团"), at=date(2023, 1, 1), by="wu")
    register(j, Volunteer("v1", "t1", name=SECRET), at=date(2023, 1, 1), by="wu")
    record_activity(
        j,
        Activity(
            "a1",
            "health_consultation",
            date(2023, 5, 6),
            "健康咨询",
            "许庄",
            30,
            volunteers=[VolunteerHours("v1", 2)],
            notes=f"talked to {SECRET}",
        ),
        by="wu",
    )
    record_volunteer_hours(
        j, VolunteerService("v1", date(2023, 6, 1), 3, description=SECRET), by="wu"
    )
    return Dataset(planted, [j])


def _fields(ev: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(ev, recurse=False)  # type: ignore[arg-type]


def default_tables(ds: Dataset) -> list[object]:
    year = Period.year(2023)
    return [
        case_flow(ds, year),
        cases_by_state(ds, datetime(2023, 12, 31)),
        sessions_per_case(ds, year),
        person_times(ds, year),
        activities_by_kind(ds, year),
        volunteer_hours(ds, year, by="volunteer"),
        volunteer_hours(ds, year, by="team"),
        completion(ds, year),
        time_in_state(ds),
        outcomes(ds, year),
        monthly(ds, year),
        case_register(ds),
        volunteer_register(ds),
        activity_register(ds),
        *YearReport(ds, 2023).tables(),
    ]


def renderings(table: object) -> list[str]:
    out = [repr(table.rows), str(table), table._repr_html_()]  # type: ignore[attr-defined]
    for lang in ("zh", "en"):
        out.append(table.to_text(lang))  # type: ignore[attr-defined]
        out.append(table.to_html(lang))  # type: ignore[attr-defined]
        out.append(table.to_pandas(lang=lang).to_string())  # type: ignore[attr-defined]
    out.append(table.to_pandas().to_string())  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_personal_field_leaks_into_default_outputs(ds: Dataset, lang: str) -> None:
    texts = [s for t in default_tables(ds) for s in renderings(t)]
    report = YearReport(ds, 2023, lang=lang)
    texts += [str(report), report._repr_html_()]
    for text in texts:
        assert SECRET not in text
        assert "ZHANG-SECRET" not in text
        assert BIRTH.isoformat() not in text
        assert "2012, 7, 19" not in text


def test_the_secret_is_there_when_asked_for(ds: Dataset) -> None:
    """The planting works: include_personal shows names, birth dates and notes."""
    shown = str(case_register(ds, include_personal=True).rows)
    assert SECRET in shown and "2012" in shown
    assert SECRET in str(volunteer_register(ds, include_personal=True).rows)
    assert SECRET in str(activity_register(ds, include_personal=True).rows)


def test_age_bands_replace_birth_dates(ds: Dataset) -> None:
    rows = case_register(ds).rows
    assert {r["age_band"] for r in rows} == {"6-11"}  # 10 years old in March 2023
    assert "birth_date" not in case_register(ds).columns
    assert age_band(date(1943, 5, 1), date(2023, 5, 1)) == "80+"
    assert age_band(date(1953, 5, 2), date(2023, 5, 1)) == "60-69"
    assert age_band(date(2006, 1, 1), date(2023, 12, 31)) == "12-17"


def test_keyed_pseudonyms_join_up_and_differ_by_key(ds: Dataset) -> None:
    one = case_register(ds, key="station-key").column("case_id")
    again = case_register(ds, key="station-key").column("case_id")
    other = case_register(ds, key="another-key").column("case_id")
    assert one == again
    assert not set(one) & set(other)
    assert not set(one) & {c.id for c in ds.cases}
    assert pseudonymise("XZ-2023-01", b"k") == pseudonymise("XZ-2023-01", "k")
    assert len(pseudonymise("x", "k", length=16)) == 16

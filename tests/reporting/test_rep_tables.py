"""Tables, bilingual labels, station records, journal events and their storage."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from casework import STANDARD, Worker
from casework.demo import run_xuzhuang
from casework.errors import InvalidValue
from casework.journal import Journal
from casework.reporting import (
    MEASURES,
    Activity,
    ActivityKind,
    Dataset,
    Label,
    PartnerOrganisation,
    PartnerRole,
    Period,
    PlannedOutputs,
    Project,
    ServiceArea,
    Station,
    Table,
    Volunteer,
    VolunteerHours,
    VolunteerTeam,
    YearReport,
    labels,
    record_activity,
    register,
)
from casework.store import SQLiteStore


def shiqiao(store: object = None) -> Journal:
    """Shiqiao station's journal: the station, a project, a team, a volunteer, a partner."""
    kw = {"by": "feng", "store": store}
    j = Journal.open("shiqiao", station="石桥镇社工站", at=date(2021, 11, 1), **kw)
    register(
        j,
        Station("shiqiao", "石桥镇社工站", "石桥镇", date(2021, 11, 1)),
        at=date(2021, 11, 1),
        **kw,
    )
    register(j, Worker("feng-yuan"), at=date(2021, 11, 1), **kw)
    register(
        j,
        Project(
            "qnxy",
            "情暖夕阳·耆乐无穷",
            ServiceArea.ELDERLY_SERVICES,
            date(2023, 1, 1),
            date(2023, 12, 31),
            {"elderly"},
            PlannedOutputs(activities=10, person_times=1000),
        ),
        at=date(2023, 1, 1),
        **kw,
    )
    register(j, VolunteerTeam("xyhk", "向阳花开"), at=date(2023, 1, 1), **kw)
    register(j, Volunteer("v-001", "xyhk"), at=date(2023, 1, 1), **kw)
    register(
        j,
        PartnerOrganisation("qm", "济宁启明眼科医院", PartnerRole.CHARITY),
        at=date(2023, 1, 1),
        **kw,
    )
    record_activity(
        j,
        Activity(
            "eye-2023",
            ActivityKind.FREE_CLINIC,
            date(2023, 9, 16),
            "光明视界 睛彩济宁",
            "北王三村",
            120,
            "qnxy",
            [VolunteerHours("v-001", 4.5)],
            ("qm",),
        ),
        **kw,
    )
    return j


def test_records_validate_their_fields() -> None:
    with pytest.raises(InvalidValue, match=r"Project\.end"):
        Project("p", "n", "child_care", date(2023, 2, 1), date(2023, 1, 1))
    with pytest.raises(InvalidValue, match=r"Project\.area"):
        Project("p", "n", "gardening", date(2023, 1, 1), date(2023, 2, 1))
    with pytest.raises(InvalidValue, match="hours"):
        VolunteerHours("v", 0)
    with pytest.raises(InvalidValue, match="participants"):
        Activity("a", "free_clinic", date(2023, 1, 1), "t", "p", -1)
    with pytest.raises(InvalidValue, match="listed once"):
        Activity(
            "a", "other", date(2023, 1, 1), "t", "p", 1, volunteers=[VolunteerHours("v", 1)] * 2
        )
    assert PlannedOutputs(cases=5, sessions_per_case=10).planned() == {"cases": 5, "sessions": 50}


def test_journal_helpers_refuse_unknown_references_and_record_nothing() -> None:
    j = shiqiao()
    before = j.version
    with pytest.raises(InvalidValue, match="no project 'nope'"):
        record_activity(
            j, Activity("x", "other", date(2023, 10, 1), "t", "p", 3, "nope"), by="feng"
        )
    with pytest.raises(InvalidValue, match="no volunteer"):
        record_activity(
            j,
            Activity(
                "x",
                "other",
                date(2023, 10, 1),
                "t",
                "p",
                3,
                volunteers=[VolunteerHours("ghost", 1)],
            ),
            by="feng",
        )
    with pytest.raises(InvalidValue, match="already registered"):
        register(j, VolunteerTeam("xyhk", "again"), at=date(2023, 10, 1), by="feng")
    with pytest.raises(InvalidValue, match="no team 'ghost-team'"):
        register(j, Volunteer("v-new", team="ghost-team"), at=date(2023, 10, 1), by="feng")
    with pytest.raises(InvalidValue, match="expected one of"):
        register(j, "a station", at=date(2023, 10, 1), by="feng")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="expected a Activity"):
        record_activity(j, "not an activity", by="feng")  # type: ignore[arg-type]
    assert j.version == before


def test_station_journal_round_trips_through_sqlite(tmp_path: object) -> None:
    """Stored by a store with its default codec and read back: the same records."""
    path = f"{tmp_path}/station.db"
    with SQLiteStore(path) as store:
        shiqiao(store)
    with SQLiteStore(path) as store:
        ds = Dataset.from_store(store)
    memory = Dataset(journals=[shiqiao()])
    assert ds.activities == memory.activities
    assert ds.station == memory.station
    assert ds.projects == memory.projects
    assert MEASURES["participants"](ds, Period.year(2023)) == 120


def test_every_indicator_table_has_both_labels() -> None:
    """Titles, columns and coded values of every table of the yearly report, in zh and en."""
    _, cases = run_xuzhuang()
    report = YearReport(Dataset(cases, [shiqiao()]), 2023)
    for table in report.tables():
        assert table.name in labels.INDICATORS
        assert table.title.zh and table.title.en
        for column in table.columns:
            label = labels.COLUMNS[column]
            assert label.zh and label.en and label.zh != label.en
        for column, known in table.value_labels.items():
            for row in table.rows:
                value = row.get(column)
                if isinstance(value, str):
                    assert value in known, (table.name, column, value)
                    assert known[value].zh and known[value].en
    for key in MEASURES:
        assert labels.INDICATORS[key].zh and labels.INDICATORS[key].en
    for enum, mapping in (
        (ServiceArea, labels.SERVICE_AREAS),
        (ActivityKind, labels.ACTIVITY_KINDS),
        (PartnerRole, labels.PARTNER_ROLES),
    ):
        assert set(mapping) == {m.value for m in enum}


def test_state_and_scale_labels_come_from_the_definitions() -> None:
    assert labels.state_label("intake", "zh") == STANDARD.state("intake").zh == "接案"
    assert labels.state_label("intake", "en", [STANDARD]) == "intake"
    assert labels.scale_label("mht", "learning_anxiety", "zh") == "学习焦虑"
    assert labels.scale_label("mht", "total", "en") == "overall anxiety tendency"
    assert labels.instrument_label("gds15", "zh").startswith("老年抑郁量表")
    with pytest.raises(InvalidValue):
        labels.check_lang("fr")


def sample() -> Table:
    return Table(
        "activities",
        ("kind", "participants"),
        [{"kind": "free_clinic", "participants": 1200}, {"kind": "<b>odd</b>", "participants": 5}],
        Label("社区活动", "community <activities>"),
        {"kind": labels.ACTIVITY_KINDS},
    )


def test_table_text_is_aligned_with_wide_characters() -> None:
    lines = sample().to_text("zh").splitlines()
    # the heading row and every data row end at the same terminal column
    from casework.reporting.table import display_width

    assert len({display_width(line) for line in lines[1:4]}) == 1
    assert "义诊" in lines[3] and "1,200" in lines[3]


def test_table_html_is_escaped_and_translated() -> None:
    out = sample().to_html("en")
    assert "community &lt;activities&gt;" in out and "&lt;b&gt;odd&lt;/b&gt;" in out
    assert "<b>" not in out
    assert "free clinic" in out
    assert "义诊" in sample().in_lang("zh")._repr_html_()


def test_table_refuses_rows_with_unknown_keys() -> None:
    with pytest.raises(InvalidValue, match="not in the columns"):
        Table("activities", ("kind",), [{"kind": "x", "extra": 1}], Label("a", "b"))


def test_to_pandas_translates_or_keeps_codes() -> None:
    frame = sample().to_pandas()
    assert list(frame.columns) == ["kind", "participants"]
    assert frame["kind"][0] == "free_clinic"
    zh = sample().to_pandas(lang="zh")
    assert list(zh.columns) == ["活动类型", "参与人次"] and zh.iloc[0, 0] == "义诊"


def test_to_pandas_names_the_extra_when_pandas_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'casework\[notebook\]'"):
        sample().to_pandas()


def test_year_report_bundles_the_ledger() -> None:
    _, cases = run_xuzhuang()
    report = YearReport(Dataset(cases, [shiqiao()]), 2023, lang="zh")
    figures = report.figures()
    assert figures["opened"] == 5 and figures["sessions"] == 50
    assert figures["person_times"] == 50 + 120
    assert figures["volunteer_hours"] == 4.5 and figures["partners"] == 1
    assert figures["social_workers"] == 1 and figures["projects"] == 1
    assert report.title.zh == "石桥镇社工站 2023年度服务台账"
    html = report._repr_html_()
    assert html.count("<table") == len(report.tables())
    assert "结案数" in str(report)


def test_the_case_register_translates_sex_and_target_groups() -> None:
    """Coded values of the register show in the report's language, from labels.py."""
    _, cases = run_xuzhuang()
    from casework.reporting import case_register

    zh = str(case_register(Dataset(cases, []), lang="zh"))
    assert "男" in zh and "困境儿童" in zh
    assert "male" not in zh and "child_in_difficulty" not in zh
    en = str(case_register(Dataset(cases, []), lang="en"))
    assert "child in difficulty" in en

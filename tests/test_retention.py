"""Retention: rules as data in the catalogue, the erasures they make due (dates checked by
hand), ``casework erase --due-on`` and the agenda's items for erasures coming due.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from casework.catalogue import Catalogue
from casework.cli import main
from casework.engine import Engine
from casework.erasure import due_erasures, erasure_dates
from casework.errors import DefinitionError
from casework.keys import FileKeyStore, MemoryKeyStore
from casework.records import Client
from casework.reporting.agenda import agenda_from_store
from casework.retention import RetentionRule, retention_from_dict, retention_to_dict
from casework.standard import STANDARD
from casework.store import MemoryStore, SQLiteStore

T0 = datetime(2024, 3, 4, 9, 0)
#: Ten years after closure; for a child, three years after turning 18 (whichever is later).
TEN_YEARS = RetentionRule(
    "ten_years", "结案后保存10年", "kept 10 years after closure", after_closure_years=10
)
CHILD = RetentionRule(
    "child",
    "结案后保存5年，未成年人至年满18岁后3年",
    "5 years after closure; a child's until 3 years after turning 18",
    after_closure_years=5,
    after_age=18,
    years=3,
    notice=60,
)
CATALOGUE = Catalogue(retention=[CHILD])


def screened_out(store: object, case_id: str, client: str, born: date, at: datetime) -> None:
    """A case opened at ``at`` and closed (screened out) two days later."""
    engine = Engine(STANDARD, store=store)  # type: ignore[arg-type]
    case = engine.open(case_id, Client(client, "某某", born, "female"), at=at, by="wu", worker="wu")
    engine.fire(case, "screen", at=at + timedelta(days=1), by="wu")
    engine.fire(case, "screen_out", at=at + timedelta(days=2), by="wu", reason="no need")


def two_clients(store: object) -> None:
    # c-child: born 2015-06-01, closed 2024-03-06; turns 18 on 2033-06-01, +3 = 2036-06-01;
    # 5 years after closure = 2029-03-06; the later: 2036-06-01.
    screened_out(store, "A-1", "c-child", date(2015, 6, 1), T0)
    # c-adult: born 1980-01-01 (21 in 2001, long past); closed 2024-03-06: 2029-03-06.
    screened_out(store, "A-2", "c-adult", date(1980, 1, 1), T0)


def test_a_rule_is_checked_when_built_and_read_back_from_its_dict() -> None:
    with pytest.raises(DefinitionError) as caught:
        RetentionRule("bad id", "", "x", years=3)
    problems = " ".join(caught.value.problems)
    assert "identifier" in problems and "zh" in problems and "after_closure_years" in problems
    assert retention_from_dict(retention_to_dict([TEN_YEARS, CHILD])) == (TEN_YEARS, CHILD)
    with pytest.raises(DefinitionError, match="unknown keys"):
        retention_from_dict({"retention": [{**TEN_YEARS.to_dict(), "month": 1}]})


def test_the_catalogue_checks_the_lifecycles_and_ships_no_rule() -> None:
    assert Catalogue().retention == ()
    with pytest.raises(DefinitionError, match="no lifecycle 'elderly'"):
        Catalogue(retention=[RetentionRule("r", "保", "keep", after_age=18, lifecycles="elderly")])


def test_retention_rules_load_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "retention.toml"
    path.write_text(
        '[[retention]]\nid = "ten_years"\nzh = "结案后保存10年"\n'
        'en = "kept 10 years after closure"\n'
        "after_closure_years = 10\nnotice = 30\n",
        encoding="utf-8",
    )
    assert Catalogue().with_retention([path]).retention == (TEN_YEARS,)


def test_the_dates_are_the_later_of_closure_and_coming_of_age() -> None:
    store = MemoryStore(catalogue=CATALOGUE)
    two_clients(store)
    dates = {d.subject: d.due for d in erasure_dates(store)}
    assert dates == {"c-adult": date(2029, 3, 6), "c-child": date(2036, 6, 1)}
    assert due_erasures(store, on=date(2029, 3, 5)) == []
    assert [d.subject for d in due_erasures(store, on=date(2029, 3, 6))] == ["c-adult"]
    assert len(due_erasures(store, on=date(2036, 6, 1))) == 2


def test_the_basis_says_one_year_in_the_singular() -> None:
    one = RetentionRule("one", "结案后1年", "1 year after closure", after_closure_years=1)
    store = MemoryStore(catalogue=Catalogue(retention=[one]))
    screened_out(store, "B-1", "c-b", date(1990, 1, 1), T0)
    (found,) = erasure_dates(store)
    assert found.basis == "1 year after closure on 2024-03-06"


def test_an_open_case_is_never_due() -> None:
    store = MemoryStore(catalogue=Catalogue(retention=[TEN_YEARS]))
    engine = Engine(STANDARD, store=store)
    engine.open("O-1", Client("c-open", "某", date(1990, 1, 1), "male"), at=T0, by="wu")
    assert due_erasures(store, on=date(2100, 1, 1)) == []


def test_an_unreadable_birth_date_falls_back_to_the_closure(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path, catalogue=CATALOGUE, keys=FileKeyStore.beside(path)) as store:
        two_clients(store)
    with SQLiteStore(path, catalogue=CATALOGUE) as sealed:  # opened without its keys
        found = {d.subject: d for d in erasure_dates(sealed)}
    assert found["c-child"].due == date(2029, 3, 6) and found["c-child"].birth_date is None
    assert "birth date unreadable" in found["c-child"].basis
    assert found["c-child"].basis.startswith("5 years after closure on 2024-03-06")
    age_only = RetentionRule("age", "年满18岁后3年", "3 years after 18", after_age=18, years=3)
    with SQLiteStore(path, catalogue=Catalogue(retention=[age_only])) as sealed:
        assert erasure_dates(sealed) == []  # an age rule never guesses a birth date


def test_erasing_what_is_due_leaves_nothing_due_and_removes_the_agenda_item() -> None:
    from casework.erasure import erase

    store = MemoryStore(catalogue=CATALOGUE, keys=MemoryKeyStore())
    two_clients(store)
    on = date(2029, 1, 10)  # 55 days before 2029-03-06: inside the rule's 60 days' notice
    items = [i for i in agenda_from_store(store, on=on) if i.rule == "retention"]
    assert [(i.subject, i.due, i.opens, i.detail) for i in items] == [
        ("c-adult", date(2029, 3, 6), date(2029, 1, 5), "child")
    ]
    assert not [i for i in agenda_from_store(store, on=date(2029, 1, 4)) if i.rule == "retention"]
    for item in due_erasures(store, on=date(2029, 3, 6)):
        erase(store, item.subject, reason=item.reason, at=datetime(2029, 3, 6, 9), by="li")
    assert due_erasures(store, on=date(2029, 3, 6)) == []
    later = agenda_from_store(store, on=date(2029, 3, 7))
    assert not [i for i in later if i.rule == "retention"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_casework_erase_due_on_dry_run_changes_nothing_then_erases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    rules = tmp_path / "retention.toml"
    rules.write_text(
        '[[retention]]\nid = "child"\nzh = "未成年人"\nen = "children"\n'
        "after_closure_years = 5\nafter_age = 18\nyears = 3\nnotice = 60\n",
        encoding="utf-8",
    )
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        two_clients(store)
    before = path.read_bytes()
    db = str(path)
    args = ("erase", "--db", db, "--due-on", "2030-01-01", "--by", "li", "--retention", str(rules))
    code, out, err = run(capsys, *args, "--dry-run")
    assert code == 0, err
    assert out.startswith("due c-adult on 2029-03-06 by child") and "c-child" not in out
    assert path.read_bytes() == before
    code, out, err = run(capsys, *args, "--at", "2030-01-01T09:00")
    assert code == 0, err
    assert "erasing c-adult" in out and "1 subject(s) erased" in err
    code, out, err = run(capsys, *args, "--dry-run")
    assert code == 0 and out == "" and "0 subject(s) due" in err


def test_casework_erase_refuses_mixed_or_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        two_clients(store)
    db = str(path)
    with pytest.raises(SystemExit):
        main(["erase", "--db", db, "--subject", "c-1", "--due-on", "2030-01-01", "--by", "li"])
    assert "not allowed with" in capsys.readouterr().err
    code, _, err = run(capsys, "erase", "--db", db, "--due-on", "2030-01-01", "--by", "li")
    assert code == 1 and "no retention rules" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "erase", "--db", db, "--due-on", "soon", "--by", "li")
    assert code == 1 and "not an ISO 8601 date" in err
    code, _, err = run(capsys, "erase", "--db", db, "--subject", "c-1", "--by", "li")
    assert code == 1 and "--subject needs --reason" in err


def test_casework_agenda_lists_erasures_coming_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    rules = tmp_path / "retention.toml"
    rules.write_text(
        '[[retention]]\nid = "ten_years"\nzh = "结案后保存10年"\n'
        'en = "kept 10 years after closure"\nafter_closure_years = 10\nnotice = 30\n',
        encoding="utf-8",
    )
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        two_clients(store)
    # both closed 2024-03-06: due 2034-03-06, shown from 2034-02-04 (30 days before)
    db, more = str(path), ("--retention", str(rules), "--rule", "retention")
    code, out, err = run(capsys, "agenda", "--db", db, "--on", "2034-02-04", *more)
    assert code == 0, err
    assert out.count("2034-03-06") == 2 and "c-adult" in out and "c-child" in out
    code, out, err = run(capsys, "agenda", "--db", db, "--on", "2034-02-03", *more)
    assert code == 0 and "(nothing due)" in out


def test_a_long_due_run_shows_a_progress_bar_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "station.db"
    rules = tmp_path / "retention.toml"
    rules.write_text(
        '[[retention]]\nid = "one_year"\nzh = "结案后保存1年"\nen = "one year"\n'
        "after_closure_years = 1\n",
        encoding="utf-8",
    )
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        for i in range(12):
            screened_out(store, f"P-{i}", f"c-{i}", date(1990, 1, 1), T0)
    code, out, err = run(
        capsys, "erase", "--db", str(path), "--due-on", "2025-03-06", "--by", "li",
        "--retention", str(rules), "--at", "2025-03-06T09:00",
    )  # fmt: skip
    assert code == 0, err
    assert out.count("erasing c-") == 12 and "12/12 erased 100%" in err
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        assert all(store.load(f"P-{i}").erased for i in range(12))
        kept = Catalogue().with_retention([rules])
        assert due_erasures(store, on=date(2025, 3, 6), catalogue=kept) == []

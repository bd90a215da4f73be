"""Clients, guardians, workers and consents: frozen facts, refused when invalid."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import Client, Consent, ConsentGiver, Guardian, InvalidValue, Role, Sex, Worker
from strategies import birth_dates, clients


def test_age_uses_calendar_years_including_leap_day_birthdays() -> None:
    """dateutil's rule: in a common year a 29 February birthday falls on 28 February."""
    leapling = Client("c", "p", date(2012, 2, 29))
    assert leapling.age(date(2023, 2, 27)) == 10
    assert leapling.age(date(2023, 2, 28)) == 11
    assert leapling.is_minor(date(2030, 2, 27))
    assert not leapling.is_minor(date(2030, 2, 28))
    assert leapling.age(datetime(2024, 2, 29, 8)) == 12


@given(birth=birth_dates, days=st.integers(0, 40_000))
def test_is_minor_agrees_with_age(birth: date, days: int) -> None:
    client = Client("c", "p", birth)
    on = date.fromordinal(birth.toordinal() + days)
    assert client.is_minor(on) == (client.age(on) < 18)


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(InvalidValue, match="before the birth date"):
        Client("c", "p", date(2012, 1, 1)).age(date(2011, 1, 1))


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"id": ""}, "Client.id"),
        ({"pseudonym": "  "}, "Client.pseudonym"),
        ({"birth_date": "2012-01-01"}, "Client.birth_date"),
        ({"birth_date": datetime(2012, 1, 1)}, "Client.birth_date"),
        ({"sex": "other"}, "Client.sex"),
        ({"tags": "child_in_difficulty"}, "Client.tags"),
        ({"guardians": ["mother"]}, "Client.guardians[0]"),
        ({"guardians": [Guardian("g"), Guardian("g")]}, "Client.guardians"),
    ],
)
def test_invalid_client_fields_are_named(kwargs: dict[str, object], where: str) -> None:
    base: dict[str, object] = {"id": "c", "pseudonym": "京京", "birth_date": date(2012, 6, 3)}
    with pytest.raises(InvalidValue) as info:
        Client(**{**base, **kwargs})  # type: ignore[arg-type]
    assert info.value.where == where


@given(clients)
def test_clients_are_frozen_values(client: Client) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        client.pseudonym = "x"  # type: ignore[misc]
    assert attrs.evolve(client) == client
    assert hash(attrs.evolve(client)) == hash(client)


def test_personal_fields_are_marked() -> None:
    personal = {f.name for f in attrs.fields(Client) if f.metadata.get("personal")}
    assert personal == {"birth_date", "name"}
    assert attrs.fields(Worker).name.metadata["personal"]


def test_worker_role_is_checked() -> None:
    assert Worker("w", "volunteer_counsellor").role is Role.VOLUNTEER_COUNSELLOR
    with pytest.raises(InvalidValue, match=r"Worker\.role"):
        Worker("w", "boss")
    assert Client("c", "p", date(2000, 1, 1), "female").sex is Sex.FEMALE


def test_guardian_consent_must_name_the_guardian() -> None:
    with pytest.raises(InvalidValue, match="giver_id"):
        Consent(ConsentGiver.GUARDIAN, date(2023, 3, 1))
    consent = Consent("guardian", date(2023, 3, 1), giver_id="g-1")
    assert consent.given_at == datetime(2023, 3, 1)
    assert consent.active


def test_consent_cannot_be_withdrawn_before_it_is_given() -> None:
    with pytest.raises(InvalidValue, match="withdrawn_at"):
        Consent("client", datetime(2023, 3, 2), withdrawn_at=datetime(2023, 3, 1))


def test_consent_in_force_between_given_and_withdrawn() -> None:
    c = Consent("client", datetime(2023, 3, 2), withdrawn_at=datetime(2023, 4, 1))
    assert not c.active
    assert not c.active_on(datetime(2023, 3, 1))
    assert c.active_on(datetime(2023, 3, 2))
    assert not c.active_on(datetime(2023, 4, 1))

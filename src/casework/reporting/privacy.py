"""Privacy by default: registers and exports without personal fields unless asked.

Personal fields are those marked ``metadata={"personal": True}`` on the records (names, birth
dates, session notes, free-text descriptions).  By default the registers here leave them out:
a birth date becomes an age band, names and notes are dropped.  ``include_personal=True``
puts them back, for the station's own use.  ``key=`` replaces ids with keyed pseudonyms
(:func:`pseudonymise`), so two exports made with one key join up and nobody without the key
can tell which id is whose.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from typing import Final

from casework.case import Case
from casework.erasure import ERASED, UNAVAILABLE, is_erased
from casework.errors import InvalidValue
from casework.records import as_datetime
from casework.reporting import labels
from casework.reporting.dataset import Dataset
from casework.reporting.labels import INDICATORS, Label
from casework.reporting.period import Period
from casework.reporting.table import Table

__all__ = [
    "AGE_BANDS",
    "activity_register",
    "age_band",
    "case_register",
    "pseudonymise",
    "volunteer_register",
]

#: Age bands (inclusive years); the last is open-ended.
AGE_BANDS: Final = ((0, 5), (6, 11), (12, 17), (18, 59), (60, 69), (70, 79), (80, None))


def pseudonymise(value: str, key: bytes | str, *, length: int = 12) -> str:
    """A keyed pseudonym for ``value``: HMAC-SHA256 with ``key``, hex, first ``length`` digits.

    The same key gives the same pseudonym (exports join up); another key gives another; the
    value cannot be recovered from it without the key.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise InvalidValue("key", "a pseudonymisation key must not be empty")
    if not 8 <= length <= 64:
        raise InvalidValue("length", f"must be between 8 and 64, got {length}")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def age_band(birth: date, on: date | datetime) -> str:
    """The age band (``"6-11"``, ``"80+"``...) of someone born on ``birth``, on ``on``."""
    from dateutil.relativedelta import relativedelta

    day = on.date() if isinstance(on, datetime) else on
    if day < birth:
        raise InvalidValue("on", f"{day} is before the birth date")
    years = relativedelta(day, birth).years
    for lo, hi in AGE_BANDS:
        if hi is None:
            return f"{lo}+"
        if lo <= years <= hi:
            return f"{lo}-{hi}"
    raise AssertionError("unreachable")  # pragma: no cover


def _id(value: str | None, key: bytes | str | None) -> str | None:
    return value if value is None or key is None else pseudonymise(value, key)


def _marker(case: Case) -> str | None:
    """What a birth date that cannot be read (erased, or sealed without its key) shows as."""
    if not is_erased(case.client.birth_date):
        return None
    return ERASED if case.erased else UNAVAILABLE


def _closed_on(case: Case) -> date | None:
    if case.is_open:
        return None
    return case.history[-1].at.date()


def case_register(
    ds: Dataset,
    *,
    on: date | datetime | None = None,
    include_personal: bool = False,
    key: bytes | str | None = None,
    lang: str = "en",
) -> Table:
    """One row per case: ids, 化名, sex, age band, target groups, project, state, dates,
    sessions held and planned.

    The age band is the age on ``on`` (default: the day the case was opened).  With
    ``include_personal``, the client's name, birth date and guardians' names are added;
    with ``key``, case and client ids are keyed pseudonyms.  Session notes never appear.
    """
    columns = [
        "case_id",
        "client_id",
        "pseudonym",
        "sex",
        "age_band",
        "target_groups",
        "project",
        "state",
        "opened_on",
        "closed_on",
        "sessions_held",
        "sessions_planned",
    ]
    if include_personal:
        columns += ["name", "birth_date", "guardians"]
    rows = []
    for case in ds.cases:
        client = case.client
        when = as_datetime(on) if on is not None else case.opened_at
        row: dict[str, object] = {
            "case_id": _id(case.id, key),
            "client_id": _id(client.id, key),
            "pseudonym": client.pseudonym,
            "sex": client.sex.value,
            "age_band": _marker(case) or age_band(client.birth_date, when),
            "target_groups": tuple(sorted(client.tags)),
            "project": ds.project_key(case),
            "state": case.state,
            "opened_on": case.opened_at.date(),
            "closed_on": _closed_on(case),
            "sessions_held": case.held_sessions,
            "sessions_planned": case.planned_sessions,
        }
        if include_personal:
            row["name"] = client.name
            row["birth_date"] = _marker(case) or client.birth_date
            row["guardians"] = tuple(g.name or g.id for g in client.guardians)
        rows.append(row)
    return Table(
        "case_register",
        columns,
        rows,
        INDICATORS["case_register"],
        {
            "state": ds.state_labels,
            "project": ds.project_labels,
            "sex": labels.SEXES,
            "target_groups": labels.TARGET_GROUPS,
        },
        lang=labels.check_lang(lang),
    )


def volunteer_register(
    ds: Dataset,
    *,
    include_personal: bool = False,
    key: bytes | str | None = None,
    lang: str = "en",
) -> Table:
    """One row per registered volunteer: id, team, joined; names only with
    ``include_personal``; ids keyed pseudonyms with ``key``.
    """
    columns = ["volunteer_id", "team", "joined"] + (["name"] if include_personal else [])
    rows = []
    for v in ds.volunteers.values():
        row: dict[str, object] = {
            "volunteer_id": _id(v.id, key),
            "team": v.team,
            "joined": v.joined,
        }
        if include_personal:
            row["name"] = v.name
        rows.append(row)
    teams = {t.id: Label(t.name, t.name) for t in ds.teams.values()}
    return Table(
        "volunteer_register",
        columns,
        rows,
        INDICATORS["volunteer_register"],
        {"team": teams},
        lang=labels.check_lang(lang),
    )


def activity_register(
    ds: Dataset,
    period: Period | None = None,
    *,
    include_personal: bool = False,
    lang: str = "en",
) -> Table:
    """One row per activity in ``period``: id, kind, date, title, place, project,
    participants, volunteers and their hours; free-text notes only with ``include_personal``.
    """
    columns = [
        "activity_id",
        "kind",
        "date",
        "title",
        "place",
        "project",
        "participants",
        "volunteers",
        "volunteer_hours",
    ]
    if include_personal:
        columns.append("notes")
    rows = []
    for a in ds.activity_facts(period):
        row: dict[str, object] = {
            "activity_id": a.id,
            "kind": a.kind.value,
            "date": a.on,
            "title": a.title,
            "place": a.place,
            "project": a.project,
            "participants": a.participants,
            "volunteers": len(a.volunteers),
            "volunteer_hours": float(a.volunteer_hours),
        }
        if include_personal:
            row["notes"] = a.notes
        rows.append(row)
    return Table(
        "activity_register",
        columns,
        rows,
        INDICATORS["activity_register"],
        {"kind": labels.ACTIVITY_KINDS, "project": ds.project_labels},
        lang=labels.check_lang(lang),
    )

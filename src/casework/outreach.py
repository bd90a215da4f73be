"""The outreach register's records: people under watch, the visits to them, and the cases found.

Proactive service (主动服务): a station keeps track of the vulnerable people of its area who
are not (yet) cases (a :class:`Resident` with target groups and a visit rhythm), visits them
at home (走访入户, an :class:`OutreachVisit`: date, worker, mode, needs found as tags, notes),
and opens a case when a visit finds a need (a :class:`VisitReferral` links the visit and the
case, and travels on both sides: in the journal and on the case's opening event).

These are facts, frozen and validated when built; personal fields (name, birth date,
guardian, address, notes) carry ``metadata={"personal": True}`` like every other record.
They are recorded in the station's journal by :mod:`casework.register`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final

import attrs

from casework._validators import day as _day
from casework._validators import optional_text as _optional_text
from casework._validators import text as _text
from casework.errors import InvalidValue
from casework.records import TargetGroup, coerce_enum

__all__ = [
    "DEFAULT_VISIT_DAYS",
    "OutreachMode",
    "OutreachVisit",
    "Resident",
    "VisitReferral",
]

PERSONAL = {"personal": True}

#: How often a person under watch is visited, in days, by target group (the shortest of a
#: person's groups applies unless the record says otherwise).  Apps pass their own rhythm on
#: each :class:`Resident` (``visit_every=``).
DEFAULT_VISIT_DAYS: Final[Mapping[str, int]] = MappingProxyType(
    {
        TargetGroup.ELDERLY_LIVING_ALONE.value: 30,
        TargetGroup.CHILD_IN_DIFFICULTY.value: 60,
        TargetGroup.CHILD_OF_DIVORCED_FAMILY.value: 60,
        TargetGroup.PERSON_IN_HARDSHIP.value: 90,
        TargetGroup.PERSON_WITH_DISABILITY.value: 60,
        TargetGroup.ELDERLY.value: 90,
    }
)


class OutreachMode(enum.StrEnum):
    """How an outreach visit was made."""

    HOME_VISIT = "home_visit"
    PHONE = "phone"
    COMMUNITY = "community"
    OTHER = "other"


def _tags(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        raise InvalidValue("tags", "expected a collection of strings, got one string")
    out = frozenset(str(v) for v in value)
    if any(not v.strip() for v in out):
        raise InvalidValue("tags", "entries must be non-empty strings")
    return out


def _mode(value: Any) -> OutreachMode:
    return coerce_enum(OutreachMode, "OutreachVisit.mode", value)


def _rhythm(resident: Resident) -> int | None:
    known = [DEFAULT_VISIT_DAYS[g] for g in resident.target_groups if g in DEFAULT_VISIT_DAYS]
    return min(known) if known else None


@attrs.frozen
class Resident:
    """A person under watch (困难群众 / 特殊群体) who is not (yet) a case.

    ``visit_every`` is the visit rule that applies to the person, in days; by default the
    shortest rhythm of their ``target_groups`` (:data:`DEFAULT_VISIT_DAYS`); a person in no
    known group needs one given.  ``guardian`` (a name or the station's id for them) is part
    of what makes a person the same person: two records with one name, birth date and
    guardian are refused as a duplicate.
    """

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text, metadata=PERSONAL)
    birth_date: date = attrs.field(validator=_day, metadata=PERSONAL)
    target_groups: frozenset[str] = attrs.field(converter=_tags)
    registered: date = attrs.field(validator=_day)
    visit_every: int = attrs.field(
        default=attrs.Factory(_rhythm, takes_self=True), metadata={"unit": "days"}
    )
    guardian: str | None = attrs.field(default=None, validator=_optional_text, metadata=PERSONAL)
    worker: str | None = attrs.field(default=None, validator=_optional_text)
    address: str | None = attrs.field(default=None, validator=_optional_text, metadata=PERSONAL)

    @target_groups.validator
    def _check_groups(self, attribute: attrs.Attribute[Any], value: frozenset[str]) -> None:
        if not value:
            raise InvalidValue("Resident.target_groups", "a person under watch has a target group")

    @visit_every.validator
    def _check_every(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            raise InvalidValue(
                "Resident.visit_every",
                f"no visit rule for the groups {sorted(self.target_groups)}: give visit_every",
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidValue(
                "Resident.visit_every", f"must be a positive number of days, got {value!r}"
            )

    @property
    def identity(self) -> tuple[str, date, str | None]:
        """What makes two records the same person: name, birth date and guardian."""
        return (self.name.strip(), self.birth_date, (self.guardian or "").strip() or None)


@attrs.frozen
class OutreachVisit:
    """One outreach visit (走访入户) to a person under watch.

    ``needs`` are the needs found, as tags (an empty set: nothing new); ``notes`` are free
    text and therefore personal.
    """

    id: str = attrs.field(validator=_text)
    resident: str = attrs.field(validator=_text)
    on: date = attrs.field(validator=_day)
    worker: str = attrs.field(validator=_text)
    mode: OutreachMode = attrs.field(default=OutreachMode.HOME_VISIT, converter=_mode)
    needs: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    notes: str = attrs.field(default="", metadata=PERSONAL)

    @property
    def found_need(self) -> bool:
        """True when the visit found at least one need."""
        return bool(self.needs)


@attrs.frozen
class VisitReferral:
    """The link between a visit that found a need and the case it opened.

    The same value is the case's referral source (on its ``case_opened`` event, read back as
    ``case.referral``) and the journal's ``outreach_referral_recorded`` record, so each side
    names the other.
    """

    journal: str = attrs.field(validator=_text)
    visit: str = attrs.field(validator=_text)
    resident: str = attrs.field(validator=_text)
    case: str = attrs.field(validator=_text)

    @property
    def id(self) -> str:
        """A referral is known by its visit (a visit opens at most one case)."""
        return self.visit

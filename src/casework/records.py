"""The people of a case: clients, guardians, workers, and the consents they give.

These are facts, so they are frozen; bad values are refused at construction with
:class:`~casework.errors.InvalidValue` naming the field.  Fields holding personal data carry
``metadata={"personal": True}`` so exports can leave them out by default.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from casework.errors import InvalidValue

__all__ = [
    "Client",
    "Consent",
    "ConsentGiver",
    "Guardian",
    "Phase",
    "Role",
    "Sex",
    "TargetGroup",
    "Worker",
    "as_datetime",
    "as_items",
    "coerce_enum",
]

PERSONAL = {"personal": True}


class Phase(enum.StrEnum):
    """When in a case an instrument is administered (a lifecycle's states say which they allow)."""

    SCREENING = "screening"
    BASELINE = "baseline"
    MID = "mid"
    POST = "post"
    FOLLOW_UP = "follow_up"


class Sex(enum.StrEnum):
    """Sex as recorded by the station."""

    FEMALE = "female"
    MALE = "male"
    UNRECORDED = "unrecorded"


class Role(enum.StrEnum):
    """What a worker is to the station."""

    SOCIAL_WORKER = "social_worker"
    VOLUNTEER = "volunteer"
    STUDENT_INTERN = "student_intern"
    VOLUNTEER_COUNSELLOR = "volunteer_counsellor"
    SUPERVISOR = "supervisor"
    STATION_HEAD = "station_head"


class TargetGroup(enum.StrEnum):
    """Target-group tags from the civil-affairs vocabulary (apps may add their own strings)."""

    CHILD_IN_DIFFICULTY = "child_in_difficulty"
    CHILD_OF_DIVORCED_FAMILY = "child_of_divorced_family"
    ELDERLY_LIVING_ALONE = "elderly_living_alone"
    ELDERLY = "elderly"
    PERSON_IN_HARDSHIP = "person_in_hardship"
    PERSON_WITH_DISABILITY = "person_with_disability"


class ConsentGiver(enum.StrEnum):
    """Who gave a consent: the client themself or one of their guardians."""

    CLIENT = "client"
    GUARDIAN = "guardian"


def as_datetime(value: date | datetime, where: str = "at") -> datetime:
    """Return ``value`` as a datetime (a bare date means its midnight); refuse anything else."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise InvalidValue(where, f"expected a date or datetime, got {type(value).__name__}")


def as_items(value: Any, where: str, what: str = "items") -> tuple[Any, ...]:
    """``value`` as a tuple; a string, a mapping or a non-iterable is an :class:`InvalidValue`.

    Record fields holding collections use it so that ``tags=5`` or ``techniques=None`` names the
    field instead of escaping as a bare ``TypeError`` from ``tuple()``.
    """
    if type(value) is tuple:
        return value
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidValue(where, f"expected a collection of {what}, got {value!r}")
    return tuple(value)


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        where = f"{type(instance).__name__}.{attribute.name}"
        raise InvalidValue(where, f"must be a non-empty string, got {value!r}")


E = TypeVar("E", bound=enum.StrEnum)


def coerce_enum(kind: type[E], where: str, value: Any) -> E:
    """``kind(value)``, or an :class:`InvalidValue` naming ``where`` and the valid choices."""
    if type(value) is kind:  # already a member: the common case when records are read back
        return value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise InvalidValue(where, f"{value!r} is not one of: {choices}") from None


def _sex(value: Any) -> Sex:
    return coerce_enum(Sex, "Client.sex", value)


def _role(value: Any) -> Role:
    return coerce_enum(Role, "Worker.role", value)


def _giver(value: Any) -> ConsentGiver:
    return coerce_enum(ConsentGiver, "Consent.giver", value)


def _guardians(value: Any) -> tuple[Guardian, ...]:
    return as_items(value, "Client.guardians", "guardians")


def _tags(value: Any) -> frozenset[str]:
    if isinstance(value, frozenset) and all(type(v) is str for v in value):
        tags: frozenset[str] = value
    else:
        if isinstance(value, str):
            raise InvalidValue("Client.tags", "expected a collection of tags, got a single string")
        items = as_items(value, "Client.tags", "tags")
        for i, v in enumerate(items):
            if not isinstance(v, str):
                raise InvalidValue(f"Client.tags[{i}]", f"expected a string, got {v!r}")
        tags = frozenset(items)
    if any(not t.strip() for t in tags):
        raise InvalidValue("Client.tags", "tags must be non-empty strings")
    return tags


@attrs.frozen
class Guardian:
    """A client's guardian, identified by a pseudonymous id within the station."""

    id: str = attrs.field(validator=_non_empty)
    relation: str = attrs.field(default="guardian", validator=_non_empty)
    name: str | None = attrs.field(default=None, metadata=PERSONAL)


def _birth_date(instance: Client, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue("Client.birth_date", f"expected a date, got {value!r}")


@attrs.frozen
class Client:
    """The person served (服务对象); ``pseudonym`` is what reports show (化名).

    A record has no clock, so a birth date "in the future" is judged where it meets a time of
    the case: :meth:`Engine.open <casework.engine.Engine.open>` refuses a client born after
    the case's opening.
    """

    id: str = attrs.field(validator=_non_empty)
    pseudonym: str = attrs.field(validator=_non_empty)
    birth_date: date = attrs.field(validator=_birth_date, metadata=PERSONAL)
    sex: Sex = attrs.field(default=Sex.UNRECORDED, converter=_sex)
    guardians: tuple[Guardian, ...] = attrs.field(default=(), converter=_guardians)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    name: str | None = attrs.field(default=None, metadata=PERSONAL)
    _adult_on: date = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_adult_on", self.birth_date + relativedelta(years=18))

    @guardians.validator
    def _check_guardians(self, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, g in enumerate(value):
            if not isinstance(g, Guardian):
                raise InvalidValue(f"Client.guardians[{i}]", f"expected a Guardian, got {g!r}")
        ids = [g.id for g in value]
        if len(set(ids)) != len(ids):
            raise InvalidValue("Client.guardians", "guardian ids must be unique")

    def age(self, on: date | datetime) -> int:
        """Age in whole years on ``on``, by dateutil (a 29 February birthday is 28 February)."""
        day = on.date() if isinstance(on, datetime) else on
        if day < self.birth_date:
            raise InvalidValue("Client.age", f"{day} is before the birth date")
        return relativedelta(day, self.birth_date).years

    def is_minor(self, on: date | datetime) -> bool:
        """True when the client is under 18 on the given day (an 18th birthday counts as adult)."""
        day = on.date() if isinstance(on, datetime) else on
        return day < self._adult_on


@attrs.frozen
class Worker:
    """Someone who serves clients: a social worker, volunteer, intern or volunteer counsellor."""

    id: str = attrs.field(validator=_non_empty)
    role: Role = attrs.field(default=Role.SOCIAL_WORKER, converter=_role)
    name: str | None = attrs.field(default=None, metadata=PERSONAL)


def _consent_giver_id(instance: Consent, attribute: attrs.Attribute[Any], value: Any) -> None:
    if instance.giver is ConsentGiver.GUARDIAN and not value:
        raise InvalidValue("Consent.giver_id", "a guardian's consent must name the guardian")


def _withdrawn_after(instance: Consent, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise InvalidValue("Consent.withdrawn_at", f"expected a datetime, got {value!r}")
    if value < instance.given_at:
        raise InvalidValue("Consent.withdrawn_at", "cannot be withdrawn before it is given")


def _at(value: Any) -> datetime:
    return as_datetime(value, "Consent.given_at")


@attrs.frozen
class Consent:
    """Consent given by the client or a guardian for a scope of service (经服务对象和家长同意)."""

    giver: ConsentGiver = attrs.field(converter=_giver)
    given_at: datetime = attrs.field(converter=_at)
    scope: str = attrs.field(default="casework", validator=_non_empty)
    giver_id: str | None = attrs.field(default=None, validator=_consent_giver_id)
    withdrawn_at: datetime | None = attrs.field(default=None, validator=_withdrawn_after)

    @property
    def active(self) -> bool:
        """True until the consent is withdrawn."""
        return self.withdrawn_at is None

    def active_on(self, at: datetime) -> bool:
        """True when given at or before ``at`` and not withdrawn by then."""
        return self.given_at <= at and (self.withdrawn_at is None or self.withdrawn_at > at)

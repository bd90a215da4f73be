"""The codec casework ships with: every record and enum its own events carry, by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from casework.lifecycle import StateClass
from casework.plan import SessionMode, SessionPlan, SessionRecord, SessionStatus
from casework.records import Client, Consent, ConsentGiver, Guardian, Role, Sex, TargetGroup, Worker
from casework.serialize._codec import Codec
from casework.serialize._migrations import Migrations

if TYPE_CHECKING:
    from casework.instruments import Instrument

__all__ = ["CORE_TYPES", "default_codec", "register_core_types"]

#: casework's own payload types, registered under their class names.
CORE_TYPES: tuple[type, ...] = (
    Client,
    Guardian,
    Worker,
    Consent,
    SessionPlan,
    SessionRecord,
    ConsentGiver,
    Sex,
    Role,
    TargetGroup,
    SessionStatus,
    SessionMode,
    StateClass,
)


def register_core_types(codec: Codec) -> Codec:
    """Register casework's own records and enums on ``codec`` (returned, for chaining)."""
    for cls in CORE_TYPES:
        codec.register(cls)
    return codec


def default_codec(
    *,
    migrations: Migrations | None = None,
    detailed_validation: bool = True,
    instruments: Mapping[str, Instrument] | None = None,
    json: str = "auto",
) -> Codec:
    """A new codec that reads and writes every value casework's own events carry.

    That includes the station records of journals (:mod:`casework.reporting.records`).
    Assessments are read back with ``instruments`` (default: the instruments casework ships).
    Apps register their own payload types on it (``codec.register(MyRecord)``) and pass it to
    the stores they create.  ``json`` picks the JSON backend (see :class:`Codec`).
    """
    from casework.reporting.codec import register_types as register_station_types
    from casework.serialize._instruments import register_assessment_types

    codec = Codec(migrations=migrations, detailed_validation=detailed_validation, json=json)
    register_core_types(codec)
    register_station_types(codec)
    if instruments is None:
        return register_assessment_types(codec)
    return register_assessment_types(codec, instruments)

"""The codec casework ships with: every record and enum its own events carry, by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from casework import station
from casework.lifecycle import StateClass
from casework.outreach import OutreachMode, OutreachVisit, Resident, VisitReferral
from casework.plan import SessionMode, SessionPlan, SessionRecord, SessionStatus
from casework.records import Client, Consent, ConsentGiver, Guardian, Role, Sex, TargetGroup, Worker
from casework.serialize._codec import Codec
from casework.serialize._instruments import register_assessment_types
from casework.serialize._migrations import Migrations

if TYPE_CHECKING:
    from casework.catalogue import Catalogue
    from casework.instruments import Instrument

__all__ = [
    "CORE_TYPES",
    "STATION_TYPES",
    "default_codec",
    "register_core_types",
    "register_station_types",
]

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


#: The station records and enums journals carry (:mod:`casework.station`, the outreach
#: register of :mod:`casework.outreach`), by class name.
STATION_TYPES: tuple[type, ...] = (
    *(getattr(station, name) for name in station.__all__),
    Resident,
    OutreachVisit,
    OutreachMode,
    VisitReferral,
)


def register_station_types(codec: Codec) -> Codec:
    """Register the station records and enums on ``codec`` (returned, for chaining)."""
    for cls in STATION_TYPES:
        codec.register(cls)
    return codec


def register_core_types(codec: Codec) -> Codec:
    """Register casework's own records and enums on ``codec`` (returned, for chaining)."""
    for cls in CORE_TYPES:
        codec.register(cls)
    return codec


def default_codec(
    *,
    catalogue: Catalogue | None = None,
    migrations: Migrations | None = None,
    detailed_validation: bool = True,
    instruments: Mapping[str, Instrument] | None = None,
    json: str = "auto",
) -> Codec:
    """A new codec that reads and writes every value casework's own events carry.

    That includes the station records of journals (:mod:`casework.station`).
    With a ``catalogue``, its payload types are registered and its instruments read
    assessments back; else ``instruments`` do (default: the instruments casework ships).
    Stores build theirs from their catalogue, so an app rarely builds one itself.
    ``json`` picks the JSON backend (see :class:`Codec`).
    """
    codec = Codec(migrations=migrations, detailed_validation=detailed_validation, json=json)
    register_core_types(codec)
    register_station_types(codec)
    if catalogue is not None:
        for cls in catalogue.payload_types:
            codec.register(cls)
        if instruments is None:
            instruments = {f"{i.id} {i.version}": i for i in catalogue.instruments}
    if instruments is None:
        return register_assessment_types(codec)
    return register_assessment_types(codec, instruments)

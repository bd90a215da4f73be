"""Serialisation: casework values and events to JSON and back, exactly, with a schema version.

Build a codec with :func:`default_codec`, register your own payload types on it, and pass it to
the stores you create::

    codec = default_codec()
    codec.register(MyRecord)          # attrs classes and enums by name; others with encode/decode
    line = codec.dumps_event(event)   # {"v": 1, "case_id": ..., "payload": {...}}
    assert codec.loads_event(line) == event
"""

from casework.serialize._codec import TAG, Codec, EventRow
from casework.serialize._default import (
    CORE_TYPES,
    STATION_TYPES,
    default_codec,
    register_core_types,
    register_station_types,
)
from casework.serialize._errors import (
    DecodeError,
    EncodeError,
    SchemaTooNew,
    SerializationError,
    UnsupportedSchema,
)
from casework.serialize._instruments import register_assessment_types
from casework.serialize._json import JSON_BACKENDS, JsonBackend, json_backend
from casework.serialize._migrations import (
    SCHEMA_VERSION,
    Migration,
    Migrations,
    default_migrations,
    v0_to_v1,
)

__all__ = [
    "CORE_TYPES",
    "JSON_BACKENDS",
    "SCHEMA_VERSION",
    "STATION_TYPES",
    "TAG",
    "Codec",
    "DecodeError",
    "EncodeError",
    "EventRow",
    "JsonBackend",
    "Migration",
    "Migrations",
    "SchemaTooNew",
    "SerializationError",
    "UnsupportedSchema",
    "default_codec",
    "default_migrations",
    "json_backend",
    "register_assessment_types",
    "register_core_types",
    "register_station_types",
    "v0_to_v1",
]

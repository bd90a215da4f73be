"""attrs validators the station and outreach records share: each names the field it refuses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from casework.errors import InvalidValue

__all__ = ["day", "optional_day", "optional_text", "text", "where"]


def where(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(where(instance, attribute), f"must be a non-empty string, got {value!r}")


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        text(instance, attribute, value)


def day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue(where(instance, attribute), f"expected a date, got {value!r}")


def optional_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        day(instance, attribute, value)

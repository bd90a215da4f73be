"""Recording station records in a journal, re-exported from :mod:`casework.recording`."""

from casework.recording import EVENT_TYPES, record_activity, record_volunteer_hours, register

__all__ = ["EVENT_TYPES", "record_activity", "record_volunteer_hours", "register"]

"""The station records, re-exported where reporting code has always found them.

They are write-side facts recorded in journals and live in :mod:`casework.station`.
"""

from casework import station
from casework.station import *  # noqa: F403 - the same names, from where they live

__all__ = station.__all__

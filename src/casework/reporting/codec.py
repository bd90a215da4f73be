"""The station records' codec registration, re-exported for reporting code.

:func:`~casework.serialize.default_codec` registers them itself; call
:func:`register_types` on a codec you build another way.
"""

from casework.serialize import STATION_TYPES as REPORTING_TYPES
from casework.serialize import register_station_types as register_types

__all__ = ["REPORTING_TYPES", "register_types"]

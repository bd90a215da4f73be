"""Optional dependencies of the simulation, imported when first needed with a clear message.

SimPy is the ``casework[sim]`` extra; pandas and matplotlib are the ``casework[notebook]``
extra.  ``import casework`` (and ``import casework.simulation``) never needs any of them.
"""

from __future__ import annotations

from types import ModuleType

from casework._support import require

__all__ = ["require", "require_simpy"]


def require_simpy() -> ModuleType:
    """The ``simpy`` module (the ``casework[sim]`` extra)."""
    return require("simpy", "sim", "casework's simulation")

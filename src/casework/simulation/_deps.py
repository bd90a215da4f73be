"""Optional dependencies of the simulation, imported when first needed with a clear message.

SimPy is the ``casework[sim]`` extra; pandas and matplotlib are the ``casework[notebook]``
extra; ``dask.distributed`` is the ``casework[cluster]`` extra.  ``import casework`` (and
``import casework.simulation``) never needs any of them.
"""

from __future__ import annotations

from types import ModuleType

from casework._support import require

__all__ = ["require", "require_dask", "require_distributed", "require_simpy"]


def require_simpy() -> ModuleType:
    """The ``simpy`` module (the ``casework[sim]`` extra)."""
    return require("simpy", "sim", "casework's simulation")


def require_distributed() -> ModuleType:
    """The ``distributed`` module of dask (the ``casework[cluster]`` extra)."""
    return require("distributed", "cluster", "running replications on a dask cluster")


def require_dask() -> ModuleType:
    """The ``dask`` module, for its configuration (the ``casework[cluster]`` extra)."""
    return require("dask", "cluster", "running replications on a dask cluster")

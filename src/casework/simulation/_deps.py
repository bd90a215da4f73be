"""Optional dependencies of the simulation, imported when first needed with a clear message.

SimPy is the ``casework[sim]`` extra; pandas and matplotlib are the ``casework[notebook]``
extra.  ``import casework`` (and ``import casework.simulation``) never needs any of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require", "require_simpy"]


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs {module.partition('.')[0]}, which is not installed: "
            f"pip install 'casework[{extra}]'"
        ) from exc


def require_simpy() -> ModuleType:
    """The ``simpy`` module (the ``casework[sim]`` extra)."""
    return require("simpy", "sim", "casework's simulation")

"""Small helpers several parts of casework share: optional imports and terminal widths."""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["callable_name", "display_width", "pad", "require"]


def callable_name(func: Callable[..., Any]) -> str:
    """The name a guard or hook is known by in dicts, errors and diagrams."""
    return str(getattr(func, "name", None) or getattr(func, "__name__", None) or repr(func))


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise ImportError naming the extra that installs it.

    Heavy optional libraries (pandas, matplotlib, SimPy, psycopg) are imported only here, when
    first needed, so ``import casework`` never needs them.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs {module.partition('.')[0]}, which is not installed: "
            f"pip install 'casework[{extra}]'"
        ) from exc


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (wide and full-width characters, e.g. CJK, take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (CJK characters take two)."""
    return text + " " * max(0, width - display_width(text))

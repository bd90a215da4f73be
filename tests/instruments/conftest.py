"""Shared fixtures of the instrument tests.

The hypothesis strategies live in ``instrument_strategies.py`` beside this file; this folder is
put on ``sys.path`` here so that test modules can import it whatever pytest's import mode.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from instrument_strategies import mht_yes  # noqa: E402


@pytest.fixture
def yes_to() -> Any:
    """``yes_to(1, 2, 85)``: an MHT protocol with yes to exactly these items."""
    return mht_yes

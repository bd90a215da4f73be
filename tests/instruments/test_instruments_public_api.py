"""The public surface of ``casework.instruments``: what others code against."""

from __future__ import annotations

import inspect

import casework.instruments as pkg


def test_every_public_name_exists_and_is_documented() -> None:
    """Each name in __all__ resolves; classes and functions carry a docstring."""
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, name


def test_the_contract_the_core_relies_on() -> None:
    """MHT, GDS15, PHQ9, GAD7, RSES, Instrument, ScoreResult and the outcome functions."""
    for name in ("MHT", "GDS15", "PHQ9", "GAD7", "RSES", "Instrument", "ScoreResult"):
        assert name in pkg.__all__
    for name in ("change", "reliable_change", "cohort_outcomes", "estimate_reliability"):
        assert callable(getattr(pkg, name))
    assert [i.id for i in (pkg.MHT, pkg.GDS15, pkg.PHQ9, pkg.GAD7, pkg.RSES)] == [
        "mht",
        "gds15",
        "phq9",
        "gad7",
        "rses",
    ]


def test_private_modules_stay_private() -> None:
    """Nothing from the underscore modules leaks under a private name."""
    assert not [n for n in pkg.__all__ if n.startswith("_")]

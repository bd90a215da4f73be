"""The public surface: what `casework` exports, and that it is typed."""

from __future__ import annotations

from importlib import resources

import casework


def test_all_names_exist_and_are_documented() -> None:
    for name in casework.__all__:
        obj = getattr(casework, name)
        if callable(obj) and not isinstance(obj, str):
            assert obj.__doc__, f"{name} has no docstring"


def test_surface_is_deliberate() -> None:
    assert set(casework.__all__) == {
        n
        for n in dir(casework)
        if not n.startswith("_")
        and n
        not in {
            "assessment",
            "catalogue",
            "recording",
            "station",
            "rules",
            "journal",
            "simulation",
            "case",
            "engine",
            "errors",
            "events",
            "hooks",
            "lifecycle",
            "plan",
            "records",
            "standard",
            "guards",
            "instruments",
            "store",
            "serialize",
            "demo",
            "cli",
            "reporting",
            "keys",
            "erasure",
            "encryption",
            "annotations",
            "due",
            "retention",
            "outreach",
            "referral",
            "register",
        }
    } | {"__version__"}


def test_package_is_typed() -> None:
    assert resources.files("casework").joinpath("py.typed").is_file()


def test_errors_share_one_base() -> None:
    errors = [getattr(casework, n) for n in casework.__all__ if n.endswith(("Error", "Failed"))]
    errors += [casework.CommandRejected, casework.InvalidValue, casework.InvalidCommand]
    assert all(issubclass(e, casework.CaseworkError) for e in errors)

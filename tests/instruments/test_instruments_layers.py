"""The layers of ``casework.instruments``: definitions at the bottom, no import circles.

Every ``casework.instruments`` import counts, also one inside a function (a late import is
still a dependency); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

PREFIX = "casework.instruments"


def _graph() -> dict[str, set[str]]:
    """The package's import graph (tests/test_layers.py reads it), within instruments."""
    from test_layers import GRAPH

    inside = {m for m in GRAPH if m.startswith(PREFIX)}
    return {m: GRAPH[m] & inside for m in inside}


def test_the_parts_of_a_definition_import_nothing_else_from_the_package() -> None:
    """``_parts`` (items, scales, bands, rules: pure data) is the bottom layer."""
    assert _graph()[f"{PREFIX}._parts"] == set()


def test_scoring_compiling_validating_and_serialising_never_import_the_instrument() -> None:
    """They work on the parts; only the instrument (model) and the layers above import them."""
    graph = _graph()
    for low in ("scoring", "_compiled", "_validate", "_serial", "batch", "_vector"):
        deps = graph[f"{PREFIX}.{low}"]
        assert f"{PREFIX}.model" not in deps, low
        assert PREFIX not in deps, low

"""Lifecycle diagrams: DOT text without extras, images through Graphviz, a clear error without."""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

import pytest

from casework import MHT_LIFECYCLE, STANDARD
from casework.errors import InvalidValue
from casework.reporting import diagram

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed here")


def test_dot_text_is_the_lifecycles_own() -> None:
    """The DOT text is Lifecycle.to_dot's, in the language asked for."""
    assert diagram.lifecycle_dot(STANDARD, "zh") == STANDARD.to_dot("zh")
    assert '"intake" [label="接案"' in diagram.lifecycle_dot(STANDARD, "zh")
    with pytest.raises(InvalidValue, match="lang"):
        diagram.lifecycle_dot(STANDARD, "de")


def test_dot_without_internal_transitions_keeps_every_state_and_move() -> None:
    """internal=False drops the dotted self-loops only: every state and moving edge stays."""
    full = diagram.lifecycle_dot(MHT_LIFECYCLE, "en").splitlines()
    lean = diagram.lifecycle_dot(MHT_LIFECYCLE, "en", internal=False).splitlines()
    dotted = [ln for ln in full if "style=dotted" in ln]
    assert dotted and not any("style=dotted" in ln for ln in lean)
    assert len(lean) == len(full) - len(dotted)
    for state in MHT_LIFECYCLE.states:
        assert any(ln.startswith(f'  "{state.name}" [label=') for ln in lean)
    assert '  "intervention" -> "evaluation" [label="evaluate"];' in lean


@needs_dot
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_svg_image_labels_every_state(lang: str) -> None:
    raw = diagram.lifecycle_image(STANDARD, lang, "svg", internal=False).decode("utf-8")
    assert "<svg" in raw
    svg = html.unescape(raw)  # Graphviz writes "follow-up" as "follow&#45;up"
    for state in STANDARD.states:
        assert f">{state.label(lang)}<" in svg


@needs_dot
def test_png_image_and_notebook_display() -> None:
    assert diagram.lifecycle_image(STANDARD, "en", "png").startswith(b"\x89PNG")
    shown = diagram.LifecycleDiagram(STANDARD, "zh", internal=False)
    svg = shown._repr_svg_()
    assert svg is not None and svg.startswith("<svg") and "筛选" in svg
    assert shown.dot in repr(shown)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(InvalidValue, match="format"):
        diagram.lifecycle_image(STANDARD, "en", "gif")


def test_without_graphviz_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dot on the PATH and no graphviz package: a clear error, DOT text still available."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(diagram.GraphvizUnavailable, match="apt-get install graphviz"):
        diagram.lifecycle_image(STANDARD, "en", "svg")
    shown = diagram.LifecycleDiagram(STANDARD)
    assert shown._repr_svg_() is None  # a notebook then shows the repr: the DOT text
    assert "digraph" in repr(shown)


def test_a_failing_dot_program_is_reported(tmp_path: Path) -> None:
    """A dot that exits non-zero gives GraphvizUnavailable with its message, not bad bytes."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(diagram.GraphvizUnavailable, match="syntax error in line 1"):
        diagram.lifecycle_image(STANDARD, "en", "svg", dot=str(fake))
    with pytest.raises(diagram.GraphvizUnavailable, match="could not run"):
        diagram.lifecycle_image(STANDARD, "en", "svg", dot=str(tmp_path / "missing"))

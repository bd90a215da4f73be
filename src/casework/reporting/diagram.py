"""Lifecycle diagrams: any lifecycle definition as DOT text, and as an SVG or PNG image.

DOT text needs nothing beyond casework (:meth:`Lifecycle.to_dot` writes it).  Images need
Graphviz: its ``dot`` program on the ``PATH`` (``apt-get install graphviz``, ``brew install
graphviz``, ``conda install graphviz``), or the ``graphviz`` Python package (``pip install
graphviz``; it runs the same program).  Without either, :func:`lifecycle_image` raises
:class:`GraphvizUnavailable` saying what to install; the DOT text still works.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from casework.errors import InvalidValue
from casework.lifecycle import Lifecycle

__all__ = [
    "DIAGRAM_FONT",
    "FORMATS",
    "GraphvizUnavailable",
    "LifecycleDiagram",
    "lifecycle_dot",
    "lifecycle_image",
]

#: Image formats :func:`lifecycle_image` produces.
FORMATS = ("svg", "png")
#: Fonts asked of Graphviz for images, in order: a CJK-capable one first so Chinese labels
#: are drawn (fontconfig falls back to any installed font when none of these is found).
DIAGRAM_FONT = "Noto Sans CJK SC,Source Han Sans SC,WenQuanYi Zen Hei,Microsoft YaHei,sans-serif"


class GraphvizUnavailable(RuntimeError):
    """Raised when a lifecycle image is asked for but Graphviz cannot be run."""


def lifecycle_dot(lifecycle: Lifecycle, lang: str = "en", *, internal: bool = True) -> str:
    """The lifecycle as Graphviz DOT text, labels in ``lang`` (no extra needed).

    ``internal=False`` leaves out the internal transitions (recording a consent, a session,
    an assessment...: the dotted self-loops :meth:`Lifecycle.to_dot` draws), which do not
    move a case and crowd a diagram meant to show the path of a case.
    """
    if lang not in ("zh", "en"):
        raise InvalidValue("lang", f"expected 'zh' or 'en', got {lang!r}")
    dot = lifecycle.to_dot(lang)
    if internal:
        return dot
    return "\n".join(line for line in dot.splitlines() if not line.endswith("style=dotted];"))


def _with_font(dot: str, font: str) -> str:
    """``dot`` with a default font for the graph, its nodes and edges (after the first line)."""
    head, _, rest = dot.partition("\n")
    quoted = font.replace('"', '\\"')
    fonts = (
        f'  graph [fontname="{quoted}"];\n'
        f'  node [fontname="{quoted}"];\n'
        f'  edge [fontname="{quoted}", fontsize=10];'
    )
    return f"{head}\n{fonts}\n{rest}"


def _run_dot(program: str, source: str, fmt: str, timeout: float) -> bytes:
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except OSError as exc:
        raise GraphvizUnavailable(f"could not run Graphviz's {program!r}: {exc}") from exc
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizUnavailable(f"Graphviz's dot failed ({done.returncode}): {problem}")
    return done.stdout


def _python_graphviz() -> Any | None:
    try:
        import graphviz  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return graphviz


def lifecycle_image(
    lifecycle: Lifecycle,
    lang: str = "en",
    format: str = "svg",
    *,
    internal: bool = True,
    font: str = DIAGRAM_FONT,
    dot: str | None = None,
    timeout: float = 30.0,
) -> bytes:
    """The lifecycle drawn by Graphviz, as SVG or PNG bytes (``internal`` as in
    :func:`lifecycle_dot`).

    ``dot`` is the path of Graphviz's program (default: ``dot`` on the ``PATH``, then the
    ``graphviz`` Python package).  Raises :class:`GraphvizUnavailable` when neither can run.
    """
    if format not in FORMATS:
        raise InvalidValue("format", f"expected one of {FORMATS}, got {format!r}")
    source = _with_font(lifecycle_dot(lifecycle, lang, internal=internal), font)
    program = dot or shutil.which("dot")
    if program is not None:
        return _run_dot(program, source, format, timeout)
    graphviz = _python_graphviz()
    if graphviz is not None:
        try:
            return bytes(graphviz.Source(source).pipe(format=format))
        except Exception as exc:  # ExecutableNotFound, CalledProcessError...
            raise GraphvizUnavailable(
                f"the graphviz package could not draw the diagram ({exc}); install Graphviz's "
                "dot program (apt-get install graphviz, brew install graphviz)"
            ) from exc
    raise GraphvizUnavailable(
        "drawing a lifecycle needs Graphviz: install its dot program (apt-get install "
        "graphviz, brew install graphviz or conda install graphviz); the DOT text is "
        "available without it from lifecycle_dot()"
    )


class LifecycleDiagram:
    """A lifecycle's diagram for notebooks: shows as SVG when Graphviz can draw it, else as
    its DOT text.  ``.dot`` is the text; ``.svg()`` and ``.png()`` draw it.
    """

    def __init__(self, lifecycle: Lifecycle, lang: str = "en", *, internal: bool = True) -> None:
        self.lifecycle = lifecycle
        self.lang = lang
        self.internal = internal
        self.dot = lifecycle_dot(lifecycle, lang, internal=internal)

    def __repr__(self) -> str:
        return f"<LifecycleDiagram {self.lifecycle.id!r} ({self.lang})>\n{self.dot}"

    def svg(self) -> str:
        """The diagram as SVG text."""
        text = lifecycle_image(self.lifecycle, self.lang, "svg", internal=self.internal).decode(
            "utf-8"
        )
        start = text.find("<svg")
        return text[start:] if start >= 0 else text

    def png(self) -> bytes:
        """The diagram as PNG bytes."""
        return lifecycle_image(self.lifecycle, self.lang, "png", internal=self.internal)

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except GraphvizUnavailable:
            return None  # the notebook falls back to the repr: the DOT text

"""Charts for reports and notebooks: MHT profiles, cohort totals, caseload timelines, trends.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` built directly (never
through ``pyplot``), on the Agg canvas: no display, GUI backend or global figure list is
involved, so charts can be drawn in a server, a test or a notebook alike, and nothing leaks
between calls.  matplotlib is the ``casework[notebook]`` extra and is imported only when a
chart is drawn.

Labels come in Chinese (``lang="zh"``) or English (``lang="en"``).  Two ways out, two font
rules:

* :func:`to_svg` (what the HTML report embeds) keeps every label as SVG ``<text>`` with a
  CJK-capable CSS font stack (:data:`SVG_FONTS`), so the reader's browser draws the Chinese
  with its own fonts: a report written on a machine without any CJK font still shows Chinese
  wherever it is opened.  Charts built for SVG only (inside :func:`for_svg`) never warn about
  fonts.
* PNG (:func:`to_png`) and notebook figures are drawn here, so they need a CJK font here.
  :func:`cjk_font` finds one among :data:`CJK_FONTS` (Noto Sans CJK, Source Han Sans,
  WenQuanYi, SimHei...), also when matplotlib's font cache predates its installation (known
  font files, :data:`CJK_FONT_FILES`, or those of the ``mplfonts`` package, are added to the
  font list once).  Without one the charts are still drawn, Chinese as empty boxes, and
  :class:`CJKFontWarning` says so once, in one line, instead of a warning per glyph.

The MHT reporting order is the reference's: validity first, then the total against its
cut-off (65), then the profile of the eight content scales, each against its own maximum
(15 or 10) with a line at the "high" score (8).
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casework.assessment import Assessment, baseline, pairs, post_after
from casework.case import Case
from casework.errors import InvalidValue
from casework.instruments import ScoreResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CJK_FONTS",
    "CJK_FONT_FILES",
    "COMPARISON_MEASURES",
    "SVG_FONTS",
    "CJKFontWarning",
    "caseload_timeline",
    "cjk_font",
    "cohort_totals",
    "for_svg",
    "indicator_trends",
    "mht_profile",
    "station_comparison",
    "to_png",
    "to_svg",
]

#: CJK-capable font families tried in order (the first matplotlib can find is used).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Sarasa Gothic SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)
_LATIN = "DejaVu Sans"  # ships with matplotlib, so it is always there

#: Where CJK font files are installed by the usual packages (Debian's fonts-noto-cjk and
#: fonts-wqy-*, macOS, Windows): when one exists but matplotlib's font list (a cache made
#: before the font was installed) lacks it, it is added.
CJK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

#: The CSS font stack of SVG text: the Latin font the layout was measured with, then the
#: CJK fonts readers have (Linux, macOS, Windows), then the browser's own sans-serif.
SVG_FONTS = ", ".join(
    [
        f"'{_LATIN}'",
        *(
            f"'{f}'"
            for f in (
                "Noto Sans CJK SC",
                "Noto Sans SC",
                "Source Han Sans SC",
                "PingFang SC",
                "Hiragino Sans GB",
                "Microsoft YaHei",
                "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei",
                "SimHei",
            )
        ),
        "sans-serif",
    ]
)


class CJKFontWarning(UserWarning):
    """No CJK font was found: Chinese in PNG charts and notebook figures shows as boxes."""


#: Colours: before (baseline) and after (post); the cut-off lines.
BEFORE, AFTER, CUTOFF = "#9bb7d4", "#1f5f8b", "#c0392b"

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "before": "before",
        "after": "after",
        "profile": "MHT profile",
        "scale_max": "scale maximum",
        "high": "high ({line})",
        "raw": "raw score (of the scale's maximum)",
        "fraction": "share of the scale's maximum",
        "validity": "validity {v}/{vmax}",
        "doubtful": "doubtful",
        "total": "total {t}",
        "totals": "MHT total before and after",
        "total_axis": "total (0-{tmax}); lower is better",
        "cutoff": "cut-off {line}",
        "timeline": "Caseload",
        "trends": "Indicators by month",
        "month": "month",
        "no_data": "no data",
        "colon": ": ",
        "comma": ", ",
    },
    "zh": {
        "before": "前测",
        "after": "后测",
        "profile": "MHT 分量表剖面",
        "scale_max": "量表满分",
        "high": "偏高线 ({line})",
        "raw": "原始分（相对量表满分）",
        "fraction": "占量表满分的比例",
        "validity": "效度 {v}/{vmax}",
        "doubtful": "存疑",
        "total": "总分 {t}",
        "totals": "MHT 总分前后对比",
        "total_axis": "总分（0-{tmax}），越低越好",
        "cutoff": "临界值 {line}",
        "timeline": "个案进程",
        "trends": "指标月度趋势",
        "month": "月份",
        "no_data": "无数据",
        "colon": "：",
        "comma": "，",
    },
}


def _text(lang: str) -> Mapping[str, str]:
    if lang not in _TEXT:
        raise InvalidValue("lang", f"expected 'zh' or 'en', got {lang!r}")
    return _TEXT[lang]


# --- matplotlib, fonts and figures --------------------------------------------------------------


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "casework charts need matplotlib, which is not installed: "
            "pip install 'casework[notebook]'"
        ) from exc
    return matplotlib


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The CJK-capable font family matplotlib will use, or None when it finds none.

    Looked up once per process among :data:`CJK_FONTS`, then any family whose name says CJK.
    When none is in matplotlib's font list but a known font file exists
    (:data:`CJK_FONT_FILES`, or the fonts of the ``mplfonts`` package), the font list is
    stale: those files are added to it (and the cache rewritten) once, and looked up again.
    """
    _matplotlib()
    from matplotlib import font_manager

    found = _known_cjk(font_manager.fontManager.ttflist)
    if found is None and _add_font_files(font_manager):
        found = _known_cjk(font_manager.fontManager.ttflist)
    return found


def _known_cjk(fonts: Sequence[Any]) -> str | None:
    names = {f.name for f in fonts}
    for family in CJK_FONTS:
        if family in names:
            return family
    others = sorted(n for n in names if "CJK" in n or "Han Sans" in n or "Hei" in n)
    return others[0] if others else None


def _font_files() -> list[Path]:
    """The known CJK font files on this machine, system ones first, then ``mplfonts``'."""
    paths = [Path(p) for p in CJK_FONT_FILES]
    import importlib.util

    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.origin is not None:
        paths += sorted((Path(spec.origin).parent / "fonts").glob("NotoSansCJK*.otf"))
    return [p for p in paths if p.is_file()]


def _add_font_files(font_manager: Any) -> bool:
    """Add the known CJK font files matplotlib's (stale) font list lacks; True if any."""
    manager = font_manager.fontManager
    listed = {str(Path(f.fname)) for f in manager.ttflist}
    added = False
    for path in _font_files():
        if str(path) in listed:
            continue
        try:
            manager.addfont(str(path))
        except (OSError, RuntimeError, ValueError):  # an unreadable or broken file
            continue
        added = True
    if added:  # the next process starts from the rebuilt list
        try:
            from matplotlib import get_cachedir

            cache = Path(get_cachedir()) / f"fontlist-v{manager.__version__}.json"
            font_manager.json_dump(manager, cache)
        except (OSError, AttributeError):
            pass
    return added


_NO_CJK = (
    "casework: no CJK font found, so Chinese in PNG charts and notebook figures shows as "
    "boxes (HTML reports are unaffected); install one, e.g. apt-get install fonts-noto-cjk"
)
_GLYPH_MISSING = r"Glyph \d+ .*missing from (current )?font"


#: True while charts are built for SVG only (:func:`for_svg`).
_SVG_ONLY: ContextVar[bool] = ContextVar("casework_svg_only", default=False)


def _warn_no_cjk() -> None:
    """Say that Chinese will show as boxes: once per process, never for SVG-only charts."""
    if not _SVG_ONLY.get():
        _warn_once()


@lru_cache(maxsize=1)
def _warn_once() -> None:
    warnings.warn(_NO_CJK, CJKFontWarning, stacklevel=2)


@contextmanager
def for_svg() -> Iterator[None]:
    """Build charts that will only be saved by :func:`to_svg`: the reader's browser draws
    their text, so a missing CJK font here is no reason to warn.
    """
    token = _SVG_ONLY.set(True)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_GLYPH_MISSING)
            yield
    finally:
        _SVG_ONLY.reset(token)


def _families(lang: str) -> list[str]:
    """Font families in fallback order: Chinese first for zh, Latin first for en.

    matplotlib falls back glyph by glyph along the list, so an English chart still shows a
    Chinese pseudonym and a Chinese chart gets Latin digits from DejaVu.
    """
    cjk = cjk_font()
    if cjk is None:
        if lang == "zh":
            _warn_no_cjk()
        return [_LATIN]
    return [cjk, _LATIN] if lang == "zh" else [_LATIN, cjk]


@contextmanager
def _style(lang: str) -> Iterator[None]:
    """The rc settings every casework chart is built under (fonts chosen explicitly)."""
    mpl = _matplotlib()
    with mpl.rc_context(
        {
            "font.family": _families(lang),
            "axes.unicode_minus": False,  # the CJK fonts lack U+2212
            "svg.fonttype": "none",  # text as text: the reader's browser draws the glyphs
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        yield


def _figure(width: float, height: float) -> Figure:
    """A new Figure on the Agg canvas (no display or pyplot needed)."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


_FONT_FAMILY = re.compile(r"font-family:[^;\"]*")


def to_svg(fig: Figure) -> str:
    """The figure as SVG text whose labels are ``<text>`` elements in :data:`SVG_FONTS`.

    The browser that shows it draws the glyphs, from the fonts it has; the layout was
    measured here (with a CJK font when there is one, approximately without).  No warning
    about missing glyphs: they are not drawn here.
    """
    mpl = _matplotlib()
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none"}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_GLYPH_MISSING)
        fig.savefig(buf, format="svg")
    text = _FONT_FAMILY.sub(f"font-family: {SVG_FONTS}", buf.getvalue())
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _shows_cjk(fig: Figure) -> bool:
    """Whether any text of the figure has a CJK character."""
    from matplotlib.text import Text

    return any(_CJK.search(t.get_text()) for t in fig.findobj(Text))


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes.

    Without a CJK font, Chinese glyphs are boxes: :class:`CJKFontWarning` says so (once)
    instead of matplotlib's warning per missing glyph.
    """
    buf = io.BytesIO()
    with warnings.catch_warnings():
        if cjk_font() is None and _shows_cjk(fig):
            _warn_no_cjk()
            warnings.filterwarnings("ignore", message=_GLYPH_MISSING)
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --- the MHT profile of one child ---------------------------------------------------------------


def _result(value: ScoreResult | Assessment | None) -> ScoreResult | None:
    if value is None or isinstance(value, ScoreResult):
        return value
    if isinstance(value, Assessment):
        return value.result
    raise InvalidValue("result", f"expected a ScoreResult or an Assessment, got {value!r}")


def _content_scales(result: ScoreResult, validity: str) -> list[str]:
    return [k for k in result.scales if k != validity]


def mht_profile(
    before: ScoreResult | Assessment | Case,
    after: ScoreResult | Assessment | None = None,
    *,
    lang: str = "zh",
    mode: str = "raw",
    line: float = 8,
    total_line: float = 65,
    validity: str = "validity",
    title: str | None = None,
) -> Figure:
    """The profile of a child's content scales, before and (if given) after, side by side.

    One horizontal bar per content scale and phase; every scale except ``validity`` is drawn.
    ``mode="raw"`` draws raw scores on one axis with each scale's maximum (15 or 10) as a
    pale frame behind its bars and one line at ``line`` (the manual's "high" rule is on raw
    scores, so the line is at the same place for every scale).  ``mode="fraction"`` draws
    each score as a share of its maximum, so the line at 8 sits at 8/15 or 8/10 and is drawn
    as a short mark on each scale.  The title line says the validity and the total against
    ``total_line`` first, as the reference orders an MHT report.

    ``before`` may be a :class:`~casework.Case`: its baseline and the post after it are used.
    """
    if mode not in ("raw", "fraction"):
        raise InvalidValue("mode", f"expected 'raw' or 'fraction', got {mode!r}")
    text = _text(lang)
    pre, post, name = _profile_pair(before, after)
    title = title if title is not None else name
    keys = _content_scales(pre, validity)
    with _style(lang):
        fig = _figure(7.2, 0.45 * len(keys) + 2.0)
        ax = fig.add_subplot()
        phases = [(text["before"], pre, BEFORE)]
        if post is not None:
            phases.append((text["after"], post, AFTER))
        height = 0.8 / len(phases)
        ys = list(range(len(keys)))
        maxima = [float(pre.scales[k].max) for k in keys]
        scale = [1.0 / m if mode == "fraction" else 1.0 for m in maxima]
        if mode == "raw":  # each scale's maximum as a frame behind its bars
            ax.barh(
                ys,
                maxima,
                height=0.9,
                color="#f2f2f2",
                edgecolor="#cccccc",
                label=text["scale_max"],
                gid="scale-max",
            )
        for i, (label, result, colour) in enumerate(phases):
            offset = (i - (len(phases) - 1) / 2) * height
            values = [float(result.scales[k].raw) * s for k, s in zip(keys, scale, strict=True)]
            bars = ax.barh(
                [y + offset for y in ys],
                values,
                height=height * 0.95,
                color=colour,
                label=label,
                gid=f"phase-{i}",
            )
            raws = [result.scales[k].raw for k in keys]
            ax.bar_label(bars, labels=[f"{r:g}" for r in raws], padding=2, fontsize=8)
        _high_line(ax, mode, line, maxima, text)
        names = [pre.scales[k].zh if lang == "zh" else pre.scales[k].en for k in keys]
        ax.set_yticks(ys, [f"{n} (/{m:g})" for n, m in zip(names, maxima, strict=True)])
        ax.invert_yaxis()  # the first scale on top
        fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
        ax.set_title(
            _profile_heading(
                pre, post, text=text, validity=validity, total_line=total_line, title=title
            ),
            fontsize=9,
        )
    return fig


def _profile_pair(
    before: ScoreResult | Assessment | Case, after: ScoreResult | Assessment | None
) -> tuple[ScoreResult, ScoreResult | None, str | None]:
    """The results before and after, and a default title (a case's id)."""
    if isinstance(before, Case):
        if after is not None:
            raise InvalidValue("after", "give a case alone: its baseline and post are looked up")
        pre = baseline(before, "mht")
        if pre is None:
            raise InvalidValue("case", f"{before.id} has no usable MHT baseline")
        post = post_after(before, pre)
        return pre.result, (post.result if post is not None else None), before.id
    given = _result(before)
    if given is None:
        raise InvalidValue("before", "a profile needs the result before")
    return given, _result(after), None


def _high_line(
    ax: Axes, mode: str, line: float, maxima: Sequence[float], text: Mapping[str, str]
) -> None:
    """The "high" line: one line across in raw mode, a mark at line/max per scale otherwise."""
    style: dict[str, Any] = {"color": CUTOFF, "linestyle": "--", "linewidth": 1.2}
    if mode == "raw":
        ax.axvline(line, gid="high-line", **style)
        ax.set_xlim(0, max(maxima) * 1.08)
        ax.set_xlabel(text["raw"])
    else:
        for y, m in enumerate(maxima):
            ax.plot([line / m, line / m], [y - 0.45, y + 0.45], gid="high-line", **style)
        ax.set_xlim(0, 1.08)
        ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(text["fraction"])
    ax.plot([], [], label=text["high"].format(line=f"{line:g}"), **style)


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _few_integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=4, integer=True)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _profile_heading(
    pre: ScoreResult,
    post: ScoreResult | None,
    *,
    text: Mapping[str, str],
    validity: str,
    total_line: float,
    title: str | None,
) -> str:
    """Validity first, then the total against its cut-off, as an MHT report is read."""
    parts = []
    for name, result in ((text["before"], pre), (text["after"], post)):
        if result is None:
            continue
        bits = []
        if validity in result.scales:
            v = result.scales[validity]
            bits.append(text["validity"].format(v=f"{v.raw:g}", vmax=f"{v.max:g}"))
            if not result.valid:
                bits[-1] += f" ({text['doubtful']})"
        bits.append(text["total"].format(t=f"{result.total:g}/{result.total_max:g}"))
        parts.append(f"{name}{text['colon']}" + text["comma"].join(bits))
    cutoff = text["cutoff"].format(line=f"{total_line:g}")
    return "\n".join([f"{title or text['profile']}  ({cutoff})", *parts])


# --- pre/post totals of a cohort ----------------------------------------------------------------

Label = Callable[[Case], str]


def _case_id(case: Case) -> str:
    return case.id


def cohort_totals(
    cases: Sequence[Case],
    instrument: str = "mht",
    *,
    lang: str = "zh",
    line: float | None = 65,
    label: Label = _case_id,
    title: str | None = None,
) -> Figure:
    """Each case's total before and after as two dots joined by a line, with the cut-off.

    Only cases with a usable baseline and a later post are drawn (one line each); ``label``
    names them (the case id by default, which leaks no personal field); the drawn artists
    carry the same name (``gid="pair-<label>"``), never anything else of the case.  Names
    are written beside the post dot for at most 15 cases (beyond that they would overlap).
    """
    text = _text(lang)
    found = pairs(cases, instrument)
    with _style(lang):
        fig = _figure(6.0, 4.2)
        ax = fig.add_subplot()
        tmax = 0.0
        for case, pre, post in found:
            y0, y1 = float(pre.result.total), float(post.result.total)
            tmax = max(tmax, float(pre.result.total_max))
            colour = AFTER if y1 <= y0 else CUTOFF
            ax.plot([0, 1], [y0, y1], "-o", color=colour, markersize=5, gid=f"pair-{label(case)}")
        if line is not None:
            ax.axhline(line, color=CUTOFF, linestyle="--", linewidth=1.2, gid="cutoff-line")
            ax.annotate(
                text["cutoff"].format(line=f"{line:g}"),
                (0.5, line),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color=CUTOFF,
            )
        if not found:
            ax.text(0.5, 0.5, text["no_data"], ha="center", transform=ax.transAxes)
        ax.set_xticks([0, 1], [text["before"], text["after"]])
        ax.set_xlim(-0.3, 1.6)
        top = max(tmax, line or 0, 1.0)
        ax.set_ylim(0, top * 1.05)
        if found and len(found) <= 15:  # after the limits: the gap between names depends on them
            ends = [float(post.result.total) for _, _, post in found]
            _label_ends(ax, ends, [label(c) for c, *_ in found])
        ax.set_ylabel(text["total_axis"].format(tmax=f"{tmax or top:g}"))
        ax.set_title(title or f"{text['totals']} (n={len(found)})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    return fig


def _label_ends(ax: Axes, ys: Sequence[float], names: Sequence[str]) -> None:
    """Write names beside the right-hand dots, nudged apart so they never overlap."""
    lo, hi = ax.get_ylim()
    gap = max(abs(hi - lo), 1.0) * 0.045
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed: list[float] = []
    for i in order:
        y = ys[i] if not placed else max(ys[i], placed[-1] + gap)
        placed.append(y)
        ax.annotate(
            names[i],
            (1, ys[i]),
            xytext=(1.08, y),
            textcoords="data",
            va="center",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5},
        )


# --- the caseload timeline ----------------------------------------------------------------------


def _spans(case: Case, until: datetime) -> list[tuple[str, datetime, datetime]]:
    """(state, from, to) for each stay of the case in a state, in order."""
    spans: list[tuple[str, datetime, datetime]] = []
    for ev in case.history:
        if spans and spans[-1][0] == ev.state:
            continue
        if spans:
            state, start, _ = spans[-1]
            spans[-1] = (state, start, ev.at)
        spans.append((ev.state, ev.at, ev.at))
    if spans:
        state, start, _ = spans[-1]
        spans[-1] = (state, start, max(until, start))
    return spans


def _state_colours(states: Sequence[tuple[str, bool]]) -> dict[str, str]:
    """A colour per state: open states along a blue-green ramp in lifecycle order, closed
    states in greys, the side paths (suspended, withdrawn, referred out...) in warm colours.
    """
    from matplotlib import colormaps

    special = {
        "suspended": "#f39c12",
        "withdrawn": "#c0392b",
        "screened_out": "#a569bd",
        "referred_out": "#e67e22",
        "closed": "#7f8c8d",
        "follow_up": "#bdc3c7",
    }
    ramp = colormaps["viridis"]
    opened = [s for s, is_open in states if is_open and s not in special]
    colours: dict[str, str] = {}
    for i, s in enumerate(opened):
        r, g, b, _ = ramp(0.1 + 0.8 * i / max(len(opened) - 1, 1))
        colours[s] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    greys = iter(["#95a5a6", "#d5dbdb", "#566573", "#aab7b8"])
    for s, _ in states:
        if s not in colours:
            colours[s] = special.get(s) or next(greys, "#888888")
    return colours


def caseload_timeline(
    cases: Sequence[Case],
    *,
    lang: str = "zh",
    until: date | datetime | None = None,
    since: date | datetime | None = None,
    label: Label = _case_id,
    title: str | None = None,
) -> Figure:
    """Each case as one row of horizontal bars, a bar per stay in a state, coloured by state.

    Rows are in the order given (top first).  The last stay runs to ``until`` (default: the
    latest event of all the cases); ``since`` crops the start of the axis.  The legend lists
    the states that occur, in lifecycle order, with their labels in ``lang``.  ``label``
    names the rows (the case id by default); each row's bars carry ``gid="case-<label>"``.
    """
    text = _text(lang)
    end = (
        _as_dt(until)
        if until is not None
        else max((c.last_at for c in cases if c.last_at), default=datetime(2000, 1, 1))
    )
    with _style(lang):
        fig = _figure(8.0, min(0.32 * len(cases), 40.0) + 1.8)
        ax = fig.add_subplot()
        order: dict[str, tuple[bool, str]] = {}  # every state of the lifecycles, in order
        for c in cases:
            for s in c.lifecycle.states:
                order.setdefault(s.name, (s.is_open, s.label(lang)))
        colours = _state_colours([(s, o) for s, (o, _) in order.items()])
        used: set[str] = set()
        date2num = _dates().date2num

        for row, c in enumerate(cases):
            bars = []
            fills = []
            for state, start, stop in _spans(c, end):
                x0 = date2num(start)
                width = max(date2num(stop) - x0, 0.5)  # a stay of minutes still shows
                bars.append((x0, width))
                fills.append(colours[state])
                used.add(state)
            ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=fills, gid=f"case-{label(c)}")
        ax.set_yticks(range(len(cases)), [label(c) for c in cases])
        ax.set_ylim(len(cases) - 0.5, -0.5)
        ax.xaxis_date()
        _date_axis(ax, lang)
        if since is not None:
            ax.set_xlim(left=date2num(_as_dt(since)))
        from matplotlib.patches import Patch

        handles = [
            Patch(facecolor=colours[s], label=lbl) for s, (_, lbl) in order.items() if s in used
        ]
        if handles:
            fig.legend(
                handles=handles,
                loc="outside lower center",
                ncols=min(len(handles), 6),
                fontsize=8,
                frameon=False,
            )
        if not cases:
            ax.text(0.5, 0.5, text["no_data"], ha="center", transform=ax.transAxes)
        ax.set_title(title or f"{text['timeline']} (n={len(cases)})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    return fig


def _as_dt(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _dates() -> Any:
    """``matplotlib.dates`` (untyped, so held as Any for the strict type check)."""
    import importlib

    return importlib.import_module("matplotlib.dates")


#: Date tick formats in Chinese (years, months, days, hours, minutes, seconds), for
#: ``ConciseDateFormatter``: 2023年, 3月, 15日 rather than Mar and 15.
_ZH_DATES: Mapping[str, list[str]] = {
    "formats": ["%Y年", "%m月", "%d日", "%H:%M", "%H:%M", "%S.%f"],
    "zero_formats": ["", "%Y年", "%m月", "%m月%d日", "%H:%M", "%H:%M"],
    "offset_formats": ["", "%Y年", "%Y年%m月", "%Y年%m月%d日", "%Y年%m月%d日", "%Y年%m月%d日"],
}


def _date_axis(ax: Axes, lang: str = "en") -> None:
    dates = _dates()
    locator = dates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    extra = _ZH_DATES if lang == "zh" else {}
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, **extra))


# --- indicator trends by month ------------------------------------------------------------------


def _rows(table: Any) -> list[Mapping[str, Any]]:
    """Rows of a casework table, a DataFrame, or a sequence of mappings, as mappings."""
    if hasattr(table, "to_dict") and hasattr(table, "columns") and hasattr(table, "iloc"):
        return list(table.to_dict("records"))  # a pandas DataFrame
    rows = getattr(table, "rows", table)
    if callable(rows):
        rows = rows()
    out = list(rows)
    for r in out:
        if not isinstance(r, Mapping):
            raise InvalidValue("table", f"expected rows as mappings, got {r!r}")
    return out


def indicator_trends(
    table: Any,
    columns: Sequence[str] | None = None,
    *,
    x: str = "month",
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Monthly indicators as small multiples: one panel per indicator, one bar per month.

    ``table`` is a monthly table (anything with ``rows`` of mappings, a DataFrame, or a list
    of dicts) with a ``x`` column (``"2023-03"``, a date...) and one numeric column per
    indicator.  Panels, not one shared axis, because the indicators differ by orders of
    magnitude (five cases, four thousand person-times).  ``labels`` maps a column to its
    heading; by default a casework :class:`~casework.reporting.table.Table` gives its own
    headings in ``lang``, anything else the column name.
    """
    text = _text(lang)
    rows = _rows(table)
    if columns is None:
        seen: dict[str, None] = {}
        for r in rows:
            for name, v in r.items():
                if name != x and _number(v) is not None:
                    seen[name] = None
        columns = list(seen)
    heading = getattr(table, "heading", None)  # a casework Table knows its column labels
    shown = dict(labels or {})
    if callable(heading):
        for column in columns:
            shown.setdefault(column, str(heading(column, lang)))
    names = [str(r.get(x, "")) for r in rows]
    names = [n[:7] if len(n) >= 7 and n[4:5] == "-" else n for n in names]
    cols = 2 if len(columns) > 1 else 1
    nrows = max(1, math.ceil(len(columns) / cols))
    with _style(lang):
        fig = _figure(4.0 * cols, 2.3 * nrows + 0.6)
        axes = fig.subplots(nrows, cols, squeeze=False)
        for k, column in enumerate(columns):
            ax = axes[k // cols][k % cols]
            values = [_number(r.get(column)) or 0.0 for r in rows]
            bars = ax.bar(range(len(rows)), values, color=AFTER, gid=f"trend-{column}")
            ax.bar_label(bars, labels=[f"{v:g}" if v else "" for v in values], fontsize=6)
            ax.set_title(shown.get(column, column), fontsize=9)
            step = max(1, math.ceil(len(names) / 12))
            ax.set_xticks(
                range(0, len(names), step), names[::step], rotation=45, ha="right", fontsize=7
            )
            ax.margins(y=0.15)
            ax.set_ylim(0, max(values) * 1.15 if any(values) else 1)  # no negative axis at 0
            ax.yaxis.set_major_locator(_integer_ticks())
            ax.grid(axis="y", alpha=0.3)
        for k in range(len(columns), nrows * cols):
            axes[k // cols][k % cols].set_visible(False)
        if not columns or not rows:
            axes[0][0].text(0.5, 0.5, text["no_data"], ha="center", transform=axes[0][0].transAxes)
        fig.suptitle(title or text["trends"], fontsize=10)
    return fig


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    return None


# --- stations side by side ----------------------------------------------------------------------

#: The measures the station comparison draws by default: the case flow, the work done, and
#: what is left open (the figures a district office asks each station for).
COMPARISON_MEASURES: tuple[str, ...] = (
    "opened",
    "closed",
    "sessions",
    "person_times",
    "open_at_end",
)
#: Colours of the comparison: each station's bar, and the district's total mark.
STATION, TOTAL = AFTER, "#7f8c8d"


def station_comparison(
    table: Any,
    columns: Sequence[str] = COMPARISON_MEASURES,
    *,
    lang: str = "zh",
    station: str = "station",
    total: str = "total",
    title: str | None = None,
) -> Figure:
    """Stations side by side: one panel per measure, one horizontal bar per station.

    ``table`` is a station comparison (:meth:`casework.reporting.District.comparison`, or
    any rows of mappings with a ``station`` column and one numeric column per measure);
    the row whose station is ``total`` is the district's, shown in each panel's title rather
    than as a bar (it would dwarf every station's).  Panels, not one axis, because the
    measures differ by orders of magnitude.  Bars carry ``gid="station-<measure>"``, in
    the table's row order (top first); each has its figure written beside it.
    """
    from casework.reporting import labels

    text = _text(lang)
    rows = _rows(table)
    for r in rows:
        if station not in r:
            raise InvalidValue("table", f"a row has no {station!r} column: {dict(r)!r}")
    known = {n for r in rows for n in r}
    missing = [c for c in columns if c not in known]
    if rows and missing:
        raise InvalidValue("columns", f"not in the table: {missing}; it has {sorted(known)}")
    bars = [r for r in rows if r[station] != total]
    whole = next((r for r in rows if r[station] == total), None)
    display = getattr(table, "display", None)  # a casework Table names the total row itself
    names = [
        str(display(station, r[station], lang)) if callable(display) else str(r[station])
        for r in bars
    ]
    shown = labels.HEADINGS["district_total"]
    cols = min(len(columns), 3) or 1
    nrows = max(1, math.ceil(len(columns) / cols))
    with _style(lang):
        fig = _figure(3.4 * cols + 1.2, (0.28 * len(bars) + 1.0) * nrows + 0.6)
        axes = fig.subplots(nrows, cols, squeeze=False, sharey=True)
        ys = list(range(len(bars)))
        for k, column in enumerate(columns):
            ax = axes[k // cols][k % cols]
            values = [_number(r.get(column)) or 0.0 for r in bars]
            drawn = ax.barh(ys, values, height=0.7, color=STATION, gid=f"station-{column}")
            ax.bar_label(drawn, labels=[f"{v:,.6g}" for v in values], padding=2, fontsize=7)
            heading = labels.INDICATORS.get(column) or labels.COLUMNS.get(column)
            name = heading.text(lang) if heading is not None else column
            if whole is not None:
                figure = _number(whole.get(column)) or 0.0
                name += "\n" + shown.text(lang).format(value=f"{figure:,.6g}")
            ax.set_title(name, fontsize=9)
            ax.set_xlim(0, max(values) * 1.2 if any(values) else 1)
            ax.xaxis.set_major_locator(_few_integer_ticks())  # thousands fit side by side
            ax.grid(axis="x", alpha=0.3)
        first = axes[0][0]
        first.set_yticks(ys, names)
        first.set_ylim(len(bars) - 0.5, -0.5)  # the first station on top
        for k in range(len(columns), nrows * cols):
            axes[k // cols][k % cols].set_visible(False)
        if not columns or not bars:
            first.text(0.5, 0.5, text["no_data"], ha="center", transform=first.transAxes)
        fig.suptitle(title or labels.HEADINGS["comparison"].text(lang), fontsize=10)
    return fig

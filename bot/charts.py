"""The funnel chart (chat.ports.ChartRenderer) drawn with matplotlib's Agg canvas.

Blocking and CPU-bound: the digest service calls it in a worker thread, one chart at a time. It uses
matplotlib's object API (Figure + FigureCanvasAgg), never pyplot, so nothing global is touched. Stage
names are Chinese, so a CJK font from Debian (fonts-noto-cjk or fonts-wqy-zenhei) is required for the
labels to render; without one the chart still draws, with boxes for the characters, and says so in
the log once.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

# Debian's packages: fonts-noto-cjk, fonts-wqy-zenhei. The .ttc files hold several faces; matplotlib
# registers each under its family name.
CJK_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
CJK_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC")
_BAR = "#3b82f6"
_EMPTY = "#cbd5e1"


def _families() -> list[str]:
    from matplotlib import font_manager

    for path in CJK_FONT_FILES:
        if path.exists():
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError):
                logger.warning("could not load font %s", path)
    known = {font.name for font in font_manager.fontManager.ttflist}
    found = [family for family in CJK_FAMILIES if family in known]
    if not found:
        logger.warning("no CJK font found (install fonts-noto-cjk): Chinese chart labels will not render")
    # One CJK family is enough (each covers Latin too); listing several makes matplotlib look each up.
    return [*found[:1], "DejaVu Sans"]


class FunnelChart:
    """Horizontal bars, first stage on top, each with its count; a PNG of about 700 px wide."""

    def __init__(self, dpi: int = 110) -> None:
        self.dpi = dpi
        self._families: list[str] | None = None

    @property
    def families(self) -> list[str]:
        # matplotlib is imported and the fonts looked up on first use, not when the process starts.
        if self._families is None:
            self._families = _families()
        return self._families

    def funnel(self, title: str, bars: Sequence[tuple[str, int]]) -> bytes:
        from matplotlib import font_manager
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        labels = [label for label, _ in bars]
        counts = [count for _, count in bars]
        height = 1.2 + 0.55 * max(len(bars), 1)
        figure = Figure(figsize=(6.4, height), dpi=self.dpi)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        font = font_manager.FontProperties(family=self.families, size=11)
        positions = list(range(len(bars)))
        top = max(counts, default=0)
        axes.barh(positions, counts, color=[_BAR if c else _EMPTY for c in counts], height=0.6)
        axes.set_yticks(positions, labels, fontproperties=font)
        axes.invert_yaxis()
        axes.set_xlim(0, max(top * 1.18, 1))
        for y, count in zip(positions, counts, strict=True):
            axes.text(count + max(top, 1) * 0.02, y, str(count), va="center", fontproperties=font)
        axes.set_title(title, fontproperties=font_manager.FontProperties(family=self.families, size=13))
        axes.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

"""The funnel chart of /pipeline and the digests: drawn by the renderer bot/ wires (matplotlib), in a
worker thread, one at a time; no chart when there is no renderer or it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from chat.ports import ChartRenderer
from chat.views import Attachment
from crm.model import Lang
from crm.stages import Funnel, Stage

logger = logging.getLogger(__name__)


class FunnelCharts:
    def __init__(self, renderer: ChartRenderer | None) -> None:
        self.renderer = renderer
        # matplotlib is not thread-safe and is CPU-bound: one chart at a time, in a worker thread.
        self._drawing = asyncio.Semaphore(1)

    async def draw(
        self, funnel: Funnel, counts: Sequence[tuple[Stage, int]], lang: Lang, title: str
    ) -> Attachment | None:
        """The funnel as a PNG bar chart; None without a renderer."""
        renderer = self.renderer
        if renderer is None:
            return None
        bars = [(stage.label(lang), count) for stage, count in counts]
        async with self._drawing:
            try:
                png = await asyncio.to_thread(renderer.funnel, title, bars)
            except Exception:
                logger.exception("funnel chart failed")
                return None
        return Attachment(png, "funnel.png", "image/png")

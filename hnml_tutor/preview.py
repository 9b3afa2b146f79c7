"""Digits drawn in the terminal with half-block characters (▀): two pixel rows per text row.

A 28×28 image becomes 28 columns by 14 rows, square on a normal terminal. In colour each cell's
foreground is the upper pixel and its background the lower one; without colour (pipes, NO_COLOR) a
brightness ramp of plain characters stands in.
"""

from __future__ import annotations

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text

RAMP = " .:-=+*#%@"
GAP = 2


class DigitStrip:
    """A row of images with a caption under each, as many as fit the terminal's width."""

    def __init__(self, images: np.ndarray, captions: list[str]) -> None:
        self.images = [self._to_uint8(image) for image in images]
        self.captions = captions

    @staticmethod
    def _to_uint8(image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, dtype=np.float64)
        if image.max() <= 1.0:
            image = image * 255.0
        return np.clip(image, 0, 255).astype(np.uint8)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.images[0].shape[1] if self.images else 28
        fit = max(1, (options.max_width + GAP) // (width + GAP))
        images, captions = self.images[:fit], self.captions[:fit]
        coloured = console.color_system is not None and not console.no_color
        for row in range(0, images[0].shape[0], 2):
            line = Text()
            for index, image in enumerate(images):
                if index:
                    line.append(" " * GAP)
                top, bottom = image[row], image[min(row + 1, image.shape[0] - 1)]
                for upper, lower in zip(top, bottom):
                    if coloured:
                        style = Style(color=f"rgb({upper},{upper},{upper})", bgcolor=f"rgb({lower},{lower},{lower})")
                        line.append("▀", style)
                    else:
                        level = (int(upper) + int(lower)) // 2
                        line.append(RAMP[level * (len(RAMP) - 1) // 255])
            yield line
        caption_line = Text()
        for index, caption in enumerate(captions):
            if index:
                caption_line.append(" " * GAP)
            caption_line.append(caption[:width].center(width), style="bold")
        yield caption_line

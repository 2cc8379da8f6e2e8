"""A plotext picture as Textual strips, straight from plotext's character and colour matrix.

textual_plotext shows a plot as ``Text.from_ansi(plot.build())``: plotext writes its matrix out as one
ANSI string, Rich parses it back into spans, Textual turns that Text into Content and renders it into
strips. For a 100x47 chart that is about half of a redraw. :class:`PlotStrips` skips the round trip: it
groups each matrix row into runs of equal colours (the runs plotext's ``set_canvas`` writes one escape
sequence for), maps each colour triple to a style once, and builds the strips Textual would have built
from that Text (the same characters, segments and styles, text-selection offsets included); the tests
compare the two paths segment for segment.

The strips are only the same where Textual would have drawn each row as one line of exactly the
widget's width, unchanged: :func:`strips_apply` says when that holds (no text selected in the widget,
content aligned top left, no line padding) and :meth:`PlotStrips.strip` returns None for a row that
is not one cell per matrix column (a wide glyph in a label); the caller then takes Textual's own path.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from plotext._utility import colors_to_ansi
from rich.ansi import AnsiDecoder
from rich.cells import cell_len
from rich.segment import Segment
from rich.terminal_theme import TerminalTheme
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

Colors = tuple[Any, Any, Any]
"""A matrix cell's (foreground, style, background), as plotext keeps them."""
Run = tuple[str, Colors]
"""Consecutive cells of one row in the same colours: their characters and those colours."""

_MARKER = itemgetter(0)
_COLORS = itemgetter(1, 2, 3)


def matrix_rows(matrix: Any) -> list[list[Run]]:
    """The rows of a built plotext matrix, top row first, each as its runs of equal colours.

    plotext keeps the rows bottom-up (``set_canvas`` writes ``Rows[::-1]``) in four parallel lists of
    rows: ``marker`` (one character a cell), ``fullground``, ``style`` and ``background``.
    """
    marker, fullground, style, background = matrix.marker, matrix.fullground, matrix.style, matrix.background
    rows = []
    for row in reversed(matrix.Rows):
        cells = zip(marker[row], fullground[row], style[row], background[row], strict=True)
        rows.append([("".join(map(_MARKER, run)), colors) for colors, run in groupby(cells, _COLORS)])
    return rows


def strips_apply(widget: Widget) -> bool:
    """True when Textual would draw a plot's lines in ``widget`` unchanged (see the module docstring)."""
    styles = widget.styles
    return (
        widget.text_selection is None and styles.content_align == ("left", "top") and not styles.get_rule("line_pad", 0)
    )


class PlotStrips:
    """Strips of plotext rows in one widget style; remembers the style of each colour triple."""

    def __init__(self, base: Style, ansi_theme: TerminalTheme) -> None:
        self.base = base
        """The widget's visual style (what Textual renders content on)."""
        self.ansi_theme = ansi_theme
        """The app's ANSI theme (how Textual turns the 16 ANSI colours into RGB)."""
        self._styles: dict[Hashable, Style | None] = {}
        # Textual renders a span on its base (Content.render), then that on the base again (to_strip).
        self._plain = base + Style.combine([base])

    def strip(self, runs: Sequence[Run], y: int, width: int) -> Strip | None:
        """Row ``y``'s strip, ``width`` cells wide; None when its characters are not one cell each."""
        merged: list[tuple[str, Style | None]] = []
        for text, colors in runs:
            style = self._style(colors)
            if style is None and merged and merged[-1][1] is None:
                # Rich appends text without colours with no span: neighbours of that kind are one gap.
                merged[-1] = (merged[-1][0] + text, None)
            else:
                merged.append((text, style))
        line = "".join(text for text, _ in merged)
        if len(line) != width or cell_len(line) != width:
            return None
        plain = self._plain
        segments, x = [], 0
        for text, style in merged:
            # The offset is what Textual's text selection reads back from a cell.
            segments.append(Segment(text, (plain if style is None else style).rich_style_with_offset(x, y)))
            x += len(text)
        return Strip(segments, width)

    def _style(self, colors: Colors) -> Style | None:
        """The style of a run plotext writes in ``colors``, on the base; None for a run Rich gives no span."""
        key = _hashable(colors)
        if key in self._styles:
            return self._styles[key]
        # The same escape codes plotext writes, read by the decoder Text.from_ansi uses, converted to a
        # Textual style as Content.from_rich_text does.
        decoder = AnsiDecoder()
        decoder.decode_line(colors_to_ansi(*colors) + "x")
        style = None
        if decoder.style:
            span = Style.from_rich_style(decoder.style, self.ansi_theme)
            style = self.base + Style.combine([self.base, span])
        self._styles[key] = style
        return style


def _hashable(colors: Colors) -> Hashable:
    """``colors`` as a dictionary key (plotext accepts RGB colours as lists too)."""
    return tuple(tuple(c) if isinstance(c, list) else c for c in colors)

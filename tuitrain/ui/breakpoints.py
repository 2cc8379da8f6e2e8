"""Give a screen its width and height breakpoint classes before its widgets are styled.

Textual sets a screen's breakpoint classes (``-narrow``, ``-wide``...) on its first resize, after
every widget was styled once, and then styles every widget again for the new classes. A screen that
calls :func:`preset_breakpoints` at the start of ``compose`` has them from the start; the resize then
finds nothing to change. On the setup screen that is one styling pass of every widget less before the
first frame (see ``bench/ui_bench.py``).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.screen import Screen


def breakpoint_class(dimension: int, breakpoints: list[tuple[int, str]]) -> str | None:
    """The class of the largest breakpoint ``dimension`` reaches, as Textual picks it (None: none)."""
    for threshold, name in sorted(breakpoints, reverse=True):
        if dimension >= threshold:
            return name
    return None


def preset_breakpoints(screen: Screen, size: Size) -> None:
    """Set the breakpoint classes ``screen`` will have at ``size`` (the app's size), as Textual would."""
    horizontal = screen.HORIZONTAL_BREAKPOINTS
    if horizontal is None:  # as Textual: the screen's own, else the app's
        horizontal = screen.app.HORIZONTAL_BREAKPOINTS
    vertical = screen.VERTICAL_BREAKPOINTS
    if vertical is None:
        vertical = screen.app.VERTICAL_BREAKPOINTS
    horizontal, vertical = horizontal or [], vertical or []
    classes = {name: False for _, name in (*horizontal, *vertical)}
    for chosen in (breakpoint_class(size.width, horizontal), breakpoint_class(size.height, vertical)):
        if chosen is not None:
            classes[chosen] = True
    screen.update_classes(classes, animate=False)

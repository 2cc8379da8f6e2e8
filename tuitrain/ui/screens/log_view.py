"""The trainer's own words about a run: the ends of its ``traceback.txt`` and ``trainer.log``, scrollable.

The text comes through the run source already made safe (:mod:`tuitrain.runs.logtail`: control
characters shown, only the tail read) and is shown as plain Text, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuitrain.runs.logtail import LogTail
from tuitrain.ui.widgets.footer import KeysFooter


def log_text(tails: Sequence[LogTail]) -> Text:
    """The files one after the other, each under its name, with what was skipped or could not be read."""
    text = Text()
    for i, tail in enumerate(tails):
        head = f"{'' if i == 0 else chr(10)}── {tail.name}"
        if tail.skipped:
            head += f" (its last part; {tail.skipped:,} bytes before it not shown)"
        text.append(head + "\n", style="bold")
        if tail.problem:
            text.append(f"{tail.problem}\n", style="italic")
        else:
            text.append(tail.text.rstrip("\n") + "\n" if tail.text.strip() else "(empty)\n")
    return text


class LogScreen(ModalScreen[None]):
    """The run's traceback and trainer log, scrolled to the end (escape or l closes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,l,q", "close", "Close", id="log-close"),
    ]

    DEFAULT_CSS = """
    LogScreen {
        background: $background 60%;
    }
    LogScreen #log-box {
        margin: 1 2;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, title: str, tails: Sequence[LogTail]) -> None:
        super().__init__()
        self.log_title = title
        self.tails = list(tails)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="log-box") as box:
            box.border_title = self.log_title
            yield Static(log_text(self.tails), id="log-text", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        box = self.query_one("#log-box", VerticalScroll)
        box.focus()
        self.call_after_refresh(box.scroll_end, animate=False)

    def action_close(self) -> None:
        """Back to the monitor."""
        self.dismiss()

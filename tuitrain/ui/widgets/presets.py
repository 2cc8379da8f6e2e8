"""The preset picker: built-in and user presets, filtered by typing."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tuitrain.presets import PresetInfo
from tuitrain.text import printable, printable_lines
from tuitrain.ui.widgets.fields import ERROR_STYLE


def matches(info: PresetInfo, query: str) -> bool:
    """Whether every word of ``query`` appears in the preset's name, source, dataset or description."""
    haystack = f"{info.name} {info.source} {info.dataset} {info.description}".lower()
    return all(word in haystack for word in query.lower().split())


class PresetFilter(Input):
    """The filter box; Down moves into the list."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("down", "app.focus_next", "To list", show=False)]

    def on_mount(self) -> None:
        self.cursor_blink = False  # no redraws twice a second over SSH


class PresetPanel(Vertical):
    """Lists presets from ``source`` (default: every preset folder), narrowed by the filter box.

    Posts ``PresetPanel.Chosen`` when the user presses Enter on a preset (or in the filter box,
    which picks the first match).
    """

    DEFAULT_CSS = """
    PresetPanel {
        height: 1fr;
    }
    PresetPanel > .panel-title {
        text-style: bold;
        padding: 0 1;
    }
    PresetPanel > OptionList {
        height: 1fr;
        border: none;
        padding: 0;
    }
    PresetPanel > OptionList:focus {
        border: none;
    }
    PresetPanel > #preset-filter {
        margin: 0 1;
    }
    PresetPanel > .preset-detail {
        height: auto;
        max-height: 50%;
        color: $text-muted;
        padding: 0 1;
    }
    """

    class Chosen(Message):
        """The user chose a preset to load."""

        def __init__(self, info: PresetInfo) -> None:
            super().__init__()
            self.info = info

    def __init__(self, source: Callable[[], list[PresetInfo]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._source = source
        self._all: list[PresetInfo] = []
        self._shown: list[PresetInfo] = []
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("Presets", classes="panel-title")
        yield PresetFilter(placeholder="filter (type to narrow)", id="preset-filter", compact=True)
        yield OptionList(id="preset-list")
        yield Static("", classes="preset-detail", markup=False)

    def on_mount(self) -> None:
        self.reload()

    @property
    def shown(self) -> list[PresetInfo]:
        """The presets currently listed (after filtering)."""
        return list(self._shown)

    def reload(self) -> None:
        """Read the preset folders again (after a save) and redraw."""
        self._all = self._source()
        self._refilter()

    def mark_current(self, name: str | None) -> None:
        """Mark the preset the editor came from."""
        self.current = name
        self._refilter()

    def _refilter(self) -> None:
        query = self.query_one("#preset-filter", Input).value
        self._shown = [p for p in self._all if matches(p, query)]
        option_list = self.query_one("#preset-list", OptionList)
        highlighted = option_list.highlighted
        option_list.set_options(Option(self._prompt(p)) for p in self._shown)
        current = next((i for i, p in enumerate(self._shown) if p.name == self.current), None)
        if self._shown:
            option_list.highlighted = current if current is not None else min(highlighted or 0, len(self._shown) - 1)
        self._describe(option_list.highlighted)

    def _prompt(self, info: PresetInfo) -> Text:
        text = Text("● " if info.name == self.current else "  ")
        text.append(printable(info.name), style="bold" if info.name == self.current else "")
        if info.error:
            text.append("  broken", style=ERROR_STYLE)
        elif info.source != "builtin":
            text.append(f"  {info.source}", style="italic")
        return text

    def _describe(self, index: int | None) -> None:
        detail = self.query_one(".preset-detail", Static)
        if index is None or index >= len(self._shown):
            detail.update("No preset matches." if not self._shown else "")
            return
        info = self._shown[index]
        lines = Text(printable(f"{info.dataset} · {info.source}") + "\n", style="italic")
        # A preset's description is anyone's text: multi-line is fine, escape sequences are shown, not run.
        lines.append(printable_lines(info.error or info.description))
        detail.update(lines)

    @on(Input.Changed, "#preset-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter()

    @on(Input.Submitted, "#preset-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._shown:
            self.post_message(self.Chosen(self._shown[0]))

    @on(OptionList.OptionHighlighted, "#preset-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._describe(event.option_index)

    @on(OptionList.OptionSelected, "#preset-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self._shown[event.option_index]))

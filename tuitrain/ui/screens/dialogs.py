"""Small modal dialogs: a yes/no question and a one-line text prompt that checks its answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tuitrain.ui.widgets.path_input import PathInput


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True for yes. ``y``/``n`` answer, Escape says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No", *, default_yes: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self._yes = yes
        self._no = no
        self._default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="primary", compact=True)
                yield Button(f"{self._no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes" if self._default_yes else "#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        """Close the dialog with the answer."""
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text. ``check`` returns an error to show (the dialog stays open) or None.

    Dismisses with the accepted text, or None when cancelled with Escape.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        *,
        check: Callable[[str], str | None] | None = None,
        placeholder: str = "",
        help: str = "",
        submit: str = "OK",
        path: bool = False,
    ) -> None:
        """``path``: the answer is a file path, completed with Tab as it is typed."""
        super().__init__(classes="dialog-screen")
        self._path = path
        self.title_text = title
        self._value = value
        self._check = check
        self._placeholder = placeholder
        self._help = help
        self._submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-question")
            if self._path:
                yield PathInput(self._value, placeholder=self._placeholder, id="prompt-input")
            else:
                yield Input(self._value, placeholder=self._placeholder, id="prompt-input")
            yield Static("", id="prompt-error", classes="dialog-error", markup=False)
            if self._help:
                yield Static(self._help, classes="dialog-help", markup=False)
            keys = f"Tab: complete · Enter: {self._submit}" if self._path else f"Enter: {self._submit}"
            yield Static(f"{keys} · Escape: cancel", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).cursor_blink = False  # no redraws twice a second over SSH

    @property
    def error(self) -> str:
        """The error shown under the input ('' when none)."""
        return str(self.query_one("#prompt-error", Static).content)

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        problem = self._check(value) if self._check is not None else None
        if problem:
            self.query_one("#prompt-error", Static).update(f"✗ {problem}")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)

"""The validation summary: a one-line status and the list of every error and warning."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tuitrain.spec.errors import SpecIssue
from tuitrain.text import printable
from tuitrain.ui.validation import Validation
from tuitrain.ui.widgets.fields import ERROR_STYLE, OK_STYLE, WARNING_STYLE


def status_text(validation: Validation) -> Text:
    """``✓ ready · 534,026 parameters · Output: Dense 10 softmax (derived) · 1 warning``."""
    errors, warnings = len(validation.errors), len(validation.warnings)
    text = Text()
    if errors:
        text.append(f"✗ {errors} error{'s' if errors > 1 else ''}", style=ERROR_STYLE)
        text.append(" · start is disabled until fixed")
    else:
        text.append("✓ ready to start", style=OK_STYLE)
    if warnings:
        text.append(" · ")
        text.append(f"⚠ {warnings} warning{'s' if warnings > 1 else ''}", style=WARNING_STYLE)
    text.append(" · ")
    text.append(validation.output_text())
    return text


class IssueList(OptionList):
    """Every issue as ``✗ path: message``; Enter jumps to the field (posts ``IssueList.Chosen``)."""

    class Chosen(Message):
        """The user asked to go to the field an issue names."""

        def __init__(self, issue: SpecIssue) -> None:
            super().__init__()
            self.issue = issue

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._issues: list[SpecIssue] = []
        self.display = False

    @property
    def issues(self) -> list[SpecIssue]:
        """The issues listed."""
        return list(self._issues)

    def show(self, issues: list[SpecIssue]) -> None:
        """List ``issues`` (hidden when there are none)."""
        if issues == self._issues:
            return
        self._issues = list(issues)
        highlighted = self.highlighted
        self.set_options(Option(self._prompt(issue)) for issue in issues)
        if issues:
            self.highlighted = min(highlighted or 0, len(issues) - 1)
        self.display = bool(issues)

    @staticmethod
    def _prompt(issue: SpecIssue) -> Text:
        text = Text()
        if issue.severity == "error":
            text.append("✗ ", style=ERROR_STYLE)
        else:
            text.append("⚠ ", style=WARNING_STYLE)
        if issue.path:
            text.append(printable(issue.path), style="bold")
            text.append(": ")
        # Messages may quote a data file (its path, its array names): shown, never interpreted.
        text.append(printable(issue.message))
        return text

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self._issues[event.option_index]))


class StatusLine(Static):
    """The one-line validation status."""

    def show(self, validation: Validation) -> None:
        """Show the status of ``validation``."""
        self.update(status_text(validation))

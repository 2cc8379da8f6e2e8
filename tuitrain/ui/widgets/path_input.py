"""A one-line input for file and folder paths that completes them as a shell does (Tab or →)."""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

MAX_ENTRIES = 2000
"""Entries of one folder looked at per keystroke: a huge folder must not stall typing."""


def complete_path(text: str, *, folders_only: bool = False) -> str | None:
    """``text`` completed as far as the file system allows, or None when nothing longer matches.

    Several matches complete to what they share (as a shell's Tab does), then to the first of them;
    a folder gets a trailing ``/``. Hidden entries only when the typed name starts with a dot.
    """
    if not text:
        return None
    head, _, prefix = text.rpartition(os.sep)
    # "/tm" has an empty head: the root folder, as "tm" (no separator) means the current one.
    folder = Path(head).expanduser() if head else Path(os.sep if text.startswith(os.sep) else ".")
    try:
        with os.scandir(folder) as entries:
            matches = sorted(
                (e.name + os.sep if _is_dir(e) else e.name)
                for e in islice(entries, MAX_ENTRIES)
                if e.name.startswith(prefix)
                and (prefix.startswith(".") or not e.name.startswith("."))
                and (not folders_only or _is_dir(e))
            )
    except OSError:
        return None
    if not matches:
        return None
    shared = os.path.commonprefix(matches)  # noqa: RUF071 - names in one folder, compared as text on purpose
    name = shared if len(shared) > len(prefix) else matches[0]
    completed = text[: len(text) - len(prefix)] + name
    return completed if completed != text else None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class PathSuggester(Suggester):
    """Suggests the completion of a typed path (no cache: the file system changes under it)."""

    def __init__(self, *, folders_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.folders_only = folders_only

    async def get_suggestion(self, value: str) -> str | None:
        """The completed path, shown greyed after the cursor."""
        return complete_path(value, folders_only=self.folders_only)


class PathInput(Input):
    """An Input whose suggestion is the completed path; Tab (or →) takes it, else Tab moves on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False, tooltip="Complete the path"),
    ]

    def __init__(self, value: str = "", *, folders_only: bool = False, **kwargs: object) -> None:
        super().__init__(value, suggester=PathSuggester(folders_only=folders_only), **kwargs)  # type: ignore[arg-type]
        self.cursor_blink = False  # no redraws twice a second over SSH

    def action_complete(self) -> None:
        """Take the shown completion; with none, Tab does what it does elsewhere (next widget)."""
        # Input keeps the suggestion it shows in a private reactive; → at the end takes it, so do that.
        if self.cursor_at_end and self._suggestion:
            self.action_cursor_right()
        else:
            self.screen.focus_next()

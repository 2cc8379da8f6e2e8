"""A run's note and tags: what the user wrote about a run, in one small file of its run directory.

``note.json`` holds ``{"text": "...", "tags": ["...", ...]}``. It is written atomically (readers see
the old note or the new one, never half of one) and read like every other run file: a missing, too
big, broken or hand-mangled file is an empty note, never an exception, and what is read is cut to one
line of :data:`MAX_NOTE_TEXT` characters and at most :data:`MAX_TAGS` tags of safe characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tuitrain.fsutil import atomic_write_text
from tuitrain.runs.events import one_line
from tuitrain.runs.layout import RunPaths

MAX_NOTE_TEXT = 300
"""Longest note kept (characters); the list shows the start of it."""
MAX_TAGS = 12
MAX_TAG_LENGTH = 32
MAX_NOTE_BYTES = 16 * 1024
"""A note file larger than this is not a note tuitrain wrote: it is ignored, not read into memory."""

_TAG_UNSAFE = re.compile(r"[^\w.+-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RunNote:
    """The user's words on a run: a one-line ``text`` and ``tags`` (short words, each once)."""

    text: str = ""
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.text or self.tags)

    def label(self) -> str:
        """How the runs list shows it: tags first ("#baseline #sgd lr too high"), '' when empty."""
        return " ".join([*(f"#{tag}" for tag in self.tags), self.text]).strip()


def clean_text(text: object) -> str:
    """``text`` as one printable line of at most :data:`MAX_NOTE_TEXT` characters (control characters dropped)."""
    return one_line(_CONTROL.sub(" ", str(text)), MAX_NOTE_TEXT)


def parse_tags(words: str | Iterable[object]) -> tuple[str, ...]:
    """Tags from "a, b c" or a list: letters, digits, ``.+-_`` only, a leading ``#`` dropped, each once, in order."""
    items = re.split(r"[,\s]+", words) if isinstance(words, str) else [str(w) for w in words]
    tags: list[str] = []
    for item in items:
        tag = _TAG_UNSAFE.sub("-", item.strip().lstrip("#")).strip("-.")[:MAX_TAG_LENGTH]
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags[:MAX_TAGS])


def make_note(text: str, tags: str | Iterable[object] = ()) -> RunNote:
    """A note from what the user typed, cleaned the same way a read cleans it."""
    return RunNote(clean_text(text), parse_tags(tags))


def note_path(run_dir: Path | str) -> Path:
    """Where a run's note lives."""
    return RunPaths(Path(run_dir)).note


def read_note(run_dir: Path | str) -> RunNote:
    """The run's note; an empty note when the file is missing, too big, or not a note (never raises for content)."""
    path = note_path(run_dir)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_NOTE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return RunNote()
    if len(raw) > MAX_NOTE_BYTES:
        return RunNote()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return RunNote()
    if not isinstance(data, dict):
        return RunNote()
    text = data.get("text")
    tags = data.get("tags")
    return RunNote(
        clean_text(text) if isinstance(text, str) else "",
        parse_tags(tags) if isinstance(tags, list) else (),
    )


def write_note(run_dir: Path | str, note: RunNote) -> None:
    """Save ``note`` (cleaned) atomically; an empty note removes the file. OSError when the folder is not writable."""
    path = note_path(run_dir)
    cleaned = make_note(note.text, note.tags)
    if not cleaned:
        path.unlink(missing_ok=True)
        return
    atomic_write_text(path, json.dumps({"text": cleaned.text, "tags": list(cleaned.tags)}, ensure_ascii=False) + "\n")

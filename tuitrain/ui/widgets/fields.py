"""Form parts: the common base, the `FormEdited` message and the field for one plain value."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from tuitrain.spec.errors import SpecIssue
from tuitrain.text import printable
from tuitrain.ui.specmeta import ScalarMeta

# Every message an editor posts when its value changes; muted while a form loads a value.
EDITOR_CHANGES: tuple[type[Message], ...] = (
    Input.Changed,
    Select.Changed,
    Checkbox.Changed,
    SelectionList.SelectedChanged,
)

# Names Keras logs, offered as completions in the "monitor" fields.
_LOG_NAMES = ["val_loss", "val_accuracy", "loss", "accuracy", "val_auc", "val_precision", "val_recall", "val_mae"]


class PartMounted(Message):
    """A form part appeared (a layer or a new shape was picked): issues need routing again."""


# Issue colours bright enough to stay readable when NO_COLOR turns the screen to grey levels
# (pure red becomes near-black); the marks ✗ / ⚠ / ✓ carry the meaning without any colour.
ERROR_STYLE = "bold #ff7a7a"
WARNING_STYLE = "bold #ffd75f"
OK_STYLE = "bold #7ee07e"


class FormEdited(Message):
    """A value in a form was edited by the user; ``path`` is the spec path of the part that changed."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path


def issue_text(issues: Iterable[SpecIssue]) -> Text:
    """Issues as marked lines (✗ error, ⚠ warning): the marks carry the meaning without colour."""
    text = Text()
    for i, issue in enumerate(issues):
        if i:
            text.append("\n")
        if issue.severity == "error":
            text.append("✗ ", style=ERROR_STYLE)
            text.append(printable(issue.message), style=ERROR_STYLE.removeprefix("bold "))
        else:
            text.append("⚠ ", style=WARNING_STYLE)
            text.append(printable(issue.message), style=WARNING_STYLE.removeprefix("bold "))
    return text


class FormPart(Vertical):
    """A widget that owns the slice of the experiment at ``path``.

    It loads a value with ``load_data`` (without posting edits back), returns its current, possibly
    invalid, value with ``to_data`` and shows the issues whose path it owns with ``show_issues``.
    ``issue_path`` is the spec path it shows issues for (None: its parent shows them).
    """

    DEFAULT_CSS = """
    FormPart {
        height: auto;
    }
    FormPart .field-issues {
        display: none;
        padding-left: 2;
        height: auto;
    }
    FormPart.-has-issues > .field-issues {
        display: block;
    }
    """

    help_text: str = ""
    LABEL_WIDTH: ClassVar[int] = 24
    """Width of the label column at the top level; nested parts get less, so every editor lines up."""

    def __init__(self, path: str, *, issue_target: bool = True, indent: int = 0, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.path = path
        self.issue_path: str | None = path if issue_target else None
        self.indent = indent
        self._issues: list[SpecIssue] = []

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class in the MRO: subclasses' own on_mount do not hide this.
        if self.issue_path is not None:
            self.post_message(PartMounted())

    @property
    def label_width(self) -> int:
        """Width of this part's label column: less when nested, so every editor starts in one column."""
        return max(8, self.LABEL_WIDTH - self.indent)

    def make_label(self, text: str) -> Label:
        """A field label sized so the editor after it starts in the same column at every depth."""
        label = Label(text, classes="field-label")
        label.styles.width = self.label_width
        # Never wrapped: a cut name ends in "…", and the help bar (F1: all of it) names the field in full.
        label.styles.text_wrap = "nowrap"
        label.styles.text_overflow = "ellipsis"
        label.tooltip = text
        return label

    @property
    def field_name(self) -> str:
        """The last key of ``path``."""
        return self.path.rsplit(".", 1)[-1]

    def to_data(self) -> Any:
        """The current value as plain data (what a preset file would hold), possibly invalid."""
        raise NotImplementedError

    def load_data(self, value: Any) -> None:
        """Show ``value`` without posting edits."""
        raise NotImplementedError

    def show_issues(self, issues: list[SpecIssue]) -> None:
        """Show the issues this part owns (an empty list clears them)."""
        if issues == self._issues:
            return
        self._issues = list(issues)
        self.set_class(bool(issues), "-has-issues")
        self.set_class(any(i.severity == "error" for i in issues), "-error")
        statics = self.query_children(".field-issues")
        if statics:
            statics.first(Static).update(issue_text(issues))
        elif issues and self.is_mounted:
            # Made on first use: most fields never have an issue, and every widget costs start-up time.
            static = Static(issue_text(issues), classes="field-issues")
            anchor = self.issue_anchor()
            self.mount(static, before=anchor) if anchor is not None else self.mount(static)

    def issue_anchor(self) -> Widget | None:
        """The child the issue text goes before (None: at the end)."""
        return None

    def focus_editor(self) -> bool:
        """Focus this part's first editor; False if it has none."""
        for widget in self.query("Input, Select, Checkbox, SelectionList, OptionList"):
            if widget.focusable:
                widget.focus()
                return True
        return False


def to_text(value: Any) -> str:
    """A value as the text of an Input (floats keep every digit so they load back exactly)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return ", ".join(to_text(v) for v in value)
    return str(value)


def _number(text: str, want: type) -> Any:
    try:
        return int(text) if want is int else _finite(float(text), text)
    except ValueError:
        pass
    try:
        # "3.5" in a whole-number field: hand pydantic the number so it says "must be a whole number".
        return _finite(float(text), text)
    except ValueError:
        return text


def _finite(value: float, text: str) -> Any:
    return value if math.isfinite(value) else text


def parse_text(text: str, meta: ScalarMeta) -> Any:
    """Turn an Input's text into the value a preset would hold; unparseable text is passed on as text
    so validation names the problem (``must be a number, got 'abc'``)."""
    stripped = text.strip()
    if meta.kind == "str":
        return text
    if not stripped:
        if meta.optional:
            return None
        return [] if meta.kind in ("int_list", "float_list") else ""
    if meta.kind == "int":
        return _number(stripped, int)
    if meta.kind == "float":
        return _number(stripped, float)
    if meta.kind == "int_or_word":
        return stripped if stripped in meta.choices else _number(stripped, int)
    if meta.kind in ("int_list", "float_list"):
        want = int if meta.kind == "int_list" else float
        return [_number(part.strip(), want) for part in stripped.split(",") if part.strip()]
    raise ValueError(f"no text form for {meta.kind}")


class ScalarField(FormPart):
    """One plain value with its label, editor, bounds and help text; the editor is picked from the
    field's kind: Checkbox for true/false, Select for a choice, SelectionList for several, else Input."""

    DEFAULT_CSS = """
    ScalarField > .field-row {
        height: auto;
    }
    ScalarField .field-label {
        padding-right: 1;
    }
    ScalarField .field-editor {
        width: 26;
    }
    ScalarField.-text Input.field-editor {
        width: 1fr;
        max-width: 72;
    }
    ScalarField SelectionList.field-editor {
        height: auto;
        max-height: 8;
    }
    ScalarField .field-hint {
        padding-left: 1;
        color: $text-muted;
        width: 1fr;
    }
    ScalarField .field-description {
        padding-left: 2;
        color: $text-muted;
        height: auto;
    }
    """

    INPUT_TYPES: ClassVar[dict[str, str]] = {"int": "integer", "float": "number"}

    def __init__(
        self,
        meta: ScalarMeta,
        path: str,
        value: Any,
        *,
        label: str | None = None,
        issue_target: bool = True,
        description: bool = True,
        indent: int = 0,
    ) -> None:
        super().__init__(path, issue_target=issue_target, indent=indent)
        self.meta = meta
        self._value = value
        self._label = label if label is not None else meta.name
        self._show_description = description
        self._pending_sync = False
        self.help_text = _help(meta)
        self.set_class(meta.kind == "str", "-text")

    def compose(self) -> ComposeResult:
        # A row container, not a grid: Textual sizes auto-height grid cells that span columns by
        # their first column's width, which leaves gaps under long descriptions.
        with Horizontal(classes="field-row"):
            yield self.make_label(self._label)
            yield self._make_editor(self._value)
            if self.meta.kind != "str":  # text editors take the hint's room too
                yield Label(self.meta.hint, classes="field-hint")
        if self._show_description and self.meta.description:
            yield Static(self.meta.description, classes="field-description", markup=False)

    def _make_editor(self, value: Any) -> Widget:
        meta = self.meta
        tooltip = meta.description or None
        if meta.kind == "bool":
            # The label says on/off: the box alone differs only by colour, which NO_COLOR removes.
            return Checkbox(_on_off(value), bool(value), compact=True, classes="field-editor", tooltip=tooltip)
        if meta.kind == "choice":
            select = Select(
                [(c, c) for c in meta.choices],
                value=value if value in meta.choices else Select.NULL,
                allow_blank=meta.optional or value not in meta.choices,
                prompt=meta.empty_label,
                compact=True,
                classes="field-editor",
                tooltip=tooltip,
            )
            select.styles.width = picker_width([*meta.choices, meta.empty_label])
            return select
        if meta.kind == "multi_choice":
            chosen = set(value or ())
            return SelectionList[str](
                *[(_choice_prompt(c, c in chosen), c, c in chosen) for c in meta.choices],
                compact=True,
                classes="field-editor",
            )
        suggester = SuggestFromList(_LOG_NAMES, case_sensitive=True) if meta.name == "monitor" else None
        editor = Input(
            _shown(value),
            placeholder=meta.empty_label if meta.optional else "",
            type=self.INPUT_TYPES.get(meta.kind, "text"),  # type: ignore[arg-type]
            compact=True,
            classes="field-editor",
            suggester=suggester,
            tooltip=tooltip,
            select_on_focus=False,
        )
        editor.cursor_blink = False  # a blinking cursor redraws twice a second: bandwidth over SSH
        return editor

    @property
    def editor(self) -> Widget:
        """The editing widget."""
        return self.query_one(".field-editor")

    def to_data(self) -> Any:
        """The current value: parsed when valid, the raw text when not, None when empty and optional."""
        return self._value

    def load_data(self, value: Any) -> None:
        """Show ``value`` in the editor without posting an edit."""
        self._value = value
        if self.is_mounted:
            self._sync_editor()
        else:
            # A Select takes its value on mount: set the editors once they are all mounted.
            self._pending_sync = True

    def on_mount(self) -> None:
        if self._pending_sync:
            self.call_after_refresh(self._sync_editor)

    def _sync_editor(self) -> None:
        self._pending_sync = False
        value = self._value
        editor = self.editor
        with self.prevent(*EDITOR_CHANGES):
            if isinstance(editor, Checkbox):
                editor.value = bool(value)
                editor.label = _on_off(value)
            elif isinstance(editor, Select):
                editor.value = value if value in self.meta.choices else Select.NULL
            elif isinstance(editor, SelectionList):
                editor.deselect_all()
                for choice in value or ():
                    editor.select(choice)
                _mark_choices(editor)
            elif isinstance(editor, Input):
                editor.value = _shown(value)
                editor.cursor_position = 0  # show the start of a long text, as a fresh field does

    def _read(self, editor: Widget) -> Any:
        if isinstance(editor, Checkbox):
            return editor.value
        if isinstance(editor, Select):
            return None if editor.value is Select.NULL else editor.value
        if isinstance(editor, SelectionList):
            chosen = [c for c in self.meta.choices if c in editor.selected]
            if not chosen:
                # Nothing ticked means "the default"; keep an explicit empty list if that was loaded.
                return self._value if self._value == [] else None
            return chosen
        assert isinstance(editor, Input)
        if self.meta.kind == "str" and isinstance(self._value, str) and editor.value == _shown(self._value):
            return self._value  # untouched: a loaded text keeps its characters, shown escaped
        return parse_text(editor.value, self.meta)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def _edited(self, event: Message) -> None:
        event.stop()
        editor = self.editor
        if isinstance(editor, Checkbox):
            editor.label = _on_off(editor.value)
        elif isinstance(editor, SelectionList):
            _mark_choices(editor)
        value = self._read(editor)
        if value == self._value and type(value) is type(self._value):
            return  # e.g. a Select announcing its initial value on mount
        self._value = value
        self.post_message(FormEdited(self.path))


def picker_width(labels: Iterable[str]) -> int:
    """Width of a compact Select that shows its longest label on one line (at least the field width)."""
    return max(26, max((len(label) for label in labels), default=0) + 5)


def _choice_prompt(choice: str, selected: bool) -> str:
    # "✓" beside a ticked choice: the tick box differs from an empty one only by shade.
    return f"{choice} ✓" if selected else choice


def _mark_choices(selection: SelectionList[str]) -> None:
    for index in range(selection.option_count):
        choice = selection.get_option_at_index(index).value  # type: ignore[attr-defined]
        selection.replace_option_prompt_at_index(index, _choice_prompt(choice, choice in selection.selected))


def _shown(value: Any) -> str:
    """A value as its editor shows it: a text from a preset file may hold escape sequences, which an
    Input would pass to the terminal, so control characters are shown escaped (and kept unless edited)."""
    return printable(to_text(value))


def _on_off(value: Any) -> str:
    return "on" if value else "off"


def _help(meta: ScalarMeta) -> str:
    parts = [f"{meta.name}: {meta.description}" if meta.description else meta.name]
    if meta.hint:
        parts.append(f"Allowed: {meta.hint}.")
    if meta.optional:
        parts.append(f"Empty = {meta.empty_label.strip('()')}.")
    return " ".join(parts)

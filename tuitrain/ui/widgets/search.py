"""The Search tab of the setup screen: turn the experiment being edited into a search.

A table lists every number and choice of the experiment that a search can vary (from the spec's own
metadata, :func:`tuitrain.ui.search_space.searchable_fields`); ``space`` marks one as searched with a
prefilled range on its own scale. The editor beside (or, at 80 columns, under) the table sets how the
highlighted field is drawn and shows where 20 seeded draws would land, on the field's natural axis:
uniform draws of a learning rate from 1e-4 to 1 pile up in the top decade, log-uniform ones do not.
The sweep's own settings (name, trials, trials at once, sampler, seed, objective, pruner) are forms
generated from the sweep spec's models, like every other form. Every change is checked at once as the
sweep package checks a sweep file; each problem shows under the range or setting it is about.

The tab only describes the search: :meth:`SearchForm.request_start` posts :class:`SearchRequested`
(the app starts the sweep through its run source) and :meth:`SearchForm.save_preset` writes a sweep
preset. The setup screen mounts this widget the first time its tab is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, DataTable, Input, Label, Select, SelectionList, Static

from tuitrain.spec import Experiment
from tuitrain.spec.errors import SpecIssue
from tuitrain.sweep.preview import DRAWS, draws, histogram, histogram_lines
from tuitrain.sweep.space import DIST_NAMES, Distribution
from tuitrain.sweep.spec import ObjectiveSpec, PrunerSpec, SweepSpec, save_sweep, user_sweep_dir
from tuitrain.text import printable, printable_lines
from tuitrain.ui.messages import SearchChanged, SearchRequested
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.search_space import (
    SETTINGS,
    Searchable,
    SearchCheck,
    SearchDraft,
    param_where,
    parse_number,
    parse_values,
    range_text,
    searchable_fields,
    suggested_distribution,
    sweep_name,
)
from tuitrain.ui.specmeta import describe_field
from tuitrain.ui.widgets.experiment_form import route_issues
from tuitrain.ui.widgets.fields import EDITOR_CHANGES, ERROR_STYLE, OK_STYLE, FormEdited, FormPart, PartMounted
from tuitrain.ui.widgets.forms import ModelForm
from tuitrain.workspace import name_problem

_DIST = TypeAdapter(Distribution)
SETTINGS_PATH = "sweep"
"""The settings forms' path prefix: ``sweep.trials``, ``sweep.pruner.kind`` (issues name ``trials``...)."""
FIELD_COLUMNS = (("mark", " ", 1), ("field", "field", 30), ("now", "now", 12), ("drawn", "searched as", 22))
"""(key, header, width) of the table's columns: fixed widths, so 80 columns hold them all."""


def default_settings(name: str) -> dict[str, Any]:
    """The sweep settings the tab starts with: the sweep spec's defaults, named after the experiment."""
    settings = {key: SweepSpec.model_fields[key].get_default(call_default_factory=True) for key in SETTINGS}
    settings["name"] = sweep_name(name)
    settings["objective"] = ObjectiveSpec().model_dump(mode="json")
    settings["pruner"] = PrunerSpec().model_dump(mode="json")
    return settings


class SearchForm(Widget):
    """The Search tab: which fields are searched and how, the sweep's settings, and where draws land.

    ``experiment`` is the validated experiment (None while it has errors), ``data`` the edited data it
    comes from; :meth:`load_experiment` gives it a new one as the other tabs are edited.
    """

    def __init__(
        self,
        experiment: Experiment | None,
        data: dict[str, Any],
        *,
        name: str,
        base_dir: Path | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.experiment = experiment
        self.base_dir = base_dir
        self.fields: dict[str, Searchable] = {f.path: f for f in searchable_fields(data)}
        self.draft = SearchDraft(settings=default_settings(name))
        self.result = SearchCheck(None, None, [])
        self.current: str | None = next(iter(self.fields), None)
        self._set_aside: dict[str, dict[str, Any]] = {}
        """Tables of fields unmarked again, so marking them once more brings the edited range back."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll(id="search-scroll")
        scroll.can_focus = False  # Tab goes from the section tabs straight to the table of fields
        with scroll:
            yield Static(
                "Space marks a field to search, from the usual range for it. "
                "Ctrl+R starts the search, Ctrl+S saves it.",
                id="search-intro",
                markup=False,
            )
            yield Static("", id="search-summary")
            with Horizontal(id="search-main"):
                table: DataTable[str | Text] = DataTable(id="search-fields", cursor_type="row", cell_padding=1)
                for key, label, width in FIELD_COLUMNS:
                    table.add_column(label, key=key, width=width)
                yield table
                with Vertical(id="search-editor"):
                    yield Static("", id="search-title", markup=False)
                    with Horizontal(classes="search-row"):
                        yield Checkbox(_on_label(False), id="search-on", compact=True)
                        yield Select[str](
                            [(d, d) for d in DIST_NAMES],
                            value=DIST_NAMES[0],
                            id="search-dist",
                            compact=True,
                            allow_blank=False,
                        )
                    with Horizontal(classes="search-row", id="search-range"):
                        yield Label("low", classes="search-label")
                        yield Input(id="search-low", compact=True, select_on_focus=False)
                        yield Label("high", classes="search-label")
                        yield Input(id="search-high", compact=True, select_on_focus=False)
                    yield SelectionList[int](id="search-options", compact=True)
                    with Horizontal(classes="search-row", id="search-values-row"):
                        yield Label("values", classes="search-label")
                        yield Input(id="search-values", compact=True, placeholder="16, 32, 64", select_on_focus=False)
                    yield Static("", id="search-issues")
                    yield Static("", id="search-histogram", markup=False)
            yield Static("Sweep", classes="search-heading")
            yield Static("", id="search-settings-issues")
            yield ModelForm(SweepSpec, SETTINGS_PATH, self.draft.settings, fields=_settings_fields(SweepSpec, SETTINGS))
            yield ModelForm(
                ObjectiveSpec,
                f"{SETTINGS_PATH}.objective",
                self.draft.settings["objective"],
                title="objective",
                description=SweepSpec.model_fields["objective"].description or "",
            )
            yield ModelForm(
                PrunerSpec,
                f"{SETTINGS_PATH}.pruner",
                self.draft.settings["pruner"],
                title="pruner",
                description=SweepSpec.model_fields["pruner"].description or "",
            )

    def on_mount(self) -> None:
        for editor in self.query(Input):
            editor.cursor_blink = False  # a blinking cursor redraws twice a second: bandwidth over SSH
        self._fill_table()
        self._show_field()
        self._show_result()

    @property
    def table(self) -> DataTable[str | Text]:
        """The table of searchable fields (row keys are their paths)."""
        return self.query_one("#search-fields", DataTable)

    # ------------------------------------------------------------------ the experiment

    def load_experiment(self, experiment: Experiment | None, data: dict[str, Any], base_dir: Path | None) -> None:
        """The experiment changed on another tab: list its fields again and check the search against it."""
        self.experiment, self.base_dir = experiment, base_dir
        fields = {f.path: f for f in searchable_fields(data)}
        if fields != self.fields:
            self.fields = fields
            if self.current not in fields:
                self.current = next(iter(fields), None)
            if self.is_mounted:
                self._fill_table()
                self._show_field()
        self._recheck()

    # ------------------------------------------------------------------ the table

    def _fill_table(self) -> None:
        table = self.table
        table.clear()
        for path in self._rows():
            table.add_row(*self._cells(path), key=path)
        if self.current in self.fields:
            table.move_cursor(row=table.get_row_index(self.current))

    def _rows(self) -> list[str]:
        """Every searchable field, then searched paths the experiment no longer has (their error says so)."""
        return [*self.fields, *(p for p in self.draft.space if p not in self.fields)]

    def _cells(self, path: str) -> list[str | Text]:
        field = self.fields.get(path)
        table = self.draft.space.get(path)
        if table is None:
            mark = Text(" ")
        elif self.result.issues_for(path):
            mark = Text("✗", style=ERROR_STYLE)
        else:
            mark = Text("✓", style=OK_STYLE)
        # Values, paths and ranges come from the experiment's file: shown printable, as Text (never markup).
        now = Text(printable(field.now if field is not None else "(gone)"), no_wrap=True, overflow="ellipsis")
        drawn = range_text(table) if table is not None else ""
        label = field.label if field is not None else path
        return [mark, _cut(label), now, _cut(drawn)]

    def _update_row(self, path: str) -> None:
        table = self.table
        if path not in table.rows:
            self._fill_table()
            return
        for (column, _, _), cell in zip(FIELD_COLUMNS, self._cells(path), strict=True):
            table.update_cell(path, column, cell)

    @on(DataTable.RowHighlighted, "#search-fields")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        path = str(event.row_key.value)
        if path != self.current:
            self.current = path
            self._show_field()

    @on(DataTable.RowSelected, "#search-fields")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.toggle(str(event.row_key.value))

    def on_key(self, event: Any) -> None:
        """Space in the table marks or unmarks the highlighted field."""
        if event.key == "space" and self.table.has_focus and self.current is not None:
            event.stop()
            event.prevent_default()
            self.toggle(self.current)

    # ------------------------------------------------------------------ marking

    def toggle(self, path: str) -> None:
        """Mark ``path`` as searched (with its last or its usual range), or unmark it."""
        if path in self.draft.space:
            self._set_aside[path] = self.draft.space.pop(path)
        else:
            field = self.fields.get(path)
            if field is None:
                return
            self.draft.space[path] = self._set_aside.pop(path, None) or suggested_distribution(field)
        self.current = path
        self._edited(path)
        self._show_field()

    def search(self, path: str, table: dict[str, Any] | None = None) -> None:
        """Search ``path`` drawn as ``table`` (default: its usual range); for tests and the command palette."""
        field = self.fields[path]
        self.draft.space[path] = dict(table) if table is not None else suggested_distribution(field)
        self.current = path
        self._edited(path)
        self._show_field()

    # ------------------------------------------------------------------ the editor

    def _show_field(self) -> None:
        """Fill the editor with the highlighted field, without posting edits back."""
        path = self.current
        field = self.fields.get(path) if path else None
        editor = self.query_one("#search-editor")
        editor.display = path is not None
        if path is None:
            return
        table = self.draft.space.get(path)
        shown = table or (suggested_distribution(field) if field is not None else {"dist": "choice", "values": []})
        title = path if field is None else f"{path}: now {field.now}"
        self.query_one("#search-title", Static).update(printable(title))
        dists = field.dists if field is not None else (shown.get("dist", "choice"),)
        with self.prevent(*EDITOR_CHANGES):
            self._show_on(table is not None)
            select = self.query_one("#search-dist", Select)
            select.set_options([(d, d) for d in dists])
            select.value = shown.get("dist") if shown.get("dist") in dists else dists[0]
            self._fill_editors(field, shown)
        self._show_issues()
        self._show_histogram()

    def _fill_editors(self, field: Searchable | None, table: dict[str, Any]) -> None:
        dist = table.get("dist")
        is_choice = dist == "choice"
        options = field is not None and field.kind == "choice"
        self.query_one("#search-range").display = not is_choice
        self.query_one("#search-options").display = is_choice and options
        self.query_one("#search-values-row").display = is_choice and not options
        if not is_choice:
            self.query_one("#search-low", Input).value = _text(table.get("low"))
            self.query_one("#search-high", Input).value = _text(table.get("high"))
        elif options:
            assert field is not None
            chosen = table.get("values") or []
            picks = self.query_one("#search-options", SelectionList)
            picks.clear_options()
            picks.add_options([(label, i, option in chosen) for i, (option, label) in enumerate(_options(field))])
        else:
            self.query_one("#search-values", Input).value = ", ".join(_text(v) for v in table.get("values") or [])

    def _show_on(self, searched: bool) -> None:
        box = self.query_one("#search-on", Checkbox)
        box.value = searched
        box.label = _on_label(searched)

    @on(Checkbox.Changed, "#search-on")
    def _on_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        event.checkbox.label = _on_label(event.value)
        if self.current is not None and (self.current in self.draft.space) != event.value:
            self.toggle(self.current)

    @on(Select.Changed, "#search-dist")
    def _dist_changed(self, event: Select.Changed) -> None:
        event.stop()
        path, field = self.current, self.fields.get(self.current or "")
        if path is None or field is None or not isinstance(event.value, str) or event.value != event.select.value:
            return  # a stale message (the picker announcing the value it was built with)
        old = self.draft.space.get(path) or suggested_distribution(field)
        if old.get("dist") == event.value:
            return
        self.draft.space[path] = _converted(field, old, event.value)
        self._edited(path)
        with self.prevent(*EDITOR_CHANGES):
            self._show_on(True)
            self._fill_editors(field, self.draft.space[path])
        self._show_histogram()

    @on(Input.Changed, "#search-low, #search-high, #search-values")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        path, field = self.current, self.fields.get(self.current or "")
        if path is None or field is None:
            return
        table = dict(self.draft.space.get(path) or suggested_distribution(field))
        whole = table.get("dist") in ("int", "log_int")
        if event.input.id == "search-values":
            table["values"] = parse_values(event.value, field.kind)
        else:
            table["low" if event.input.id == "search-low" else "high"] = parse_number(event.value, whole)
        self._store(path, table)

    @on(SelectionList.SelectedChanged, "#search-options")
    def _picked(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        path, field = self.current, self.fields.get(self.current or "")
        if path is None or field is None:
            return
        chosen = set(event.selection_list.selected)
        values = [option for i, (option, _) in enumerate(_options(field)) if i in chosen]
        self._store(path, {"dist": "choice", "values": values})

    def _store(self, path: str, table: dict[str, Any]) -> None:
        """An edit of the highlighted field's range: it is searched from now on."""
        was_searched = path in self.draft.space
        self.draft.space[path] = table
        if not was_searched:
            with self.prevent(*EDITOR_CHANGES):
                self._show_on(True)
        self._edited(path)
        self._show_histogram()

    # ------------------------------------------------------------------ settings

    @on(FormEdited)
    def _settings_edited(self, event: FormEdited) -> None:
        event.stop()  # the search's own forms: not the experiment's
        self._read_settings()
        self._recheck()
        self._show_histogram()  # the seed of the draws may have changed
        self.post_message(SearchChanged())

    @on(PartMounted)
    def _part_mounted(self, event: PartMounted) -> None:
        event.stop()  # the experiment form routes its own issues; these parts get theirs here

    def _read_settings(self) -> None:
        forms = list(self.query(ModelForm).results(ModelForm))
        settings: dict[str, Any] = {}
        for form in forms:
            if form.path == SETTINGS_PATH:
                settings.update(form.to_data())
        for form in forms:
            if form.path != SETTINGS_PATH:
                settings[form.path.rsplit(".", 1)[-1]] = form.to_data()
        self.draft.settings = settings

    # ------------------------------------------------------------------ checking

    def _edited(self, path: str) -> None:
        self._recheck()
        self._update_row(path)
        self.post_message(SearchChanged())

    def _recheck(self) -> None:
        """Check the draft against the experiment and show the outcome everywhere."""
        before = self.result
        self.result = self.check()
        if self.is_mounted:
            self._show_result(before)

    def _show_result(self, before: SearchCheck | None = None) -> None:
        self._show_summary()
        self._show_issues()
        self._show_settings_issues()
        for path in self.draft.space:
            if before is None or before.issues_for(path) != self.result.issues_for(path):
                self._update_row(path)

    def check(self) -> SearchCheck:
        """The search as it stands, checked (empty: nothing to check)."""
        if self.draft.empty:
            return SearchCheck(None, None, [])
        return self.draft.check(self.experiment, self.base_dir)

    @property
    def active(self) -> bool:
        """True when a field is searched: Ctrl+R then starts a search."""
        return not self.draft.empty

    @property
    def ok(self) -> bool:
        """True when the search can start."""
        return self.active and self.result.ok

    def _show_summary(self) -> None:
        summary = Text()
        if self.draft.empty:
            summary.append("Nothing searched yet: Ctrl+R trains this experiment once.")
        else:
            names = ", ".join(self.fields[p].label if p in self.fields else p for p in self.draft.space)
            settings = self.draft.settings
            summary.append(f"Searching {len(self.draft.space)}: ")
            summary.append(printable(names))
            summary.append(f" · {settings.get('trials')} trials, {settings.get('parallel')} at once · ")
            errors = [i for i in self.result.issues if i.severity == "error"]
            if errors:
                summary.append(f"✗ {len(errors)} problem{'s' if len(errors) > 1 else ''}", style=ERROR_STYLE)
                general = [i for i in errors if i.path == "base" or not i.path]
                if general:
                    summary.append(printable(f": {general[0].message}"))
            else:
                summary.append("✓ ready", style=OK_STYLE)
        self.query_one("#search-summary", Static).update(summary)

    def _show_issues(self) -> None:
        path = self.current
        issues = self.result.issues_for(path) if path is not None and path in self.draft.space else []
        widget = self.query_one("#search-issues", Static)
        widget.update(_issue_lines(issues, strip=param_where(path) if path else ""))
        widget.display = bool(issues)

    def _show_settings_issues(self) -> None:
        parts = {p.issue_path: p for p in self.query(FormPart) if p.issue_path and p.issue_path.startswith("sweep")}
        mine = [
            SpecIssue(f"{SETTINGS_PATH}.{i.path}", i.message, i.severity)
            for i in self.result.issues
            if i.path and i.path != "base" and not i.path.startswith("space")
        ]
        routed = route_issues(mine, list(parts))
        for path, part in parts.items():
            part.show_issues([SpecIssue(i.path, i.message, i.severity) for i in routed.get(path, [])])
        loose = routed.get(None, [])
        widget = self.query_one("#search-settings-issues", Static)
        widget.update(_issue_lines(loose))
        widget.display = bool(loose)

    def _show_histogram(self) -> None:
        widget = self.query_one("#search-histogram", Static)
        path = self.current
        field = self.fields.get(path) if path else None
        table = self.draft.space.get(path or "") if path else None
        if field is not None and table is None:
            table = suggested_distribution(field)
        widget.update(histogram_text(field, table, self.draft.settings.get("seed")))

    # ------------------------------------------------------------------ starting and saving

    def request_start(self) -> bool:
        """Post :class:`SearchRequested` when the search can start; else say why. True when posted."""
        self._recheck()
        result = self.result
        if self.experiment is None:
            self.notify("Fix the experiment's errors (listed at the bottom) first.", severity="error")
            return False
        if not result.ok or result.spec is None:
            first = next((i for i in result.issues if i.severity == "error"), None)
            said = printable(first) if first else "The search has problems."
            self.notify(said, title="Search", severity="error", markup=False)
            return False
        self.post_message(SearchRequested(result.spec, self.base_dir))
        return True

    async def save_preset(self) -> Path | None:
        """Ask for a name and save the search as a sweep preset (call from a worker); its path, or None."""
        self._recheck()
        spec = self.result.spec
        if spec is None or not self.result.ok:
            self.notify("Fix the search's problems first: a sweep with errors can't be run.", severity="error")
            return None
        folder = user_sweep_dir()

        name = await self.app.push_screen_wait(
            PromptDialog(
                "Save the search as a sweep preset",
                spec.name,
                check=name_problem,
                placeholder="sweep name",
                help=f"Saved in {folder}; run it later with 'tuitrain sweep run NAME'.",
                submit="save",
            )
        )
        if name is None:
            return None
        target = folder / f"{name}.toml"
        if target.exists() and not await self.app.push_screen_wait(
            ConfirmDialog(f"Sweep preset {name!r} exists. Overwrite it?", yes="Overwrite", no="Cancel")
        ):
            return None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            save_sweep(spec.model_copy(update={"name": name}), target)
        except OSError as exc:
            self.notify(printable(exc), title="Not saved", severity="error", timeout=8, markup=False)
            return None
        self.notify(printable(f"Saved {target}."), timeout=4, markup=False)
        return target


# ---------------------------------------------------------------------- helpers


def _on_label(searched: bool) -> str:
    # The words say it: the box alone differs only by colour, which NO_COLOR removes.
    return "searched" if searched else "not searched"


def _cut(text: str) -> Text:
    return Text(printable(text), no_wrap=True, overflow="ellipsis")


def _settings_fields(model: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(describe_field(model, name) for name in names)


def _options(field: Searchable) -> list[tuple[Any, str]]:
    return list(zip(field.options, field.labels, strict=True))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _issue_lines(issues: list[SpecIssue], strip: str = "") -> Text:
    """Issues as ``✗ high: must be < 1.0, got 1.0`` lines (the field's own prefix left off)."""
    text = Text()
    for i, issue in enumerate(issues):
        if i:
            text.append("\n")
        where = issue.path.removeprefix(strip).lstrip(".")
        text.append("✗ " if issue.severity == "error" else "⚠ ", style=ERROR_STYLE)
        text.append(printable(f"{where}: {issue.message}" if where else issue.message))
    return text


def _converted(field: Searchable, old: dict[str, Any], dist: str) -> dict[str, Any]:
    """The range ``old`` drawn as ``dist`` instead: a range keeps its ends, a choice gets a few of its values."""
    if dist == "choice":
        try:
            values = _DIST.validate_python(old).grid(3)
        except (ValidationError, TypeError):
            values = [field.value]
        return {"dist": "choice", "values": values}
    suggested = suggested_distribution(field)
    if old.get("dist") == "choice" or "low" not in old:
        base = suggested if suggested.get("dist") != "choice" else {"low": field.value, "high": field.value}
        return {"dist": dist, "low": base.get("low"), "high": base.get("high")}
    low, high = old.get("low"), old.get("high")
    if dist in ("int", "log_int"):
        low = round(low) if isinstance(low, int | float) else low
        high = round(high) if isinstance(high, int | float) else high
    return {"dist": dist, "low": low, "high": high}


def histogram_text(field: Searchable | None, table: dict[str, Any] | None, seed: Any = 0) -> Text:
    """Where ``DRAWS`` seeded draws of ``table`` land, binned on ``field``'s natural axis (its usual scale)."""
    if field is None or table is None:
        return Text("")
    try:
        dist = _DIST.validate_python(table)
    except ValidationError:
        return Text("(draws are shown once the range is valid)")
    axis = dist
    usual = suggested_distribution(field)
    if usual.get("dist") not in (None, "choice", dist.dist) and table.get("dist") != "choice":
        try:
            axis = _DIST.validate_python({"dist": usual["dist"], "low": dist.low, "high": dist.high})
        except ValidationError:
            axis = dist  # the usual scale can't hold this range (a log axis for a range from 0)
    seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else 0
    values = draws(dist, DRAWS, seed)
    scale = {"log": "log", "reverse_log": "log of 1 - x", "linear": "linear", "categorical": ""}[axis.scale]
    head = f"{DRAWS} draws (seed {seed})" + (f", on a {scale} axis:" if scale else ":")
    return Text(printable_lines("\n".join([head, *histogram_lines(histogram(dist, values, axis=axis))])))

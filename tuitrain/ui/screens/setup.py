"""The setup screen: pick a preset, edit the experiment with live validation, save it, start it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Button, Header, Static, TabbedContent

from tuitrain import presets
from tuitrain.spec import Experiment
from tuitrain.text import printable
from tuitrain.ui.breakpoints import preset_breakpoints
from tuitrain.ui.messages import SearchChanged
from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.validation import Validation, validate_data
from tuitrain.ui.widgets.data_folder import DataFolderField
from tuitrain.ui.widgets.experiment_form import SECTIONS, ExperimentForm, until_mounted
from tuitrain.ui.widgets.fields import FormEdited
from tuitrain.ui.widgets.footer import KeysFooter
from tuitrain.ui.widgets.presets import PresetPanel
from tuitrain.ui.widgets.summary import IssueList, StatusLine
from tuitrain.workspace import preset_name_problem, read_for_editing, relative_data_base

if TYPE_CHECKING:
    from tuitrain.ui.widgets.search import SearchForm


class SetupScreen(Screen[None]):
    """Edit an experiment: presets on the left, the spec's sections as tabs, issues at the bottom.

    The screen never starts a run itself: it posts ``SetupScreen.RunRequested`` and the app, which
    holds the launcher, starts it.
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (40, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r,f5", "start", "Start", id="start", tooltip="Start training this experiment"),
        Binding(
            "ctrl+r,f5", "start_search", "Start search", id="start-search", tooltip="Start the search of the Search tab"
        ),
        Binding(
            "ctrl+s",
            "save_preset",
            "Save",
            id="save-preset",
            tooltip="Save as a user preset (a sweep preset while fields are searched)",
        ),
        Binding("ctrl+o", "open_file", "Open", id="open-file", tooltip="Load a preset from a file path"),
        Binding("ctrl+f", "find_preset", "Presets", id="find-preset", tooltip="Find and load a preset"),
        Binding(
            "ctrl+g",
            "find_learning_rate",
            "Find learning rate",
            id="find-learning-rate",
            # Off the footer (it is full at 80 columns): the Optimizer tab has its button, the palette has it.
            show=False,
            tooltip="Run a learning-rate range test of this experiment; a key applies its suggestion",
        ),
        Binding(
            "ctrl+n",
            "step_section(1)",
            "Next tab",
            id="next-section",
            show=False,
            tooltip="Next section of the form",
        ),
        Binding(
            "ctrl+b",
            "step_section(-1)",
            "Previous tab",
            id="previous-section",
            show=False,
            tooltip="Previous section of the form",
        ),
        Binding(
            "f1",
            "field_help",
            "Help",
            id="field-help",
            tooltip="The whole description of the focused field (the help bar may cut it)",
        ),
        Binding(
            "ctrl+l",
            "focus_issues",
            "Problems",
            id="focus-issues",
            show=False,
            tooltip="Go to the list of errors and warnings; Enter jumps to the field",
        ),
    ]

    class RunRequested(Message):
        """The user asked to start ``experiment``; ``preset_dir`` resolves its relative paths,
        ``data_dir`` is searched first for its data set's files."""

        def __init__(self, experiment: Experiment, preset_dir: Path, data_dir: Path | None) -> None:
            super().__init__()
            self.experiment = experiment
            self.preset_dir = preset_dir
            self.data_dir = data_dir

    class LearningRateSearchRequested(Message):
        """The user asked for a learning-rate range test of ``experiment`` (``preset_dir``, ``data_dir`` as above)."""

        def __init__(self, experiment: Experiment, preset_dir: Path, data_dir: Path | None) -> None:
            super().__init__()
            self.experiment = experiment
            self.preset_dir = preset_dir
            self.data_dir = data_dir

    def __init__(
        self,
        initial: Experiment,
        *,
        preset_name: str | None = None,
        preset_path: Path | None = None,
        preset_source: str | None = None,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__(id="setup")
        self._initial = initial
        self._search_form: SearchForm | None = None
        """The Search tab's form once built (held: a query for it on every footer refresh cost the first frame)."""
        self.data_dir = data_dir
        self._baseline = initial
        self.preset_name = preset_name
        self.preset_path = preset_path
        self.preset_source = preset_source
        self.validation: Validation = validate_data(initial.model_dump(mode="python"), self.base_dir, data_dir)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        preset_breakpoints(self, self.app.size)  # before any child is styled: see tuitrain.ui.breakpoints
        yield Header(icon="≡")
        with Horizontal(id="setup-body"):
            yield PresetPanel(presets.list_presets, id="presets")
            with Vertical(id="editor"):
                data_folder = DataFolderField(self.data_dir, id="data-folder-field")
                yield ExperimentForm(
                    self._initial,
                    extras={"data": [data_folder]},
                    extra_tabs=(("search", "Search"),),
                    fill_extra_tab=self._fill_search_tab,
                    id="form",
                )
                with Horizontal(id="status-bar"):
                    yield StatusLine(id="status")
                    yield Button("Start ▶", id="start-button", compact=True, variant="success")
                yield IssueList(id="issues")
                yield Static("", id="help-bar", markup=False)
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.title = "tuitrain setup"
        self.presets.mark_current(self.preset_name)
        # The form holds exactly what __init__ validated: show that, rather than validate it again.
        self.show_validation(self.validation)
        # After a refresh: the width breakpoint classes (-narrow/-wide) are set by then.
        self.call_after_refresh(self._initial_focus)

    def _initial_focus(self) -> None:
        if self.presets.display and not self.has_class("-narrow"):
            self.presets.query_one("#preset-list").focus()
        else:
            self.form.focus_tabs()

    @property
    def form(self) -> ExperimentForm:
        """The experiment form."""
        return self.query_one(ExperimentForm)

    @property
    def presets(self) -> PresetPanel:
        """The preset picker."""
        return self.query_one(PresetPanel)

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the experiment (an npz file) are read from (see
        :func:`tuitrain.workspace.relative_data_base`)."""
        return relative_data_base(self.preset_path, self.preset_source)

    # ------------------------------------------------------------------ state

    @property
    def experiment(self) -> Experiment | None:
        """The edited experiment, or None while it does not validate."""
        return self.validation.experiment

    @property
    def dirty(self) -> bool:
        """True when the edits differ from the preset loaded or saved last."""
        return self.validation.experiment != self._baseline

    @property
    def search(self) -> SearchForm | None:
        """The Search tab's form, once the tab has been shown (None before: nothing is searched)."""
        return self._search_form

    @property
    def searching(self) -> bool:
        """True when a field is marked on the Search tab: Ctrl+R starts a search, Ctrl+S saves a sweep."""
        search = self.search
        return search is not None and search.active

    def _fill_search_tab(self, pane_id: str) -> AwaitMount | None:
        """Build and mount the Search tab's form if it is not yet (the form mounts it before the tab shows)."""
        if pane_id != "section-search":
            return None
        if self._search_form is not None:
            return until_mounted(self._search_form)  # a first visit still mounting it
        # Imported and built the first time the tab is shown: the first frame does without it.
        from tuitrain.ui.widgets.search import SearchForm

        data = self.form.to_data()
        name = self.preset_name or str(data.get("name") or "experiment")
        search = SearchForm(self.experiment, data, name=name, base_dir=self.base_dir, id="search-form")
        self._search_form = search
        return self.query_one(f"#{pane_id}").mount(search)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        # Only when the tab was switched to without the form filling it first (``active`` set directly).
        self._fill_search_tab(event.pane.id or "")

    @on(SearchChanged)
    def _search_changed(self, event: SearchChanged) -> None:
        event.stop()
        self.refresh_bindings()

    def revalidate(self) -> Validation:
        """Validate what is in the form now and show the outcome everywhere."""
        data = self.form.to_data()
        self.validation = validation = validate_data(data, self.base_dir, self.data_dir)
        if (search := self.search) is not None:
            search.load_experiment(validation.experiment, data, self.base_dir)
        self.show_validation(validation)
        return validation

    def show_validation(self, validation: Validation) -> None:
        """Show a validation's outcome everywhere: by the fields, in the status line and issue list, on Start."""
        self.form.show_issues(validation.issues)
        self.form.show_output(validation.output_text())
        self.query_one(StatusLine).show(validation)
        self.query_one(IssueList).show(validation.issues)
        self.query_one("#start-button", Button).disabled = not validation.ok
        self._update_title()
        self.refresh_bindings()

    def _update_title(self) -> None:
        name = self.preset_name or "new experiment"
        source = f" ({self.preset_source})" if self.preset_source and self.preset_source != "file" else ""
        self.sub_title = printable(f"{name}{source}{' · modified' if self.dirty else ''}")

    def load_experiment(self, experiment: Experiment, name: str | None, path: Path | None, source: str | None) -> None:
        """Replace the form's content with ``experiment`` (no questions asked: callers ask first)."""
        self._baseline = experiment
        self.preset_name, self.preset_path, self.preset_source = name, path, source
        self.form.load_model(experiment)
        self.presets.mark_current(name)
        self.revalidate()

    @on(FormEdited)
    def _edited(self, event: FormEdited) -> None:
        event.stop()
        self.revalidate()

    @on(DataFolderField.Changed)
    def _data_folder_edited(self, event: DataFolderField.Changed) -> None:
        event.stop()
        self.data_dir = event.folder
        self.revalidate()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Start shows as disabled while the experiment has errors; "Start search" replaces it while searching."""
        if action == "start":
            return False if self.searching else (True if self.validation.ok else None)
        if action == "start_search":
            search = self.search
            return (True if search.ok else None) if search is not None and search.active else False
        return True

    # ------------------------------------------------------------------ start

    def action_start(self) -> None:
        """Ask the app to start training the edited experiment (or its search, when fields are searched).

        The data files are looked for again first: one may have appeared or gone since the last edit.
        """
        if (search := self.search) is not None and search.active:
            search.request_start()  # posts SearchRequested: the app starts the sweep
            return
        validation = self.revalidate()
        experiment = validation.experiment
        if experiment is None or not validation.ok:
            self.notify("Fix the errors listed at the bottom before starting.", severity="error")
            return
        self.post_message(self.RunRequested(experiment, self.base_dir, self.data_dir))

    def action_find_learning_rate(self) -> None:
        """Ask the app to run a learning-rate range test of the edited experiment (needs no errors)."""
        experiment = self.validation.experiment
        if experiment is None or not self.validation.ok:
            self.notify("Fix the errors listed at the bottom before finding a learning rate.", severity="error")
            return
        self.post_message(self.LearningRateSearchRequested(experiment, self.base_dir, self.data_dir))

    def apply_learning_rate(self, rate: float) -> None:
        """Put ``rate`` into the optimizer's learning rate, to three significant digits as the test shows it
        (a schedule gives way to the constant rate)."""
        optimizer = dict(self.form.to_data().get("optimizer") or {})
        optimizer["learning_rate"] = float(f"{rate:.3g}")
        self.form.set_part_data("optimizer", optimizer)
        self.revalidate()
        self.notify(f"Learning rate set to {rate:.3g} (from the range test).", timeout=5)

    def action_start_search(self) -> None:
        """Ask the app to start the search described on the Search tab."""
        self.action_start()

    @on(Button.Pressed, "#start-button")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    # ------------------------------------------------------------------ presets

    async def confirm_discard(self, doing: str) -> bool:
        """True if there are no unsaved edits, or the user agrees to lose them (call from a worker)."""
        if not self.dirty:
            return True
        name = printable(self.preset_name or "this experiment")
        return bool(
            await self.app.push_screen_wait(
                ConfirmDialog(
                    f"You have unsaved changes to {name}. Discard them and {doing}?",
                    yes="Discard",
                    no="Keep editing",
                )
            )
        )

    @on(PresetPanel.Chosen)
    def _preset_chosen(self, event: PresetPanel.Chosen) -> None:
        event.stop()
        self.choose_preset(event.info)

    @work(exclusive=True, group="setup-dialog")
    async def choose_preset(self, info: presets.PresetInfo) -> None:
        """Load a listed preset, asking first if that would discard edits."""
        if info.error:
            self.notify(
                printable(f"{info.name} can't be loaded: {info.error}"), severity="error", timeout=8, markup=False
            )
            return
        if not await self.confirm_discard(f"load {printable(info.name)}"):
            return
        try:
            experiment = read_for_editing(info.path)
        except presets.PresetError as exc:
            self.notify(
                printable(exc.issues[0]),
                title=f"{printable(info.name)} can't be loaded",
                severity="error",
                timeout=8,
                markup=False,
            )
            return
        self.load_experiment(experiment, info.name, info.path, info.source)
        if self.has_class("-narrow"):
            self.presets.remove_class("-open")
            self.form.focus_tabs()
        self.notify(f"Loaded {printable(info.name)}.", timeout=3, markup=False)

    def action_find_preset(self) -> None:
        """Show the preset list (it is folded away on narrow terminals) and focus its filter."""
        panel = self.presets
        if self.has_class("-narrow") and panel.has_class("-open") and panel.has_focus_within:
            panel.remove_class("-open")
            self.form.focus_tabs()
            return
        panel.add_class("-open")
        panel.query_one("#preset-filter").focus()

    @work(exclusive=True, group="setup-dialog")
    async def action_open_file(self) -> None:
        """Load a preset from a file path typed in a dialog."""

        def check(text: str) -> str | None:
            if not text:
                return "type the path of a .toml, .json or .yaml preset"
            try:
                read_for_editing(Path(text).expanduser())
            except presets.PresetError as exc:
                return printable("; ".join(str(i) for i in exc.issues[:3]))
            return None

        answer = await self.app.push_screen_wait(
            PromptDialog(
                "Open a preset file",
                str(Path.cwd()) + "/",
                check=check,
                placeholder="path/to/preset.toml",
                help="TOML, JSON or YAML; relative paths are from the current folder.",
                submit="open",
                path=True,
            )
        )
        if answer is None:
            return
        path = Path(answer).expanduser()
        if not await self.confirm_discard(f"open {printable(path.name)}"):
            return
        try:
            experiment = read_for_editing(path)
        except presets.PresetError as exc:  # the file changed since the dialog checked it
            self.notify(printable(exc.issues[0]), severity="error", markup=False)
            return
        self.load_experiment(experiment, path.stem, path.resolve(), "file")
        self.notify(f"Loaded {printable(path)}.", timeout=3, markup=False)

    @work(exclusive=True, group="setup-dialog")
    async def action_save_preset(self) -> None:
        """Save the edited experiment as a user preset, or the search as a sweep preset while fields are searched
        (asks for a name; asks before overwriting)."""
        if (search := self.search) is not None and search.active:
            await search.save_preset()
            return
        experiment = self.validation.experiment
        if experiment is None or self.validation.errors:
            self.notify("Fix the errors first: a preset with errors can't be run.", severity="error")
            return
        suggested = self.preset_name if self.preset_source == "user" else f"my-{self.preset_name or experiment.name}"
        name = await self.app.push_screen_wait(
            PromptDialog(
                "Save as user preset",
                suggested or "",
                check=preset_name_problem,
                placeholder="preset name",
                help=f"Saved in {presets.user_dir()}; letters, digits, '-', '_' and '.'.",
                submit="save",
            )
        )
        if name is None:
            return
        overwrite = False
        if (presets.user_dir() / f"{name}.toml").exists():
            if not await self.app.push_screen_wait(
                ConfirmDialog(f"User preset {name!r} exists. Overwrite it?", yes="Overwrite", no="Cancel")
            ):
                return
            overwrite = True
        saved = experiment.model_copy(update={"name": name})
        try:
            path = presets.save(saved, name, overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self.notify(printable(exc), title="Not saved", severity="error", timeout=8, markup=False)
            return
        self.load_experiment(saved, name, path, "user")
        self.presets.reload()
        self.notify(f"Saved {printable(path)}.", timeout=4, markup=False)

    # ------------------------------------------------------------------ navigation

    async def action_step_section(self, step: int) -> None:
        """Go to the next or previous section of the form (once its fields are mounted)."""
        self.form.focus_tabs()
        await self.form.step_section(step)

    def action_focus_issues(self) -> None:
        """Focus the list of issues (Enter on one jumps to its field)."""
        issues = self.query_one(IssueList)
        if issues.display:
            issues.focus()
        else:
            self.notify("No errors or warnings.", timeout=3)

    @on(IssueList.Chosen)
    async def _issue_chosen(self, event: IssueList.Chosen) -> None:
        event.stop()
        await self.form.focus_path(event.issue.path)

    def palette_commands(self) -> list[SystemCommand]:
        """Extra command-palette entries: one per form section."""
        return [SystemCommand(f"Go to {s.label}", s.intro, lambda sid=s.id: self._go_to_section(sid)) for s in SECTIONS]

    async def _go_to_section(self, section_id: str) -> None:
        self.form.focus_tabs()
        await self.form.show_section(section_id)

    # ------------------------------------------------------------------ help

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Show the focused field's description in the help bar."""
        # The nearest widget that describes itself: a form field, or the data folder.
        owner = next((w for w in [event.widget, *event.widget.ancestors] if getattr(w, "help_text", "")), None)
        text = str(getattr(owner, "help_text", ""))
        if not text and event.widget.id in ("preset-list", "preset-filter"):
            text = "Type to filter presets; Enter loads the highlighted one (unsaved edits are asked about first)."
        help_bar = self.query_one("#help-bar", Static)
        help_bar.update(text)
        help_bar.set_class(not text, "-empty")

    def action_field_help(self) -> None:
        """Show the focused field's whole description, which the help bar cuts at two lines."""
        text = self.query_one("#help-bar", Static).content
        if not str(text):
            self.notify("Focus a field first: F1 shows all of its description.", timeout=4)
            return
        self.notify(str(text), title="Help", timeout=20, markup=False)

    # ------------------------------------------------------------------ quitting

    async def can_quit(self) -> bool:
        """Asked by the app before quitting: unsaved edits need a yes (call from a worker)."""
        return await self.confirm_discard("quit")

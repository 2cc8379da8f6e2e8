"""The whole experiment as tabbed forms grouped like the spec, with issues routed to their fields."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import VerticalScroll
from textual.widget import AwaitMount, Widget
from textual.widgets import Button, Static, TabbedContent, TabPane, Tabs

from tuitrain.spec import Experiment, ModelSpec
from tuitrain.spec.errors import SpecIssue
from tuitrain.ui.specmeta import ListMeta, NestedMeta, describe_field
from tuitrain.ui.widgets.fields import FormPart, PartMounted
from tuitrain.ui.widgets.forms import ModelForm, join_path, make_part
from tuitrain.ui.widgets.layers import LayerStack

_MODELS: dict[str, type[BaseModel]] = {"": Experiment, "model": ModelSpec}


@dataclass(frozen=True)
class Section:
    """One tab of the form: an id, its label and the spec fields it holds as (table, field) pairs."""

    id: str
    label: str
    fields: tuple[tuple[str, str], ...]
    intro: str = ""
    actions: tuple[tuple[str, str, str], ...] = ()
    """Buttons above the fields: (id, label, action), the action run as a Textual action string."""


SECTIONS: tuple[Section, ...] = (
    Section("data", "Data", (("", "name"), ("", "description"), ("", "dataset")), "What to train on."),
    Section(
        "layers",
        "Layers",
        (("model", "layers"), ("model", "output")),
        "The network: hidden layers, then the output layer.",
    ),
    Section(
        "optimizer",
        "Optimizer",
        (("", "optimizer"),),
        "How the weights are updated, and how fast.",
        (("find-lr-button", "Find learning rate (^g)", "screen.find_learning_rate"),),
    ),
    Section("loss", "Loss", (("", "loss"), ("", "huber_delta"), ("", "metrics")), "What training minimises."),
    Section(
        "init",
        "Init/Reg",
        (("model", "kernel_initializer"), ("model", "bias_initializer"), ("model", "kernel_regularizer")),
        "Defaults for every Dense layer (a layer can override them on the Layers tab).",
    ),
    Section("training", "Training", (("", "training"),), "How long and in what batches to train."),
    Section(
        "stopping",
        "Stopping",
        (("", "early_stopping"), ("", "overfitting")),
        "When to stop, and when the dashboard calls a run overfitting.",
    ),
)


def _within(path: str, target: str) -> bool:
    return path == target or path.startswith((target + ".", target + "["))


def route_issues(issues: list[SpecIssue], targets: list[str]) -> dict[str | None, list[SpecIssue]]:
    """Give each issue to the deepest target path that contains it (None: no field owns it)."""
    routed: dict[str | None, list[SpecIssue]] = {}
    for issue in issues:
        owners = [t for t in targets if _within(issue.path, t)]
        owner = max(owners, key=len) if owners else None
        routed.setdefault(owner, []).append(issue)
    return routed


def get_in(data: Any, path: str) -> Any:
    """The value at a dotted path of plain data (None where missing)."""
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def set_in(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path, creating tables on the way."""
    *heads, last = path.split(".")
    for key in heads:
        data = data.setdefault(key, {})
    data[last] = value


def until_mounted(widget: Widget | None) -> AwaitMount | None:
    """Something to await until ``widget``, whose mount has begun, is mounted (None: it is, or there is none)."""
    if widget is None or widget.is_mounted or widget.parent is None:
        return None
    return AwaitMount(widget.parent, [widget])  # type: ignore[arg-type]


TabFiller = Callable[[str], AwaitMount | None]
"""Mounts the content of the tab whose pane id it is given, if not yet; None when there is nothing to wait for."""


class SectionTabs(TabbedContent):
    """Tabs whose content is mounted before a tab is shown, so that a first visit shows its fields at
    once instead of an empty tab a moment before them.

    A tab picked on the tab row (keys, mouse) waits here, with the screen's repaints held, until
    ``fill`` has mounted its content; then Textual switches to it. Setting ``active`` switches at once:
    :meth:`ExperimentForm.show_section` fills the tab first.
    """

    def __init__(self, *panes: TabPane, fill: TabFiller, initial: str = "", id: str | None = None) -> None:
        super().__init__(*panes, initial=initial, id=id)
        self._fill = fill

    @on(Tabs.TabActivated)
    async def _fill_before_switching(self, event: Tabs.TabActivated) -> None:
        # Runs before TabbedContent's own handler (a subclass's handlers come first), which switches.
        if event.tabs.parent is not self:
            return  # a TabbedContent nested in a tab
        mounting = self._fill(self.get_pane(event.tab).id or "")
        if mounting is not None:
            with self.app.batch_update():  # no frame with the new tab and its old, empty content
                await mounting


class ExperimentForm(Widget):
    """Owns a whole Experiment: one tab per section of the spec, fields generated from its models.

    ``load_model`` shows an experiment without posting edits; ``to_data`` returns the current,
    possibly invalid, data; ``show_issues`` puts each issue next to the field it names.
    """

    DEFAULT_CSS = """
    ExperimentForm {
        height: 1fr;
    }
    ExperimentForm TabbedContent {
        height: 1fr;
    }
    ExperimentForm TabPane {
        padding: 0;
        height: 1fr;
    }
    ExperimentForm .section-scroll {
        height: 1fr;
        padding: 0 1;
    }
    ExperimentForm .section-intro {
        color: $text-muted;
        margin-bottom: 1;
    }
    ExperimentForm #derived-output {
        margin: 1 0 0 0;
        padding-left: 2;
    }
    """

    def __init__(
        self,
        experiment: Experiment,
        *,
        extras: dict[str, list[Widget]] | None = None,
        extra_tabs: tuple[tuple[str, str], ...] = (),
        fill_extra_tab: TabFiller | None = None,
        id: str | None = None,
    ) -> None:
        """``extras``: widgets that are not spec fields, by section id, shown after that section's fields.
        ``fill_extra_tab``: mounts an extra tab's content (given its pane id) before it is first shown."""
        super().__init__(id=id)
        self.extra_tabs = extra_tabs
        """(id, label) of tabs after the spec's sections, left empty for the screen to fill (``#section-<id>``)."""
        self._fill_extra_tab = fill_extra_tab
        self._data = experiment.model_dump(mode="python")
        self._extras = extras or {}
        self._output = Static("", id="derived-output", markup=False)
        # A section's parts are built when it is first needed (its tab shown, or a field in it looked
        # for), then mounted: until then ``to_data`` reads that section from ``_data``. Building every
        # part up front cost the first frame; mounting every tab in the background after it cost four
        # times the first frame's CPU. Any Section in SECTIONS takes part; nothing here names one.
        self._built: dict[str, list[FormPart]] = {}
        self._mounted: set[str] = set()
        self._scrolls: dict[str, VerticalScroll] = {}
        self._issues: list[SpecIssue] = []
        self._reroute_pending = False
        self._pending_tab: str | None = None
        """The pane id of the tab that ``show_section`` switches to once it is filled (None: none)."""

    def compose(self) -> ComposeResult:
        with SectionTabs(fill=self._fill_tab, id="sections", initial=f"section-{SECTIONS[0].id}"):
            for section in SECTIONS:
                # Every pane starts empty (nothing to style for a hidden tab) until ``ensure_section``
                # fills it: the first tab's on mount (its fields' editors take their values once
                # mounted, before anything can be typed), the others before they are first shown.
                yield TabPane(section.label, id=f"section-{section.id}")
            for tab_id, label in self.extra_tabs:
                yield TabPane(label, id=f"section-{tab_id}")

    def on_mount(self) -> None:
        self.ensure_section(SECTIONS[0].id)

    def _build(self, section_id: str) -> list[FormPart]:
        """The section's root parts, built on first use from the data held."""
        parts = self._built.get(section_id)
        if parts is None:
            section = next(s for s in SECTIONS if s.id == section_id)
            parts = self._built[section_id] = [self._root_part(table, name) for table, name in section.fields]
        return parts

    def _section_scroll(self, section: Section) -> VerticalScroll:
        """The scrolling content of a section's tab: its intro, buttons, fields and extras (marked mounted)."""
        self._mounted.add(section.id)
        widgets: list[Widget] = [Static(section.intro, classes="section-intro")]
        widgets += [
            Button(label, id=button_id, action=action, compact=True) for button_id, label, action in section.actions
        ]
        for part in self._build(section.id):
            widgets.append(part)
            if part.field_name == "layers":
                widgets.append(self._output)
        widgets += self._extras.get(section.id, [])
        scroll = VerticalScroll(*widgets, id=f"scroll-{section.id}", classes="section-scroll")
        scroll.can_focus = False  # Tab goes from the section tabs straight to the first field
        self._scrolls[section.id] = scroll
        return scroll

    def ensure_section(self, section_id: str) -> AwaitMount | None:
        """Build and mount a section's fields if they are not yet; await the result to wait for them.

        An extra tab (not a spec section) is the screen's to fill: nothing is mounted for it here.
        """
        section = next((s for s in SECTIONS if s.id == section_id), None)
        if section is None:
            return None
        if section_id in self._mounted:
            return until_mounted(self._scrolls.get(section_id))
        return self.query_one(f"#section-{section_id}", TabPane).mount(self._section_scroll(section))

    def _fill_tab(self, pane_id: str) -> AwaitMount | None:
        """Mount a tab's content if it is not yet: a section's fields, or an extra tab's content."""
        section_id = pane_id.removeprefix("section-")
        if any(s.id == section_id for s in SECTIONS):
            return self.ensure_section(section_id)
        return self._fill_extra_tab(pane_id) if self._fill_extra_tab is not None else None

    @property
    def mounted_sections(self) -> set[str]:
        """Ids of the sections whose fields are mounted."""
        return set(self._mounted)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Only when the tab was switched to without being filled first (``active`` set directly).
        pane_id = event.pane.id or ""
        self.ensure_section(pane_id.removeprefix("section-"))

    def _root_part(self, table: str, name: str) -> FormPart:
        meta = describe_field(_MODELS[table], name)
        path = join_path(table, name)
        value = get_in(self._data, path)
        if isinstance(meta, NestedMeta):
            # A section's own table needs no heading (the tab says it); nested ones keep theirs.
            title = None if len(self._section_of(path).fields) == 1 else meta.name
            return ModelForm(meta.model, path, value, title=title, description=meta.description if title else "")
        if isinstance(meta, ListMeta):
            return LayerStack(meta, path, value if isinstance(value, list) else [])
        return make_part(meta, path, value)

    @staticmethod
    def _section_of(path: str) -> Section:
        """The section that holds the field at ``path`` (or a field inside it)."""
        for section in SECTIONS:
            if any(_within(path, join_path(t, n)) for t, n in section.fields):
                return section
        raise KeyError(path)

    # ------------------------------------------------------------------ data

    @property
    def _roots(self) -> list[FormPart]:
        """Every root part built so far."""
        return [part for parts in self._built.values() for part in parts]

    def to_data(self) -> dict[str, Any]:
        """The experiment as plain data, exactly as edited (it may not validate)."""
        data: dict[str, Any] = {}
        for section in SECTIONS:
            built = self._built.get(section.id)
            if built is not None:
                for part in built:
                    set_in(data, part.path, part.to_data())
                continue
            for table, name in section.fields:  # not built: nothing in it was edited
                path = join_path(table, name)
                set_in(data, path, copy.deepcopy(get_in(self._data, path)))
        return data

    def set_part_data(self, path: str, value: Any) -> None:
        """Show ``value`` in the top-level part at ``path`` (e.g. "optimizer") without posting edits."""
        set_in(self._data, path, copy.deepcopy(value))  # what an unbuilt section shows once built
        for part in self._roots:
            if part.path == path:
                part.load_data(value)

    def load_model(self, experiment: Experiment) -> None:
        """Show ``experiment`` in every field without posting edits."""
        self._data = experiment.model_dump(mode="python")
        for part in self._roots:
            part.load_data(get_in(self._data, part.path))

    # ------------------------------------------------------------------ issues

    @property
    def layer_stack(self) -> LayerStack:
        """The layer stack editor (built now if its section was not yet)."""
        section = self._section_of(join_path("model", "layers"))
        return next(p for p in self._build(section.id) if isinstance(p, LayerStack))

    def issue_targets(self) -> dict[str, FormPart]:
        """Every part that shows issues, by the spec path it owns."""
        # Only the spec's sections: an extra tab (the search) routes its own forms' issues.
        return {p.issue_path: p for p in self.query(".section-scroll FormPart") if p.issue_path is not None}

    def show_issues(self, issues: list[SpecIssue]) -> None:
        """Show every issue next to its field; the layer list marks layers with problems."""
        self._issues = list(issues)
        targets = self.issue_targets()
        routed = route_issues(issues, list(targets))
        for path, part in targets.items():
            part.show_issues(routed.get(path, []))
        for part in self._roots:
            if isinstance(part, LayerStack):
                part.mark_layers(issues)  # once built; building it routes the issues again

    def on_part_mounted(self, event: PartMounted) -> None:
        """New fields appeared: route the current issues again once they are all in place."""
        event.stop()
        if not self._reroute_pending:
            self._reroute_pending = True
            self.call_after_refresh(self._reroute)

    def _reroute(self) -> None:
        self._reroute_pending = False
        self.show_issues(self._issues)

    def show_output(self, text: str) -> None:
        """Show the derived output layer and parameter count under the layer stack."""
        self._output.update(text)

    @property
    def output_text(self) -> str:
        """The derived output layer and parameter count as shown under the layer stack."""
        return str(self._output.content)

    # ------------------------------------------------------------------ navigation

    def focus_tabs(self) -> None:
        """Focus the row of section tabs (left/right switch sections)."""
        self.query_one(Tabs).focus()

    def show_section(self, section_id: str) -> AwaitComplete:
        """Switch to a section's (or an extra tab's) tab; await the result to wait for the switch.

        A tab shown for the first time switches once its content is mounted, with the screen's repaints
        held meanwhile: the first frame that shows the tab shows its fields. A tab already filled
        switches at once.
        """
        pane_id = f"section-{section_id}"
        tabs = self.query_one(SectionTabs)
        mounting = self._fill_tab(pane_id)
        if mounting is None:
            tabs.active = pane_id
            return AwaitComplete.nothing()
        self._pending_tab = pane_id

        async def switch_when_mounted() -> None:
            with self.app.batch_update():
                await mounting
                if self._pending_tab == pane_id:  # not overtaken by a later switch
                    tabs.active = pane_id
                    self._pending_tab = None
            # The new fields give their editors their values after the next refresh (a Select takes
            # its value on mount): done when the callbacks queued after theirs run.
            refreshed = asyncio.get_running_loop().create_future()
            self.call_after_refresh(refreshed.set_result, None)
            await refreshed

        return AwaitComplete(switch_when_mounted())

    def step_section(self, step: int) -> AwaitComplete:
        """Go to the next (1) or previous (-1) section (from the one being switched to, if any)."""
        ids = [f"section-{s.id}" for s in SECTIONS] + [f"section-{tab_id}" for tab_id, _ in self.extra_tabs]
        shown = self._pending_tab or self.query_one(SectionTabs).active
        current = ids.index(shown) if shown in ids else 0
        return self.show_section(ids[(current + step) % len(ids)].removeprefix("section-"))

    async def reveal(self, path: str) -> FormPart | None:
        """Show the field that ``path`` names: its tab, and its layer if it is in one. Returns its part."""
        try:
            section = self._section_of(path)
        except KeyError:
            return None
        await self.show_section(section.id)
        stack = self.layer_stack
        prefix = f"{stack.path}["
        if path.startswith(prefix):
            index_text = path[len(prefix) :].split("]", 1)[0]
            if index_text.isdigit():
                mounting = stack.select_layer(int(index_text))
                if mounting is not None:
                    await mounting  # the layer's fields must exist before one can be found
        targets = self.issue_targets()
        owners = [t for t in targets if _within(path, t)]
        return targets[max(owners, key=len)] if owners else None

    async def focus_path(self, path: str) -> None:
        """Show the field that ``path`` names and focus its editor."""
        part = await self.reveal(path)
        if part is not None:
            self.call_after_refresh(self._focus_part, part)

    @staticmethod
    def _focus_part(part: FormPart) -> None:
        if part.focus_editor():
            part.scroll_visible()

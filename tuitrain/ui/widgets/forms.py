"""Forms generated from the spec: a table of fields, and a field that is one of several shapes."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Label, Select, Static

from tuitrain.ui.specmeta import (
    ChoiceMeta,
    FormField,
    NestedMeta,
    ScalarMeta,
    Variant,
    as_dict,
    fields_of,
    variant_data,
    variant_of,
)
from tuitrain.ui.widgets.fields import EDITOR_CHANGES, FormEdited, FormPart, ScalarField, picker_width


def join_path(base: str, name: str) -> str:
    """``base.name``, or ``name`` at the top level."""
    return f"{base}.{name}" if base else name


INDENT = 2
"""Columns each nested group is indented by."""


def make_part(meta: FormField, path: str, value: Any, indent: int = 0) -> FormPart:
    """The form part for one described field at ``path``, showing ``value``, ``indent`` columns in.

    A list of variants (the model's layers) is not made here: it is a form section of its own, built
    by :class:`~tuitrain.ui.widgets.experiment_form.ExperimentForm` as a
    :class:`~tuitrain.ui.widgets.layers.LayerStack` (which builds ChoiceForms, so this module must not
    import it).
    """
    if isinstance(meta, ScalarMeta):
        return ScalarField(meta, path, value, indent=indent)
    if isinstance(meta, ChoiceMeta):
        return ChoiceForm(meta, path, value, indent=indent)
    if isinstance(meta, NestedMeta):
        return ModelForm(meta.model, path, value, title=meta.name, description=meta.description, indent=indent)
    raise TypeError(f"no form part for {meta!r}")


@cache
def _accepts(model: type[BaseModel], tag_field: str, tag: str, name: str, probe: Any) -> bool:
    """Whether ``name`` may be set for this tag (stddev only for random_normal...), asked of the spec."""
    try:
        model.model_validate({tag_field: tag, name: probe})
    except ValidationError:
        return False
    return True


class ModelForm(FormPart):
    """The fields of one spec table, generated from its model; an optional title heads the group."""

    DEFAULT_CSS = """
    ModelForm > .form-title {
        text-style: bold;
        margin-top: 1;
    }
    ModelForm > .form-description {
        color: $text-muted;
        padding-left: 2;
    }
    ModelForm > .form-body {
        height: auto;
    }
    ModelForm.-titled > .form-body {
        padding-left: 2;  /* = INDENT */
    }
    ModelForm .more-toggle {
        margin-left: 0;
        min-width: 0;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        model: type[BaseModel],
        path: str,
        value: Any,
        *,
        fields: tuple[FormField, ...] | None = None,
        title: str | None = None,
        description: str = "",
        issue_target: bool = True,
        indent: int = 0,
    ) -> None:
        super().__init__(path, issue_target=issue_target, indent=indent)
        self.model = model
        self._value = as_dict(value)
        self._title = title
        self._description = description
        self.set_class(bool(title), "-titled")
        fields = fields if fields is not None else _all_fields(model)
        inner = indent + (INDENT if title else 0)
        # Parts exist before they are mounted: an unmounted part still holds and returns its value.
        self._parts = [make_part(m, join_path(path, m.name), self._value.get(m.name), inner) for m in fields]
        overrides = [p for p, m in zip(self._parts, fields, strict=True) if _is_override(m)]
        # Several optional overrides (a layer's own initializers and penalties) fold away behind one
        # button until used: they are rarely changed, and each costs start-up time and screen space.
        self._folded: list[FormPart] = overrides if len(overrides) >= 2 else []
        self.expanded = not self._folded or any(p.to_data() is not None for p in self._folded)

    def compose(self) -> ComposeResult:
        if self._title:
            yield Label(self._title, classes="form-title")
            if self._description:
                yield Static(self._description, classes="form-description", markup=False)
        shown = self._parts if self.expanded else [p for p in self._parts if p not in self._folded]
        with Vertical(classes="form-body"):
            yield from shown
            if not self.expanded:
                toggle = Button(f"▸ {len(self._folded)} optional overrides", classes="more-toggle", compact=True)
                toggle.tooltip = "Show " + ", ".join(p.field_name for p in self._folded)
                yield toggle

    @on(Button.Pressed, ".more-toggle")
    async def _expand(self, event: Button.Pressed) -> None:
        event.stop()
        await self.expand()

    async def expand(self) -> None:
        """Show the folded override fields."""
        if self.expanded:
            return
        self.expanded = True
        body = self.query_one(".form-body", Vertical)
        toggle = body.query_children(".more-toggle")
        await body.mount_all(self._folded, before=toggle.first() if toggle else None)
        await toggle.remove()
        self._folded[0].focus_editor()

    def issue_anchor(self) -> Widget | None:
        """Issues go under the title, above the fields."""
        return self.query_one(".form-body")

    def parts(self) -> list[FormPart]:
        """The direct field parts of this form (folded ones included)."""
        return list(self._parts)

    def to_data(self) -> dict[str, Any]:
        """The table as a dict of field name to value."""
        return {part.field_name: part.to_data() for part in self._parts}

    def load_data(self, value: Any) -> None:
        """Show ``value`` (a dict or model) in every field."""
        self._value = as_dict(value)
        for part in self._parts:
            part.load_data(self._value.get(part.field_name))
        if not self.expanded and any(p.to_data() is not None for p in self._folded):
            # A loaded override must never hide behind the fold.
            if self.is_mounted:
                self.call_later(self.expand)
            else:
                self.expanded = True


def _is_override(meta: FormField) -> bool:
    """An optional choice whose empty value means "use the default" (a layer's own initializer...)."""
    return isinstance(meta, ChoiceMeta) and any(v.kind == "none" for v in meta.variants)


def _all_fields(model: type[BaseModel]) -> tuple[FormField, ...]:
    from tuitrain.ui.specmeta import describe_model

    return describe_model(model)


class ChoiceForm(FormPart):
    """A field that is one of several shapes: a picker for the shape, then that shape's fields.

    Switching the picker swaps the sub-form and keeps every value the new shape shares with the old
    one (the learning rate when Adam becomes AdamW, the activation when a Dense layer becomes an
    Activation layer).
    """

    DEFAULT_CSS = """
    ChoiceForm > .field-row {
        height: auto;
    }
    ChoiceForm .field-label {
        padding-right: 1;
    }
    ChoiceForm .choice-picker {
        width: 26;
    }
    ChoiceForm > .field-description {
        padding-left: 2;
        color: $text-muted;
        height: auto;
    }
    ChoiceForm > .choice-body {
        height: auto;
        padding-left: 2;  /* = INDENT */
    }
    ChoiceForm.-no-description > .field-description {
        display: none;
    }
    """

    def __init__(self, meta: ChoiceMeta, path: str, value: Any, *, label: str | None = None, indent: int = 0) -> None:
        super().__init__(path, indent=indent)
        self.meta = meta
        self._label = label if label is not None else meta.name
        self.variant: Variant = variant_of(meta, value)
        self._value = variant_data(meta, self.variant, value)
        self.help_text = f"{meta.name}: {meta.description}" if meta.description else meta.name
        self._body_part: FormPart | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield self.make_label(self._label)
            picker = Select(
                [(v.label, v.label) for v in self.meta.variants],
                value=self.variant.label,
                allow_blank=False,
                compact=True,
                classes="choice-picker",
            )
            picker.styles.width = picker_width(v.label for v in self.meta.variants)
            yield picker
        yield Static(self._variant_description(), classes="field-description", markup=False)
        self._body_part = self._make_body()
        yield Vertical(*([self._body_part] if self._body_part else []), classes="choice-body")

    def _variant_description(self) -> str:
        text = self.variant.description if self.variant.description != self.meta.description else ""
        self.set_class(not text, "-no-description")
        return text

    def _make_body(self) -> FormPart | None:
        variant = self.variant
        if variant.kind == "none":
            return None
        if variant.kind == "scalar":
            assert variant.scalar is not None
            # Its issues have this form's path (optimizer.learning_rate), so this form shows them.
            return ScalarField(
                variant.scalar,
                self.path,
                self._value,
                issue_target=False,
                description=False,
                indent=self.indent + INDENT,
            )
        assert variant.model is not None
        data = as_dict(self._value)
        fields = fields_of(variant, self.meta.tag_field)
        if self.meta.short_form and self.meta.tag_field and variant.tag:
            # Parameters that this name takes, plus any set already (so an error can be seen and fixed).
            fields = tuple(
                f
                for f in fields
                if data.get(f.name) is not None
                or _accepts(variant.model, self.meta.tag_field, variant.tag, f.name, _probe(f))
            )
        if not fields:
            return None
        return ModelForm(variant.model, self.path, data, fields=fields, issue_target=False, indent=self.indent + INDENT)

    def issue_anchor(self) -> Widget | None:
        """Issues go above the sub-form."""
        return self.body

    @property
    def body(self) -> Vertical:
        """The container of the current shape's fields."""
        return self.query_one(".choice-body", Vertical)

    def to_data(self) -> Any:
        """None, a plain value, or a table tagged with its shape (``{"kind": "dropout", ...}``)."""
        variant = self.variant
        if variant.kind == "none":
            return None
        # The body part is held, not looked up: during a swap the old part may still be in the DOM.
        part = self._body_part
        if variant.kind == "scalar":
            return part.to_data() if part is not None else self._value
        data = dict(part.to_data()) if part is not None else dict(as_dict(self._value))
        # A bare-name table keeps the keys it doesn't show (always None) out of the data.
        data = {k: v for k, v in data.items() if not (self.meta.short_form and v is None)}
        if self.meta.tag_field is not None:
            data = {self.meta.tag_field: variant.tag, **data}
        return data

    def load_data(self, value: Any) -> None:
        """Show ``value``: picks its shape and rebuilds the sub-form when the shape differs."""
        variant = variant_of(self.meta, value)
        self._value = variant_data(self.meta, variant, value)
        if not self.is_mounted:
            self.variant = variant
            return
        if variant == self.variant and self._body_part is not None and not self.meta.short_form:
            self._body_part.load_data(self._value)  # same shape: refill it rather than rebuild it
            return
        with self.prevent(*EDITOR_CHANGES):
            self.query_one(".choice-picker", Select).value = variant.label
        self._switch(variant)

    def _switch(self, variant: Variant) -> None:
        self.variant = variant
        self.query_one(".field-description", Static).update(self._variant_description())
        body = self.body
        body.remove_children()
        self._body_part = self._make_body()
        if self._body_part is not None:
            body.mount(self._body_part)

    @on(Select.Changed, ".choice-picker")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL or event.value == self.variant.label:
            return  # the picker announcing its initial value on mount
        variant = self.meta.variant_by_label(str(event.value))
        self._value = variant_data(self.meta, variant, self.to_data())
        self._switch(variant)
        self.post_message(FormEdited(self.path))


def _probe(meta: FormField) -> Any:
    if isinstance(meta, ScalarMeta) and meta.kind in ("float", "int"):
        return 1 if meta.kind == "int" else 1.0
    return getattr(meta, "default", None)

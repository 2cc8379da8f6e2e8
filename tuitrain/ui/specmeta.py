"""Describe the spec's pydantic models as form fields: kind, choices, bounds and help text.

The setup forms are generated from this description instead of being written field by field, so a
field added to the spec shows up in the dashboard with its bounds and its description as help text.
Pure Python: no textual import, so it is testable on its own.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ScalarKind = Literal["int", "float", "str", "bool", "choice", "multi_choice", "int_list", "float_list", "int_or_word"]


@dataclass(frozen=True)
class NumberBounds:
    """The bounds the spec puts on a number: ``low``/``high`` (None: none), each inclusive unless ``*_open``."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def admits(self, value: float) -> bool:
        """True when ``value`` lies inside the bounds."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))


@dataclass(frozen=True)
class ScalarMeta:
    """One plain value: a number, text, a switch, a choice among words, or a short list of them."""

    name: str
    kind: ScalarKind
    description: str = ""
    optional: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""
    default: Any = None
    empty_label: str = "(none)"
    bounds: NumberBounds = NumberBounds()


@dataclass(frozen=True)
class Variant:
    """One choice of a union: nothing (``none``), a plain value (``scalar``) or a table (``model``)."""

    kind: Literal["none", "scalar", "model"]
    label: str
    tag: str | None = None
    model: type[BaseModel] | None = None
    scalar: ScalarMeta | None = None
    description: str = ""


@dataclass(frozen=True)
class ChoiceMeta:
    """A field that is one of several shapes, picked by a tag such as ``kind`` or ``name``.

    ``short_form``: the data may be the bare tag (an initializer written as ``"he_normal"``).
    """

    name: str
    description: str
    tag_field: str | None
    variants: tuple[Variant, ...]
    short_form: bool = False

    def variant_by_label(self, label: str) -> Variant:
        """The variant shown as ``label`` in the picker."""
        return next(v for v in self.variants if v.label == label)


@dataclass(frozen=True)
class NestedMeta:
    """A sub-table that is always present (e.g. ``training.reduce_lr_on_plateau``)."""

    name: str
    description: str
    model: type[BaseModel]


@dataclass(frozen=True)
class ListMeta:
    """A list of tables picked by tag, e.g. ``model.layers``."""

    name: str
    description: str
    item: ChoiceMeta
    max_length: int | None = None


FormField = ScalarMeta | ChoiceMeta | NestedMeta | ListMeta

_EMPTY_RE = re.compile(r"empty\s*=\s*([^.,;(]+)", re.IGNORECASE)


def empty_label(description: str) -> str:
    """What leaving an optional field empty means, from its description ("empty = derived" -> "(derived)")."""
    match = _EMPTY_RE.search(description or "")
    if not match:
        return "(none)"
    # "the model's default" -> "model default": the label has to fit a narrow picker.
    words = match.group(1).strip().removeprefix("the ").replace("'s ", " ")
    return f"({words})"


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else f"{value:g}"


def number_bounds(metadata: list[Any]) -> NumberBounds:
    """The bounds that pydantic metadata (``gt``, ``ge``, ``lt``, ``le``) puts on a number."""
    low = high = None
    low_open = high_open = False
    for item in metadata:
        if isinstance(item, at.Gt):
            low, low_open = item.gt, True
        elif isinstance(item, at.Ge):
            low, low_open = item.ge, False
        elif isinstance(item, at.Lt):
            high, high_open = item.lt, True
        elif isinstance(item, at.Le):
            high, high_open = item.le, False
    return NumberBounds(low, high, low_open, high_open)


def bounds_hint(metadata: list[Any]) -> str:
    """Bounds of a number as a learner reads them: ``> 0``, ``≥ 1``, ``(0, 1)``, ``[1, 100,000]``."""
    bounds = number_bounds(metadata)
    low, high, low_open, high_open = bounds.low, bounds.high, bounds.low_open, bounds.high_open
    if high is not None and high >= 2**31 - 1:
        high = None  # a technical limit (a 32-bit seed), not one a learner needs to see
    if low is not None and high is not None:
        return f"{'(' if low_open else '['}{_num(low)}, {_num(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '≥'} {_num(low)}"
    if high is not None:
        return f"{'<' if high_open else '≤'} {_num(high)}"
    return ""


def first_line(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _split_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            return (rest[0] if len(rest) == 1 else Union[rest]), True  # noqa: UP007 - a runtime union
    return annotation, False


def _unannotate(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated``: the bare type and its metadata (FieldInfo, Tag, bounds...)."""
    meta: list[Any] = []
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        meta.extend(extra)
    return annotation, meta


def _discriminator(meta: list[Any]) -> str | None:
    for item in meta:
        if isinstance(item, FieldInfo) and isinstance(item.discriminator, str):
            return item.discriminator
    return None


def _bound_metadata(meta: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in meta:
        if isinstance(item, FieldInfo):
            out.extend(item.metadata)
        else:
            out.append(item)
    return out


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _literal_values(tp: Any) -> tuple[str, ...]:
    return tuple(str(a) for a in get_args(tp)) if get_origin(tp) is Literal else ()


def _union_members(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)


def _model_variants(members: tuple[Any, ...], tag_field: str) -> list[Variant]:
    variants = []
    for member in members:
        member, _ = _unannotate(member)
        tag = _literal_values(member.model_fields[tag_field].annotation)[0]
        variants.append(Variant("model", tag, tag=tag, model=member, description=first_line(member.__doc__)))
    return variants


def _named_model(tp: type[BaseModel]) -> tuple[str, ...]:
    """Choices of a model whose ``name`` is a Literal of several values (InitializerSpec), else ()."""
    name = tp.model_fields.get("name")
    if name is None:
        return ()
    values = _literal_values(name.annotation)
    return values if len(values) > 1 else ()


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None


def describe_field(model: type[BaseModel], name: str) -> FormField:
    """Describe field ``name`` of ``model`` for a form."""
    info = model.model_fields[name]
    description = info.description or ""
    annotation, optional = _split_optional(info.annotation)
    annotation, meta = _unannotate(annotation)
    bound_meta = info.metadata + _bound_metadata(meta)
    bounds = bounds_hint(bound_meta)
    none_variant = Variant("none", empty_label(description))

    def scalar(
        kind: ScalarKind, choices: tuple[str, ...] = (), hint: str = bounds, limits: list[Any] = bound_meta
    ) -> ScalarMeta:
        return ScalarMeta(
            name,
            kind,
            description,
            optional=optional,
            choices=choices,
            hint=hint,
            default=_default(info),
            empty_label=empty_label(description),
            bounds=number_bounds(limits),
        )

    if annotation is bool:
        return scalar("bool")
    if annotation is int:
        return scalar("int")
    if annotation is float:
        return scalar("float")
    if annotation is str:
        return scalar("str")
    if get_origin(annotation) is Literal:
        return scalar("choice", _literal_values(annotation))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        item, item_meta = _unannotate(item)
        if get_origin(item) is Literal:
            return scalar("multi_choice", _literal_values(item))
        if item is int:
            return scalar("int_list", hint="comma-separated whole numbers")
        if item is float:
            return scalar("float_list", hint="comma-separated numbers")
        tag_field = _discriminator(item_meta)
        if tag_field is None:
            raise TypeError(f"{model.__name__}.{name}: list items need a discriminator")
        max_len = next((m.max_length for m in info.metadata if isinstance(m, at.MaxLen)), None)
        item_meta_obj = ChoiceMeta(
            name, description, tag_field, tuple(_model_variants(_union_members(item), tag_field))
        )
        return ListMeta(name, description, item_meta_obj, max_len)
    if _is_model(annotation):
        choices = _named_model(annotation)
        if not choices:
            return NestedMeta(name, description, annotation)
        variants = [Variant("model", c, tag=c, model=annotation, description=description) for c in choices]
        return ChoiceMeta(name, description, "name", tuple(([none_variant] if optional else []) + variants), True)
    members = _union_members(annotation)
    tag_field = info.discriminator if isinstance(info.discriminator, str) else _discriminator(meta)
    if tag_field is not None:
        variants = _model_variants(members, tag_field)
        return ChoiceMeta(name, description, tag_field, tuple(([none_variant] if optional else []) + variants))
    # A plain value or tagged tables (learning_rate: a number or a schedule), or a number or a word (seed).
    words: tuple[str, ...] = ()
    numbers = []
    tables: list[Variant] = []
    for member in members:
        inner, inner_meta = _unannotate(member)
        if get_origin(inner) is Literal:
            words += _literal_values(inner)
        elif inner in (int, float):
            numbers.append((inner, _bound_metadata(inner_meta)))
        else:
            inner_tag = _discriminator(inner_meta)
            if inner_tag is None:
                raise TypeError(f"{model.__name__}.{name}: unsupported union member {inner!r}")
            tables += _model_variants(_union_members(inner), inner_tag)
            tag_field = inner_tag
    if words and numbers and not tables:
        number_type, number_meta = numbers[0]
        hint = bounds_hint(info.metadata + number_meta)
        return scalar(
            "int_or_word", words, hint=f"{hint} or {' / '.join(words)}".strip(), limits=info.metadata + number_meta
        )
    if len(numbers) == 1 and tables and not words:
        number_type, number_meta = numbers[0]
        value_meta = ScalarMeta(
            "value",
            "int" if number_type is int else "float",
            description,
            hint=bounds_hint(info.metadata + number_meta) or bounds,
            default=_default(info),
            bounds=number_bounds(info.metadata + number_meta + bound_meta),
        )
        constant = Variant("scalar", "constant", scalar=value_meta, description="One fixed value for the whole run.")
        return ChoiceMeta(name, description, tag_field, (constant, *tables))
    raise TypeError(f"{model.__name__}.{name}: can't build a form field for {info.annotation!r}")


@cache
def describe_model(model: type[BaseModel]) -> tuple[FormField, ...]:
    """Every field of ``model`` described for a form, in declaration order."""
    return tuple(describe_field(model, name) for name in model.model_fields)


def fields_of(variant: Variant, tag_field: str | None) -> tuple[FormField, ...]:
    """The fields a variant's sub-form shows: the model's fields without the tag."""
    if variant.model is None:
        return ()
    return tuple(f for f in describe_model(variant.model) if f.name != tag_field)


def field_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Default values of ``model``'s fields as plain data (required fields without a default are left out)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        value = _default(info)
        out[name] = value.model_dump(mode="python") if isinstance(value, BaseModel) else value
    return out


def variant_of(meta: ChoiceMeta, value: Any) -> Variant:
    """Which variant a data value is (None, a number, a bare name or a tagged table)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    none = next((v for v in meta.variants if v.kind == "none"), None)
    if value is None:
        return none or meta.variants[0]
    if isinstance(value, dict):
        tag = value.get(meta.tag_field) if meta.tag_field else None
        return next((v for v in meta.variants if v.kind == "model" and v.tag == tag), _first_model(meta))
    if isinstance(value, str) and meta.short_form:
        return next((v for v in meta.variants if v.tag == value), _first_model(meta))
    return next((v for v in meta.variants if v.kind == "scalar"), meta.variants[0])


def _first_model(meta: ChoiceMeta) -> Variant:
    return next(v for v in meta.variants if v.kind != "none")


def variant_data(meta: ChoiceMeta, variant: Variant, current: Any) -> Any:
    """Starting data for ``variant``: its defaults, with every compatible value of ``current`` kept.

    Switching Adam to AdamW keeps the learning rate and betas; a dense layer turned into an activation
    layer keeps its activation.
    """
    if variant.kind == "none":
        return None
    current_dict: dict[str, Any] = {}
    current_scalar: Any = None
    if isinstance(current, BaseModel):
        current = current.model_dump(mode="python")
    if isinstance(current, dict):
        current_dict = current
    elif current is not None and not (isinstance(current, str) and meta.short_form):
        current_scalar = current
    if variant.kind == "scalar":
        assert variant.scalar is not None
        if current_scalar is not None:
            return current_scalar
        # From a schedule back to a constant: start from its initial rate.
        for key in ("initial_learning_rate",):
            if key in current_dict:
                return current_dict[key]
        return variant.scalar.default
    assert variant.model is not None
    data = field_defaults(variant.model)
    # A named model's parameters belong to its name (stddev only for random_normal...): never carried.
    carried = {} if meta.short_form else current_dict
    for key, value in carried.items():
        if key in variant.model.model_fields and key != meta.tag_field:
            data[key] = value
    if current_scalar is not None and "initial_learning_rate" in variant.model.model_fields:
        data["initial_learning_rate"] = current_scalar
    if meta.tag_field is not None:
        data[meta.tag_field] = variant.tag
    return data


def as_dict(value: Any) -> dict[str, Any]:
    """A table value as a dict (models dumped, anything else empty)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    return value if isinstance(value, dict) else {}


__all__ = [
    "ChoiceMeta",
    "FormField",
    "ListMeta",
    "NestedMeta",
    "NumberBounds",
    "ScalarKind",
    "ScalarMeta",
    "Variant",
    "bounds_hint",
    "describe_field",
    "describe_model",
    "empty_label",
    "field_defaults",
    "fields_of",
    "first_line",
    "number_bounds",
    "variant_data",
    "variant_of",
]

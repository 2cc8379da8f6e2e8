"""The Search tab's model: which fields of an experiment can be searched, a sensible range for each, and the
sweep the tab describes, checked as the sweep package checks every sweep.

* :func:`searchable_fields` walks an experiment with the spec's own metadata (:mod:`tuitrain.ui.specmeta`)
  and lists every number and every choice that changes how a model trains: widths, rates, penalties,
  the optimizer and its settings, activations, initializers, batch size, patience, seeds. What a
  trial is *measured by* (the data set, what is monitored, the overfitting thresholds) is left out.
* :func:`suggested_distribution` prefills a range for a field: the learning rate log-uniform 1e-4..1,
  Adam's betas, momentum and rho on the reverse-log scale, units 8..512 log-int, dropout 0..0.6
  uniform, penalties log-uniform; any other number around its current value, inside its bounds.
* :class:`SearchDraft` holds what the user marked and set, and :meth:`SearchDraft.check` turns it into
  a :class:`~tuitrain.sweep.SweepSpec` resolved against the edited experiment, or the issues that
  stop it (each with the path of the range or setting it is about).

Plain Python, no Textual (the widget is :mod:`tuitrain.ui.widgets.search`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from tuitrain.spec import Experiment
from tuitrain.spec.errors import SpecIssue, quote_key
from tuitrain.sweep.resolve import ResolvedSweep, resolve_sweep
from tuitrain.sweep.spec import SweepError, SweepSpec, sweep_from_data
from tuitrain.ui.specmeta import (
    ChoiceMeta,
    FormField,
    ListMeta,
    NestedMeta,
    NumberBounds,
    ScalarMeta,
    describe_model,
    variant_data,
    variant_of,
)

FieldKind = Literal["float", "int", "choice"]

RANGE_DISTS: dict[str, tuple[str, ...]] = {
    "float": ("log_uniform", "uniform", "reverse_log", "choice"),
    "int": ("log_int", "int", "choice"),
    "choice": ("choice",),
}
"""The distributions each kind of field can be drawn from."""

SKIPPED_TOP = frozenset({"name", "description", "dataset", "metrics", "overfitting"})
"""Top-level fields that are not hyperparameters: what the trials are trained on and measured by."""
SKIPPED_NAMES = frozenset({"monitor", "mode", "restore_best_weights", "mixed_precision"})
"""Fields anywhere that say what is watched, or how, not how a model learns."""
SKIPPED_PATHS = frozenset({"model.output"})
"""The output layer follows from the data set and the loss."""

SETTINGS = ("name", "trials", "parallel", "sampler", "seed")
"""The sweep's own fields the tab edits (with ``objective`` and ``pruner``)."""


@dataclass(frozen=True)
class Searchable:
    """One field of the experiment that a search can vary.

    ``path`` is its ``--set`` path; ``kind`` says how it is drawn ("float" and "int": from a range or a
    list of values; "choice": one of ``options``, each read as its ``labels`` entry, where an option may be
    a whole section such as an optimizer table). ``bounds`` are the spec's limits on a number.
    """

    path: str
    kind: FieldKind
    value: Any
    description: str = ""
    bounds: NumberBounds = field(default_factory=NumberBounds)
    options: tuple[Any, ...] = ()
    labels: tuple[str, ...] = ()
    current: str = ""
    """How its value reads now (a section by its name: ``adam``); empty: the value as text."""

    @property
    def name(self) -> str:
        """The field's own name (``units`` for ``model.layers[0].units``)."""
        return re.sub(r"\[\d+\]$", "", self.path.rsplit(".", 1)[-1])

    @property
    def dists(self) -> tuple[str, ...]:
        """The distributions this field may be drawn from, the usual one first."""
        return RANGE_DISTS[self.kind]

    @property
    def label(self) -> str:
        """A short name for tables: its last two parts (``layers[0].units``, ``optimizer.learning_rate``)."""
        return ".".join(self.path.split(".")[-2:])

    @property
    def now(self) -> str:
        """Its current value as text."""
        return self.current or self.label_of(self.value)

    def label_of(self, value: Any) -> str:
        """How ``value`` reads among the options (the option's label, else the value as text)."""
        for option, label in zip(self.options, self.labels, strict=True):
            if option == value:
                return label
        return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- which fields


def searchable_fields(data: dict[str, Any]) -> list[Searchable]:
    """Every searchable field of the experiment ``data`` (as :meth:`Experiment.model_dump` gives it), in form order."""
    out: list[Searchable] = []
    _walk_model(Experiment, data, "", out)
    return out


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _walk_model(model: type[BaseModel], data: Any, prefix: str, out: list[Searchable], skip: str | None = None) -> None:
    values = data if isinstance(data, dict) else {}
    for meta in describe_model(model):
        path = _join(prefix, meta.name)
        if meta.name == skip or meta.name in SKIPPED_NAMES or path in SKIPPED_PATHS:
            continue
        if not prefix and meta.name in SKIPPED_TOP:
            continue
        _walk_field(meta, path, values.get(meta.name), out)


def _walk_field(meta: FormField, path: str, value: Any, out: list[Searchable]) -> None:
    if isinstance(meta, ScalarMeta):
        found = _scalar(meta, path, value)
        if found is not None:
            out.append(found)
    elif isinstance(meta, NestedMeta):
        _walk_model(meta.model, value, path, out)
    elif isinstance(meta, ListMeta):
        for i, item in enumerate(value if isinstance(value, list) else []):
            variant = variant_of(meta.item, item)
            if variant.model is not None:
                _walk_model(variant.model, item, f"{path}[{i}]", out, skip=meta.item.tag_field)
    elif isinstance(meta, ChoiceMeta):
        _walk_choice(meta, path, value, out)


def _scalar(meta: ScalarMeta, path: str, value: Any) -> Searchable | None:
    if meta.kind in ("int", "float") or (meta.kind == "int_or_word" and type(value) is int):
        kind: FieldKind = "float" if meta.kind == "float" else "int"
        return Searchable(path, kind, value, meta.description, meta.bounds)
    if meta.kind == "bool":
        return Searchable(path, "choice", value, meta.description, options=(False, True), labels=("false", "true"))
    if meta.kind == "choice":
        return Searchable(path, "choice", value, meta.description, options=meta.choices, labels=meta.choices)
    return None  # text, lists: not searched


def _walk_choice(meta: ChoiceMeta, path: str, value: Any, out: list[Searchable]) -> None:
    variant = variant_of(meta, value)
    if variant.kind == "none":
        return  # an override left unset (a layer's own initializer): set it on its tab to search it
    if variant.kind == "scalar":
        assert variant.scalar is not None  # a number or a schedule: the number is searched
        kind: FieldKind = "float" if variant.scalar.kind == "float" else "int"
        out.append(Searchable(path, kind, value, meta.description, variant.scalar.bounds))
        return
    has_number = any(v.kind == "scalar" for v in meta.variants)
    if not has_number:
        # Which optimizer (initializer, penalty): each option a whole section, at its defaults, carrying
        # what it shares with the current one (the learning rate).
        models = [v for v in meta.variants if v.kind == "model"]
        if meta.short_form:  # an initializer is written by its name alone
            options: tuple[Any, ...] = tuple(v.tag for v in models)
        else:
            options = tuple(_without_none(variant_data(meta, v, value)) for v in models)
        labels = tuple(v.label for v in models)
        out.append(
            Searchable(path, "choice", value, meta.description, options=options, labels=labels, current=variant.label)
        )
    if not meta.short_form and variant.model is not None:
        _walk_model(variant.model, value, path, out, skip=meta.tag_field)


def _without_none(data: Any) -> Any:
    """A section's data without its unset fields: the spec's defaults fill them, and TOML has no null."""
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


# ---------------------------------------------------------------- prefilled ranges

NAMED_RANGES: dict[str, tuple[str, float, float]] = {
    "learning_rate": ("log_uniform", 1e-4, 1.0),
    "initial_learning_rate": ("log_uniform", 1e-4, 1.0),
    "beta_1": ("reverse_log", 0.8, 0.999),
    "beta_2": ("reverse_log", 0.99, 0.9999),
    "momentum": ("reverse_log", 0.5, 0.99),
    "rho": ("reverse_log", 0.8, 0.999),
    "units": ("log_int", 8, 512),
    "rate": ("uniform", 0.0, 0.6),
    "l1": ("log_uniform", 1e-6, 1e-2),
    "l2": ("log_uniform", 1e-6, 1e-2),
    "epsilon": ("log_uniform", 1e-8, 1e-3),
    "weight_decay": ("log_uniform", 1e-5, 1e-1),
    "batch_size": ("log_int", 16, 512),
    "factor": ("log_uniform", 0.05, 0.5),
    "clipnorm": ("log_uniform", 0.1, 10.0),
    "min_delta": ("log_uniform", 1e-5, 1e-2),
}
"""Ranges for fields by name: what people search them over, each on its own scale."""

NAMED_CHOICES: dict[str, tuple[Any, ...]] = {
    "activation": ("relu", "tanh", "sigmoid"),
    "kernel_initializer": ("glorot_uniform", "he_normal"),
}
"""Choices prefilled with a few usual options instead of all of them (the current one is always added)."""


def suggested_distribution(field: Searchable) -> dict[str, Any]:
    """A distribution table to prefill for ``field`` (``{"dist": "log_uniform", "low": 1e-4, "high": 1.0}``).

    A named field gets its usual range; any other number a range around its value on a scale that
    suits it; a choice every option. Ranges are kept inside the field's bounds.
    """
    if field.kind == "choice":
        usual = NAMED_CHOICES.get(field.name)
        if usual is None:
            return {"dist": "choice", "values": list(field.options)}
        keep = [o for o in field.options if o in usual or o == field.value]
        return {"dist": "choice", "values": keep if len(keep) > 1 else list(field.options)}
    if field.name == "seed":
        return {"dist": "choice", "values": [0, 1, 2]}
    if field.name in NAMED_RANGES:
        dist, low, high = NAMED_RANGES[field.name]
    else:
        dist, low, high = _around(field)
    low, high = _inside(field.bounds, low, high)
    if field.kind == "int":
        low, high = math.ceil(low), math.floor(high)
        if dist == "log_int":
            low = max(low, 1)
        if low >= high:
            return {"dist": "choice", "values": [field.value]}
        return {"dist": dist, "low": int(low), "high": int(high)}
    if not low < high or (dist != "uniform" and low <= 0):
        dist = "uniform"
    if not low < high:
        return {"dist": "choice", "values": [field.value]}
    return {"dist": dist, "low": _round(low), "high": _round(high)}


def _around(field: Searchable) -> tuple[str, float, float]:
    """A range around the field's value: x0.5..x2 for whole numbers, a decade each way for positive numbers."""
    value = field.value if isinstance(field.value, int | float) and not isinstance(field.value, bool) else None
    bounds = field.bounds
    if field.kind == "int":
        v = int(value) if value is not None else 1
        return "int", max(v // 2, 0), max(v * 2, v + 2)
    if value is not None and value > 0:
        return "log_uniform", value / 10, value * 10
    if bounds.low is not None and bounds.high is not None:
        return "uniform", bounds.low, bounds.high
    return "uniform", 0.0, 1.0


def _inside(bounds: NumberBounds, low: float, high: float) -> tuple[float, float]:
    """``low``..``high`` moved inside the field's bounds (an open bound is kept off by 1% of the range)."""
    if bounds.low is not None and (low < bounds.low or (bounds.low_open and low <= bounds.low)):
        low = bounds.low + (max(high, bounds.low) - bounds.low) * 0.01 if bounds.low_open else bounds.low
    if bounds.high is not None and (high > bounds.high or (bounds.high_open and high >= bounds.high)):
        high = bounds.high - (bounds.high - min(low, bounds.high)) * 0.01 if bounds.high_open else bounds.high
    return low, high


def _round(value: float) -> float:
    """Four significant digits: a prefilled 0.00030000000000000003 reads 0.0003."""
    return float(f"{value:.4g}")


def range_text(table: dict[str, Any]) -> str:
    """A distribution table in a few characters: ``log_uniform 1e-4..1``, ``choice adam, sgd``."""
    dist = table.get("dist", "?")
    if dist == "choice":
        values = table.get("values") or []
        return f"choice of {len(values)}" if len(values) > 3 else "choice " + ", ".join(_option(v) for v in values)
    return f"{dist} {_number(table.get('low'))}..{_number(table.get('high'))}"


def _option(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("kind") or "{...}")
    return _text(value)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def parse_number(text: str, whole: bool) -> Any:
    """An Input's text as the number a range needs (a whole number where ``whole``, else a float); text that is
    not a finite number is passed on as it is, so the check names the problem (``must be a number``)."""
    stripped = text.strip()
    if whole and re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    try:
        number = float(stripped)
    except ValueError:
        return stripped
    return number if math.isfinite(number) else stripped


def parse_values(text: str, kind: FieldKind) -> list[Any]:
    """Comma-separated numbers as a ``choice`` list (``16, 32, 64``); a part that is not a number stays text."""
    return [parse_number(part, kind == "int") for part in text.split(",") if part.strip()]


# ---------------------------------------------------------------- the draft sweep


def sweep_name(base: str) -> str:
    """A sweep name from a preset or experiment name: letters, digits, ``.``, ``_`` and ``-``, ending ``-search``."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.") or "experiment"
    return f"{cleaned[:57]}-search"


@dataclass
class SearchCheck:
    """What the draft amounts to: the sweep (when it can run) and every issue, each with its path in the sweep.

    ``spec`` is the sweep spec with the experiment inlined as its base; ``resolved`` the same checked
    against that base (None while there are errors).
    """

    spec: SweepSpec | None
    resolved: ResolvedSweep | None
    issues: list[SpecIssue]

    @property
    def ok(self) -> bool:
        """True when the sweep can start."""
        return self.resolved is not None and not any(i.severity == "error" for i in self.issues)

    def issues_for(self, path: str) -> list[SpecIssue]:
        """The issues of the searched field ``path`` (about its range, its values, or the path itself)."""
        where = param_where(path)
        return [i for i in self.issues if i.path == where or i.path.startswith((where + ".", where + "["))]


def param_where(path: str) -> str:
    """How the sweep's issues name the range of ``path``: ``space."optimizer.learning_rate"``."""
    return f"space.{quote_key(path)}"


@dataclass
class SearchDraft:
    """The search being edited: the distribution table of every searched field and the sweep's settings.

    ``space`` maps ``--set`` paths to distribution tables as the user edits them (values may still be
    text that is not a number: the check names the problem); ``settings`` holds the sweep's own fields
    (name, trials, parallel, sampler, seed, objective, pruner).
    """

    space: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when nothing is searched: Ctrl+R then trains the experiment once."""
        return not self.space

    def sweep_data(self, base: dict[str, Any]) -> dict[str, Any]:
        """The sweep as the data of a sweep file, with ``base`` (an experiment's data) inlined."""
        data = {k: v for k, v in self.settings.items() if v is not None}
        data["base"] = base
        data["space"] = {path: dict(table) for path, table in self.space.items()}
        return data

    def check(self, experiment: Experiment | None, base_dir: Path | None = None) -> SearchCheck:
        """The draft as a sweep over ``experiment`` (None: the experiment has errors), resolved like any sweep."""
        if experiment is None:
            return SearchCheck(None, None, [SpecIssue("base", "the experiment has errors: fix them on its tabs first")])
        base = experiment.model_dump(mode="json", exclude_none=True)
        try:
            spec = sweep_from_data(self.sweep_data(base), "search")
        except SweepError as exc:
            return SearchCheck(None, None, list(exc.issues))
        try:
            resolved = resolve_sweep(spec, "search", base_dir)
        except SweepError as exc:
            return SearchCheck(spec, None, list(exc.issues))
        return SearchCheck(spec, resolved, list(resolved.warnings))

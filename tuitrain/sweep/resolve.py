"""A sweep spec checked against its base experiment, and the experiment of each trial.

Checked before any trial runs, each problem one line naming the place:

* a space path that is not a field of the base experiment names the closest valid path;
* a range endpoint (or a choice value) that the field refuses is an error *at the range*
  (``space."optimizer.beta_1".high: must be < 1.0, got 1.0``), using the experiment spec's own bounds;
* an objective metric the trials will not log.

A trial's values are applied to the base by the same code that applies ``--set`` (sections first, so
``optimizer`` chosen as a whole table can then have its ``optimizer.learning_rate`` drawn); an
experiment that then fails validation (a loss that does not fit the chosen output, say) is an
*invalid trial* with its one-line reason, never a crash.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuitrain import presets
from tuitrain.analysis import resolve_mode
from tuitrain.launcher import absolute_npz
from tuitrain.spec import Experiment
from tuitrain.spec.checks import check_experiment
from tuitrain.spec.errors import SpecIssue, quote_key
from tuitrain.sweep.space import Choice, _IntRange
from tuitrain.sweep.spec import SweepError, SweepSpec, is_section_choice


@dataclass(frozen=True)
class Param:
    """One searched hyperparameter: its ``--set`` path (text and parsed) and its distribution."""

    name: str
    path: list[str | int]
    dist: Any

    @property
    def where(self) -> str:
        """How errors name it: ``space."optimizer.learning_rate"``."""
        return f"space.{quote_key(self.name)}"


@dataclass
class ResolvedSweep:
    """A sweep whose base is a validated experiment and whose space fits it.

    ``spec`` has its base inlined (the resolved experiment), so the sweep folder does not depend on the
    preset files it came from. ``params`` are in the order they are applied (sections first).
    """

    spec: SweepSpec
    base: Experiment
    base_data: dict[str, Any]
    params: list[Param]
    base_dir: Path | None = None
    warnings: list[SpecIssue] = field(default_factory=list)

    @property
    def direction(self) -> str:
        """ "minimize" or "maximize", as Optuna names the objective's direction."""
        return "maximize" if objective_mode(self.spec) == "max" else "minimize"


def objective_mode(spec: SweepSpec) -> str:
    """ "min" or "max" for the sweep's objective ("auto" resolved as Keras resolves it)."""
    return resolve_mode(spec.objective.metric, spec.objective.mode)


def experiment_data(exp: Experiment) -> dict[str, Any]:
    """An experiment as the plain data ``--set`` paths address (``None`` fields left out: defaults)."""
    return exp.model_dump(mode="json", exclude_none=True)


def _load_base(spec: SweepSpec, source: str, source_dir: Path | None) -> tuple[Experiment, Path | None, str | None]:
    """The base experiment with ``set`` applied, the folder its relative paths are read from, and its origin."""
    if isinstance(spec.base, dict):
        where = f"{source}: base"
        with presets.blaming_overrides(list(spec.set)):
            data = presets.apply_overrides(spec.base, spec.set, source=where)
            exp = presets.experiment_from_data(data, where)
            check = check_experiment(exp, base_dir=source_dir)
            if check.errors:
                raise presets.PresetError(where, check.errors)
        return exp, source_dir, spec.base_from
    ref = spec.base
    path = Path(ref).expanduser()
    if source_dir is not None and not path.is_absolute() and (source_dir / path).is_file():
        ref = str(source_dir / path)  # a file next to the sweep file
    loaded = presets.load(ref, list(spec.set))
    return loaded.experiment, (loaded.path.parent if loaded.path else None), str(loaded.path or spec.base)


def resolve_sweep(spec: SweepSpec, source: str = "<sweep>", source_dir: Path | None = None) -> ResolvedSweep:
    """Check ``spec`` against its base experiment; raise SweepError listing every problem.

    ``source`` names the sweep in errors; ``source_dir`` is the folder of the sweep file (a relative
    base file is looked for there first).
    """
    try:
        base, base_dir, base_from = _load_base(spec, source, source_dir)
    except presets.PresetError as exc:
        raise SweepError(exc.source, exc.issues, exc.sources) from None
    # Inlined into the sweep folder, the base must not depend on where its preset was.
    base = absolute_npz(base, base_dir)
    base_data = experiment_data(base)
    issues: list[SpecIssue] = []
    params: list[Param] = []
    for name, dist in spec.space.items():
        try:
            params.append(Param(name, presets.parse_path(name), dist))
        except ValueError as exc:
            issues.append(SpecIssue(f"space.{quote_key(name)}", f"not a --set path: {exc}"))
    # Sections first: a table chosen whole may then have one of its fields drawn.
    params.sort(key=lambda p: (not is_section_choice(p.dist), len(p.path)))
    variants = _variants(base_data, params)
    known = sorted({path for data in variants for path in _paths(_full(data))})
    for param in params:
        if param.name not in known and not _under_section(param, params):
            close = difflib.get_close_matches(param.name, known, n=1, cutoff=0.5)
            hint = f"the closest valid path is {close[0]!r}" if close else "see 'tuitrain presets show BASE'"
            issues.append(SpecIssue(param.where, f"not a field of the base experiment: {hint}"))
            continue
        issues += _range_issues(param, variants)
    issues += _objective_issues(spec, base, variants)
    if issues:
        raise SweepError(source, issues)
    resolved_spec = spec.model_copy(update={"base": base_data, "set": [], "base_from": base_from})
    return ResolvedSweep(resolved_spec, base, base_data, params, base_dir)


def _variants(base_data: dict[str, Any], params: list[Param]) -> list[dict[str, Any]]:
    """The base, and the base with each value of each section choice applied (where other paths may live)."""
    variants = [base_data]
    for param in params:
        if not is_section_choice(param.dist):
            continue
        for value in param.dist.values:
            data = copy.deepcopy(base_data)
            try:
                presets.set_value(data, param.path, copy.deepcopy(value))
            except presets.PresetError:
                continue  # reported by the range check
            variants.append(data)
    return variants


def _full(data: dict[str, Any]) -> dict[str, Any]:
    """Every field of the experiment ``data`` describes, defaults included (the data itself if invalid)."""
    try:
        return presets.experiment_from_data(data).model_dump(mode="json")
    except presets.PresetError:
        return data


def _under_section(param: Param, params: list[Param]) -> bool:
    return any(
        other is not param and is_section_choice(other.dist) and param.path[: len(other.path)] == other.path
        for other in params
    )


def _paths(node: Any, prefix: str = "") -> list[str]:
    """Every path ``--set`` can address in ``node``: tables, list items and plain values."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, f"{prefix}[{i}]")
    return out


def _endpoints(dist: Any) -> list[tuple[str, Any]]:
    if isinstance(dist, Choice):
        return [(f"values[{i}]", v) for i, v in enumerate(dist.values)]
    return [("low", dist.low), ("high", dist.high)]


def _range_issues(param: Param, variants: list[dict[str, Any]]) -> list[SpecIssue]:
    """The endpoints (or choice values) the field refuses, each named at the range."""
    issues: list[SpecIssue] = []
    for label, value in _endpoints(param.dist):
        problem = None
        for data in variants:
            problem = _field_problem(data, param, value)
            if problem is None:
                break
        if problem is not None:
            if "whole number" in problem and not isinstance(param.dist, _IntRange | Choice):
                problem += f' (use dist = "int" or "log_int" for {param.name})'
            issues.append(SpecIssue(f"{param.where}.{label}", problem))
    return issues


def _field_problem(data: dict[str, Any], param: Param, value: Any) -> str | None:
    """What the experiment spec says about ``value`` at the param's path (None if it is accepted there)."""
    data = copy.deepcopy(data)
    try:
        presets.set_value(data, param.path, copy.deepcopy(value))
        presets.experiment_from_data(data)
    except presets.PresetError as exc:
        at = [i for i in exc.issues if i.path == param.name or i.path.startswith((param.name + ".", param.name + "["))]
        if at:
            issue = at[0]
            inner = issue.path[len(param.name) :].lstrip(".")
            return f"{inner}: {issue.message}" if inner else issue.message
        if any(i.message == "no such list item" or not i.path for i in exc.issues):
            return str(exc.issues[0])
    return None


def _objective_issues(spec: SweepSpec, base: Experiment, variants: list[dict[str, Any]]) -> list[SpecIssue]:
    logged: set[str] = set(base.log_names())
    for data in variants[1:]:
        try:
            logged |= set(presets.experiment_from_data(data).log_names())
        except presets.PresetError:
            continue
    metric = spec.objective.metric
    if metric in logged:
        return []
    close = difflib.get_close_matches(metric, sorted(logged), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return [
        SpecIssue(
            "objective.metric",
            f"{metric!r} is not logged by the trials (they log {', '.join(sorted(logged))}){hint}",
        )
    ]


# ---------------------------------------------------------------- one trial


@dataclass(frozen=True)
class TrialExperiment:
    """What a trial trains, or why it can't: ``experiment`` is None exactly when ``invalid`` says why."""

    experiment: Experiment | None
    invalid: str | None = None
    warnings: tuple[str, ...] = ()


def trial_experiment(sweep: ResolvedSweep, values: dict[str, Any], name: str) -> TrialExperiment:
    """The base with ``values`` (keyed by space path) applied, named ``name``, fully validated."""
    data = copy.deepcopy(sweep.base_data)
    data["name"] = name
    try:
        for param in sweep.params:
            if param.name in values:  # a field of a section the trial did not choose is left out
                presets.set_value(data, param.path, copy.deepcopy(values[param.name]), source="trial")
        exp = presets.experiment_from_data(data, "trial")
    except presets.PresetError as exc:
        return TrialExperiment(None, _reason(exc.issues))
    check = check_experiment(exp, base_dir=sweep.base_dir)
    if check.errors:
        return TrialExperiment(None, _reason(check.errors))
    if sweep.spec.objective.metric not in exp.log_names():
        return TrialExperiment(None, f"this trial does not log {sweep.spec.objective.metric!r}")
    return TrialExperiment(exp, None, tuple(str(w) for w in check.warnings))


def applies(sweep: ResolvedSweep, param: Param, data: dict[str, Any]) -> bool:
    """Whether ``param`` is a field of the experiment ``data`` (values applied so far) describes.

    Always for a path the base has; for a path inside a section chosen whole (``optimizer.momentum``
    under a choice of optimizers) only when the chosen section has that field.
    """
    if not _under_section(param, sweep.params):
        return True
    return param.name in _paths(_full(data))


def _reason(issues: list[SpecIssue]) -> str:
    text = "; ".join(str(i) for i in issues[:3])
    return text + (f" (and {len(issues) - 3} more)" if len(issues) > 3 else "")

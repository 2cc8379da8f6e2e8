"""The sweep spec: a base experiment, a search space keyed by ``--set`` paths, how to search, what to optimise.

A sweep file is TOML (JSON and YAML load too, through the preset reader)::

    name = "imdb-lr"
    description = "..."
    base = "imdb-seed"                  # a preset name or file, or a [base] table (an inline experiment)
    set = ["training.epochs=10"]        # --set overrides applied to the base
    trials = 20
    parallel = "auto"                   # or a number of trials side by side
    sampler = "random"                  # "grid" (for comparison) or "tpe"
    seed = 0

    [objective]
    metric = "val_loss"                 # taken at the trial's best epoch under its early-stopping rule
    mode = "auto"

    [pruner]
    kind = "median"                     # "none", "median" or "hyperband"

    [execution]
    backend = "local"                   # or "ray": trials on a Ray cluster (the optional Ray extra)
    address = "auto"                    # ray: the cluster ("auto": the one 'ray start' made here)

    [space]
    "optimizer.learning_rate" = { dist = "log_uniform", low = 1e-4, high = 1.0 }

Strict like the experiment spec: unknown keys, wrong types and impossible ranges are errors that name
the field. Whether the space's paths and ranges fit the base experiment is checked by
:mod:`tuitrain.sweep.resolve`.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tuitrain import presets
from tuitrain.fsutil import atomic_write_text
from tuitrain.spec.errors import SpecIssue, format_path, issues_from_validation_error
from tuitrain.sweep.space import DIST_NAMES, Choice, Distribution

SWEEP_SUFFIX = ".toml"
SWEEPS_SUBDIR = "sweeps"
"""Sweep presets live in a ``sweeps/`` folder inside each preset folder, so ``presets list`` never sees them."""

MAX_TRIALS = 100_000


class SweepError(presets.PresetError):
    """A sweep that can't be used: every problem, one line each (``str()``), like a preset error."""


class _SweepModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ObjectiveSpec(_SweepModel):
    """What a trial is judged by: a logged metric at the trial's best epoch under its early-stopping rule."""

    metric: str = Field(
        "val_loss",
        min_length=1,
        description="A metric the trials log (val_loss, val_accuracy, ...), taken at each trial's best epoch "
        "as its early-stopping rule picks it (the epoch whose weights it keeps), never the last epoch.",
    )
    mode: Literal["auto", "min", "max"] = Field(
        "auto", description="min: lower is better; max: higher is better; auto: max for accuracy-like metrics."
    )


class PrunerSpec(_SweepModel):
    """Stopping hopeless trials early (Optuna's pruners), judged on the objective after each epoch."""

    kind: Literal["none", "median", "hyperband"] = Field(
        "none",
        description="median: stop a trial whose best objective so far is worse than the median of earlier "
        "trials at the same epoch; hyperband: successive halving over several brackets.",
    )
    startup_trials: int = Field(4, ge=0, le=10_000, description="median: trials that always run to the end first.")
    warmup_epochs: int = Field(2, ge=0, le=100_000, description="median: epochs a trial always runs before judging.")
    min_epochs: int = Field(1, ge=1, le=100_000, description="hyperband: the smallest budget, in epochs.")
    reduction_factor: int = Field(3, ge=2, le=100, description="hyperband: keep 1 in this many at each rung.")


class ExecutionSpec(_SweepModel):
    """Where trials train: this machine, or a Ray cluster (``tuitrain sweep run --ray ADDRESS``)."""

    backend: Literal["local", "ray"] = Field(
        "local",
        description="local: trainer processes on this machine; ray: each slot a Ray actor that runs the same "
        "trainers on a node of a Ray cluster (pip install 'tuitrain[ray]'; the runs folder on storage every "
        "node shares at the same path).",
    )
    address: str = Field(
        "auto",
        min_length=1,
        max_length=500,
        description="ray: the cluster: auto (the one 'ray start' started on this machine, or $RAY_ADDRESS), "
        "HOST:PORT of its head, ray://HOST:10001 (Ray Client), or local (a Ray instance of this sweep's own).",
    )
    cpus_per_trial: int = Field(
        1,
        ge=1,
        le=1024,
        description="ray: CPUs each trial reserves; on nodes without GPUs its TensorFlow thread pools are sized "
        "to them.",
    )


class SweepSpec(_SweepModel):
    """A hyperparameter search: the base experiment, the space, the sampler, the budget and the objective."""

    name: str = Field(min_length=1, max_length=64, description="Short name; the sweep folder's suffix.")
    description: str = Field("", max_length=4000, description="What this sweep shows and what to look for.")
    base: str | dict[str, Any] = Field(
        description="The experiment every trial starts from: a preset name or file (relative to this file), "
        "or an inline experiment table."
    )
    set: list[str] = Field(
        default_factory=list, max_length=200, description="--set overrides applied to the base first."
    )
    space: dict[str, Distribution] = Field(
        min_length=1,
        max_length=100,
        description="Hyperparameters to search, keyed by their --set path, each with its distribution.",
    )
    sampler: Literal["random", "grid", "tpe"] = Field(
        "random",
        description="random: independent draws on each scale (the default, and what the method recommends); "
        "grid: every combination of grid_points values per range, for comparison; tpe: Optuna's "
        "tree-structured Parzen estimator, which draws more where good trials were.",
    )
    grid_points: int | None = Field(
        None,
        ge=2,
        le=1000,
        description="grid: values per range, equally spaced on its scale; empty = as many as fit the trial budget.",
    )
    trials: int = Field(20, ge=1, le=MAX_TRIALS, description="How many trials to run.")
    parallel: int | Literal["auto"] = Field(
        "auto",
        description='Trials side by side: a number, or "auto" (one per GPU times trials_per_gpu; on a CPU as '
        "many as the cores allow, each trial's TensorFlow thread pools sized to its share).",
    )
    trials_per_gpu: int = Field(1, ge=1, le=64, description="Small models packed this many to a GPU.")
    workers: Literal["warm", "fresh"] = Field(
        "warm",
        description="warm: each slot keeps one trainer process alive across trials (TensorFlow is imported once); "
        "fresh: a new trainer process per trial, exactly as 'tuitrain run' starts one.",
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the sampler (the trials keep their own seeds).")
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec, description="What trials are compared by.")
    pruner: PrunerSpec = Field(default_factory=PrunerSpec, description="Stopping hopeless trials early.")
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec, description="Where trials train.")
    parent: str | None = Field(None, description="The sweep this one refines (written by 'tuitrain sweep refine').")
    base_from: str | None = Field(None, description="Where the base came from, once resolved into the sweep folder.")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        presets.check_name(name)
        return name

    @field_validator("parallel")
    @classmethod
    def _parallel(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 1024:
            raise ValueError(f'must be from 1 to 1024 or "auto", got {value}')
        return value


def _issues(exc: ValidationError, data: Any) -> list[SpecIssue]:
    """Pydantic errors as one-line issues naming the field; unknown keys suggest the sweep's own names."""
    out = []
    for err, issue in zip(exc.errors(), issues_from_validation_error(exc, data), strict=True):
        message, path = issue.message, issue.path
        loc = tuple(err["loc"])
        if len(loc) >= 3 and loc[0] == "space" and loc[2] in DIST_NAMES:
            # The union's tag (the dist name) is in pydantic's location, but the user never wrote that key.
            loc = loc[:2] + loc[3:]
            path = format_path(loc, data)
        if err["type"] == "extra_forbidden":
            known = _known_fields(loc[:-1], data)
            close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
            message = "unknown field" + (
                f" (did you mean {close[0]!r}?)" if close else f" (known fields: {', '.join(known)})"
            )
        elif path.startswith("space.") and "needs dist" in message:
            message = f'needs dist = "..." to say how to sample it: one of {", ".join(DIST_NAMES)}'
        out.append(SpecIssue(path, message))
    return out


def _known_fields(loc: tuple[Any, ...], data: Any) -> list[str]:
    """Field names of the sweep table at ``loc`` (the top level, objective, pruner or a distribution)."""
    if not loc:
        return list(SweepSpec.model_fields)
    if loc[0] == "objective":
        return list(ObjectiveSpec.model_fields)
    if loc[0] == "pruner":
        return list(PrunerSpec.model_fields)
    if loc[0] == "execution":
        return list(ExecutionSpec.model_fields)
    if loc[0] == "space" and len(loc) >= 2:
        entry = data.get("space", {}).get(loc[1]) if isinstance(data, dict) else None
        dist = entry.get("dist") if isinstance(entry, dict) else None
        for cls in get_args(get_args(Distribution)[0]):
            if cls.model_fields["dist"].default == dist:
                return list(cls.model_fields)
    return []


def sweep_from_data(data: dict[str, Any], source: str = "<sweep>") -> SweepSpec:
    """Validate a dict as a SweepSpec, raising SweepError with every problem."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SweepError(source, _issues(exc, data)) from None


def read_sweep_file(path: Path) -> SweepSpec:
    """Read and validate a sweep file (TOML, JSON or YAML, with the preset reader's safety checks)."""
    try:
        data = presets.read_preset_data(Path(path))
    except presets.PresetError as exc:
        raise SweepError(exc.source, exc.issues, exc.sources) from None
    return sweep_from_data(data, str(path))


def to_toml(spec: SweepSpec) -> str:
    """The spec as TOML (``None`` fields left out: they are the defaults)."""
    import tomli_w

    data = spec.model_dump(mode="json", exclude_none=True)
    # Name and description first, the space last: a reader sees what the sweep is before its details.
    order = ["name", "description", "base_from", "parent", "trials", "parallel", "sampler"]
    keys = [k for k in order if k in data] + [k for k in data if k not in order and k not in ("base", "space")]
    ordered = {k: data[k] for k in keys}
    # Each distribution's kind first: "dist = log_uniform" says how to read the numbers after it.
    ordered["space"] = {path: {"dist": d["dist"], **d} for path, d in data["space"].items()}
    ordered["base"] = data["base"]
    return tomli_w.dumps(ordered)


def save_sweep(spec: SweepSpec, path: Path) -> Path:
    """Write ``spec`` to ``path`` atomically."""
    atomic_write_text(Path(path), to_toml(spec))
    return Path(path)


# ---------------------------------------------------------------- sweep presets


def sweep_dirs() -> list[tuple[presets.PresetSource, Path]]:
    """Folders of sweep presets in lookup order: ``sweeps/`` inside each experiment preset folder."""
    return [(source, folder / SWEEPS_SUBDIR) for source, folder in presets.search_dirs()]


def find_sweep(name_or_path: str) -> Path | None:
    """The sweep file ``name_or_path`` names (a built-in or user sweep name, or a file); None if none.

    A path (with a separator or a suffix) must be a file; a bare name is looked up in :func:`sweep_dirs`.
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix.lower() in presets.PRESET_SUFFIXES or "/" in name_or_path or candidate.is_file():
        return candidate if candidate.is_file() else None
    for _source, folder in sweep_dirs():
        for suffix in presets.PRESET_SUFFIXES:
            path = folder / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    return None


def list_sweep_presets() -> list[tuple[str, presets.PresetSource, Path, str]]:
    """(name, source, path, description or the first error) of every sweep preset, earlier folders first."""
    out = []
    seen: set[str] = set()
    for source, folder in sweep_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in presets.PRESET_SUFFIXES or not path.is_file() or path.stem in seen:
                continue
            seen.add(path.stem)
            try:
                text = read_sweep_file(path).description
            except SweepError as exc:
                text = f"[broken] {exc.issues[0]}"
            out.append((path.stem, source, path, text))
    return out


def user_sweep_dir() -> Path:
    """Where ``sweep refine`` writes new sweeps: ``sweeps/`` in the user preset folder."""
    return presets.user_dir() / SWEEPS_SUBDIR


# ---------------------------------------------------------------- --space PATH=DIST:LOW:HIGH


def parse_space_option(text: str) -> tuple[str, dict[str, Any]]:
    """Split ``--space optimizer.learning_rate=log_uniform:1e-4:1`` into a path and a distribution table.

    ``choice`` lists its values after the colon, comma-separated, each a TOML value (bare words are
    text): ``--space optimizer.name=choice:adam,sgd``. Raises ValueError with a one-line message.
    """
    key, sep, rest = text.partition("=")
    if not sep or not key.strip() or not rest.strip():
        raise ValueError(
            f"--space {text!r}: expected PATH=DIST:LOW:HIGH, e.g. optimizer.learning_rate=log_uniform:1e-4:1"
        )
    path = key.strip()
    try:
        presets.parse_path(path)
    except ValueError as exc:
        raise ValueError(f"--space {text!r}: {exc}") from None
    dist, _, args = rest.strip().partition(":")
    if dist not in DIST_NAMES:
        raise ValueError(f"--space {text!r}: unknown distribution {dist!r}: one of {', '.join(DIST_NAMES)}")
    if dist == "choice":
        values = [_toml_value(part, text) for part in _split_top_level(args)]
        return path, {"dist": "choice", "values": values}
    parts = args.split(":")
    if len(parts) != 2:
        raise ValueError(f"--space {text!r}: {dist} needs LOW:HIGH, e.g. {path}={dist}:{_example(dist)}")
    low, high = (_toml_value(p, text) for p in parts)
    return path, {"dist": dist, "low": low, "high": high}


def _example(dist: str) -> str:
    return {"log_uniform": "1e-4:1", "uniform": "0:0.5", "reverse_log": "0.9:0.999", "int": "1:4"}.get(dist, "16:512")


def _toml_value(raw: str, text: str) -> Any:
    raw = raw.strip()
    if not raw:
        raise ValueError(f"--space {text!r}: an empty value")
    try:
        doc = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return raw  # a bare word is text, as --set reads it
    if set(doc) != {"v"}:
        raise ValueError(f"--space {text!r}: {raw!r} must be a single TOML value")
    return doc["v"]


def _split_top_level(args: str) -> list[str]:
    """Split on commas outside brackets and quotes, so a value may be an inline table or a list."""
    parts, depth, quote, current = [], 0, "", []
    for ch in args:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def space_from_options(options: list[str]) -> dict[str, dict[str, Any]]:
    """``--space`` options as the ``space`` table of a sweep (ValueError for a malformed one)."""
    space: dict[str, dict[str, Any]] = {}
    for text in options:
        path, dist = parse_space_option(text)
        space[path] = dist
    return space


def is_section_choice(dist: Any) -> bool:
    """True for a ``choice`` whose values are whole tables or lists (a section, not a plain value)."""
    return isinstance(dist, Choice) and any(isinstance(v, dict | list) for v in dist.values)

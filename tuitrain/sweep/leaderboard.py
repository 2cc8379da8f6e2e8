"""A sweep's leaderboard and progress as people read them: the CLI's tables and the dashboard's sweep screen.

One implementation for both: which trials rank and in what order (:func:`leaderboard`), how searched
values are written (:func:`shown_values`, :func:`short_names`, :func:`value_text`), how many distinct
values each hyperparameter got (:func:`distinct_values`), the best trial as ``--set`` options
(:func:`best_sets`), and how far the sweep is (:func:`sweep_progress`: done, running, left, trials per
hour, an estimate of the time left). Plain Python: no Optuna, no Textual.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tuitrain.sweep.space import toml_inline
from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, ACTIVE_TRIAL_STATES, SweepRecord, TrialEntry, ranked_trials

VALUE_WIDTH = 40
"""Longest value text in a table cell; longer ones end in an ellipsis."""


def leaderboard(trials: Sequence[TrialEntry], mode: str) -> list[TrialEntry]:
    """The trials as a leaderboard lists them: ranked ones best first, then the others by number."""
    ranked = ranked_trials(trials, mode)
    numbers = {t.number for t in ranked}
    return ranked + sorted((t for t in trials if t.number not in numbers), key=lambda t: t.number)


def ranks(trials: Sequence[TrialEntry], mode: str) -> dict[int, int]:
    """Rank (1 = best) of each ranked trial, by trial number; unranked trials are left out."""
    return {t.number: i for i, t in enumerate(ranked_trials(trials, mode), start=1)}


def param_names(trials: Iterable[TrialEntry]) -> list[str]:
    """The searched paths these trials recorded, in the order they first appear."""
    return list(dict.fromkeys(k for t in trials for k in t.params))


def short_names(names: Sequence[str]) -> list[str]:
    """Column headers: each path's last part (``learning_rate``), longer where two would read the same."""
    out = []
    for name in names:
        parts = name.split(".")
        for keep in range(1, len(parts) + 1):
            short = ".".join(parts[-keep:])
            if sum(".".join(n.split(".")[-keep:]) == short for n in names) == 1:
                break
        out.append(short)
    return out


def shown_values(
    trials: Sequence[TrialEntry], memo: dict[tuple[int, str], tuple[Any, str]] | None = None
) -> dict[tuple[int, str], str]:
    """Each (trial, parameter) value as tables show it: plain values as they are; a section (a table or a list
    chosen whole) by what differs between the sections these trials got: "sgd momentum=0.9", "activation=relu".

    ``memo``: kept by a caller that asks again and again (the sweep screen, every second), so that a plain
    value already written is not written again; a section's label depends on the other trials' and is
    always worked out."""
    out: dict[tuple[int, str], str] = {}
    for name in param_names(trials):
        values = {t.number: t.params[name] for t in trials if name in t.params}
        if memo is None or any(isinstance(v, dict | list) for v in values.values()):
            out.update({(n, name): text for n, text in zip(values, value_labels(list(values.values())), strict=True)})
            continue
        for number, value in values.items():
            key = (number, name)
            known = memo.get(key)
            if known is None or type(known[0]) is not type(value) or known[0] != value:
                known = memo[key] = (value, value_text(value))
            out[key] = known[1]
    return out


def value_labels(values: Sequence[Any]) -> list[str]:
    """Each of ``values`` (of one parameter) as a cell or an axis shows it: a plain value as it is
    (:func:`value_text`); a section by what differs between these sections ("activation=relu")."""
    if not any(isinstance(v, dict | list) for v in values):
        return [value_text(v) for v in values]
    leaves = [_leaves(v) for v in values]
    keys = dict.fromkeys(k for found in leaves for k in found)
    varying = [k for k in keys if len({tuple(sorted(found.get(k, ()))) for found in leaves}) > 1]
    out = []
    for value, found in zip(values, leaves, strict=True):
        parts = []
        for key in (k for k in varying if k in found):
            text = "/".join(sorted(found[key]))
            parts.append(text if key.rsplit(".", 1)[-1] in ("", "name", "kind") else f"{key}={text}")
        out.append(" ".join(parts) or value_text(value))
    return out


def _leaves(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """The plain values inside a table or list by key path, list positions left out (a stack's layers merge)."""
    out: dict[str, set[str]] = {}
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for key, item in items:
            path = prefix if key is None else (f"{prefix}.{key}" if prefix else str(key))
            for inner, found in _leaves(item, path).items():
                out.setdefault(inner, set()).update(found)
        return out
    return {prefix: {value_text(value)}}


def value_text(value: Any) -> str:
    """One searched value as a cell shows it: 4 significant digits, TOML for the rest, at most 40 characters."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    try:
        text = toml_inline(value) if not isinstance(value, str) else value
    except TypeError:
        text = str(value)  # a hand-edited sweep.json may hold anything JSON holds
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def best_text(record: SweepRecord) -> str:
    """``val_loss 0.3012 (#7)``: the best trial's objective and number, or ``-``."""
    best = record.best
    if best is None or best.objective is None or record.status is None:
        return "-"
    return f"{record.status.metric} {value_text(best.objective)} (#{best.number})"


def objective_text(trial: TrialEntry) -> str:
    """``0.3012 @ 4``: the objective at the trial's best epoch and that epoch, or ``-``."""
    if trial.objective is None:
        return "-"
    return f"{value_text(trial.objective)} @ {trial.best_epoch}"


def distinct_values(trials: Sequence[TrialEntry]) -> list[str]:
    """How many different values each parameter got: a grid spends many trials on few values of each."""
    out = []
    for name in param_names(trials):
        seen = {_label(t.params[name]) for t in trials if name in t.params and t.state != "lost"}
        tried = sum(name in t.params for t in trials)
        out.append(f"{name}: {len(seen)} in {tried} trials")
    return out


def _label(value: Any) -> str:
    try:
        return toml_inline(value)
    except TypeError:
        return repr(value)


def best_sets(trial: TrialEntry) -> str:
    """The trial's values as ``--set`` options (``--set 'optimizer.learning_rate=0.003' ...``)."""
    return " ".join(f"--set '{k}={_label(v)}'" for k, v in trial.params.items())


# ---------------------------------------------------------------- progress


@dataclass(frozen=True)
class SweepProgress:
    """How far a sweep is.

    ``done``: trials that ended (lost ones, which never ran, left out); ``running``: starting or
    training; ``left``: not started yet (of the budget); ``per_hour``: trials ended per hour since the
    sweep was made; ``eta``: seconds until the budget is spent, estimated from the ended trials' mean
    duration and the slots (None until a trial has ended, or when the sweep is not running).
    """

    planned: int
    done: int
    running: int
    left: int
    elapsed: float | None
    per_hour: float | None
    eta: float | None


def sweep_progress(record: SweepRecord, now: float | None = None) -> SweepProgress:
    """The progress of ``record`` at time ``now`` (default: the current time)."""
    status = record.status
    # One pass, no properties: the sweep screen asks every second, of sweeps of hundreds of trials.
    running = done = 0
    starts: list[float | None] = []  # of the active trials
    trained: list[float] = []  # durations of the ended trials that ran
    for t in record.trials:
        if t.state in ACTIVE_TRIAL_STATES:
            running += 1
            starts.append(t.started_at)
            continue
        done += t.state != "lost"
        if t.run is not None and t.started_at is not None and t.ended_at is not None:
            trained.append(max(0.0, t.ended_at - t.started_at))
    if status is None:
        return SweepProgress(0, done, running, 0, None, None, None)
    now = time.time() if now is None else now
    planned = status.trials_planned
    left = max(0, planned - done - running)
    if status.ended_at is not None:
        end = status.ended_at
    else:  # a crashed sweep's time stops where its controller last wrote
        end = now if record.state in ACTIVE_SWEEP_STATES else (status.updated_at or now)
    elapsed = max(0.0, end - status.created_at)
    per_hour = done / (elapsed / 3600) if done and elapsed > 0 else None
    eta = None
    if record.state in ("pending", "running") and trained:
        mean = sum(trained) / len(trained)
        ongoing = sum(max(0.0, mean - (now - (started or now))) for started in starts)
        slots = max(len(status.slots), running, 1)
        eta = (left * mean + ongoing) / slots
    return SweepProgress(planned, done, running, left, elapsed, per_hour, eta)

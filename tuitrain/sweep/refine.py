"""Coarse to fine: a new sweep whose ranges span a finished sweep's best trials, widened on each scale.

For each range the top-K trials' values are placed on the distribution's own scale (log10 of the
value for ``log_uniform`` and ``log_int``, ``-log10(1 - x)`` for ``reverse_log``, the value itself for
``uniform`` and ``int``); the new range is their span widened by ``margin`` times that span on each
side (a span narrower than ``MIN_SPAN`` of the old range is first widened to it, around its middle,
so one good trial does not collapse a range to a point). Log and reverse-log ranges may grow past
the old range (its best trials at an edge say the good region goes on), but never out of what the
field accepts; linear ranges stay inside the old one. A ``choice`` keeps the values the top-K trials
used. The new sweep records its parent and inlines the same base experiment.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tuitrain.spec.errors import SpecIssue, quote_key
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.resolve import ResolvedSweep, resolve_sweep
from tuitrain.sweep.space import Choice, IntUniform, LogInt, ReverseLog, Uniform, _IntRange, _Range
from tuitrain.sweep.spec import SweepError, SweepSpec, read_sweep_file, sweep_from_data
from tuitrain.sweep.status import SweepStatus, load_sweep

MARGIN = 0.25
"""Default widening on each side, as a fraction of the top trials' span on the scale."""
MIN_SPAN = 0.1
"""Narrowest new range, as a fraction of the old one on the scale."""


def refined_range(dist: Any, values: list[Any], margin: float = MARGIN) -> Any:
    """The distribution ``dist`` narrowed to span ``values`` (widened by ``margin`` on its scale)."""
    if isinstance(dist, Choice):
        kept = [v for v in dist.values if any(Choice.label(v) == Choice.label(u) for u in values)]
        return Choice(values=kept or list(dist.values))
    if not values:
        return dist
    positions = [dist.to_scale(v) for v in values]
    lo, hi = min(positions), max(positions)
    old_lo, old_hi = dist.to_scale(dist.low), dist.to_scale(dist.high)
    least = MIN_SPAN * (old_hi - old_lo)
    if hi - lo < least:
        middle = (lo + hi) / 2
        lo, hi = middle - least / 2, middle + least / 2
    width = hi - lo
    lo, hi = lo - margin * width, hi + margin * width
    if isinstance(dist, Uniform | IntUniform):
        lo, hi = max(lo, old_lo), min(hi, old_hi)  # a linear range's ends are the user's hard limits
    if isinstance(dist, ReverseLog):
        lo = max(lo, 0.0)  # x >= 0
    low, high = dist.from_scale(lo), dist.from_scale(hi)
    if isinstance(dist, _IntRange):
        low, high = math.floor(low + 1e-9), math.ceil(high - 1e-9)
        if isinstance(dist, LogInt):
            low = max(low, 1)
        if low >= high:
            high = low + 1
        return type(dist)(low=int(low), high=int(high))
    return type(dist)(low=float(low), high=float(high))


def refine(
    sweep: ResolvedSweep,
    status: SweepStatus,
    *,
    top: int = 5,
    margin: float = MARGIN,
    name: str | None = None,
    trials: int | None = None,
) -> ResolvedSweep:
    """The refined sweep of a (finished or running) sweep: ranges spanning its ``top`` best trials.

    Raises SweepError when fewer than two trials have a final objective, or ``top`` is below 2.
    """
    if top < 2:
        raise SweepError("--top", [_issue(f"needs at least 2 trials to span a range, got {top}")])
    ranked = status.ranked()[:top]
    if len(ranked) < 2:
        raise SweepError(
            status.sweep_id,
            [_issue(f"only {len(ranked)} trial(s) finished with an objective: refine needs at least 2")],
        )
    space: dict[str, Any] = {}
    for param in sweep.params:
        values = [t.params[param.name] for t in ranked if param.name in t.params]
        refined = refined_range(param.dist, values, margin)
        space[param.name] = refined.model_dump(mode="json")
    spec = sweep.spec
    numbers = ", ".join(str(t.number) for t in ranked)
    data = spec.model_dump(mode="json", exclude_none=True)
    data.update(
        name=name or _child_name(spec.name),
        description=(
            f"Refines {status.sweep_id}: each range spans its top {len(ranked)} trials ({numbers}) by "
            f"{status.metric}, widened by {margin:g} of that span on the range's own scale."
        ),
        parent=status.sweep_id,
        space=space,
        trials=trials or spec.trials,
    )
    return _resolved(sweep, sweep_from_data(data, "refined sweep"))


def refine_sweep(
    root: Path | SweepPaths,
    *,
    top: int = 5,
    margin: float = MARGIN,
    name: str | None = None,
    trials: int | None = None,
) -> tuple[ResolvedSweep, ResolvedSweep]:
    """(the sweep in folder ``root``, its refinement around the ``top`` best trials): see :func:`refine`.

    Raises SweepError (one line per problem) when the folder's sweep can't be read or refined.
    """
    if not (math.isfinite(margin) and margin >= 0):
        raise SweepError("--margin", [_issue(f"must be a number >= 0, got {margin}")])
    record = load_sweep(root)
    if record.status is None:
        raise SweepError(str(record.paths.root), [_issue(record.reason or "not a sweep folder")])
    parent = resolve_sweep(read_sweep_file(record.paths.spec), str(record.paths.spec))
    return parent, refine(parent, record.status, top=top, margin=margin, name=name, trials=trials)


def _resolved(parent: ResolvedSweep, spec: SweepSpec) -> ResolvedSweep:
    """Resolve the refined spec; an end the field refuses (grown past its bounds) goes back to the old end."""
    try:
        return resolve_sweep(spec, "refined sweep", parent.base_dir)
    except SweepError as exc:
        old = {p.name: p.dist for p in parent.params}
        space = dict(spec.space)
        for issue in exc.issues:
            for name, dist in spec.space.items():
                for end in ("low", "high"):
                    at_end = issue.path == f"space.{quote_key(name)}.{end}"
                    if at_end and isinstance(dist, _Range | _IntRange):
                        fixed = {**dist.model_dump(), end: getattr(old[name], end)}
                        space[name] = type(dist)(**fixed)
        retry = spec.model_copy(update={"space": space})
        return resolve_sweep(retry, "refined sweep", parent.base_dir)


def _child_name(name: str) -> str:
    base = name[:56]
    return base if base.endswith("-fine") else f"{base}-fine"


def _issue(text: str) -> SpecIssue:
    return SpecIssue("", text)

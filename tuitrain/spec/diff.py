"""What differs between experiments: the fields whose values are not the same in all of them.

Works on the experiments as recorded (``experiment.toml`` read as a dict), so runs of older or newer
versions, or with damaged files, still compare on what they have. Plain Python: the runs screen shows
the result beside the overlaid curves, and anything else may use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MISSING = "—"
"""Shown for a field one experiment does not have."""


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys ("optimizer.learning_rate"), list items by index ("model.layers.0.units")."""
    if isinstance(value, Mapping):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: value}
    if not items:
        return {prefix: value} if prefix else {}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    return flat


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def experiment_diff(experiments: Sequence[Mapping[str, Any] | None]) -> list[tuple[str, list[str]]]:
    """(dotted field, its value in each experiment as text) for every field that is not the same in all.

    ``None`` (an unreadable experiment) has no fields: each of its values shows as :data:`MISSING`.
    The name and description are left out (they say which run is which, not how it differs).
    """
    flats = [flatten(dict(e)) if e is not None else {} for e in experiments]
    keys: list[str] = []
    for flat in flats:
        keys.extend(k for k in flat if k not in keys)
    diff = []
    for key in keys:
        if key in ("name", "description"):
            continue
        values = [flat.get(key, MISSING) for flat in flats]
        if any(v != values[0] or (v is MISSING) != (values[0] is MISSING) for v in values[1:]):
            diff.append((key, [MISSING if v is MISSING else _shown(v) for v in values]))
    return diff

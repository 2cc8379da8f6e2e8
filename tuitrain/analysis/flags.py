"""A flag: one thing the analysis noticed at one epoch, with the numbers and one sentence for a learner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from tuitrain.analysis._numbers import from_json_float, json_float

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Criterion names. Plain strings so they read well in events.jsonl; the constants avoid typos in code.
GL = "GL"
PQ = "PQ"
UP = "UP"
VAL_LOSS_RISING = "val_loss_rising"
VAL_ACCURACY_FALLING = "val_accuracy_falling"
GAP_WIDENING = "gap_widening"
OVERFITTING_ONSET = "overfitting_onset"
EARLY_STOPPING = "early_stopping"
DIVERGED = "diverged"
EXPLODING = "exploding"
STALLED = "stalled"
LR_TOO_SMALL = "lr_too_small"
LR_TOO_BIG = "lr_too_big"
NOT_LEARNED = "not_learned"

CRITERIA: tuple[str, ...] = (
    DIVERGED,
    EXPLODING,
    NOT_LEARNED,
    GL,
    PQ,
    UP,
    VAL_LOSS_RISING,
    VAL_ACCURACY_FALLING,
    GAP_WIDENING,
    OVERFITTING_ONSET,
    EARLY_STOPPING,
    STALLED,
    LR_TOO_SMALL,
    LR_TOO_BIG,
)
"""Every criterion, in the order flags raised at the same epoch are listed."""


@dataclass(frozen=True)
class Flag:
    """Something the analysis noticed.

    ``epoch``: the epoch (1-based) after which it was noticed. ``criterion``: one of :data:`CRITERIA`.
    ``message``: one sentence with the numbers. ``values``: the numbers behind it, by name (epoch numbers
    are stored as floats too, so the mapping stays one type).
    """

    epoch: int
    criterion: str
    severity: Severity
    message: str
    values: Mapping[str, float] = field(default_factory=dict)

    def __hash__(self) -> int:
        # ``values`` is a dict; the other fields identify a flag well enough for sets and dict keys.
        return hash((self.epoch, self.criterion, self.severity, self.message))

    def to_dict(self) -> dict[str, Any]:
        """A strict-JSON-safe dict (NaN and infinities become "NaN", "Infinity", "-Infinity")."""
        return {
            "epoch": self.epoch,
            "criterion": self.criterion,
            "severity": self.severity,
            "message": self.message,
            "values": {key: json_float(float(value)) for key, value in self.values.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        """Read a flag written by :meth:`to_dict`; raises ValueError naming the bad field."""
        try:
            epoch, criterion = data["epoch"], data["criterion"]
            severity, message = data["severity"], data["message"]
            raw_values = data.get("values", {})
        except KeyError as exc:
            raise ValueError(f"flag is missing the field {exc.args[0]!r}") from None
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
            raise ValueError(f"flag epoch must be a whole number >= 1, got {epoch!r}")
        if not isinstance(criterion, str) or not criterion:
            raise ValueError(f"flag criterion must be a non-empty string, got {criterion!r}")
        if severity not in SEVERITIES:
            raise ValueError(f"flag severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        if not isinstance(message, str):
            raise ValueError(f"flag message must be a string, got {message!r}")
        if not isinstance(raw_values, Mapping):
            raise ValueError(f"flag values must be a mapping of names to numbers, got {raw_values!r}")
        values: dict[str, float] = {}
        for key, value in raw_values.items():
            try:
                values[str(key)] = from_json_float(value)
            except ValueError as exc:
                raise ValueError(f"flag value {key!r}: {exc}") from None
        return cls(epoch=epoch, criterion=criterion, severity=severity, message=message, values=values)

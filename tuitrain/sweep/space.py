"""Search-space distributions and their scales: where a sweep draws each hyperparameter from.

Each distribution knows its **scale**, the axis on which equal steps matter equally: ``log_uniform``
and ``log_int`` (learning rates, widths: 1e-4..1e-3 is as big a step as 0.1..1), ``reverse_log``
(decay rates near 1 such as Adam's betas, momentum, rho: 0.9..0.99 is as big a step as 0.99..0.999,
so it is drawn as a log-uniform ``1 - x``), ``uniform`` and ``int`` (linear), ``choice`` (categories;
a value may be a whole section, e.g. an optimizer with its own learning rate).

Optuna samples in the *internal* space: the value itself, except ``reverse_log`` (internal ``1 - x``)
and ``choice`` (a text label per value, since Optuna stores only plain values). The sweep records
both. Nothing here imports Optuna: :mod:`tuitrain.sweep.study` asks Optuna for each scale's values, so
the dashboard reads and checks sweeps without it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scale = Literal["linear", "log", "reverse_log", "categorical"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_inline(value: Any) -> str:
    """``value`` as a one-line TOML value (``{name = "sgd", learning_rate = 0.01}``), as ``--set`` reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes (\" \\ \n \uXXXX ...) are all valid in a TOML basic string.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = ", ".join(
            f"{k if _BARE_KEY.fullmatch(str(k)) else json.dumps(str(k))} = {toml_inline(v)}" for k, v in value.items()
        )
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_inline(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} has no TOML form")


class _Dist(BaseModel):
    """Shared configuration: strict, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    @property
    def scale(self) -> Scale:
        """The axis on which equal steps matter equally."""
        raise NotImplementedError

    def describe(self) -> str:
        """The distribution as ``--space`` writes it, e.g. ``log_uniform:0.0001:1``."""
        raise NotImplementedError


class _Linear:
    """A linear scale: equal steps of the value matter equally."""

    @property
    def scale(self) -> Scale:
        """Linear."""
        return "linear"

    def to_scale(self, value: float) -> float:
        """The value itself."""
        return float(value)

    def from_scale(self, position: float) -> float:
        """The position itself."""
        return float(position)


class _Log:
    """A log scale: equal ratios matter equally (one unit per decade)."""

    @property
    def scale(self) -> Scale:
        """Logarithmic."""
        return "log"

    def to_scale(self, value: float) -> float:
        """log10 of the value."""
        return math.log10(value)

    def from_scale(self, position: float) -> float:
        """10 to the position."""
        return 10.0**position


class _Range(_Dist):
    """A numeric range ``low``..``high`` (both included)."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got low = {self.low:g}, high = {self.high:g}")
        return self

    def to_internal(self, value: float) -> float:
        """The value Optuna holds for ``value``."""
        return float(value)

    def from_internal(self, internal: float) -> float:
        """The experiment's value for Optuna's ``internal`` one (kept inside low..high)."""
        return min(max(float(internal), self.low), self.high)

    def internal_bounds(self) -> tuple[float, float]:
        """low and high in the internal space, ordered."""
        return float(self.low), float(self.high)

    def contains(self, value: Any) -> bool:
        """True when ``value`` is a number inside the range."""
        return isinstance(value, int | float) and not isinstance(value, bool) and self.low <= value <= self.high

    def grid(self, points: int) -> list[float]:
        """``points`` values from low to high, equally spaced on the distribution's scale."""
        lo, hi = self.to_scale(self.low), self.to_scale(self.high)
        if points <= 1:
            return [self.from_internal(self.from_scale((lo + hi) / 2))]
        values = [self.from_scale(lo + (hi - lo) * i / (points - 1)) for i in range(points)]
        # Ends exactly at low and high: the scale's round trip (exp(log(x))) is off by an ulp.
        values[0], values[-1] = float(self.low), float(self.high)
        return sorted(self.from_internal(self.to_internal(v)) for v in values)

    def describe(self) -> str:
        """E.g. ``log_uniform:0.0001:1``."""
        return f"{self.dist}:{self.low:g}:{self.high:g}"  # type: ignore[attr-defined]


class Uniform(_Linear, _Range):
    """Uniform on ``low``..``high``: for settings whose effect is linear (dropout rate, a fraction)."""

    dist: Literal["uniform"] = "uniform"


class LogUniform(_Log, _Range):
    """Log-uniform on ``low``..``high`` (both > 0): equal trials per decade. For learning rates, penalties."""

    dist: Literal["log_uniform"] = "log_uniform"

    @model_validator(mode="after")
    def _positive(self) -> LogUniform:
        if self.low <= 0:
            raise ValueError(f"log_uniform needs low > 0 (a log scale has no 0), got low = {self.low:g}")
        return self


class ReverseLog(_Range):
    """``1 - x`` log-uniform, for decay rates near 1 (Adam's betas, momentum, rho): equal trials per
    decade of ``1 - x``, so 0.9..0.99 gets as many as 0.99..0.999. Needs 0 <= low < high < 1."""

    dist: Literal["reverse_log"] = "reverse_log"

    @model_validator(mode="after")
    def _below_one(self) -> ReverseLog:
        if self.low < 0 or self.high >= 1:
            raise ValueError(
                f"reverse_log samples 1 - x on a log scale, so it needs 0 <= low < high < 1, "
                f"got low = {self.low:g}, high = {self.high:g}"
            )
        return self

    @property
    def scale(self) -> Scale:
        """Logarithmic in ``1 - x``."""
        return "reverse_log"

    def to_internal(self, value: float) -> float:
        """``1 - value``: what Optuna samples log-uniformly."""
        return 1.0 - float(value)

    def from_internal(self, internal: float) -> float:
        """``1 - internal``, kept inside low..high."""
        return min(max(1.0 - float(internal), self.low), self.high)

    def internal_bounds(self) -> tuple[float, float]:
        """(1 - high, 1 - low)."""
        return 1.0 - self.high, 1.0 - self.low

    def to_scale(self, value: float) -> float:
        """-log10(1 - x): one unit per decade of ``1 - x`` (0.9 -> 1, 0.99 -> 2, 0.999 -> 3)."""
        return -math.log10(1.0 - value)

    def from_scale(self, position: float) -> float:
        """Inverse of :meth:`to_scale`."""
        return 1.0 - 10.0 ** (-position)


class _IntRange(_Dist):
    """Whole numbers ``low``..``high`` (both included)."""

    low: int
    high: int

    @model_validator(mode="after")
    def _ordered(self) -> _IntRange:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got low = {self.low}, high = {self.high}")
        return self

    def to_internal(self, value: int) -> int:
        """The value itself."""
        return int(value)

    def from_internal(self, internal: float) -> int:
        """The nearest whole number inside low..high."""
        return min(max(round(internal), self.low), self.high)

    def internal_bounds(self) -> tuple[int, int]:
        """(low, high)."""
        return self.low, self.high

    def contains(self, value: Any) -> bool:
        """True when ``value`` is a whole number inside the range."""
        return isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high

    def grid(self, points: int) -> list[int]:
        """Up to ``points`` distinct whole numbers from low to high, equally spaced on the scale."""
        lo, hi = self.to_scale(self.low), self.to_scale(self.high)
        if points <= 1:
            return [self.from_internal(self.from_scale((lo + hi) / 2))]
        return sorted({self.from_internal(self.from_scale(lo + (hi - lo) * i / (points - 1))) for i in range(points)})

    def describe(self) -> str:
        """E.g. ``log_int:16:512``."""
        return f"{self.dist}:{self.low}:{self.high}"  # type: ignore[attr-defined]


class IntUniform(_Linear, _IntRange):
    """Whole numbers, uniform: for counts whose effect is linear (a patience, a number of layers)."""

    dist: Literal["int"] = "int"


class LogInt(_Log, _IntRange):
    """Whole numbers, log-uniform (low >= 1): for widths such as units (16..512: as many below 90 as above)."""

    dist: Literal["log_int"] = "log_int"

    @model_validator(mode="after")
    def _positive(self) -> LogInt:
        if self.low < 1:
            raise ValueError(f"log_int needs low >= 1 (a log scale has no 0), got low = {self.low}")
        return self


class Choice(_Dist):
    """One of ``values``; a value may be a whole section (an optimizer table with its learning rate,
    a layer stack), so unlike things are compared each at its own sensible settings."""

    dist: Literal["choice"] = "choice"
    values: list[Any] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _distinct(self) -> Choice:
        labels = [self.label(v) for v in self.values]
        seen: set[str] = set()
        for label in labels:
            if label in seen:
                raise ValueError(f"values must differ, {label} is listed twice")
            seen.add(label)
        return self

    @property
    def scale(self) -> Scale:
        """Categories: no order."""
        return "categorical"

    @staticmethod
    def label(value: Any) -> str:
        """The text Optuna stores for ``value``: the value itself as TOML (``0.01``, ``"adam"``, ``{...}``)."""
        return toml_inline(value)

    def labels(self) -> list[str]:
        """Every value's label, in order."""
        return [self.label(v) for v in self.values]

    def to_internal(self, value: Any) -> str:
        """The label of ``value``."""
        return self.label(value)

    def from_internal(self, internal: Any) -> Any:
        """The value whose label is ``internal`` (KeyError for an unknown label)."""
        for value in self.values:
            if self.label(value) == internal:
                return value
        raise KeyError(f"{internal!r} is not one of the choices")

    def contains(self, value: Any) -> bool:
        """True when ``value`` is one of the choices."""
        return any(self.label(value) == label for label in self.labels())

    def grid(self, points: int) -> list[Any]:
        """Every value (a grid over categories takes them all)."""
        return list(self.values)

    def describe(self) -> str:
        """E.g. ``choice:"adam","sgd"``."""
        return "choice:" + ",".join(self.labels())


Distribution = Annotated[LogUniform | Uniform | ReverseLog | IntUniform | LogInt | Choice, Field(discriminator="dist")]
"""One hyperparameter's distribution, picked with ``dist = "..."``."""

DIST_NAMES: tuple[str, ...] = ("log_uniform", "uniform", "reverse_log", "int", "log_int", "choice")
NumericDistribution = LogUniform | Uniform | ReverseLog | IntUniform | LogInt

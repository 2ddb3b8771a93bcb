"""When BEMA updates happen and with which factors: the hyper-parameters, checked once.

Plain Python (no torch), so the schedule is tested on its own against the formula.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: Step conventions for the ``t`` in αₜ and βₜ.
STEP_CONVENTIONS = ("trl", "paper")


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"BEMACallback: {name} must be a positive integer, got {value!r}")
    return value


def _non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"BEMACallback: {name} must be an integer >= 0, got {value!r}")
    return value


def _finite(name: str, value: object, *, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"BEMACallback: {name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        bound = f">= {low}" if high == math.inf else f"between {low} and {high}"
        raise ValueError(f"BEMACallback: {name} must be {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Schedule:
    """The BEMA hyper-parameters (TRL's names) and the step arithmetic that uses them.

    ``step`` is always the Trainer's global step (optimizer steps done). ``t`` is the
    step counter inside the formula: the global step under the ``"trl"`` convention, the
    number of steps since ``update_after`` under ``"paper"``.
    """

    update_freq: int = 400
    ema_power: float = 0.5
    bias_power: float = 0.2
    lag: int = 10
    update_after: int = 0
    multiplier: float = 1.0
    min_ema_multiplier: float = 0.0
    update_ref_model: bool = False
    ref_model_update_freq: int = 400
    ref_model_update_after: int = 0
    step_convention: str = "trl"

    def __post_init__(self) -> None:
        _positive_int("update_freq", self.update_freq)
        _positive_int("ref_model_update_freq", self.ref_model_update_freq)
        _non_negative_int("update_after", self.update_after)
        _non_negative_int("ref_model_update_after", self.ref_model_update_after)
        _finite("ema_power", self.ema_power, low=0.0)
        _finite("bias_power", self.bias_power, low=0.0)
        _finite("lag", self.lag, low=0.0)
        _finite("multiplier", self.multiplier, low=0.0)
        _finite("min_ema_multiplier", self.min_ema_multiplier, low=0.0, high=1.0)
        if self.lag + self.multiplier <= 0:
            # The base ρ + γ·t would be 0 at t = 1 (or every t), and 0 to a negative power
            # is undefined.
            raise ValueError(
                "BEMACallback: lag and multiplier are both 0, so (lag + multiplier * t) is 0; "
                "set lag > 0 (TRL's default is 10) or multiplier > 0 (default 1.0)"
            )
        if not isinstance(self.update_ref_model, bool):
            raise ValueError(
                f"BEMACallback: update_ref_model must be True or False, got "
                f"{self.update_ref_model!r}"
            )
        if self.step_convention not in STEP_CONVENTIONS:
            raise ValueError(
                f"BEMACallback: step_convention must be 'trl' (t = global step, TRL's "
                f"meaning) or 'paper' (t = global step - update_after, the BEMA authors' "
                f"meaning), got {self.step_convention!r}"
            )

    def t(self, step: int) -> int:
        """The formula's step counter at global step ``step``."""
        return step if self.step_convention == "trl" else step - self.update_after

    def _base(self, step: int) -> float:
        return self.lag + self.multiplier * self.t(step)

    def beta(self, step: int) -> float:
        """βₜ = max((ρ + γt)^(−κ), min_ema_multiplier): the EMA's weight on the new θₜ."""
        return max(self._base(step) ** (-self.ema_power), self.min_ema_multiplier)

    def alpha(self, step: int) -> float:
        """αₜ = (ρ + γt)^(−η): the weight of the bias correction θₜ − θ₀."""
        return self._base(step) ** (-self.bias_power)

    def is_snapshot_step(self, step: int) -> bool:
        """θ₀ and the EMA restart from the current weights (TRL: ``step == update_after``)."""
        return step == self.update_after

    def is_update_step(self, step: int) -> bool:
        """The EMA takes in θₜ (every ``update_freq`` steps after ``update_after``)."""
        return step > self.update_after and (step - self.update_after) % self.update_freq == 0

    def is_ref_step(self, step: int) -> bool:
        """The BEMA weights go into the reference model."""
        return (
            self.update_ref_model
            and step >= self.ref_model_update_after
            and (step - self.ref_model_update_after) % self.ref_model_update_freq == 0
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

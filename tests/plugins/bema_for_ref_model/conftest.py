"""Shared helpers for the bema_for_ref_model tests: a plain reference of the formula."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

class PlainBEMA:
    """BEMA written out plainly, in float64, one tensor at a time, from the paper's formula.

    Follows TRL's schedule: θ₀ and the EMA restart at step ``update_after``; the EMA takes in
    θ every ``update_freq`` steps after it; the reference receives
    EMAₖ + αₖ(θ − θ₀) (k: the latest EMA update; α = 0 before the first).
    """

    def __init__(self, params, *, update_freq=400, ema_power=0.5, bias_power=0.2, lag=10,
                 update_after=0, multiplier=1.0, min_ema_multiplier=0.0,
                 update_ref_model=False, ref_model_update_freq=400, ref_model_update_after=0,
                 step_convention="trl"):
        self.kw = dict(phi=update_freq, kappa=ema_power, eta=bias_power, rho=lag,
                       tau=update_after, gamma=multiplier, floor=min_ema_multiplier)
        self.ref_on = update_ref_model
        self.ref_freq, self.ref_after = ref_model_update_freq, ref_model_update_after
        self.paper = step_convention == "paper"
        self.theta0 = {n: p.double().clone() for n, p in params.items()}
        self.ema = {n: p.double().clone() for n, p in params.items()}
        self.last = None
        self.ref = None

    def _t(self, step):
        return step - self.kw["tau"] if self.paper else step

    def step(self, step, params):
        k = self.kw
        theta = {n: p.double() for n, p in params.items()}
        if step == k["tau"]:
            self.theta0 = {n: v.clone() for n, v in theta.items()}
            self.ema = {n: v.clone() for n, v in theta.items()}
            self.last = None
        elif step > k["tau"] and (step - k["tau"]) % k["phi"] == 0:
            beta = max((k["rho"] + k["gamma"] * self._t(step)) ** (-k["kappa"]), k["floor"])
            for n in self.ema:
                self.ema[n] = (1 - beta) * self.ema[n] + beta * theta[n]
            self.last = step
        if self.ref_on and step >= self.ref_after and (step - self.ref_after) % self.ref_freq == 0:
            alpha = 0.0
            if self.last is not None:
                alpha = (k["rho"] + k["gamma"] * self._t(self.last)) ** (-k["eta"])
            self.ref = {n: self.ema[n] + alpha * (theta[n] - self.theta0[n]) for n in theta}
        return self.ref


@pytest.fixture
def plain_bema():
    """The :class:`PlainBEMA` class."""
    return PlainBEMA

"""Divergence of training: the bound on the weights, the error and its message.

Training stops at the first step whose weights (SL: or F) are not finite or exceed
:data:`MAX_WEIGHT` in absolute value and raises :class:`DivergenceError` naming the step, the
seeds and the parameters (see :mod:`sslcore.training`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from .config import SLConfig, SSLConfig

#: Weights with |w| > MAX_WEIGHT (or non-finite) stop training with a DivergenceError.
MAX_WEIGHT = 1e6


class DivergenceError(FloatingPointError):
    """Training diverged: the weights at ``step`` are non-finite or exceed ``MAX_WEIGHT``.

    Attributes: ``step``, ``model`` ("SSL" or "SL"), ``seeds`` (of the diverged rows) and
    ``params`` (name -> value of the configuration of the first diverged seed).
    """

    def __init__(self, message: str, step: int | None = None, model: str | None = None,
                 seeds: Iterable[int] = (), params: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.step, self.model, self.seeds = step, model, tuple(seeds)
        self.params = dict(params or {})


def finite_below(*arrays: np.ndarray) -> bool:
    """True when every entry of the arrays is finite with |.| <= MAX_WEIGHT (NaN compares False)."""
    return all(a.max() <= MAX_WEIGHT and a.min() >= -MAX_WEIGHT for a in arrays)


def bad_rows(*arrays: np.ndarray) -> np.ndarray:
    """Row (seed) indices whose entries are non-finite or exceed MAX_WEIGHT."""
    ok = np.ones(len(arrays[0]), bool)
    for a in arrays:
        m = np.abs(a.reshape(len(a), -1)).max(axis=1)
        ok &= m <= MAX_WEIGHT
    return np.flatnonzero(~ok)


def divergence_error(model: str, cfgs: Sequence[SSLConfig | SLConfig], step: int,
                     arrays: Sequence[np.ndarray], names: Sequence[str]) -> DivergenceError:
    """The DivergenceError for the first bad step: arrays (S, ...) at that step, their names."""
    rows = bad_rows(*arrays)
    owners = [(cfg, seed) for cfg in cfgs for seed in cfg.seeds]
    bad = [owners[i] for i in rows]
    cfg = bad[0][0]
    seeds = [seed for _, seed in bad]
    sizes = []
    for a, name in zip(arrays, names):
        v = a[rows]
        sizes.append(f"{name} not finite" if not np.all(np.isfinite(v))
                     else f"max |{name}| = {np.abs(v).max():.3g}")
    keys = ("eta", "alpha", "tau", "rho", "n", "d", "init", "rng") if model == "SSL" else \
        ("eta", "beta", "gamma", "tau", "rho", "n", "d", "rng")
    if not cfg.paper_model():
        keys += ("m", "activation") + (("objective",) if model == "SSL" else ())
    params = {k: getattr(cfg, k) for k in keys}
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
                      for k, v in params.items())
    decay = "alpha" if model == "SSL" else "beta"
    hint = f"try a smaller eta, e.g. eta={cfg.eta / 10:.3g}"
    if getattr(cfg, decay) == 0:
        hint += f", or {decay} > 0 (weight decay keeps the weights bounded)"
    message = (f"{model} training diverged at step {step}: {', '.join(sizes)} (limit "
               f"{MAX_WEIGHT:g}) for seed{'s' if len(seeds) > 1 else ''} "
               f"{', '.join(map(str, seeds))}, with {shown}; {hint}")
    return DivergenceError(message, step=step, model=model, seeds=seeds, params=params)


def first_bad_step(advance: Callable, state: tuple, steps: Iterable[int]
                    ) -> tuple[int, tuple] | None:
    """Replay the steps since the last good check: ``state = advance(state, k)`` for k in
    ``steps``, from that check's state. (k, state) after the first k whose arrays are
    non-finite or exceed ``MAX_WEIGHT``; None if there is none."""
    for k in steps:
        state = advance(state, k)
        if not finite_below(*state):
            return k, state
    return None

"""SSL and SL trained side by side over settings: the phase diagram over (tau, rho)
(``phase_diagram``, one vectorized call per model) and a few live seeds for the widget
(``live_runs``). Figures of both are in ``sslcore.comparison``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import analysis
from .config import ALPHA, RHO, TAU, D, SLConfig, SSLConfig
from .training import Run, train_sl_many, train_ssl_many

__all__ = ["PhaseDiagram", "phase_diagram", "live_runs"]


@dataclass
class PhaseDiagram:
    """Projection lengths over a (rho, tau) grid: arrays (len(rhos), len(taus), seeds)."""

    taus: np.ndarray
    rhos: np.ndarray
    ssl_e1: np.ndarray
    ssl_e2: np.ndarray
    sl_e1: np.ndarray
    sl_e2: np.ndarray
    sl_share: np.ndarray          # max_k |w_k2|/||w_k|| of SL
    ssl_same_side: np.ndarray     # SSL: both neurons end with the same sign of w_k1 (collapse)

    def advantage(self, e1_min: float = 0.9, e2_min: float = 0.8, sl_max: float = 0.2
                  ) -> np.ndarray:
        """Boolean (rho, tau) grid: SSL spans both features (mean ||Pe1|| >= e1_min and
        ||Pe2|| >= e2_min) while SL does not span e2 (mean ||Pe2|| <= sl_max)."""
        return ((self.ssl_e1.mean(-1) >= e1_min) & (self.ssl_e2.mean(-1) >= e2_min)
                & (self.sl_e2.mean(-1) <= sl_max))


def phase_diagram(taus: ArrayLike, rhos: ArrayLike, seeds: int = 3, T: int = 4000,
                  sl_T: int = 4000, d: int = D) -> PhaseDiagram:
    """Train SSL (near init) and SL at every (tau, rho) with ``seeds`` seeds: one call of
    ``train_ssl_many`` and one of ``train_sl_many`` (all grid points stacked)."""
    taus = np.asarray(taus, dtype=float)
    rhos = np.asarray(rhos, dtype=float)
    if taus.ndim != 1 or taus.size == 0 or np.any(taus <= 0):
        raise ValueError(f"taus={taus!r} must be a non-empty 1-D sequence of values > 0")
    if rhos.ndim != 1 or rhos.size == 0 or np.any(rhos < 0):
        raise ValueError(f"rhos={rhos!r} must be a non-empty 1-D sequence of values >= 0")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds={seeds!r} must be an integer >= 1")
    seed_t = tuple(range(int(seeds)))
    grid = [(r, t) for r in rhos for t in taus]
    ssl = train_ssl_many([SSLConfig(d=d, tau=float(t), rho=float(r), seeds=seed_t, T=T,
                                    record_every=T)
                          for r, t in grid])
    sl = train_sl_many([SLConfig(d=d, tau=float(t), rho=float(r), seeds=seed_t, T=sl_T,
                                 record_every=sl_T)
                        for r, t in grid])
    shape = (len(rhos), len(taus), int(seeds))

    def proj(runs, k):
        return np.stack([analysis.projections(run.W_final)[k] for run in runs]).reshape(shape)

    share = np.stack([np.abs(analysis.normalized(run.W_final)[..., 1]).max(-1)
                      for run in sl]).reshape(shape)
    same = np.stack([np.sign(run.W_final[:, 0, 0]) == np.sign(run.W_final[:, 1, 0])
                     for run in ssl]).reshape(shape)
    return PhaseDiagram(taus, rhos, proj(ssl, 0), proj(ssl, 1), proj(sl, 0), proj(sl, 1),
                        share, same)


def live_runs(tau: float = TAU, rho: float = RHO, alpha: float = ALPHA, seeds: int = 3,
              T: int = 1500, sl_T: int = 1500) -> tuple[Run, Run]:
    """SSL (near init, weight decay alpha) and SL (beta = gamma = alpha) for a few seeds."""
    seed_t = tuple(range(int(seeds)))
    ssl = train_ssl_many([SSLConfig(tau=tau, rho=rho, alpha=alpha, seeds=seed_t, T=T,
                                    record_every=T)])[0]
    sl = train_sl_many([SLConfig(tau=tau, rho=rho, beta=alpha, gamma=alpha, seeds=seed_t, T=sl_T,
                                 record_every=sl_T)])[0]
    return ssl, sl

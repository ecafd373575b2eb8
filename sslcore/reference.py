"""The reference scripts' random stream (``rng="reference"``).

Per seed i the authors call ``np.random.seed(i)`` and ``random.seed(i)``. We use the equivalent
private generators ``np.random.RandomState(i)`` and ``random.Random(i)`` (identical streams,
without touching the caller's global state), drawn in the reference order:

SSL: W: 2*d normals row by row; ``near`` then takes four ``random.uniform`` draws in the order
w11, w21, w12, w22. Data: ``choice([1, 2, 3, 4], n, p=[1/4]*4)``, then one scalar normal per
point (the noise quirk); points reordered "+" class first. Each step: for each point, for each
coordinate j, one normal for view 1's coordinate j, then one for view 2's.
SL: W (2*d normals, sign flips), F (2 normals), then the data as above.

Legacy draws of a whole array come in the same order as one-by-one scalar draws, so a block of
steps is drawn with one call.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from .config import SLConfig, SSLConfig
from .data import Data, points_from_clusters
from .initialization import sl_initial_weights, ssl_initial_weights


def data_draws(n: int, rs: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Cluster indices (0..3) and one scalar noise draw per point, in the reference order."""
    labels = rs.choice([1, 2, 3, 4], size=n, p=[0.25] * 4)
    return labels - 1, rs.normal(0.0, 1.0, size=n)


def setup(cfg: SSLConfig | SLConfig, kind: str
          ) -> tuple[np.ndarray, np.ndarray | None, Data, list[np.random.RandomState]]:
    """Initial weights, data and the per-seed RandomStates (positioned for augmentation)."""
    Ws, Fs, cs, eps, states = [], [], [], [], []
    for seed in cfg.seeds:
        rs, pr = np.random.RandomState(seed), random.Random(seed)
        if kind == "ssl":
            Ws.append(ssl_initial_weights(cfg.init, cfg.d, cfg.tau, rs, pr))
        else:
            W, F = sl_initial_weights(cfg.d, rs)
            Ws.append(W)
            Fs.append(F)
        c, e = data_draws(cfg.n, rs)
        cs.append(c)
        eps.append(e if cfg.noise == "reference" else rs.normal(0.0, 1.0, size=(cfg.n, cfg.d)))
        states.append(rs)
    data = points_from_clusters(np.stack(cs), np.stack(eps), cfg.d, cfg.tau, cfg.rho,
                                quirk=cfg.noise == "reference")
    return np.stack(Ws), (np.stack(Fs) if Fs else None), data, states


def view_noise(states: Sequence[np.random.RandomState], steps: int, n: int, d: int
               ) -> np.ndarray:
    """Augmentation noise for ``steps`` steps: shape (S, steps, 2, n, d), reference order."""
    out = np.stack([rs.normal(0.0, 1.0, size=(steps, n, d, 2)) for rs in states])
    return np.moveaxis(out, -1, 2)

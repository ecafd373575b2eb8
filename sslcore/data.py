"""The four-cluster data distribution, the two-view augmentation and the random streams.

Clusters (each with probability 1/4), e1, e2 the first two basis vectors of R^d:

    c = 0: e1              (label "+", hidden bit z = 0)
    c = 1: e1 + tau*e2     (label "+", z = 1)
    c = 2: -e1             (label "-", z = 0)
    c = 3: -e1 + tau*e2    (label "-", z = 1)

A point is x = mu_c + rho*xi. ``noise="isotropic"`` (default) takes xi ~ N(0, I_d);
``noise="reference"`` reproduces the reference scripts' quirk: one scalar N(0, 1) draw added
to all d coordinates. The label is the sign of the e1 coordinate, coded as in the paper's SL
model: y = 0 for the "+" clusters, y = 1 for the "-" clusters. Points are ordered "+" class
first (as in the reference scripts). Augmentation: two views x + rho*xi^(1), x + rho*xi^(2),
xi^(v) ~ N(0, I_d) independent.

Random streams (``rng="clean"``): seed s owns ``SeedSequence(s)``, split into independent
streams for initialization, data and augmentation, so a seed's run does not depend on the
other seeds, and the data do not depend on T.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .config import TAU, D


def cluster_means(d: int, tau: float) -> np.ndarray:
    """The four cluster centres as rows, shape (4, d): e1, e1 + tau e2, -e1, -e1 + tau e2."""
    if d < 2:
        raise ValueError(f"d={d!r} is out of range: allowed d >= 2")
    mu = np.zeros((4, d))
    mu[:, 0] = [1.0, 1.0, -1.0, -1.0]
    mu[:, 1] = [0.0, tau, 0.0, tau]
    return mu


def cluster_weights(p: ArrayLike | None = None, name: str = "p") -> np.ndarray:
    """Cluster weights p_mu (4,): four non-negative finite numbers summing to 1 (default 1/4
    each); else ``ValueError`` naming ``name``."""
    if p is None:
        return np.full(4, 0.25)
    w = np.asarray(p, dtype=np.float64)
    if w.shape != (4,) or not np.all(np.isfinite(w)) or np.any(w < 0) or abs(w.sum() - 1) > 1e-12:
        raise ValueError(f"{name}={p!r} is out of range: allowed 4 non-negative finite numbers "
                         "summing to 1")
    return w


@dataclass
class Data:
    """A sample for each seed: x (S, n, d), cluster c, label y and hidden bit z (S, n)."""

    x: np.ndarray
    c: np.ndarray
    y: np.ndarray
    z: np.ndarray


def streams(seed: int, kind: str = "ssl") -> tuple[np.random.Generator, ...]:
    """Independent generators (init, data, augmentation) of one seed for the clean mode."""
    tag = {"ssl": 0, "sl": 1, "probe": 2}[kind]
    children = np.random.SeedSequence([seed, tag]).spawn(3)
    return tuple(np.random.default_rng(c) for c in children)


def fill_normal(gens: Sequence[np.random.Generator], out: np.ndarray) -> np.ndarray:
    """Fill out[s] with standard normals from gens[s]: one stream per seed.

    The loop is over random streams (one call per seed per block), not over computation.
    """
    for g, o in zip(gens, out):
        g.standard_normal(out=o)
    return out


def points_from_clusters(c: np.ndarray, noise: np.ndarray, d: int, tau: float, rho: float,
                         quirk: bool = False) -> Data:
    """Build Data from cluster indices c (S, n) and noise draws.

    ``noise`` has shape (S, n, d) (isotropic) or (S, n) (reference quirk: one scalar per point).
    Points are reordered "+" class first, keeping their order within each class.
    """
    mu = cluster_means(d, tau)
    x = mu[c] + rho * (noise[..., None] if quirk else noise)
    order = np.argsort(c >= 2, axis=-1, kind="stable")
    take = lambda a: np.take_along_axis(a, order, axis=1)
    c = take(c)
    x = np.take_along_axis(x, order[..., None], axis=1)
    return Data(x=x, c=c, y=(c >= 2).astype(np.float64), z=(c % 2).astype(np.float64))


def sample(n: int, d: int, tau: float, rho: float, gens: Sequence[np.random.Generator],
           noise: str = "isotropic") -> Data:
    """Draw n points per generator in ``gens`` (one generator per seed)."""
    if noise not in ("isotropic", "reference"):
        raise ValueError(f"noise={noise!r} is unknown: allowed 'isotropic', 'reference'")
    c = np.stack([g.integers(0, 4, size=n) for g in gens])
    quirk = noise == "reference"
    eps = fill_normal(gens, np.empty((len(gens), n) if quirk else (len(gens), n, d)))
    return points_from_clusters(c, eps, d, tau, rho, quirk=quirk)


def sample_points(n: int, d: int = D, tau: float = TAU, rho: float | None = None, seed: int = 0,
                  noise: str = "isotropic") -> Data:
    """One sample of n points (arrays without the seed axis), e.g. for figures and probes."""
    rho = d ** -1.5 if rho is None else rho
    data = sample(n, d, tau, rho, [np.random.default_rng(seed)], noise=noise)
    return Data(x=data.x[0], c=data.c[0], y=data.y[0], z=data.z[0])


def augment(x: ArrayLike, rho: float, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """Two independent views x + rho*xi^(1), x + rho*xi^(2) of every point of x (any shape)."""
    xi = rng.standard_normal((2,) + np.shape(x))
    return x + rho * xi[0], x + rho * xi[1]

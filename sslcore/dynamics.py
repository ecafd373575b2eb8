"""Deterministic gradient ascent on the noise-free objective, its rates, basins and the
classification of where it ends (chapter 2's theory; figures in ``sslcore.convergence``).

Notation. s = sigmoid; per neuron w = (a, b, 0, ..., 0) the noise-free simplified objective is

    g(a, b) = 1/4 [s(a)^2 + s(a + tau b)^2 + s(-a)^2 + s(-a + tau b)^2] - alpha (a^2 + b^2)

(``sslcore.theory.g``), and for the whole W (K, d) with cluster weights p_mu (1/4 each, or the
empirical proportions of a sample) the noise-free objective is

    Psi_p(W) = sum_k sum_mu p_mu s(w_k . mu)^2 - alpha ||W||_F^2,
    grad_k  = 2 sum_mu p_mu s(w_k.mu) s'(w_k.mu) mu - 2 alpha w_k.

Scale. The training objective L(W) is a sum over the n points, so in expectation (and without
noise) L = n Psi: a training step W <- W + eta grad L is a step of size ``lr = eta n`` on Psi.
Near a maximum W* with Hessian H (of Psi), the error e_t = W_t - W* obeys e_{t+1} ~ (I + lr H) e_t,
so along an eigenvector with eigenvalue lambda < 0 it contracts by 1 - lr |lambda| per step.
Coordinates 3..d see only the regularizer (in Psi): their Hessian is -2 alpha I, so they contract
by exactly 1 - 2 alpha n eta per step.

Everything here is vectorized over leading axes ("rows": seeds or grid points). The maximum
W* is ``theory.simplified_optimum``; critical points and Hessians come from ``sslcore.theory``
(Newton's method on its ``Objective``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import theory
from .config import ALPHA, TAU, SSLConfig
from .data import cluster_means
from .models import sigmoid_derivative
from .training import Run, record_steps
from .validation import integer, real

__all__ = [
    "CLASSES", "BOTH", "LABEL_ONLY", "COLLAPSED", "OTHER",
    "hessian_eigenvalues", "saddle", "predicted_contractions", "RateFit", "fit_rate",
    "steps_to_tolerance", "first_below", "ascent", "plane_distance", "distance",
    "averaged_critical_points", "neuron_side", "classify", "class_counts", "empirical_proportions",
    "BasinMap", "basin_grid", "basin_boundary", "dg_db",
]

BOTH, LABEL_ONLY, COLLAPSED, OTHER = 0, 1, 2, 3
CLASSES = ("both features", "label only", "collapsed", "other")


# ----------------------------------------------------------------------------- the optimum
def hessian_eigenvalues(tau: float = TAU, alpha: float = ALPHA, p: ArrayLike | None = None,
                        neuron: int = 0) -> np.ndarray:
    """Eigenvalues (ascending) of the 2x2 Hessian of g at neuron ``neuron``'s maximum (a*, b*).

    About -0.030 and -0.011 for tau = 7, alpha = 1/800 (both negative: a strict local maximum).
    """
    neuron = integer("neuron", neuron, 0, high=1, rule="neuron in {0, 1}")
    W = theory.simplified_optimum(tau, alpha, 2, p)
    H = theory.Objective.simplified(tau, alpha, 2, p).hessian(W[neuron])
    return np.linalg.eigvalsh(H)


def saddle(tau: float = TAU, alpha: float = ALPHA, b0: float | None = None) -> np.ndarray:
    """The critical point (0, b_s) of g on the symmetry line a = 0 (Newton from (0, b0)).

    g is even in a, so a = 0 is invariant under gradient ascent; on it g has a maximum in b,
    while across it (in a) it has a minimum: a saddle separating the basins of (+-a*, b*).
    """
    obj = theory.Objective.simplified(tau, alpha, 2)
    start = np.array([0.0, 10.0 / tau if b0 is None else b0])
    return obj.critical_point(start)


def dg_db(a: ArrayLike, b: ArrayLike, tau: float = TAU, alpha: float = ALPHA) -> np.ndarray:
    """dg/db = (tau/2) [s s'(a + tau b) + s s'(-a + tau b)] - 2 alpha b (vectorized).

    Positive whenever b <= 0 (both terms of the bracket are positive, -2 alpha b >= 0), so
    gradient ascent always pushes a neuron's e2 coordinate up to b > 0.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    def ss(t):                                  # s(t) s'(t) = s^2 (1 - s)
        s = sigmoid_derivative(t, 0)
        return s ** 2 * (1 - s)

    return tau / 2 * (ss(a + tau * b) + ss(-a + tau * b)) - 2 * alpha * b


def predicted_contractions(cfg: SSLConfig | None = None) -> dict:
    """Per-step contraction factors predicted by the linearization, for a configuration.

    Returns {"eigenvalues": (lam_1, lam_2) of g's Hessian at its maximum, "lr": eta n,
    "plane": (1 - lr |lam_1|, 1 - lr |lam_2|), "other": 1 - 2 alpha n eta}.
    """
    cfg = cfg or SSLConfig()
    lam = hessian_eigenvalues(cfg.tau, cfg.alpha)
    lr = cfg.eta * cfg.n
    return {"eigenvalues": lam, "lr": lr, "plane": 1 - lr * np.abs(lam),
            "other": 1 - 2 * cfg.alpha * cfg.n * cfg.eta}


# ----------------------------------------------------------------------------- rates
@dataclass
class RateFit:
    """Least-squares fit log dist_t ~ intercept + slope t; ``contraction`` = exp(slope)."""

    slope: np.ndarray
    intercept: np.ndarray

    @property
    def contraction(self) -> np.ndarray:
        return np.exp(self.slope)


def fit_rate(steps: ArrayLike, dist: ArrayLike, start: float | None = None,
             stop: float | None = None) -> RateFit:
    """Fit log(dist) linearly in the step over start <= step <= stop.

    ``dist`` (..., R): one fit per leading row. Returns a :class:`RateFit` whose ``slope`` is the
    per-step log-contraction (about log(1 - lr |lambda|) for a linear contraction).
    """
    steps = np.asarray(steps, dtype=float)
    dist = np.asarray(dist, dtype=float)
    if dist.shape[-1] != steps.shape[0]:
        raise ValueError(f"dist has {dist.shape[-1]} records, steps has {steps.shape[0]}")
    keep = np.ones(steps.shape, bool)
    if start is not None:
        keep &= steps >= start
    if stop is not None:
        keep &= steps <= stop
    if keep.sum() < 2:
        raise ValueError("fit_rate needs at least two recorded steps in [start, stop]")
    if np.any(dist[..., keep] <= 0):
        raise ValueError("fit_rate needs positive distances")
    t, y = steps[keep], np.log(dist[..., keep])
    tc = t - t.mean()
    slope = (y * tc).sum(-1) / (tc**2).sum()
    intercept = y.mean(-1) - slope * t.mean()
    return RateFit(slope=slope, intercept=intercept)


def steps_to_tolerance(d0: ArrayLike, tol: float, contraction: ArrayLike) -> np.ndarray:
    """Smallest t with d0 * contraction^t <= tol: ceil(log(tol / d0) / log(contraction))."""
    d0, q = np.asarray(d0, dtype=float), np.asarray(contraction, dtype=float)
    if np.any(q <= 0) or np.any(q >= 1):
        raise ValueError(f"contraction={contraction!r} must lie in (0, 1)")
    return np.maximum(np.ceil(np.log(tol / d0) / np.log(q)), 0).astype(int)


def first_below(steps: ArrayLike, dist: ArrayLike, tol: float) -> np.ndarray:
    """First recorded step with dist <= tol, per leading row (-1 where it never happens)."""
    dist = np.asarray(dist)
    below = dist <= tol
    idx = np.argmax(below, axis=-1)
    return np.where(below.any(-1), np.asarray(steps)[idx], -1)


def plane_distance(W: ArrayLike, target: ArrayLike) -> np.ndarray:
    """||W[..., :2] - target[..., :2]||_F over both neurons: distance in the (e1, e2)
    coordinates."""
    W, target = np.asarray(W), np.asarray(target)
    return np.sqrt(((W[..., :2] - target[..., :2]) ** 2).sum(axis=(-1, -2)))


def distance(W: ArrayLike, target: ArrayLike) -> np.ndarray:
    """||W - target||_F over both neurons and all d coordinates."""
    return np.sqrt(((np.asarray(W) - np.asarray(target)) ** 2).sum(axis=(-1, -2)))


# ----------------------------------------------------------------------------- deterministic ascent
def ascent(W0: ArrayLike, T: int, lr: float = 0.1, tau: float = TAU, alpha: float = ALPHA,
           p: ArrayLike | None = None, record_every: int = 10
           ) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic gradient ascent W <- W + lr grad Psi_p(W) on the noise-free objective.

    W0 (..., K, d) (any leading axes: seeds, grid points); p: cluster weights, shape (4,) or
    (..., 4) per row (default 1/4 each). lr = eta n mirrors a training step (see module doc).
    Returns (steps (R,), W (..., R, K, d)) recorded at 0, record_every, ..., T.
    """
    T = integer("T", T, 0, rule="T >= 0")
    lr = real("lr", lr, 0, low_open=True, rule="lr > 0")
    tau = real("tau", tau, 0, low_open=True, rule="tau > 0")
    alpha = real("alpha", alpha, 0, rule="alpha >= 0")
    record_every = integer("record_every", record_every, 1, rule="record_every >= 1")
    W = np.array(W0, dtype=np.float64)
    if W.ndim < 2:
        raise ValueError(f"W0 with shape {W.shape} must be (..., K, d)")
    lead, (K, d) = W.shape[:-2], W.shape[-2:]
    mu = cluster_means(d, tau)                                       # (4, d)
    P = np.full(4, 0.25) if p is None else np.asarray(p, float)
    if P.shape[-1:] != (4,) or not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError(f"p with shape {P.shape} is out of range: allowed (..., 4) finite "
                         "cluster weights >= 0")
    P = np.broadcast_to(P, lead + (4,))
    B = int(np.prod(lead, dtype=int))
    P = np.repeat(P.reshape(B, 1, 4), K, axis=1).reshape(B * K, 4)  # one row per neuron
    W = W.reshape(B * K, d).copy()
    muT = np.ascontiguousarray(mu.T)
    steps = record_steps(T, record_every)
    out = np.empty((B, len(steps), K, d))
    shrink = 1 - 2 * lr * alpha
    j = 0
    for t in range(T + 1):
        if j < len(steps) and steps[j] == t:
            out[:, j] = W.reshape(B, K, d)
            j += 1
        if t == T:
            break
        s = sigmoid_derivative(W @ muT, 0)                                          # (B K, 4)
        W = shrink * W + (2 * lr) * ((P * s * s * (1 - s)) @ mu)
    return steps, out.reshape(lead + out.shape[1:])


def averaged_critical_points(run: Run, W_start: ArrayLike | None = None) -> np.ndarray:
    """Per seed, the critical point of the augmentation-averaged objective Phi(W; x_seed)
    (``theory.Objective.averaged``), by Newton's method from the run's final weights.

    This is the point stochastic gradient ascent fluctuates around (the expected step is
    lr grad Phi); it differs from the noise-free optimum by the sample's cluster imbalance,
    its data noise and the smoothing by the augmentation. Shape (S, 2, d).
    """
    cfg = run.config
    W_start = run.W_final if W_start is None else W_start
    return np.stack([theory.Objective.averaged(x, cfg.rho, cfg.alpha).critical_point(W)
                     for x, W in zip(run.data.x, W_start)])


def empirical_proportions(c: ArrayLike) -> np.ndarray:
    """Cluster proportions (..., 4) of cluster labels c (..., n) in {0, 1, 2, 3}."""
    c = np.asarray(c).astype(int)
    return np.stack([(c == k).mean(-1) for k in range(4)], axis=-1)


# ----------------------------------------------------------------------------- classification
def neuron_side(W: ArrayLike, opt: ArrayLike | None = None, radius: float = 1.0) -> np.ndarray:
    """Which maximum each neuron sits at: +1 near (a*, b*), -1 near (-a*, b*), 0 otherwise.

    W (..., 2, d); "near" = Euclidean distance of (w_k1, w_k2) to that point <= radius.
    ``opt`` = (a*, b*) (default: the maximum of g for tau = 7, alpha = 1/800).
    """
    W = np.asarray(W, dtype=float)
    a, b = theory.simplified_optimum(d=2)[0] if opt is None else opt
    xy = W[..., :2]
    plus = np.hypot(xy[..., 0] - a, xy[..., 1] - b) <= radius
    minus = np.hypot(xy[..., 0] + a, xy[..., 1] - b) <= radius
    return np.where(plus, 1, np.where(minus, -1, 0))


def classify(W: ArrayLike, opt: ArrayLike | None = None, radius: float = 1.0,
             e2_share: float = 0.1, min_e1: float = 1.0) -> np.ndarray:
    """Where gradient ascent ended, per row of W (..., 2, d). The rule, in this order:

    1. "both features" (0): one neuron at (a*, b*) and the other at (-a*, b*) (within radius):
       span(w1, w2) contains e1 and e2 up to the unconverged coordinates.
    2. "collapsed" (2): both neurons at the same maximum (span is one direction).
    3. "label only" (1): every neuron has |w_k2| / ||w_k|| < e2_share and some |w_k1| >= min_e1:
       the neurons carry e1 but (almost) no e2, like the SL solution.
    4. "other" (3): anything else (not converged, at a saddle, or elsewhere).
    """
    W = np.asarray(W, dtype=float)
    side = neuron_side(W, opt, radius)
    s1, s2 = side[..., 0], side[..., 1]
    share = np.abs(W[..., 1]) / np.maximum(np.linalg.norm(W, axis=-1), 1e-300)
    label_only = (share < e2_share).all(-1) & (np.abs(W[..., 0]) >= min_e1).any(-1)
    return np.select([s1 * s2 == -1, (s1 == s2) & (s1 != 0), label_only],
                     [BOTH, COLLAPSED, LABEL_ONLY], default=OTHER)


def class_counts(labels: ArrayLike) -> dict[str, int]:
    """{class name: count} over all entries of ``labels``."""
    labels = np.asarray(labels)
    return {name: int((labels == k).sum()) for k, name in enumerate(CLASSES)}


# ----------------------------------------------------------------------------- basin map
@dataclass
class BasinMap:
    """Endpoints of deterministic ascent from a grid of initial (w11, w12) of neuron 1.

    a0 (na,), b0 (nb,): grid; W_final (nb, na, 2, d); labels (nb, na) (see :func:`classify`).
    """

    a0: np.ndarray
    b0: np.ndarray
    W_final: np.ndarray
    labels: np.ndarray
    partner: tuple
    p: np.ndarray


def basin_grid(a0: ArrayLike, b0: ArrayLike, partner: tuple[float, float] = (-3.5, 1.25),
               T: int = 4000, lr: float = 0.1, tau: float = TAU, alpha: float = ALPHA,
               p: ArrayLike | None = None, d: int = 2, radius: float = 1.0) -> BasinMap:
    """Deterministic ascent on Psi_p for W0 = [(a, b, 0, ...); (partner, 0, ...)] over the grid.

    Neuron 2 starts at ``partner`` (default: the centre of the ``near`` region for neuron 2);
    every grid point is one row of a single vectorized :func:`ascent`. The endpoint is
    classified with :func:`classify` against the maximum of Psi_p.
    """
    d = integer("d", d, 2, rule="d >= 2")
    radius = real("radius", radius, 0, low_open=True, rule="radius > 0")
    a0, b0 = np.asarray(a0, float), np.asarray(b0, float)
    A, B = np.meshgrid(a0, b0)                                      # (nb, na)
    W0 = np.zeros(A.shape + (2, d))
    W0[..., 0, 0], W0[..., 0, 1] = A, B
    W0[..., 1, 0], W0[..., 1, 1] = partner
    _, W = ascent(W0, T, lr, tau, alpha, p, record_every=T)
    opt = theory.simplified_optimum(tau, alpha, 2, p)[0]
    Wf = W[..., -1, :, :]
    labels = classify(Wf, opt=opt, radius=radius)
    return BasinMap(a0, b0, Wf, labels, tuple(partner),
                    np.full(4, 0.25) if p is None else np.asarray(p, float))


def basin_boundary(p: ArrayLike | None = None, b0: ArrayLike = 1.0, T: int = 4000,
                   lr: float = 0.1, tau: float = TAU, alpha: float = ALPHA, lo: float = -3.0,
                   hi: float = 3.0, iters: int = 16) -> np.ndarray:
    """The initial a0 = w_k1 at which a neuron started at (a0, b0) switches maximum.

    Deterministic ascent on Psi_p (coordinates 3..d do not matter there: they only shrink)
    ends at (+a*, b*) for a0 above the boundary and at (-a*, b*) below it. Found by bisection
    on the sign of the final a, vectorized over rows: p (..., 4) and b0 (...) broadcast.
    With p uniform the boundary is a0 = 0 (g is even in a); a surplus of "-e1" points
    (p_3 > p_1) moves it to a0 > 0. Resolution (hi - lo) / 2^iters.
    """
    iters = integer("iters", iters, 1, rule="iters >= 1")
    lo, hi = real("lo", lo, rule="lo < hi"), real("hi", hi, rule="hi > lo")
    if not lo < hi:
        raise ValueError(f"lo={lo!r}, hi={hi!r} are out of range: allowed lo < hi")
    P = np.full(4, 0.25) if p is None else np.asarray(p, float)
    b0 = np.asarray(b0, float)
    shape = np.broadcast_shapes(P.shape[:-1], b0.shape)
    P = np.broadcast_to(P, shape + (4,))
    b0 = np.broadcast_to(b0, shape)
    lo, hi = np.full(shape, float(lo)), np.full(shape, float(hi))
    for _ in range(iters):
        mid = (lo + hi) / 2
        W0 = np.stack([mid, b0], axis=-1)[..., None, :]               # (..., 1, 2)
        _, W = ascent(W0, T, lr, tau, alpha, P, record_every=T)
        plus = W[..., -1, 0, 0] > 0
        hi, lo = np.where(plus, mid, hi), np.where(plus, lo, mid)
    return (lo + hi) / 2

"""The quantitative IFT (``sslcore.ift``) applied to the SSL objectives of ``sslcore.theory``
across settings: the population objective at the simplified optimum for one (rho, tau) or a
grid (``population_ift``, ``sweep``), the augmentation-averaged objective of finite samples
(``sample_study``), the quadrature error (``quadrature_difference``) and bounds on the
projection lengths over a ball (``projection_lower_bound``, ``projection_ball_min``).

Notation: f = grad Phi for an objective Phi, x0 the base point, A = Df(x0) = Hess Phi(x0),
r = 2 ||A^-1|| ||f(x0)|| the IFT radius, and the Jacobian condition ||Df(x) - A|| <=
1 / (2 ||A^-1||) on the closed ball B(x0, r). For the population objective the dimension d
enters only through rho (the cluster centres have no coordinates 3..d, so the Hessian there is
the same multiple of the identity for every d): a sweep over rho is a sweep over
d = rho^(-2/3).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from . import analysis
from .config import ALPHA, RHO, TAU
from .ift import IFTResult, ift_check, ift_check_neuron, preconditioner
from .theory import NoMaximumError, Objective, simplified_optimum
from .validation import integer

__all__ = ["MODES", "SWEEP_FIELDS", "quadrature_difference", "population_ift", "sweep",
           "sample_study", "projection_lower_bound", "projection_ball_min"]

MODES = ("2d", "full", "hessian")


# ============================================================================ quadrature
def quadrature_difference(obj: Objective, W: ArrayLike, n_ref: int = 80) -> tuple[float, float]:
    """max |grad_n - grad_ref| and max |Hess_n - Hess_ref| at W between obj's Gauss-Hermite
    rule (obj.n_nodes nodes) and one with ``n_ref`` nodes: a check of the quadrature error."""
    ref = dataclasses.replace(obj, n_nodes=integer("n_ref", n_ref, 1, high=400))
    return (float(np.max(np.abs(obj.gradient(W) - ref.gradient(W)))),
            float(np.max(np.abs(obj.hessian(W) - ref.hessian(W)))))


# ============================================================================ population sweeps
def first_failing_rho(rhos: ArrayLike, holds: ArrayLike) -> float:
    """The first rho (rhos in increasing order) at which ``holds`` turns False, or NaN."""
    rhos, holds = np.asarray(rhos, dtype=float), np.asarray(holds, dtype=bool)
    bad = np.flatnonzero(~holds)
    return float(rhos[bad[0]]) if len(bad) else float("nan")


def population_ift(tau: float = TAU, rho: float = RHO, alpha: float = ALPHA, mode: str = "2d",
                   n_samples: int = 50, seed: int = 0, find_root: bool = True
                   ) -> IFTResult | None:
    """The IFT for f = grad Phi_pop (one neuron, neuron 1) at x0 = the simplified optimum.

    mode: '2d' (the per-neuron reduction to (w_11, w_12)), 'full' (all d coordinates, Euclidean
    norm), 'hessian' (all d coordinates, norm ||(-A)^(1/2) (x - x0)||). The result does not
    depend on d >= 3 (see the module doc), so the objective is built with d = 3 for 'full' and
    'hessian'. Returns an ``IFTResult``, or None if there is no simplified optimum
    (``theory.NoMaximumError``).
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is out of range: allowed one of {MODES}")
    d = 2 if mode == "2d" else 3
    try:
        W0 = simplified_optimum(tau, alpha, d)[:1]
    except (NoMaximumError, RuntimeError):
        return None
    pop = Objective.population(tau, rho, alpha, d)
    return ift_check(pop, W0, S="hessian" if mode == "hessian" else None,
                     n_samples=n_samples, seed=seed, find_root=find_root)


SWEEP_FIELDS = ("norm_Ainv", "perturbation", "radius", "allowed_variation", "jacobian_variation",
                "variation_bound", "holds", "holds_sampled", "max_displacement", "root_distance")


def sweep(rhos: ArrayLike, taus: ArrayLike = (TAU,), alpha: float = ALPHA, mode: str = "2d",
          n_samples: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """``population_ift`` over a grid: {field: array (len(taus), len(rhos))} for the fields of
    ``SWEEP_FIELDS`` (NaN / False where there is no simplified optimum), plus 'rho', 'tau'.

    root_distance is measured in the norm of the check (Euclidean for '2d' and 'full').
    """
    rhos = np.asarray(rhos, dtype=np.float64)
    taus = np.asarray(taus, dtype=np.float64)
    out = {k: np.full((len(taus), len(rhos)), np.nan) for k in SWEEP_FIELDS}
    for i, tau in enumerate(taus):
        for j, rho in enumerate(rhos):
            res = population_ift(tau, rho, alpha, mode, n_samples=n_samples, seed=seed)
            if res is not None:
                for k in SWEEP_FIELDS:
                    out[k][i, j] = getattr(res, k)
    for k in ("holds", "holds_sampled"):
        out[k] = np.nan_to_num(out[k], nan=0.0).astype(bool)
    out["rho"], out["tau"] = rhos, taus
    return out


# ============================================================================ finite samples
def sample_study(x: ArrayLike, c: ArrayLike, rho: float, tau: float = TAU, alpha: float = ALPHA,
                 n_samples: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """The IFT on the augmentation-averaged objective Phi(W; x_s) of each sample s.

    x (S, n, d), c (S, n) cluster indices. Base point x0_s = the rho = 0 optimum for the
    sample's cluster proportions p_s (``simplified_optimum(p=p_s)``); each neuron k is checked
    on its own in all d coordinates (plain Euclidean norm and the preconditioned norm) and in
    the 2-D reduction (the sample's first two coordinates). Returns a dict of arrays (S, 2):
    plain_holds, plain_sampled, pre_holds, pre_sampled, pre_radius, pre_displacement,
    pre_root (preconditioned distance of the Newton root), 2d_holds, 2d_sampled, 2d_radius,
    2d_root; and (S, 2, d) arrays base, root (Newton from base), uniform (the uniform-p
    simplified optimum, the same for every s).
    """
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c)
    S, n, d = x.shape
    keys = ["plain_holds", "plain_sampled", "pre_holds", "pre_sampled", "pre_radius",
            "pre_displacement", "pre_root", "2d_holds", "2d_sampled", "2d_radius", "2d_root"]
    out = {k: np.zeros((S, 2)) for k in keys}
    out["base"], out["root"] = np.zeros((S, 2, d)), np.zeros((S, 2, d))
    out["uniform"] = np.broadcast_to(simplified_optimum(tau, alpha, d), (S, 2, d)).copy()
    for s in range(S):
        obj = Objective.averaged(x[s], rho, alpha)
        base = simplified_optimum(tau, alpha, d, p=np.bincount(c[s], minlength=4) / n)
        out["base"][s] = base
        out["root"][s] = obj.critical_point(base)
        for k in range(2):
            plain = ift_check(obj, base[k], n_samples=n_samples, seed=seed, find_root=False)
            pre = ift_check(obj, base[k], S="hessian", n_samples=n_samples, seed=seed,
                            find_root=False)
            two = ift_check_neuron(obj, base, k, n_samples=n_samples, seed=seed)
            Sk = np.linalg.inv(preconditioner(obj.hessian(base[k])))
            vals = {"plain_holds": plain.holds, "plain_sampled": plain.holds_sampled,
                    "pre_holds": pre.holds, "pre_sampled": pre.holds_sampled,
                    "pre_radius": pre.radius, "pre_displacement": pre.max_displacement,
                    "pre_root": np.linalg.norm(Sk @ (out["root"][s, k] - base[k])),
                    "2d_holds": two.holds, "2d_sampled": two.holds_sampled,
                    "2d_radius": two.radius, "2d_root": two.root_distance}
            for key, v in vals.items():
                out[key][s, k] = v
    for k in keys:
        if k.endswith(("holds", "sampled")):
            out[k] = out[k].astype(bool)
    return out


# ============================================================================ projections
def projection_lower_bound(W0: ArrayLike, e: ArrayLike, delta: ArrayLike) -> float:
    """A lower bound of ||P_W e|| over all W (2, d) with ||w_k - w0_k|| <= delta_k (k = 1, 2),
    P_W the orthogonal projection onto span(w_1, w_2), e a unit vector.

    With c = the least-squares coefficients of e on (w0_1, w0_2) (so v0 = c.W0 = P_W0 e) and
    v = c.W: ||P_W e|| >= <v, e> / ||v||, <v, e> >= <v0, e> - D and ||v|| <= ||v0|| + D with
    D = |c_1| delta_1 + |c_2| delta_2. Hence, when the numerator is > 0::

        ||P_W e|| >= (||P_W0 e||^2 - D) / (||P_W0 e|| + D)

    which equals ||P_W0 e|| at delta = 0. Returns max(bound, 0).
    """
    W0 = np.asarray(W0, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (2,))
    if np.any(delta < 0):
        raise ValueError(f"delta={delta!r} is out of range: allowed values >= 0")
    coef = np.linalg.lstsq(W0.T, e, rcond=None)[0]
    v0 = coef @ W0
    p0 = float(np.linalg.norm(v0))
    D = float(np.abs(coef) @ delta)
    return max(0.0, (p0 ** 2 - D) / (p0 + D))


def projection_ball_min(W0: ArrayLike, e: ArrayLike, delta: ArrayLike, n: int = 4000,
                        seed: int = 0) -> float:
    """The smallest ||P_W e|| over n seeded random W with ||w_k - w0_k|| <= delta_k (half of
    them on the boundary spheres): numerical evidence for the minimum over the ball."""
    W0 = np.asarray(W0, dtype=np.float64)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (2,))
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n, 2, W0.shape[1]))
    U /= np.linalg.norm(U, axis=2, keepdims=True)
    scale = np.where(np.arange(n) < n // 2, 1.0, rng.uniform(size=n) ** (1 / W0.shape[1]))
    W = W0 + U * (scale[:, None, None] * delta[None, :, None])
    return float(np.min(analysis.projection_length(W, e)))

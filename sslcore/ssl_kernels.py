"""The SSL ascent step kernels of :mod:`sslcore.training` and the random numbers they use.

Every kernel works on Wt = W^T (S, d, 2), S = number of seeds (rows), and returns the new
weights with the step's sigmoids and gradient; ``tests/test_building_blocks.py`` checks each
against the plain formulas of :mod:`sslcore.models`. Two ways to draw the views
(``SSLConfig.sampler``):

* ``"views"`` (:func:`ssl_step_views`): the two views x + rho xi^(v) of every point, d normals
  per point and view.
* ``"projected"`` (:func:`ssl_step_projected`, default in the clean mode): the same
  distribution of the whole trajectory with d/2 times fewer draws. The step sees xi only
  through a = Q^T xi, Q an orthonormal basis (d, 2) of a plane containing w_1, w_2 (so
  w_k.xi = w_k.Q a), and through the sums G_k = sum_{v,i} c^v_ik P xi^v_i with P = I - Q Q^T.
  Since P xi is independent of a (hence of the coefficients c), (G_1, G_2) is Gaussian with
  Cov(G_k, G_l) = M_kl P, M = sum_{v,i} c^v_i c^v_i^T: we draw a (2 per point and view) and
  G = P (L Z), L L^T = M, Z a (d, 2) standard normal. ``tests/test_training.py`` checks the two
  samplers agree in law.

:func:`draw_ssl_noise` draws a block of steps' random numbers for either kernel, and
:func:`prefetched_draws` draws the next block in a background thread while the current one
trains. :func:`sigmoid_inplace` and :func:`broadcast_rows` also serve the SL step,
``training.sl_step``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import models, reference
from .config import SSLConfig
from .data import fill_normal

#: (new Wt, sigmoids s (S, 2 views, n, 2), gradient^T (S, d, 2)), the last two at the old Wt.
StepResult = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Noise drawn per seed and block of steps, at most (bytes); see :func:`block_length`.
BLOCK_BYTES_PER_SEED = 4 * 2**20


def normals_per_step(cfg: SSLConfig) -> int:
    """Standard normals one step draws per seed: (2n + d) m ("projected"), 2 n d ("views")."""
    if cfg.sampler == "projected":
        return (2 * cfg.n + cfg.d) * cfg.m
    return 2 * cfg.n * cfg.d


def block_length(cfg: SSLConfig, block: int) -> int:
    """Steps per block of random numbers: ``block``, or fewer so that a seed's block holds at
    most BLOCK_BYTES_PER_SEED (4 MiB) of normals. It depends on the seed's own sizes only
    (n, d, m, sampler), never on how many seeds train together, so stacking seeds does not
    change a seed's stream. At the paper's size a seed's block of 200 steps holds 0.66 MiB."""
    return max(1, min(block, BLOCK_BYTES_PER_SEED // (8 * normals_per_step(cfg))))


def draw_ssl_noise(cfg: SSLConfig, gens: Sequence[np.random.Generator | np.random.RandomState],
                   n: int, d: int, length: int) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The random numbers of ``length`` steps for the kernel of ``cfg.sampler``, one stream per
    row: "projected", (a (S, length, 2n, m), Z (S, length, d, m)); "views", the noise
    (S, length, 2, n, d) (in the authors' order when ``cfg.rng`` is "reference")."""
    S, m = len(gens), cfg.m
    if cfg.sampler == "projected":
        return (fill_normal(gens, np.empty((S, length, 2 * n, m))),
                fill_normal(gens, np.empty((S, length, d, m))))
    if cfg.rng == "reference":
        return reference.view_noise(gens, length, n, d)
    return fill_normal(gens, np.empty((S, length, 2, n, d)))


def prefetched_draws(blocks: Iterable[tuple[int, int]], draw: Callable[[int], Any]
                     ) -> Iterator[tuple[int, int, Any]]:
    """Yield (start, length, draw(length)) for each block; the next block's random numbers are
    drawn in a background thread while the caller computes on the current one.

    Only that thread touches the random streams, one block after the other, so the numbers and
    their order are exactly those of drawing in the loop (NumPy's generators release the GIL
    while they fill an array, so the two overlap on two cores).
    """
    blocks = list(blocks)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(draw, blocks[0][1])
        for k, (start, length) in enumerate(blocks):
            noise = pending.result()
            if k + 1 < len(blocks):
                pending = pool.submit(draw, blocks[k + 1][1])
            yield start, length, noise


def broadcast_rows(v: ArrayLike, ndim: int) -> np.ndarray:
    """A scalar, or one value per row (S,), shaped to broadcast against (S, ...) of ndim axes."""
    return np.reshape(v, (-1,) + (1,) * (ndim - 1))


def sigmoid_inplace(u: np.ndarray) -> np.ndarray:
    """u <- s(u) in place, returned (the caller silences the harmless overflow of e^-u, see
    models.sigmoid)."""
    np.negative(u, out=u)
    np.exp(u, out=u)
    u += 1.0
    return np.reciprocal(u, out=u)


def ssl_value(Wt: np.ndarray, s: np.ndarray, alpha: ArrayLike, n: int) -> np.ndarray:
    """L(W) (S,) from the step's sigmoids s (S, 2 views, n, 2):
    sum s(u1) s(u2) - alpha n ||W||^2."""
    return (s[:, 0] * s[:, 1]).sum(axis=(1, 2)) - np.ravel(alpha) * n * (Wt**2).sum(axis=(1, 2))


def ssl_step_views(Wt: np.ndarray, x: np.ndarray, noise: np.ndarray, rho: ArrayLike,
                   alpha: ArrayLike, eta: float) -> StepResult:
    """One ascent step with explicit views x + rho noise[:, v]; noise (S, 2, n, d).

    Works on Wt = W^T (S, d, 2). Returns (new Wt, sigmoids s (S, 2, n, 2), gradient^T), the
    last two at the old weights.
    """
    n = x.shape[-2]
    rho, alpha = broadcast_rows(rho, 4), broadcast_rows(alpha, 3)
    xv = x[:, None] + rho * noise                            # (S, 2 views, n, d)
    s = models.sigmoid(xv @ Wt[:, None])                     # s(w_k.x^v_i), (S, 2, n, 2)
    c = s * (1 - s) * s[:, ::-1]                             # c^v = s'(u^v) s(u^other view)
    gradT = np.swapaxes(xv[:, 0], 1, 2) @ c[:, 0] + np.swapaxes(xv[:, 1], 1, 2) @ c[:, 1]
    gradT -= 2 * alpha * n * Wt
    return Wt + eta * gradT, s, gradT


def qr2(Wt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin QR of W^T (S, d, 2) by Gram-Schmidt, signs as LAPACK's Householder QR.

    Q (S, d, 2) has orthonormal columns, R (S, 2, 2) is upper triangular, W^T = Q R; the signs
    r_11 = -sign(w_11) |w_1| and r_22 = -sign((H_1 w_2)_2) |P_1 w_2| are those of
    ``np.linalg.qr`` (Householder reflections), which is 8x slower on a stack of d x 2 matrices.
    """
    w1, w2 = Wt[..., 0], Wt[..., 1]
    r11 = np.where(w1[:, 0] >= 0, -1.0, 1.0) * np.sqrt((w1 * w1).sum(-1))
    with np.errstate(divide="ignore", invalid="ignore"):       # rows fixed below
        q1 = w1 / r11[:, None]
        r12 = (q1 * w2).sum(-1)
        v = w2 - r12[:, None] * q1
        u0 = w1[:, 0] - r11                                  # Householder vector u = w1 - r11 e1
        uu = u0 * u0 + (w1[:, 1:] ** 2).sum(-1)
        uw = u0 * w2[:, 0] + (w1[:, 1:] * w2[:, 1:]).sum(-1)
        h = w2[:, 1] - 2.0 * w1[:, 1] * uw / uu              # (H_1 w_2)_2
    nv = np.sqrt((v * v).sum(-1))
    r22 = np.where(h >= 0, -1.0, 1.0) * nv
    bad = ~(nv > 1e-6 * np.sqrt((w2 * w2).sum(-1)))          # (nearly) parallel columns, or w1 = 0
    if bad.any():                                            # Gram-Schmidt loses orthogonality
        r11, r22 = np.where(bad, 1.0, r11), np.where(bad, 1.0, r22)
    Q = np.stack([w1 / r11[:, None], v / r22[:, None]], -1)
    R = np.zeros(Wt.shape[:-2] + (2, 2))
    R[:, 0, 0], R[:, 0, 1], R[:, 1, 1] = r11, r12, r22
    if bad.any():
        Q[bad], R[bad] = np.linalg.qr(Wt[bad])
    return Q, R


def ssl_step_projected(Wt: np.ndarray, x: np.ndarray, xT: np.ndarray, a: np.ndarray,
                       Z: np.ndarray, rho: ArrayLike, alpha: ArrayLike,
                       eta: float) -> StepResult:
    """One ascent step drawing only what the gradient sees (module docstring).

    Wt = W^T (S, d, 2); x (S, n, d) and xT its transpose (S, d, n); a (S, 2n, 2): the noise of
    both views (view-major) in the plane of Q; Z (S, d, 2): standard normals for G.
    Returns (new Wt, sigmoids s (S, 2, n, 2), gradient^T), the last two at the old weights.
    """
    S, n = x.shape[0], x.shape[1]
    rho = broadcast_rows(rho, 3)
    Q, R = qr2(Wt)                                           # W^T = Q R, Q (S, d, 2)
    R *= rho
    u = (a @ R).reshape(S, 2, n, 2)                          # rho w_k.(Q a^v_i) = rho (a^v_i R)_k
    u += (x @ Wt)[:, None]                                   # u^v_ik = w_k.(x_i + rho Q a^v_i)
    s = sigmoid_inplace(u)
    c = s * s
    np.subtract(s, c, out=c)                                 # s'(u) = s - s^2
    c *= s[:, ::-1]                                          # c^v_ik = s'(u^v_ik) s(u^other_ik)
    gradT = xT @ (c[:, 0] + c[:, 1])                         # sum_{v,i} c^v_ik x_i, (S, d, 2)
    c = c.reshape(S, 2 * n, 2)
    ca = np.swapaxes(a, 1, 2) @ c                            # sum_{v,i} a_ij c_ik, (S, 2, 2)
    M = np.swapaxes(c, 1, 2) @ c                             # sum_{v,i} c_ik c_il
    L11 = np.sqrt(M[:, 0, 0])                                # M = L L^T, L lower triangular
    L21 = M[:, 1, 0] / np.maximum(L11, 1e-200)               # L11 = 0 (all s' = 0): L21 = 0
    L22 = np.sqrt(np.maximum(M[:, 1, 1] - L21**2, 0.0))
    G = Z * L11[:, None, None]                               # G_k = sum_l L_kl Z_l
    G[..., 1] = L21[:, None] * Z[..., 0] + L22[:, None] * Z[..., 1]
    G -= Q @ (np.swapaxes(Q, 1, 2) @ G)                      # P G: project out the plane
    G += Q @ ca
    G *= rho
    G -= (2.0 * n) * broadcast_rows(alpha, 3) * Wt
    gradT += G
    return Wt + eta * gradT, s, gradT


# -- chapter 5: any width m, activation and objective ------------------------------------------
#: (u (S, 2 views, n, m)) -> (L_data (S,), c = dL_data/du (S, 2, n, m)), see sslcore.objectives
Terms = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: (new Wt, L(W) (S,), gradient^T (S, d, m)), the last two at the old Wt
GeneralResult = tuple[np.ndarray, np.ndarray, np.ndarray]


def _decay(Wt, alpha, n):
    """(alpha n ||W||_F^2 (S,), 2 alpha n W^T) of the weight decay."""
    a = broadcast_rows(alpha, 3)
    return np.ravel(alpha) * n * (Wt**2).sum(axis=(1, 2)), (2.0 * n) * a * Wt


def general_step_views(Wt: np.ndarray, x: np.ndarray, noise: np.ndarray, rho: ArrayLike,
                       alpha: ArrayLike, eta: float, terms: Terms) -> GeneralResult:
    """One ascent step of any objective (``terms``) with explicit views x + rho noise[:, v].

    Wt = W^T (S, d, m); noise (S, 2, n, d). dL/dW^T = sum_{v,i} x^v_i c^v_i^T - 2 alpha n W^T.
    """
    n = x.shape[-2]
    xv = x[:, None] + broadcast_rows(rho, 4) * noise          # (S, 2 views, n, d)
    value, c = terms(xv @ Wt[:, None])                        # u^v_ik = w_k.x^v_i
    reg, dreg = _decay(Wt, alpha, n)
    gradT = np.swapaxes(xv[:, 0], 1, 2) @ c[:, 0] + np.swapaxes(xv[:, 1], 1, 2) @ c[:, 1]
    gradT -= dreg
    return Wt + eta * gradT, value - reg, gradT


def general_step_projected(Wt: np.ndarray, x: np.ndarray, xT: np.ndarray, a: np.ndarray,
                           Z: np.ndarray, rho: ArrayLike, alpha: ArrayLike, eta: float,
                           terms: Terms) -> GeneralResult:
    """One ascent step of any objective drawing only what the gradient sees (m <= d).

    The module docstring's sampler with m neurons: W^T = Q R (Q (S, d, m) orthonormal), the
    views' noise enters u only through a = Q^T xi (S, 2n, m), and G = sum_{v,i} P xi^v_i c^v_i^T
    is drawn as P Z L^T with L L^T = M = sum_{v,i} c^v_i c^v_i^T (L = V sqrt(Lambda) from the
    eigendecomposition, as M may be singular, e.g. for dead ReLU neurons).
    """
    S, n = x.shape[0], x.shape[1]
    m = Wt.shape[-1]
    rho = broadcast_rows(rho, 3)
    Q, R = qr2(Wt) if m == 2 else np.linalg.qr(Wt)
    u = (a @ (rho * R)).reshape(S, 2, n, m)
    u += (x @ Wt)[:, None]
    value, c = terms(u)
    gradT = xT @ (c[:, 0] + c[:, 1])                          # sum_{v,i} x_i c^v_i^T
    c = c.reshape(S, 2 * n, m)
    lam, V = np.linalg.eigh(np.swapaxes(c, 1, 2) @ c)         # M = V diag(lam) V^T
    G = Z @ np.swapaxes(V * np.sqrt(np.maximum(lam, 0.0))[:, None, :], 1, 2)   # Z L^T
    G -= Q @ (np.swapaxes(Q, 1, 2) @ G)                       # P G
    G += Q @ (np.swapaxes(a, 1, 2) @ c)                       # the noise in the plane of Q
    G *= rho
    reg, dreg = _decay(Wt, alpha, n)
    gradT += G - dreg
    return Wt + eta * gradT, value - reg, gradT

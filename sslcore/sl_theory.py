"""The supervised (SL) model's theory: its population loss with gradient and Hessian, the
SL optimum, and why its e2 weights decay.

Notation: s = sigmoid; per point the SL loss of the network h(x) = F_1 s(w_1.x) + F_2 s(w_2.x)
(F the output weights) is softplus(h) - y h, plus beta ||W||_F^2 + gamma ||F||^2.

* ``sl_quadrature``, ``SLPopulation``: the population SL loss with gradient and Hessian by
  ``torch.func`` in float64; ``SLPopulation.critical_point`` is Newton's method.
* ``sl_symmetric_optimum``: the noise-free SL optimum w1 = -w2 = (a, 0, ...),
  F = (-phi, phi), about (2.628, 4.254): Newton on ``SLPopulation`` at rho = 0.
* The mechanism (``regularizer_factor``, ``e2_decay``, ``e2_hessian``, ``kick``): the
  regularizer alone shrinks every coordinate by q = 1 - 2 beta n eta per step; the data term
  of the loss adds curvature along the e2 coordinates w_12, w_22, whose 2x2 Hessian block is::

      d^2 J / dw_k2 dw_l2 = sum_i x_i2^2 [s'(h_i) F_k F_l s'(u_ik) s'(u_il)
                                          + delta_kl r_i F_k s''(u_ik)] + 2 beta n delta_kl

  (u_ik = w_k.x_i, h_i = F.s(W x_i), r_i = s(h_i) - y_i); a deviation db of (w_12, w_22)
  then decays like (I - eta H_bb)^t db.
"""
from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.typing import ArrayLike

from . import analysis, models
from .config import BETA, GAMMA, RHO, TAU, D, SLConfig, SSLConfig
from .data import cluster_means
from .theory import newton_critical_point
from .training import Run, sl_step
from .validation import integer, real

__all__ = ["sl_quadrature", "SLPopulation", "sl_symmetric_optimum", "regularizer_factor",
           "e2_decay", "e2_hessian", "e2_hessian_population", "kick"]


def sl_quadrature(d: int, n_nodes: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Nodes xi (Q, d) and weights (Q,) for E g(xi), xi ~ N(0, I_d), used by ``SLPopulation``.

    A product of an n_nodes x n_nodes Gauss-Hermite rule in (xi_1, xi_2) and, in xi_3..xi_d,
    the 2(d-2) points +-sqrt(d-2) e_j with equal weights (exact for polynomials of degree <= 3
    in those coordinates). The expectation E phi(W xi) of a smooth phi is then evaluated with
    Gauss-Hermite accuracy, together with its first and second derivatives in W, at every W
    whose columns 3..d vanish (there phi(W xi) depends on xi_1, xi_2 only and the derivatives
    bring down at most the factors xi_j xi_j'); elsewhere the rule is an approximation.
    """
    d = integer("d", d, 2)
    n_nodes = integer("n_nodes", n_nodes, 1, high=200)
    z, w = hermegauss(n_nodes)
    w = w / np.sqrt(2 * np.pi)
    Z1, Z2 = np.meshgrid(z, z, indexing="ij")
    xi12 = np.stack([Z1.ravel(), Z2.ravel()], 1)
    w12 = np.outer(w, w).ravel()
    m = d - 2
    if m == 0:
        return xi12, w12
    R = np.sqrt(m) * np.vstack([np.eye(m), -np.eye(m)])
    wr = np.full(2 * m, 1.0 / (2 * m))
    xi = np.concatenate([np.repeat(xi12, len(R), 0), np.tile(R, (len(xi12), 1))], 1)
    return xi, np.repeat(w12, len(R)) * np.tile(wr, len(xi12))


class SLPopulation:
    """The population SL loss per point, minimized over theta = (w_1, w_2, F) in R^(2d + 2):

        J(W, F) = sum_c (1/4) E_xi[softplus(h_c) - y_c h_c] + beta ||W||_F^2 + gamma ||F||^2,
        h_c = F_1 s(w_1.(mu_c + rho xi)) + F_2 s(w_2.(mu_c + rho xi)),  xi ~ N(0, I_d),

    mu_c the four cluster centres with labels y = (0, 0, 1, 1) (the training loss divided by n,
    expectation over the data). Gradient and Hessian by ``torch.func`` in float64; the
    expectation by ``sl_quadrature`` (exact up to Gauss-Hermite error at W with w_k3..w_kd = 0;
    with rho = 0 it is the noise-free loss exactly), or by ``rule`` = (nodes, weights).
    """

    def __init__(self, tau: float = TAU, rho: float = RHO, beta: float = BETA,
                 gamma: float = GAMMA, d: int = D, n_nodes: int = 12,
                 rule: tuple[ArrayLike, ArrayLike] | None = None) -> None:
        import torch

        self.tau = real("tau", tau, 0, low_open=True)
        self.rho = real("rho", rho, 0)
        self.beta = real("beta", beta, 0)
        self.gamma = real("gamma", gamma, 0)
        self.d = integer("d", d, 2)
        if rule is not None:  # any (nodes (Q, d), weights (Q,)) for E over xi ~ N(0, I_d)
            xi, w = (np.asarray(a, dtype=np.float64) for a in rule)
            if xi.ndim != 2 or xi.shape[1] != self.d or w.shape != (len(xi),):
                raise ValueError(f"rule with shapes {xi.shape}, {w.shape} is out of range: "
                                 f"allowed nodes (Q, {self.d}) and weights (Q,)")
        elif self.rho > 0:
            xi, w = sl_quadrature(self.d, n_nodes)
        else:
            xi, w = np.zeros((1, self.d)), np.ones(1)
        mu = cluster_means(self.d, self.tau)
        f64 = dict(dtype=torch.float64)
        self._x = torch.tensor(mu[:, None, :] + self.rho * xi[None], **f64)   # (4, Q, d)
        self._w = torch.tensor(w, **f64)
        self._y = torch.tensor([0.0, 0.0, 1.0, 1.0], **f64)
        self._torch = torch
        # Reverse-over-reverse: torch.func.hessian (forward-over-reverse) loads forward-mode AD
        # decompositions through the deprecated torch.jit.script and warns.
        from torch.func import grad, jacrev
        self._grad = grad(self._loss)
        self._hess = jacrev(self._grad)

    def _loss(self, theta):
        torch, d = self._torch, self.d
        W, F = theta[:2 * d].reshape(2, d), theta[2 * d:]
        h = torch.sigmoid(self._x @ W.T) @ F                                 # (4, Q)
        bce = torch.nn.functional.softplus(h) - self._y[:, None] * h
        return ((bce @ self._w).mean() + self.beta * (W ** 2).sum()
                + self.gamma * (F ** 2).sum())

    def _theta(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (2 * self.d + 2,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta with shape {theta.shape} is out of range: allowed a finite "
                             f"({2 * self.d + 2},) array (w_1, w_2, F)")
        return self._torch.tensor(theta)

    def pack(self, W: ArrayLike, F: ArrayLike) -> np.ndarray:
        """theta = (w_1, w_2, F) from W (2, d) and F (2,)."""
        return np.concatenate([np.asarray(W, dtype=np.float64).ravel(),
                               np.asarray(F, dtype=np.float64)])

    def unpack(self, theta: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(W (2, d), F (2,)) from theta."""
        theta = np.asarray(theta)
        return theta[:2 * self.d].reshape(2, self.d), theta[2 * self.d:]

    def value(self, theta: ArrayLike) -> float:
        return float(self._loss(self._theta(theta)))

    def gradient(self, theta: ArrayLike) -> np.ndarray:
        return self._grad(self._theta(theta)).numpy()

    def hessian(self, theta: ArrayLike) -> np.ndarray:
        H = self._hess(self._theta(theta)).numpy()
        return (H + H.T) / 2

    def symmetric_start(self, a: float = 2.6, F: float = 4.25) -> np.ndarray:
        """theta with w_1 = -w_2 = (a, 0, ..., 0), F = (-F, F)."""
        W = np.zeros((2, self.d))
        W[:, 0] = [a, -a]
        return self.pack(W, [-F, F])

    def critical_point(self, theta0: ArrayLike | None = None, tol: float = 1e-12,
                       max_iter: int = 50) -> np.ndarray:
        """A zero of the gradient by Newton's method (from ``symmetric_start()`` by default)."""
        theta0 = self.symmetric_start() if theta0 is None else theta0
        return newton_critical_point(self.gradient, self.hessian, theta0, tol=tol,
                                     max_iter=max_iter)


def sl_symmetric_optimum(beta: float = BETA, gamma: float = GAMMA) -> tuple[float, float]:
    """(a, phi) of the noise-free SL critical point w1 = -w2 = (a, 0, ...), F = (-phi, phi).

    On that family every cluster has the same loss softplus(-phi (2 s(a) - 1)) (the e2 weight
    is zero, so tau does not enter), and the gradient along w_k2 vanishes by the symmetry of
    the clusters; the point is a zero of the gradient of ``SLPopulation`` at rho = 0 (d = 2),
    found by Newton's method from (2.6, 4.25). About (2.628, 4.254).
    """
    pop = SLPopulation(rho=0.0, beta=beta, gamma=gamma, d=2)
    W, F = pop.unpack(pop.critical_point(pop.symmetric_start(2.6, 4.25)))
    return float(W[0, 0]), float(F[1])


def regularizer_factor(cfg: SSLConfig | SLConfig) -> float:
    """q = 1 - 2 beta n eta (SL) or 1 - 2 alpha n eta (SSL): the per-step shrinkage by weight
    decay alone."""
    decay = cfg.beta if isinstance(cfg, SLConfig) else cfg.alpha
    return 1 - 2 * decay * cfg.n * cfg.eta


def e2_decay(run: Run) -> dict[str, np.ndarray]:
    """How the e2 weights and the coordinates 3..d shrink during training, against q^t.

    Returns steps (R,), e2 (S, R, 2) = |w_k2(t)| / |w_k2(0)|, other (S, R, 2) =
    ||w_k,3..d(t)|| / ||w_k,3..d(0)||, and predicted (R,) = q^t.
    """
    W = run.W
    e2 = np.abs(W[..., 1]) / np.abs(W[:, :1, :, 1])
    other = analysis.other_norm(W) / analysis.other_norm(W[:, :1])
    return {"steps": run.steps, "e2": e2, "other": other,
            "predicted": regularizer_factor(run.config) ** run.steps.astype(float)}


def e2_hessian(W: ArrayLike, F: ArrayLike, x: ArrayLike, y: ArrayLike, beta: float
               ) -> tuple[np.ndarray, float]:
    """The block d^2 J / dw_k2 dw_l2 (S, 2, 2) of the SL training loss (module docstring).

    W (S, 2, d), F (S, 2), x (S, n, d), y (S, n). The data part and the weight decay 2 beta n I
    are returned separately: (data (S, 2, 2), 2 beta n).
    """
    W, F, x, y = (np.asarray(a, dtype=np.float64) for a in (W, F, x, y))
    n = x.shape[-2]
    s = models.sigmoid(x @ np.swapaxes(W, -1, -2))          # (S, n, 2)
    ds = s * (1 - s)
    d2s = ds * (1 - 2 * s)
    h = (s * F[:, None, :]).sum(-1)
    sh = models.sigmoid(h)
    r = sh - y
    x2sq = x[..., 1] ** 2                                     # (S, n)
    g = F[:, None, :] * ds                                    # F_k s'(u_ik), (S, n, 2)
    first = np.einsum("si,sik,sil->skl", x2sq * sh * (1 - sh), g, g)
    second = np.einsum("si,sik->sk", x2sq * r, F[:, None, :] * d2s)
    data = first + second[:, :, None] * np.eye(2)
    return data, 2 * beta * n


def e2_hessian_population(a: float, phi: float, tau: float = TAU, beta: float = BETA
                          ) -> np.ndarray:
    """The same block per point for the noise-free population at w1 = -w2 = (a, 0, ...),
    F = (-phi, phi), equal cluster weights: (2, 2) including 2 beta I. Only the clusters
    +-e1 + tau e2 contribute (x_2 = 0 elsewhere)."""
    centres = cluster_means(2, tau)
    W = np.array([[a, 0.0], [-a, 0.0]])
    data, reg = e2_hessian(W[None], np.array([[-phi, phi]]), centres[None],
                           np.array([[0.0, 0.0, 1.0, 1.0]]), beta)
    return data[0] / 4 + reg / 4 * np.eye(2)


def _train_kicked(run: Run, kicks: np.ndarray, T: int, record_every: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Train each seed's final (W, F) further with ``training.sl_step`` on its data, once per
    row of ``kicks`` (m, 2) added to (w_12, w_22). Returns steps (R,) and the e2 weights
    (w_12, w_22) along the way, (S, m, R, 2)."""
    cfg = run.config
    W0, F0, x, y = run.W_final, run.F_final, run.data.x, run.data.y
    S, m = W0.shape[0], len(kicks)
    W = np.repeat(W0[:, None], m, 1).copy()
    W[..., 1] += kicks[None]
    Wt = np.swapaxes(W.reshape(m * S, 2, -1), 1, 2).copy()
    F = np.repeat(F0, m, 0)
    X = np.repeat(x, m, 0)
    XT = np.ascontiguousarray(np.swapaxes(X, 1, 2))
    Y = np.repeat(y, m, 0)[..., None]
    steps = np.arange(0, T + 1, record_every)
    b = np.empty((m * S, len(steps), 2))
    j = 0
    with np.errstate(over="ignore"):
        for t in range(T + 1):
            if t == steps[j]:
                b[:, j] = Wt[:, 1, :]
                j += 1
                if j == len(steps):
                    break
            Wt, F, _, _ = sl_step(Wt, F, X, XT, Y, cfg.beta, cfg.gamma, cfg.eta, want_loss=False)
    return steps, b.reshape(S, m, len(steps), 2)


def kick(run: Run, delta: float = 0.05, T: int = 400, record_every: int = 10) -> dict:
    """Perturb the final SL weights along e2 and watch the perturbation decay.

    From each seed's final (W, F), three copies are trained further with ``training.sl_step``
    on that seed's data: unperturbed, (w_12, w_22) + (delta, delta) ("symmetric") and
    + (delta, -delta) ("antisymmetric"). Measured: db(t) = (w_12, w_22)(kicked) - (unperturbed),
    shape (S, 2 modes, R, 2). Predicted: (I - eta H_bb)^t db(0) with H_bb = :func:`e2_hessian`
    at the start; and q^t (weight decay alone). Also returns the eigenvalues of H_bb (S, 2).
    """
    cfg = run.config
    if not isinstance(cfg, SLConfig):
        raise ValueError("run must be an SL run (its config an SLConfig)")
    if not delta > 0:
        raise ValueError(f"delta={delta!r} must be > 0")
    kicks = np.array([[0.0, 0.0], [delta, delta], [delta, -delta]])       # (3 copies, 2)
    steps, b = _train_kicked(run, kicks, T, record_every)
    measured = b[:, 1:] - b[:, :1]
    data, reg = e2_hessian(run.W_final, run.F_final, run.data.x, run.data.y, cfg.beta)
    H = data + reg * np.eye(2)
    lam, V = np.linalg.eigh(H)                                             # (S, 2), (S, 2, 2)
    fac = (1 - cfg.eta * lam)[:, None, :] ** steps[None, :, None]          # (S, R, 2)
    coef = np.einsum("skj,mk->smj", V, kicks[1:])                          # db(0) in eigenbasis
    predicted = np.einsum("skj,srj,smj->smrk", V, fac, coef)
    q = regularizer_factor(cfg)
    return {"steps": steps, "measured": measured, "predicted": predicted,
            "regularizer": delta * q ** steps.astype(float), "eigenvalues": lam,
            "data_curvature": data, "weight_decay": reg, "delta": delta}

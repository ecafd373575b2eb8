"""Critical points of the SSL objective: the simplified, augmentation-averaged and population forms.

Notation (as in the paper): s = sigmoid, two neurons W = [w_1; w_2] of shape (2, d), cluster
centres mu in {e1, e1 + tau e2, -e1, -e1 + tau e2} (weights p_mu, 1/4 each by default),
noise scale rho, regularization alpha.

Per-point normalization. The training objective::

    L(W) = sum_i sum_k s(w_k.x_i^(1)) s(w_k.x_i^(2)) - alpha n ||W||_F^2

is n times the per-point objectives below: E_aug L(W) = n Phi(W; x), so every critical point,
Hessian eigenvector and IFT radius here carries over to L, with gradients and Hessians of L
n times those here.

Three objectives, all of the form

    F(W) = sum_k sum_i p_i Q(w_k.x_i, rho^2 ||w_k||^2) - alpha ||W||_F^2

with points x_i and weights p_i (the data with 1/n, or the cluster centres with p_mu):

* simplified (noise-free), points = centres:   Q(u) = s(u)^2,
  Psi(W) = sum_k sum_mu p_mu s(w_k.mu)^2 - alpha ||W||^2;  per neuron (a, b, 0, ...):
  g(a, b) = 1/4 [s(a)^2 + s(a + tau b)^2 + s(-a)^2 + s(-a + tau b)^2] - alpha (a^2 + b^2).
* augmentation-averaged, points = the sample x (n, d): the two views x + rho xi1, x + rho xi2
  are independent, so E[s(w.x1) s(w.x2)] = m(u, v)^2 with u = w.x, v = rho^2 ||w||^2 and
  m(u, v) = E_z s(u + sqrt(v) z), z ~ N(0, 1):  Q = m^2,
  Phi(W; x) = (1/n) sum_i sum_k m(w_k.x_i, rho^2 ||w_k||^2)^2 - alpha ||W||^2.
* population, points = centres, data noise isotropic too (x = mu + rho xi0), so
  w.x1 = w.mu + rho ||w|| (z0 + z1):  Q = E_z0[m(u + sqrt(v) z0, v)^2],
  Phi_pop(W) = sum_k sum_mu p_mu E_z0[(E_z1 s(w_k.mu + rho ||w_k|| (z0 + z1)))^2] - alpha ||W||^2.
  With rho = 0 it equals Psi.

Derivatives. Write M_j(u, sigma) = E_z s^(j)(u + sigma z). The heat equation
d m / d v = (1/2) d^2 m / d u^2 turns every v-derivative into u-derivatives:
d_u^b d_v^a m = 2^-a M_(b+2a). So every partial derivative of Q is a short sum
sum c_jk M_j M_k (``q_terms``), averaged over z0 for the population. The chain rule with
u = w.x (linear) and v = rho^2 ||w||^2 then gives, per neuron,

    grad = sum_i p_i Q_u x_i + 2 rho^2 (sum_i p_i Q_v) w - 2 alpha w
    hess = sum_i p_i [Q_uu x_i x_i^T + 2 rho^2 Q_uv (x_i w^T + w x_i^T) + 4 rho^4 Q_vv w w^T]
           + (2 rho^2 sum_i p_i Q_v - 2 alpha) I.

Neurons do not interact: the Hessian of W (flattened row by row, shape (2d, 2d)) is block
diagonal. Expectations over z use Gauss-Hermite quadrature with ``n_nodes`` (default 40)
nodes per dimension: absolute error below 1e-12 for sigma <= 0.8 and below 1e-10 for
sigma <= 1, derivative orders 0..4 (tested against adaptive quadrature; measured maxima over
|u| <= 15: 7e-15 at sigma = 0.8, 2e-11 at sigma = 1, 2e-9 at sigma = 1.2). The relevant
sigma = rho ||w|| is about 0.13 at d = 10.

The 2-D per-neuron reduction: with w = (a, b, 0, ..., 0), w.x = a x_1 + b x_2 and
||w||^2 = a^2 + b^2, so the restricted objective is the same objective on the points' first
two coordinates (``Objective.reduced_2d``), evaluated for one neuron (a, b).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from math import comb, pi, sqrt

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.typing import ArrayLike

from .config import ALPHA, RHO, TAU, D
from .data import cluster_means, cluster_weights
from .models import SIGMOID_MAX_ORDER, SIGMOID_POLYNOMIALS, sigmoid_derivative
from .validation import integer, real

__all__ = [
    "gauss_hermite", "q_terms", "SIGMOID_SUP", "SIGMOID_TAIL", "smoothed_sigmoid",
    "Objective", "psi", "g", "phi", "phi_pop",
    "newton_critical_point", "simplified_optimum", "NoMaximumError", "DEFAULT_NODES",
]

DEFAULT_NODES = 40
KINDS = ("simplified", "averaged", "population")


# ----------------------------------------------------------------------------- sigmoid bounds
def _max_on_quarter(coef):
    """max of the polynomial sum coef[i] q^i over q in [0, 1/4] (endpoints and critical points)."""
    P = np.polynomial.Polynomial(coef)
    crit = [r.real for r in P.deriv().roots() if abs(r.imag) < 1e-12 and 0 <= r.real <= 0.25]
    return max(P(q) for q in [0.0, 0.25, *crit])


def _sigmoid_bounds():
    """c_j = sup_t |s^(j)(t)| and K_j = sup_t |s^(j)(t)| / s'(t), j = 0..6 (c_0 = K_0 = 1).

    |s^(j)|^2 = q^2 (1 - 4q)^[j even] P_j(q)^2 is a polynomial in q = s' in [0, 1/4]; its
    maximum is found at the endpoints and the real critical points. A relative margin of
    1e-9 covers the root finding. Since q <= exp(-|t|), |s^(j)(t)| <= K_j exp(-|t|) (j >= 1).
    """
    P = np.polynomial.Polynomial
    c, K = [1.0], [1.0]
    for j in range(1, SIGMOID_MAX_ORDER + 1):
        r2 = P(SIGMOID_POLYNOMIALS[j]) ** 2 * (P([1.0, -4.0]) if j % 2 == 0 else 1.0)
        K.append(sqrt(_max_on_quarter(r2.coef)) * (1 + 1e-9))
        c.append(sqrt(_max_on_quarter((r2 * P([0.0, 0.0, 1.0])).coef)) * (1 + 1e-9))
    return np.array(c), np.array(K)


SIGMOID_SUP, SIGMOID_TAIL = _sigmoid_bounds()


# ----------------------------------------------------------------------------- quadrature
@lru_cache(maxsize=16)
def _gh(n_nodes):
    z, w = hermegauss(n_nodes)
    w = w / sqrt(2 * pi)
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def gauss_hermite(n_nodes: int = DEFAULT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z_a and weights w_a with sum_a w_a f(z_a) ~ E f(Z), Z ~ N(0, 1) (exact for
    polynomials of degree < 2 n_nodes). Read-only arrays."""
    return _gh(integer("n_nodes", n_nodes, 1, high=400))


def smoothed_sigmoid(u: ArrayLike, sigma: ArrayLike, order: int = 0,
                     n_nodes: int = DEFAULT_NODES) -> np.ndarray:
    """M_j(u, sigma) = E_z s^(j)(u + sigma z), z ~ N(0, 1), by Gauss-Hermite quadrature.

    Broadcasts u against sigma. With 40 nodes and j <= 4: absolute error < 1e-12 for
    0 <= sigma <= 0.8, < 1e-10 for sigma <= 1.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    if np.any(~np.isfinite(sigma)) or np.any(sigma < 0):
        raise ValueError(f"sigma={sigma!r} is out of range: allowed finite values >= 0")
    z, w = gauss_hermite(n_nodes)
    t = np.asarray(u, dtype=np.float64)[..., None] + sigma[..., None] * z
    return sigmoid_derivative(t, order) @ w


# ----------------------------------------------------------------------------- Q and its partials
@cache
def _square_terms(b, a):
    """d_u^b d_v^a (m^2) = sum c_jk M_j M_k (Leibniz rule, d_u^b' d_v^a' m = 2^-a' M_(b'+2a')).

    Returned as a tuple of ((j, k), c) with j <= k."""
    terms = {}
    for b1 in range(b + 1):
        for a1 in range(a + 1):
            j, k = b1 + 2 * a1, (b - b1) + 2 * (a - a1)
            key = (min(j, k), max(j, k))
            terms[key] = terms.get(key, 0.0) + comb(b, b1) * comb(a, a1) * 0.5 ** a
    return tuple(sorted(terms.items()))


@cache
def q_terms(kind: str, b: int, a: int) -> tuple[tuple[tuple[int, int], float], ...]:
    """d_u^b d_v^a Q = sum c_jk <M_j M_k>, with <.> = E_z0 for the population, else plain.

    Population: Q(u, v) = R(u, v, v), R(u, v1, v2) = E_z0[m(u + sqrt(v1) z0, v2)^2], and
    d_v1 R = (1/2) d_u^2 R, so d_v = (1/2) d_u^2 + d_v2 and
    d_u^b d_v^a Q = sum_a1 C(a, a1) 2^-a1 <d_u^(b+2 a1) d_v2^(a-a1) m^2>.
    """
    if kind != "population":
        return _square_terms(b, a)
    terms = {}
    for a1 in range(a + 1):
        for key, c in _square_terms(b + 2 * a1, a - a1):
            terms[key] = terms.get(key, 0.0) + comb(a, a1) * 0.5 ** a1 * c
    return tuple(sorted(terms.items()))


# ----------------------------------------------------------------------------- the objective
@dataclass(frozen=True, eq=False)
class Objective:
    """F(W) = sum_k sum_i p_i Q(w_k.x_i, rho^2 ||w_k||^2) - alpha ||W||_F^2 (see the module doc).

    Build with ``Objective.simplified``, ``.averaged`` or ``.population``. W is (K, d) for K
    neurons (the paper: K = 2) or (d,) for one neuron; ``hessian`` is over W flattened row by
    row, shape (K d, K d).
    """

    points: np.ndarray
    weights: np.ndarray
    rho: float
    alpha: float
    kind: str
    n_nodes: int = DEFAULT_NODES

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is out of range: allowed one of {KINDS}")
        if self.kind == "simplified" and self.rho != 0:
            raise ValueError(f"rho={self.rho!r} is out of range: allowed 0 for kind 'simplified'")

    # -- constructors
    @classmethod
    def simplified(cls, tau: float = TAU, alpha: float = ALPHA, d: int = D,
                   p: ArrayLike | None = None) -> Objective:
        """Psi(W) = sum_k sum_mu p_mu s(w_k.mu)^2 - alpha ||W||^2 (noise-free)."""
        tau = real("tau", tau, 0, low_open=True)
        alpha = real("alpha", alpha, 0)
        d = integer("d", d, 2)
        return cls(cluster_means(d, tau), cluster_weights(p), 0.0, alpha, "simplified")

    @classmethod
    def averaged(cls, x: ArrayLike, rho: float, alpha: float = ALPHA,
                 n_nodes: int = DEFAULT_NODES) -> Objective:
        """Phi(W; x) = (1/n) sum_i sum_k (E_z s(w_k.x_i + rho ||w_k|| z))^2 - alpha ||W||^2."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1 or not np.all(np.isfinite(x)):
            raise ValueError(f"x with shape {x.shape} is out of range: allowed a finite (n, d) "
                             "array with n >= 1, d >= 1")
        rho = real("rho", rho, 0)
        alpha = real("alpha", alpha, 0)
        n_nodes = integer("n_nodes", n_nodes, 1, high=400)
        return cls(x, np.full(len(x), 1.0 / len(x)), rho, alpha, "averaged", n_nodes)

    @classmethod
    def population(cls, tau: float = TAU, rho: float = RHO, alpha: float = ALPHA, d: int = D,
                   p: ArrayLike | None = None, n_nodes: int = DEFAULT_NODES) -> Objective:
        """Phi_pop(W) = sum_k sum_mu p_mu E_z0[(E_z1 s(w_k.mu + rho||w_k||(z0 + z1)))^2]
        - alpha ||W||^2."""
        tau = real("tau", tau, 0, low_open=True)
        rho = real("rho", rho, 0)
        alpha = real("alpha", alpha, 0)
        d = integer("d", d, 2)
        n_nodes = integer("n_nodes", n_nodes, 1, high=400)
        return cls(cluster_means(d, tau), cluster_weights(p), rho, alpha, "population", n_nodes)

    def reduced_2d(self) -> Objective:
        """The objective restricted to neurons (a, b, 0, ..., 0): the points' first two
        coordinates."""
        return Objective(np.ascontiguousarray(self.points[:, :2]), self.weights, self.rho,
                         self.alpha, self.kind, self.n_nodes)

    @property
    def d(self) -> int:
        """The dimension of the points (and of each neuron)."""
        return self.points.shape[1]

    # -- internals
    def as_matrix(self, W: np.ndarray) -> tuple[np.ndarray, bool]:
        """W as a (K, d) float array, and whether it was one neuron (d,); checked."""
        W = np.asarray(W, dtype=np.float64)
        if W.ndim not in (1, 2) or W.shape[-1] != self.d or not np.all(np.isfinite(W)):
            raise ValueError(f"W with shape {W.shape} is out of range: allowed a finite "
                             f"(K, {self.d}) or ({self.d},) array")
        return np.atleast_2d(W), W.ndim == 1

    def _partials(self, W, orders):
        """{(b, a): d_u^b d_v^a Q at (u_ki, v_k)}, arrays of shape (K, m)."""
        u = W @ self.points.T                                       # (K, m)
        sigma = self.rho * np.linalg.norm(W, axis=1)[:, None]       # (K, 1)
        if self.kind == "population":
            z0, w0 = gauss_hermite(self.n_nodes)
            u_in, avg = u[..., None] + sigma[..., None] * z0, (lambda a: a @ w0)
            s_in = sigma[..., None]
        else:
            u_in, s_in, avg = u, sigma, (lambda a: a)
        keys = {jk for o in orders for jk, _ in q_terms(self.kind, *o)}
        need = sorted({j for jk in keys for j in jk})
        if self.kind == "simplified":
            M = {j: sigmoid_derivative(u_in, j) for j in need}
        else:
            M = {j: smoothed_sigmoid(u_in, s_in, j, self.n_nodes) for j in need}
        prod = {jk: avg(M[jk[0]] * M[jk[1]]) for jk in keys}
        return {o: sum(c * prod[jk] for jk, c in q_terms(self.kind, *o)) for o in orders}

    # -- value, gradient, Hessian
    def value(self, W: ArrayLike) -> float:
        """F(W) (a float)."""
        W, _ = self.as_matrix(W)
        Q = self._partials(W, [(0, 0)])[(0, 0)]
        return float(np.sum(Q @ self.weights) - self.alpha * np.sum(W * W))

    def gradient(self, W: ArrayLike) -> np.ndarray:
        """dF/dW, same shape as W: sum_i p_i Q_u x_i + (2 rho^2 sum_i p_i Q_v - 2 alpha) w_k."""
        W, single = self.as_matrix(W)
        P = self._partials(W, [(1, 0), (0, 1)])
        G = (P[(1, 0)] * self.weights) @ self.points
        G += (2 * self.rho ** 2 * (P[(0, 1)] @ self.weights) - 2 * self.alpha)[:, None] * W
        return G[0] if single else G

    def hessian(self, W: ArrayLike) -> np.ndarray:
        """d^2F/dW^2 over W flattened row by row, (K d, K d), block diagonal (see module doc)."""
        W, _ = self.as_matrix(W)
        K, d, p, r2 = len(W), self.d, self.weights, self.rho ** 2
        P = self._partials(W, [(2, 0), (1, 1), (0, 2), (0, 1)])
        X = self.points
        blocks = np.einsum("km,mi,mj->kij", P[(2, 0)] * p, X, X)
        xuv = (P[(1, 1)] * p) @ X                                    # (K, d)
        blocks += 2 * r2 * (xuv[:, :, None] * W[:, None, :] + W[:, :, None] * xuv[:, None, :])
        blocks += 4 * r2 ** 2 * (P[(0, 2)] @ p)[:, None, None] * W[:, :, None] * W[:, None, :]
        blocks += (2 * r2 * (P[(0, 1)] @ p) - 2 * self.alpha)[:, None, None] * np.eye(d)
        blocks = (blocks + blocks.transpose(0, 2, 1)) / 2                # exactly symmetric
        H = np.zeros((K * d, K * d))
        for k in range(K):  # K = 2 neurons: place the diagonal blocks
            H[k * d:(k + 1) * d, k * d:(k + 1) * d] = blocks[k]
        return H

    def critical_point(self, W0: ArrayLike, tol: float = 1e-12, max_iter: int = 50
                       ) -> np.ndarray:
        """A zero of the gradient by Newton's method from W0 (see ``newton_critical_point``)."""
        return newton_critical_point(self.gradient, self.hessian, W0, tol=tol, max_iter=max_iter)


# ----------------------------------------------------------------------------- functional forms
def psi(W: ArrayLike, tau: float = TAU, alpha: float = ALPHA, p: ArrayLike | None = None
        ) -> float:
    """Psi(W) = sum_k sum_mu p_mu s(w_k.mu)^2 - alpha ||W||_F^2 (W of shape (K, d) or (d,))."""
    W = np.asarray(W, dtype=np.float64)
    return Objective.simplified(tau, alpha, W.shape[-1] if W.ndim else 0, p).value(W)


def g(a: ArrayLike, b: ArrayLike, tau: float = TAU, alpha: float = ALPHA,
      p: ArrayLike | None = None) -> np.ndarray:
    """g(a, b) = sum_mu p_mu s(a mu_1 + b mu_2)^2 - alpha (a^2 + b^2); vectorized over a, b.

    With p uniform: 1/4 [s(a)^2 + s(a + tau b)^2 + s(-a)^2 + s(-a + tau b)^2] - alpha (a^2 + b^2).
    """
    tau = real("tau", tau, 0, low_open=True)
    alpha = real("alpha", alpha, 0)
    p = cluster_weights(p)
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    mu = cluster_means(2, tau)
    t = a[..., None] * mu[:, 0] + b[..., None] * mu[:, 1]
    return sigmoid_derivative(t, 0) ** 2 @ p - alpha * (a * a + b * b)


def phi(W: ArrayLike, x: ArrayLike, rho: float, alpha: float = ALPHA,
        n_nodes: int = DEFAULT_NODES) -> float:
    """Phi(W; x) = (1/n) sum_i sum_k (E_z s(w_k.x_i + rho ||w_k|| z))^2 - alpha ||W||_F^2."""
    return Objective.averaged(x, rho, alpha, n_nodes).value(W)


def phi_pop(W: ArrayLike, tau: float = TAU, rho: float = RHO, alpha: float = ALPHA,
            p: ArrayLike | None = None, n_nodes: int = DEFAULT_NODES) -> float:
    """Phi_pop(W): the population objective (data noise and both views isotropic)."""
    W = np.asarray(W, dtype=np.float64)
    return Objective.population(tau, rho, alpha, W.shape[-1] if W.ndim else 0, p, n_nodes).value(W)


# ----------------------------------------------------------------------------- Newton
def newton_critical_point(grad: Callable[[np.ndarray], ArrayLike],
                          hess: Callable[[np.ndarray], ArrayLike], W0: ArrayLike,
                          tol: float = 1e-12, max_iter: int = 50) -> np.ndarray:
    """Solve grad(W) = 0 by Newton's method, W <- W - hess(W)^-1 grad(W).

    grad(W) has W's shape, hess(W) is (W.size, W.size). Stops when the step satisfies
    ||step||_inf <= tol * max(1, ||W||_inf). Raises RuntimeError if it does not converge
    within max_iter steps (or meets a singular Hessian or a non-finite value).
    """
    tol = real("tol", tol, 0, low_open=True)
    max_iter = integer("max_iter", max_iter, 1)
    W = np.array(W0, dtype=np.float64)
    if W.size == 0 or not np.all(np.isfinite(W)):
        raise ValueError(f"W0={W0!r} is out of range: allowed a non-empty finite array")
    step_size = np.inf
    for _ in range(max_iter):
        G, H = np.asarray(grad(W)).ravel(), np.asarray(hess(W))
        try:
            step = np.linalg.solve(H, G)
        except np.linalg.LinAlgError:
            raise RuntimeError(f"Newton's method met a singular Hessian at W = {W.tolist()}"
                               ) from None
        W = W - step.reshape(W.shape)
        step_size = np.max(np.abs(step))
        if not np.all(np.isfinite(W)):
            raise RuntimeError("Newton's method diverged (non-finite iterate)")
        if step_size <= tol * max(1.0, np.max(np.abs(W))):
            return W
    raise RuntimeError(f"Newton's method did not converge in max_iter={max_iter} steps "
                       f"(last step {step_size:.3g}, tol={tol:.3g})")


class NoMaximumError(ValueError):
    """:func:`simplified_optimum` found no strict local maximum."""


#: Fallback starting points of :func:`simplified_optimum`, per neuron: a0 (sign of the neuron's
#: side) and tau * b0.
FALLBACK_A0 = (0.5, 1.5, 2.5, 3.5, 5.0)
FALLBACK_TAU_B0 = (0.1, 1.0, 2.0, 4.0, 7.0, 10.0, 14.0)


def _largest_eigenvalue(obj, W):
    return float(np.linalg.eigvalsh(obj.hessian(W)).max())


def _best_maximum_on_side(plane: Objective, side: float, tol: float, max_iter: int,
                          seen: list[float]) -> tuple[float, np.ndarray] | None:
    """(value, (a, b)) of the highest strict local maximum of ``plane`` (g) among Newton's
    critical points from (side a0, b0), a0 in FALLBACK_A0, tau b0 in FALLBACK_TAU_B0, with
    side * a >= 0; None if there is none. Appends each point's largest Hessian eigenvalue to
    ``seen``."""
    best, tau = None, plane.points[1, 1]
    for a0 in FALLBACK_A0:
        for tb in FALLBACK_TAU_B0:
            try:
                w = plane.critical_point(np.array([side * a0, tb / tau]), tol, max_iter)
            except RuntimeError:
                continue
            lam = _largest_eigenvalue(plane, w)
            seen.append(lam)
            on_side = side * w[0] > -1e-9                      # a = 0 belongs to both sides
            if lam < 0 and on_side and (best is None or plane.value(w) > best[0]):
                best = (plane.value(w), w)
    return best


def simplified_optimum(tau: float = TAU, alpha: float = ALPHA, d: int = D,
                       p: ArrayLike | None = None, tol: float = 1e-12, max_iter: int = 50
                       ) -> np.ndarray:
    """W* of Psi, a strict local maximum: neurons (a+, b+, 0, ...), (a-, b-, 0, ...), a+ >= 0
    >= a-, by Newton from (3.5, 9/tau) and (-3.5, 9/tau) (about (+-3.816, 1.520) for tau = 7,
    alpha = 1/800).

    If that critical point's Hessian is not negative definite (e.g. the saddle (+-3.204, 3.346)
    at tau = 0.5), each neuron takes, among Newton's critical points of g from the starts
    (+-a0, b0) with a0 in ``FALLBACK_A0``, tau b0 in ``FALLBACK_TAU_B0`` on its side, the strict
    local maximum of highest value; :class:`NoMaximumError` (a ValueError) if there is none.
    """
    obj = Objective.simplified(tau, alpha, d, p)
    W0 = np.zeros((2, obj.d))
    W0[:, 0], W0[:, 1] = [3.5, -3.5], 9.0 / obj.points[1, 1]
    try:
        W = obj.critical_point(W0, tol=tol, max_iter=max_iter)
        lam = _largest_eigenvalue(obj, W)
        if lam < 0:
            return W
        seen = [lam]
    except RuntimeError:
        seen = []
    plane = obj.reduced_2d()
    W = np.zeros((2, obj.d))
    for k, side in enumerate((1.0, -1.0)):
        best = _best_maximum_on_side(plane, side, tol, max_iter, seen)
        if best is None:
            worst = f"{min(seen):.3g}" if seen else "none (Newton did not converge)"
            raise NoMaximumError(
                f"simplified_optimum: no strict local maximum of Psi found for tau={tau!r}, "
                f"alpha={alpha!r} (neuron {k + 1}); smallest 'largest Hessian eigenvalue' "
                f"among the critical points found: {worst} (a maximum needs < 0)")
        W[k, :2] = best[1]
    lam = _largest_eigenvalue(obj, W)
    if not lam < 0:  # coordinates 3..d: eigenvalue -2 alpha, so alpha = 0 has no strict max
        raise NoMaximumError(f"simplified_optimum: no strict local maximum of Psi for "
                             f"tau={tau!r}, alpha={alpha!r}: largest Hessian eigenvalue "
                             f"{lam:.3g} at the best point found (a maximum needs < 0)")
    return W

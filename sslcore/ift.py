"""The quantitative Inverse Function Theorem (IFT), applied to the SSL objective's gradient map.

Theorem. Let f be C^1 on the closed ball B = B(x0, r) of R^m (any norm, with its operator
norm), A = Df(x0) invertible, and ||Df(x) - A|| <= 1 / (2 ||A^-1||) for all x in B. Then
f(B) contains the ball of radius r / (2 ||A^-1||) about f(x0). In particular, if
||f(x0)|| <= r / (2 ||A^-1||), f has a zero in B (and it is the only zero in B); the smallest
such radius is r = 2 ||A^-1|| ||f(x0)||.

Proof. Fix y with ||y - f(x0)|| <= r / (2 ||A^-1||) and let T(x) = x - A^-1 (f(x) - y).
DT(x) = A^-1 (A - Df(x)) has norm <= 1/2 on B, so T is 1/2-Lipschitz on the convex set B,
and ||T(x) - x0|| <= ||T(x) - T(x0)|| + ||A^-1 (f(x0) - y)|| <= r/2 + r/2 = r: T maps B into
itself, and Banach's fixed point theorem gives a unique x in B with T(x) = x, i.e. f(x) = y.
The same proof works with a norm ||.||_X on the domain and ||.||_Y on the codomain, with
||A^-1|| taken from Y to X and ||Df - A|| from X to Y.

Here f = grad F for an objective F of ``sslcore.theory`` (the averaged or population one),
Df = its Hessian, x0 = the simplified critical point. ``ift_check`` computes ||A^-1||,
||f(x0)||, the radius, and checks the Jacobian condition on the ball in two ways:

- (i) numerically, the largest ||Df(x) - A|| over points sampled on the sphere of radius r
  (a lower estimate of the sup), and
- (ii) by a bound L on the Lipschitz constant of the Hessian on the ball (an upper bound:
  ||Df(x) - A|| <= L r), from bounds on the third derivatives (``hessian_lipschitz_bound``).

``holds`` is decided by (ii). A preconditioner S changes variables x = x0 + S xi and uses the
map f~(xi) = S^T f(x0 + S xi) (domain norm ||S^-1 (x - x0)||, codomain norm ||S^T y||); with
S = (-A)^(-1/2) ("hessian"), A~ = -I and ||A~^-1|| = 1.

What is rigorous. ``sslcore.ift_rigorous`` (Krawczyk's test and the theorem on a ball for the
noise-free per-neuron objective g(a, b), in ball arithmetic) gives proofs. ``ift_check`` is
numerical: gradients and Hessians come from Gauss-Hermite
quadrature (error < 1e-12 for the noise levels used) in floating point, the sampled sup is
only a lower estimate, and the Lipschitz bound is an analytic upper bound evaluated in floating
point (its constants sup|s^(j)| and sup|s^(j)|/s' come from maximizing polynomials
numerically). ``holds`` of ``ift_check`` is therefore a careful numerical verification, not a
computer-assisted proof. The theorem gives a zero of f = grad F; it is a strict local maximum
because, for A symmetric negative definite and the Euclidean (or preconditioned) norm, the
condition ||Df(x) - A|| <= 1/(2||A^-1||) = min|eig A|/2 keeps Df(x) negative definite on the ball.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from .theory import SIGMOID_SUP, SIGMOID_TAIL, Objective, newton_critical_point, q_terms
from .validation import integer, real

__all__ = ["IFTResult", "ift_check", "ift_check_neuron", "hessian_lipschitz_bound",
           "preconditioner", "sphere_directions", "sampled_constants", "IFT_KEYS", "sampled_ift"]


# ============================================================================ numerical IFT
@dataclass(frozen=True)
class IFTResult:
    """Constants of the IFT for f = grad F at x0, in the (possibly preconditioned) norm.

    radius = 2 norm_Ainv perturbation; allowed_variation = 1 / (2 norm_Ainv);
    jacobian_variation = max sampled ||Df(x) - A|| on the sphere of that radius;
    variation_bound = lipschitz_bound * radius >= sup over the ball of ||Df(x) - A||;
    holds = variation_bound <= allowed_variation (then a critical point lies in the ball);
    holds_sampled = jacobian_variation <= allowed_variation; max_displacement = ||S|| radius
    bounds the Euclidean distance of the ball's points from x0; root_distance = the
    (preconditioned) distance from x0 of the critical point Newton finds from x0 (nan if none).
    """

    norm_Ainv: float
    perturbation: float
    radius: float
    allowed_variation: float
    jacobian_variation: float
    lipschitz_bound: float
    variation_bound: float
    holds: bool
    holds_sampled: bool
    max_displacement: float
    root_distance: float
    n_samples: int


def preconditioner(A: ArrayLike) -> np.ndarray:
    """S = (-A)^(-1/2) for a symmetric negative definite A (so that S^T A S = -I)."""
    A = np.asarray(A, dtype=np.float64)
    lam, V = np.linalg.eigh(-(A + A.T) / 2)
    if lam[0] <= 0:
        raise ValueError(f"A with largest eigenvalue {-lam[0]:.3g} is out of range: allowed a "
                         "negative definite matrix for S = (-A)^(-1/2)")
    return (V / np.sqrt(lam)) @ V.T


def _preconditioner_for(S, A):
    m = len(A)
    if S is None:
        return np.eye(m)
    if isinstance(S, str):
        if S != "hessian":
            raise ValueError(f"S={S!r} is out of range: allowed None, 'hessian' or an ({m}, {m}) "
                             "invertible matrix")
        return preconditioner(A)
    S = np.asarray(S, dtype=np.float64)
    ok = S.shape == (m, m) and np.all(np.isfinite(S))
    sv = np.linalg.svd(S, compute_uv=False) if ok else [0, 0]
    if sv[-1] <= 1e-12 * sv[0]:
        raise ValueError(f"S with shape {S.shape} is out of range: allowed None, 'hessian' or an "
                         f"({m}, {m}) finite invertible matrix")
    return S


def sigmoid_derivative_bounds(umin: ArrayLike, sigma_t: ArrayLike) -> np.ndarray:
    """A_j >= E|s^(j)(u + sigma_t z)| for all |u| >= umin, j = 0..6 (arrays broadcast).

    |s^(j)| <= K_j q with q = s' <= min(1/4, exp(-|t|)), and
    E exp(-|u + sigma z|) <= exp(-|u|) E exp(sigma |z|) = 2 exp(sigma^2/2) Phi(sigma) exp(-|u|),
    increasing in sigma; also |s^(j)| <= c_j = sup |s^(j)|. A_0 = 1.
    """
    tail = np.minimum(0.25, 2 * np.exp(sigma_t ** 2 / 2) * ndtr(sigma_t) * np.exp(-umin))
    return [np.ones_like(tail)] + [np.minimum(SIGMOID_SUP[j], SIGMOID_TAIL[j] * tail)
                                   for j in range(1, 7)]


def _q_bound(kind, b, a, A):
    """>= |d_u^b d_v^a Q| from Q's expansion sum c_jk <M_j M_k>:
    <|M_j M_k|> <= min(c_j A_k, c_k A_j)."""
    c = SIGMOID_SUP
    return sum(abs(coef) * np.minimum(c[j] * A[k], c[k] * A[j])
               for (j, k), coef in q_terms(kind, b, a))


def hessian_lipschitz_bound(obj: Objective, W0: ArrayLike, radius: float,
                            S: ArrayLike | None = None) -> float:
    """L with ||J~(xi) - J~(eta)||_2 <= L ||xi - eta|| for ||xi||, ||eta|| <= radius, where
    J~(xi) = S^T H(x0 + S xi) S (S = I by default) and H = obj.hessian.

    L = sup over the ball of |D^3 F[Sh, Sh, Sh]| for unit h (for a symmetric trilinear form the
    sup over |h| = 1 of |T[h, h, h]| is its norm; Banach 1938). Per neuron k and point i, along
    a line: u = w_k.x_i is linear, v = rho^2 ||w_k||^2 quadratic, so::

      D^3 F[h^3] = sum_k,i p_i [Q_uuu du^3 + 3 Q_uuv du^2 dv + 3 Q_uvv du dv^2 + Q_vvv dv^3
                                + 3 Q_uv du d2v + 3 Q_vv dv d2v]

    with du = h.y_ki (y_ki = S^T(x_i in neuron k's slot)), |dv| <= 2 rho^2 R_k s_k,
    d2v <= 2 rho^2 s_k^2 (R_k = max ||w_k|| on the ball, s_k = ||S's rows of neuron k||).
    The first two terms are bounded by lambda_max(sum p_i (|Q_uuu| ||y|| + 3 |Q_uuv| |dv|) y y^T)
    (as |du|^3 <= ||y|| du^2), the others with |du| <= ||y||. Each |Q_..| is bounded by
    ``_q_bound`` with |u| >= the smallest |u_ki| on the ball (|u - u0| <= radius ||y_ki||) and
    noise std <= rho R_k (sqrt 2 times that for the population, whose two Gaussian averages
    combine). The tail factor
    2 exp(sigma^2/2) Phi(sigma) is about 1.16 for the paper's sigma ~ 0.18, so the bound is
    within a small factor of the true constant there; for sigma >~ 1 it becomes loose.
    """
    W0, _ = obj.as_matrix(W0)
    K, d = W0.shape
    radius = real("radius", radius, 0)
    S = np.eye(K * d) if S is None else np.asarray(S, dtype=np.float64)
    if S.shape != (K * d, K * d):
        raise ValueError(f"S with shape {S.shape} is out of range: allowed ({K * d}, {K * d})")
    X, p, r2 = obj.points, obj.weights, obj.rho ** 2
    Sk = S.reshape(K, d, K * d)                                    # neuron k's rows of S
    Y = np.einsum("mi,kij->kmj", X, Sk)                            # y_ki, (K, m, K d)
    ny = np.linalg.norm(Y, axis=2)                                 # (K, m)
    s_k = np.linalg.norm(Sk, ord=2, axis=(1, 2))                   # (K,)
    R = np.linalg.norm(W0, axis=1) + s_k * radius                  # (K,)
    umin = np.maximum(0.0, np.abs(W0 @ X.T) - radius * ny)
    sigma_t = obj.rho * R[:, None] * (np.sqrt(2) if obj.kind == "population" else 1.0)
    A = sigmoid_derivative_bounds(umin, sigma_t)
    B = {o: _q_bound(obj.kind, *o, A) for o in [(3, 0), (2, 1), (1, 2), (0, 3), (1, 1), (0, 2)]}
    dv, d2v = (2 * r2 * R * s_k)[:, None], (2 * r2 * s_k ** 2)[:, None]
    main = np.einsum("km,kmi,kmj->ij", (B[(3, 0)] * ny + 3 * B[(2, 1)] * dv) * p, Y, Y)
    L = np.linalg.eigvalsh(main)[-1]
    rest = (3 * B[(1, 2)] * ny * dv ** 2 + B[(0, 3)] * dv ** 3
            + 3 * B[(1, 1)] * ny * d2v + 3 * B[(0, 2)] * dv * d2v)
    return float(L + np.sum(rest * p))


def sphere_directions(At: ArrayLike, n_samples: int = 0, seed: int = 0, rtol: float = 1e-9
                      ) -> np.ndarray:
    """Unit directions at which the Jacobian condition is sampled: +-v for each eigenvector v of
    the symmetric At, then ``n_samples`` seeded random directions.

    Eigenvectors of a repeated eigenvalue are not unique (LAPACK returns a basis that changes
    with rounding noise), so for an eigenvalue cluster (eigenvalues within rtol * max|lambda|)
    the directions are the normalized columns P e_i of the cluster's projector P (the unit
    vectors of the eigenspace closest to the coordinate axes), which depend continuously on At.
    Returns an (m', m) array.
    """
    At = np.asarray(At, dtype=np.float64)
    lam, V = np.linalg.eigh((At + At.T) / 2)
    tol = rtol * max(np.abs(lam).max(), np.finfo(float).tiny)
    groups = np.split(np.arange(len(lam)), np.nonzero(np.diff(lam) > tol)[0] + 1)
    dirs = []
    for g in groups:
        if len(g) == 1:
            dirs.append(V[:, g].T)
            continue
        P = V[:, g] @ V[:, g].T
        norms = np.linalg.norm(P, axis=0)
        keep = norms > 1e-6
        dirs.append((P[:, keep] / norms[keep]).T)
    dirs = np.vstack(dirs)
    rand = np.random.default_rng(seed).standard_normal((n_samples, len(lam)))
    return np.vstack([dirs, -dirs, rand / np.linalg.norm(rand, axis=1, keepdims=True)])


IFT_KEYS = ("norm_Ainv", "perturbation", "radius", "allowed_variation", "jacobian_variation",
            "holds_sampled")


def sampled_constants(f0: ArrayLike, A: ArrayLike, jac: Callable[[np.ndarray], ArrayLike],
                      x0: ArrayLike, S: ArrayLike | None = None,
                      directions: ArrayLike | None = None, n_samples: int = 0, seed: int = 0
                      ) -> dict[str, Any]:
    """The constants of the quantitative IFT for a map f at x0 (flat, shape (m,)), measured in
    the norm ||S^-1 (x - x0)|| (S = None: Euclidean), with the Jacobian condition sampled.

    f0 = f(x0), A = Df(x0) (m, m), jac(x) = Df(x). With f~(xi) = S^T f(x0 + S xi):
    A~ = S^T A S, ||A~^-1|| = 1 / sigma_min(A~), perturbation ||f~(0)|| = ||S^T f0||,
    r = 2 ||A~^-1|| ||f~(0)||, allowed variation 1 / (2 ||A~^-1||), and the sampled variation
    max_u ||S^T jac(x0 + r S u) S - A~||_2 over unit directions u: the rows of ``directions``,
    or ``sphere_directions(A~, n_samples, seed)``. Returns a dict with those five numbers,
    holds_sampled, A~ and the number of directions.
    """
    x0 = np.ravel(np.asarray(x0, dtype=np.float64))
    A = np.asarray(A, dtype=np.float64)
    S = np.eye(len(x0)) if S is None else np.asarray(S, dtype=np.float64)
    At, ft = S.T @ A @ S, S.T @ np.ravel(f0)
    norm_Ainv = 1.0 / np.linalg.svd(At, compute_uv=False)[-1]
    pert = float(np.linalg.norm(ft))
    r = 2 * norm_Ainv * pert
    allowed = 1 / (2 * norm_Ainv)
    dirs = sphere_directions(At, n_samples, seed) if directions is None else np.asarray(directions)
    variation = max(np.linalg.norm(S.T @ np.asarray(jac(x0 + r * S @ u)) @ S - At, 2)
                    for u in dirs)
    return {"norm_Ainv": float(norm_Ainv), "perturbation": pert, "radius": float(r),
            "allowed_variation": float(allowed), "jacobian_variation": float(variation),
            "holds_sampled": bool(variation <= allowed), "A_tilde": At, "n_directions": len(dirs)}


def ift_check(obj: Objective, W0: ArrayLike, S: str | ArrayLike | None = None,
              n_samples: int = 200, seed: int = 0, find_root: bool = True) -> IFTResult:
    """The IFT for f = obj.gradient at x0 = W0 (flattened), A = obj.hessian(W0).

    S: None (Euclidean norm), 'hessian' (S = (-A)^(-1/2)) or a matrix. Samples the sphere of
    radius r at +-r times A~'s eigenvectors and ``n_samples`` random directions (seeded; see
    ``sphere_directions``).
    Returns an ``IFTResult``.
    """
    W0, _ = obj.as_matrix(W0)
    n_samples = integer("n_samples", n_samples, 0)
    A = obj.hessian(W0)
    S = _preconditioner_for(S, A)
    # (i) sampled sup of ||J~(xi) - A~|| on the sphere ||xi|| = r
    c = sampled_constants(obj.gradient(W0), A, lambda x: obj.hessian(x.reshape(W0.shape)), W0,
                          S, n_samples=n_samples, seed=seed)
    r, allowed = c["radius"], c["allowed_variation"]
    # (ii) Lipschitz bound
    L = hessian_lipschitz_bound(obj, W0, r, S)
    # the critical point itself, for comparison
    root_distance = np.nan
    if find_root:
        try:
            root = newton_critical_point(obj.gradient, obj.hessian, W0)
            root_distance = float(np.linalg.norm(np.linalg.solve(S, (root - W0).ravel())))
        except RuntimeError:
            pass
    return IFTResult(norm_Ainv=c["norm_Ainv"], perturbation=c["perturbation"], radius=r,
                     allowed_variation=allowed, jacobian_variation=c["jacobian_variation"],
                     lipschitz_bound=L, variation_bound=float(L * r),
                     holds=bool(L * r <= allowed), holds_sampled=c["holds_sampled"],
                     max_displacement=float(np.linalg.norm(S, 2) * r),
                     root_distance=root_distance, n_samples=c["n_directions"])


def ift_check_neuron(obj: Objective, W0: ArrayLike, k: int, **kwargs: Any) -> IFTResult:
    """``ift_check`` in the 2-D per-neuron reduction: neuron k's (w_k1, w_k2), others zero."""
    W0, _ = obj.as_matrix(W0)
    k = integer("k", k, 0, high=len(W0) - 1)
    return ift_check(obj.reduced_2d(), W0[k:k + 1, :2], **kwargs)


def sampled_ift(grad: Callable[[np.ndarray], ArrayLike], hess: Callable[[np.ndarray], ArrayLike],
                x0: ArrayLike, S: str | None = None, n_samples: int = 50, seed: int = 0,
                find_root: bool = True) -> dict[str, float | bool]:
    """The IFT constants for a map f = grad (x of any shape, flattened) at x0, with the Jacobian
    condition checked only at sampled points of the sphere of radius r (the +- eigenvectors of
    A~ and n_samples seeded random directions, ``sphere_directions``): numerical evidence, no
    bound.

    S: None (Euclidean norm) or 'hessian': the norm ||S^-1 (x - x0)|| with
    S = |A|^(-1/2) = V |Lambda|^(-1/2) V^T (A = V Lambda V^T symmetric invertible, either sign),
    i.e. f~(xi) = S f(x0 + S xi), A~ = S A S = V sign(Lambda) V^T and ||A~^-1|| = 1.
    Returns a dict: norm_Ainv, perturbation, radius, allowed_variation, jacobian_variation,
    holds_sampled, max_displacement (= ||S|| r), root_distance (Newton from x0, in the norm of
    the check; NaN if it fails).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    n_samples = integer("n_samples", n_samples, 0)
    A = np.asarray(hess(x0))
    A = (A + A.T) / 2
    m = len(A)
    if S is None:
        S = np.eye(m)
    elif isinstance(S, str) and S == "hessian":
        lam, V = np.linalg.eigh(A)
        S = (V / np.sqrt(np.abs(lam))) @ V.T
    else:
        raise ValueError(f"S={S!r} is out of range: allowed None or 'hessian'")
    c = sampled_constants(grad(x0), A, lambda x: hess(x.reshape(x0.shape)), x0, S,
                          n_samples=n_samples, seed=seed)
    root_distance = np.nan
    if find_root:
        try:
            root = newton_critical_point(grad, hess, x0)
            root_distance = float(np.linalg.norm(np.linalg.solve(S, np.ravel(root - x0))))
        except RuntimeError:
            pass
    return {**{k: c[k] for k in IFT_KEYS}, "root_distance": root_distance,
            "max_displacement": float(np.linalg.norm(S, 2) * c["radius"])}

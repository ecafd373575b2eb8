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
(i) numerically, the largest ||Df(x) - A|| over points sampled on the sphere of radius r
    (a lower estimate of the sup), and
(ii) by a bound L on the Lipschitz constant of the Hessian on the ball (an upper bound:
    ||Df(x) - A|| <= L r), from bounds on the third derivatives (``hessian_lipschitz_bound``).
``holds`` is decided by (ii). A preconditioner S changes variables x = x0 + S xi and uses the
map f~(xi) = S^T f(x0 + S xi) (domain norm ||S^-1 (x - x0)||, codomain norm ||S^T y||); with
S = (-A)^(-1/2) ("hessian"), A~ = -I and ||A~^-1|| = 1.

What is rigorous. ``krawczyk_simplified`` and ``rigorous_ift_simplified`` evaluate the
noise-free per-neuron objective g(a, b) (sigmoids only) in ball arithmetic (python-flint's arb,
outward rounding); their conclusions are proofs for the parameter values given (floats are
taken as their exact binary values; pass fractions.Fraction for exact rationals such as
alpha = 1/800). ``ift_check`` is numerical: gradients and Hessians come from Gauss-Hermite
quadrature (error < 1e-12 for the noise levels used) in floating point, the sampled sup is
only a lower estimate, and the Lipschitz bound is an analytic upper bound evaluated in floating
point (its constants sup|s^(j)| and sup|s^(j)|/s' come from maximizing polynomials
numerically). ``holds`` of ``ift_check`` is therefore a careful numerical verification, not a
computer-assisted proof. The theorem gives a zero of f = grad F; it is a strict local maximum
because, for A symmetric negative definite and the Euclidean (or preconditioned) norm, the
condition ||Df(x) - A|| <= 1/(2||A^-1||) = min|eig A|/2 keeps Df(x) negative definite on the ball.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.special import ndtr

from .config import ALPHA_FRACTION, TAU
from .data import cluster_weights
from .theory import SIGMOID_SUP, SIGMOID_TAIL, Objective, newton_critical_point, q_terms
from .validation import integer, real

__all__ = ["IFTResult", "ift_check", "ift_check_neuron", "hessian_lipschitz_bound",
           "preconditioner", "KrawczykResult", "krawczyk_simplified",
           "RigorousIFTResult", "rigorous_ift_simplified"]


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


def preconditioner(A):
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


def _factor_bounds(umin, sigma_t):
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


def hessian_lipschitz_bound(obj, W0, radius, S=None):
    """L with ||J~(xi) - J~(eta)||_2 <= L ||xi - eta|| for ||xi||, ||eta|| <= radius, where
    J~(xi) = S^T H(x0 + S xi) S (S = I by default) and H = obj.hessian.

    L = sup over the ball of |D^3 F[Sh, Sh, Sh]| for unit h (for a symmetric trilinear form the
    sup over |h| = 1 of |T[h, h, h]| is its norm; Banach 1938). Per neuron k and point i, along
    a line: u = w_k.x_i is linear, v = rho^2 ||w_k||^2 quadratic, so
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
    A = _factor_bounds(umin, sigma_t)
    B = {o: _q_bound(obj.kind, *o, A) for o in [(3, 0), (2, 1), (1, 2), (0, 3), (1, 1), (0, 2)]}
    dv, d2v = (2 * r2 * R * s_k)[:, None], (2 * r2 * s_k ** 2)[:, None]
    main = np.einsum("km,kmi,kmj->ij", (B[(3, 0)] * ny + 3 * B[(2, 1)] * dv) * p, Y, Y)
    L = np.linalg.eigvalsh(main)[-1]
    rest = (3 * B[(1, 2)] * ny * dv ** 2 + B[(0, 3)] * dv ** 3
            + 3 * B[(1, 1)] * ny * d2v + 3 * B[(0, 2)] * dv * d2v)
    return float(L + np.sum(rest * p))


def sphere_directions(At, n_samples=0, seed=0, rtol=1e-9):
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


def sampled_constants(f0, A, jac, x0, S=None, directions=None, n_samples=0, seed=0):
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


def ift_check(obj, W0, S=None, n_samples=200, seed=0, find_root=True):
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


def ift_check_neuron(obj, W0, k, **kwargs):
    """``ift_check`` in the 2-D per-neuron reduction: neuron k's (w_k1, w_k2), others zero."""
    W0, _ = obj.as_matrix(W0)
    k = integer("k", k, 0, high=len(W0) - 1)
    return ift_check(obj.reduced_2d(), W0[k:k + 1, :2], **kwargs)


# ============================================================================ rigorous (arb)
def _flint():
    try:
        import flint
    except ImportError as exc:  # python-flint is in requirements.txt (the 'book' extra)
        raise ImportError("the rigorous certificates need python-flint "
                          "(pip install python-flint)") from exc
    return flint


def _exact(flint, name, value, low=None):
    """An arb ball containing the exact value: int and Fraction exactly (up to rounding of p/q),
    floats as their binary value, str via Fraction(str)."""
    if isinstance(value, str):
        try:
            value = Fraction(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not a number") from None
    if isinstance(value, Fraction):
        x = flint.arb(value.numerator) / value.denominator
    else:
        x = flint.arb(real(name, value))
    if low is not None and not x >= low:
        raise ValueError(f"{name}={value!r} is out of range: allowed >= {low}")
    return x


def _g_derivatives(flint, a, b, tau, alpha, p):
    """Ball enclosures of grad g and Hess g at (a, b) (balls), with e = exp(-t):
    (s^2)'(t) = 2e/(1+e)^3, (s^2)''(t) = 2e(2e-1)/(1+e)^4."""
    two = flint.arb(2)
    grad = [-two * alpha * a, -two * alpha * b]
    H = [[-two * alpha, flint.arb(0)], [flint.arb(0), -two * alpha]]
    for (m1, m2), pm in zip([(1, 0), (1, tau), (-1, 0), (-1, tau)], p):
        e = (-(m1 * a + m2 * b)).exp()
        h1 = two * e / (1 + e) ** 3
        h2 = two * e * (two * e - 1) / (1 + e) ** 4
        grad[0] += pm * h1 * m1
        grad[1] += pm * h1 * m2
        H[0][0] += pm * h2 * m1 * m1
        H[0][1] += pm * h2 * m1 * m2
        H[1][1] += pm * h2 * m2 * m2
    H[1][0] = H[0][1]
    return grad, H


def _params(flint, tau, alpha, p):
    tau = _exact(flint, "tau", tau)
    if not tau > 0:
        raise ValueError(f"tau={tau} is out of range: allowed > 0")
    alpha = _exact(flint, "alpha", alpha, low=0)
    if p is None:
        p = [flint.arb(1) / 4] * 4
    else:
        cluster_weights([float(Fraction(str(x)) if isinstance(x, str) else x) for x in p])
        p = [_exact(flint, "p", x, low=0) for x in p]
    return tau, alpha, p


def _arb_max(xs):
    """A ball containing the max of the balls xs (arb's max, not Python's comparison)."""
    xs = list(xs)
    m = xs[0]
    for x in xs[1:]:
        m = m.max(x)
    return m


def _down(x):
    return float(np.nextafter(float(x.lower()), -np.inf))


def _up(x):
    return float(np.nextafter(float(x.upper()), np.inf))


@dataclass(frozen=True)
class KrawczykResult:
    """Krawczyk test for grad g = 0 on the box X = [lower, upper] (2-D, (a, b)).

    success: K(X) lies in the interior of X, which proves that grad g has exactly one zero in X.
    negative_definite: every Hessian of g on X is negative definite (H_11 < 0, det > 0), so that
    zero is a strict local maximum. eigenvalues: [[lo, hi], [lo, hi]] enclosing the Hessian's
    eigenvalues (smaller first) at every point of X, hence at the zero.
    """

    center: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    krawczyk_lower: np.ndarray
    krawczyk_upper: np.ndarray
    success: bool
    negative_definite: bool
    eigenvalues: np.ndarray
    prec: int


def krawczyk_simplified(tau=TAU, alpha=ALPHA_FRACTION, p=None, center=None, radius=1e-9, prec=128):
    """Rigorous enclosure of the critical point of g(a, b) near ``center``.

    K(X) = c - Y grad g(c) + (I - Y Hg(X)) (X - c), X = c + [-radius, radius]^2, Y ~ Hg(c)^-1
    (any fixed matrix; a float inverse). If K(X) is inside int X, grad g has a unique zero in X
    (Krawczyk 1969; Moore). Default center: Newton from (3.5, 9/tau) in floating point.
    """
    flint = _flint()
    radius = real("radius", radius, 0, low_open=True)
    prec = integer("prec", prec, 53, high=4096)
    if center is None:
        obj = Objective.simplified(float(tau), float(alpha), 2,
                                   None if p is None else [float(x) for x in p])
        center = obj.critical_point(np.array([3.5, 9.0 / float(tau)]))
    c = np.asarray(center, dtype=np.float64)
    if c.shape != (2,) or not np.all(np.isfinite(c)):
        raise ValueError(f"center={center!r} is out of range: allowed 2 finite numbers (a, b)")
    with flint.ctx.workprec(prec):
        tau_, alpha_, p_ = _params(flint, tau, alpha, p)
        cb = [flint.arb(float(x)) for x in c]
        X = [flint.arb(float(x), radius) for x in c]
        g_c, H_c = _g_derivatives(flint, cb[0], cb[1], tau_, alpha_, p_)
        _, H_X = _g_derivatives(flint, X[0], X[1], tau_, alpha_, p_)
        Y = np.linalg.inv([[float(v.mid()) for v in row] for row in H_c])
        Yb = flint.arb_mat([[float(v) for v in row] for row in Y])   # exact floats
        I = flint.arb_mat([[1, 0], [0, 1]])
        Kx = (flint.arb_mat([[cb[0]], [cb[1]]]) - Yb * flint.arb_mat([[g_c[0]], [g_c[1]]])
              + (I - Yb * flint.arb_mat(H_X)) * flint.arb_mat([[X[0] - cb[0]], [X[1] - cb[1]]]))
        K = [Kx[0, 0], Kx[1, 0]]
        success = all(Xi.contains_interior(Ki) for Xi, Ki in zip(X, K))
        h00, h01, h11 = H_X[0][0], H_X[0][1], H_X[1][1]
        det = h00 * h11 - h01 * h01
        negdef = bool(h00 < 0 and det > 0)
        half_tr, disc = (h00 + h11) / 2, ((h00 - h11) / 2) ** 2 + h01 * h01
        root = disc.nonnegative_part().sqrt()
        lam = [half_tr - root, half_tr + root]
        return KrawczykResult(
            center=c, lower=np.array([_down(x) for x in X]), upper=np.array([_up(x) for x in X]),
            krawczyk_lower=np.array([_down(x) for x in K]),
            krawczyk_upper=np.array([_up(x) for x in K]),
            success=bool(success), negative_definite=negdef,
            eigenvalues=np.array([[_down(x), _up(x)] for x in lam]), prec=prec)


@dataclass(frozen=True)
class RigorousIFTResult:
    """The IFT for grad g on the max-norm ball (a box) B = x0 + [-radius, radius]^2, rigorously.

    norm_Ainv, perturbation, needed_radius (= 2 norm_Ainv perturbation), jacobian_variation
    (sup over B of ||Hg(x) - A||_inf) are upper bounds; allowed_variation (= 1/(2 norm_Ainv)) and
    image_radius (= radius / (2 norm_Ainv)) lower bounds. holds: the Jacobian condition holds on
    B, so grad g(B) contains the max-norm ball of radius image_radius about grad g(x0); with
    needed_radius <= radius, grad g has a zero within needed_radius of x0 (max norm).
    """

    x0: np.ndarray
    radius: float
    norm_Ainv: float
    perturbation: float
    needed_radius: float
    jacobian_variation: float
    allowed_variation: float
    image_radius: float
    holds: bool
    prec: int


def rigorous_ift_simplified(x0, radius, tau=TAU, alpha=ALPHA_FRACTION, p=None, prec=128, n_sub=8):
    """Verify the IFT's Jacobian condition for f = grad g on B = x0 + [-radius, radius]^2 in
    ball arithmetic (max norm; the box is split into n_sub x n_sub sub-boxes to limit
    overestimation).
    """
    flint = _flint()
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (2,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0={x0!r} is out of range: allowed 2 finite numbers (a, b)")
    radius = real("radius", radius, 0, low_open=True)
    prec = integer("prec", prec, 53, high=4096)
    n_sub = integer("n_sub", n_sub, 1, high=256)
    with flint.ctx.workprec(prec):
        tau_, alpha_, p_ = _params(flint, tau, alpha, p)
        a0, b0 = flint.arb(float(x0[0])), flint.arb(float(x0[1]))
        f0, A = _g_derivatives(flint, a0, b0, tau_, alpha_, p_)
        Ainv = flint.arb_mat(A).inv()
        norm_Ainv = _arb_max(abs(Ainv[i, 0]) + abs(Ainv[i, 1]) for i in range(2)).upper()
        pert = _arb_max([abs(f0[0]), abs(f0[1])]).upper()
        needed = (2 * norm_Ainv * pert).upper()
        allowed = (1 / (2 * norm_Ainv)).lower()
        image = (flint.arb(radius) / (2 * norm_Ainv)).lower()
        # sub-boxes [x0 - radius + 2 radius i / n_sub, x0 - radius + 2 radius (i + 1) / n_sub]
        r_ = flint.arb(radius)
        edges_a = [a0 - r_ + 2 * r_ * i / n_sub for i in range(n_sub + 1)]
        edges_b = [b0 - r_ + 2 * r_ * i / n_sub for i in range(n_sub + 1)]
        variation = flint.arb(0)
        for i in range(n_sub):
            a = edges_a[i].union(edges_a[i + 1])
            for j in range(n_sub):
                b = edges_b[j].union(edges_b[j + 1])
                _, H = _g_derivatives(flint, a, b, tau_, alpha_, p_)
                rows = [abs(H[k][0] - A[k][0]) + abs(H[k][1] - A[k][1]) for k in range(2)]
                variation = _arb_max([variation, *rows]).upper()
        holds = bool(variation <= allowed and needed <= radius)
        return RigorousIFTResult(x0=x0, radius=radius, norm_Ainv=_up(norm_Ainv),
                                 perturbation=_up(pert), needed_radius=_up(needed),
                                 jacobian_variation=_up(variation),
                                 allowed_variation=_down(allowed),
                                 image_radius=_down(image), holds=holds, prec=prec)

"""Computer-assisted proofs for the noise-free per-neuron objective g(a, b) of
``sslcore.theory``: Krawczyk's test for its critical point and the quantitative Inverse
Function Theorem (stated and proved in ``sslcore.ift``) on a ball, in ball arithmetic.

``krawczyk_simplified`` and ``rigorous_ift_simplified`` evaluate g (sigmoids only) in
python-flint's arb (outward rounding); their conclusions are proofs for the parameter values
given (floats are taken as their exact binary values; pass fractions.Fraction for exact
rationals such as alpha = 1/800). The numerical counterpart (any objective, Gauss-Hermite
quadrature in floating point) is ``sslcore.ift.ift_check``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from .config import ALPHA_FRACTION, TAU
from .data import cluster_weights
from .theory import Objective
from .validation import integer, real

__all__ = ["KrawczykResult", "krawczyk_simplified", "RigorousIFTResult",
           "rigorous_ift_simplified"]

#: A parameter taken exactly: int, Fraction, a float's binary value, or a str read by Fraction.
Exact = int | float | Fraction | str


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


def krawczyk_simplified(tau: Exact = TAU, alpha: Exact = ALPHA_FRACTION,
                        p: Sequence[Exact] | None = None, center: ArrayLike | None = None,
                        radius: float = 1e-9, prec: int = 128) -> KrawczykResult:
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
        ident = flint.arb_mat([[1, 0], [0, 1]])
        Kx = (flint.arb_mat([[cb[0]], [cb[1]]]) - Yb * flint.arb_mat([[g_c[0]], [g_c[1]]])
              + (ident - Yb * flint.arb_mat(H_X)) * flint.arb_mat([[X[0] - cb[0]], [X[1] - cb[1]]]))
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


def rigorous_ift_simplified(x0: ArrayLike, radius: float, tau: Exact = TAU,
                            alpha: Exact = ALPHA_FRACTION, p: Sequence[Exact] | None = None,
                            prec: int = 128, n_sub: int = 8) -> RigorousIFTResult:
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

"""The SSL and SL models: values and closed-form gradients.

Shapes: W (..., 2, d), F (..., 2), x (..., n, d), y (..., n); the leading axes (seeds) broadcast.
s is the logistic sigmoid, s' = s (1 - s).

SSL (maximized):
    L(W) = sum_i sum_k s(w_k.x1_i) s(w_k.x2_i) - alpha n ||W||_F^2
    dL/dw_k = sum_i [s'(u1_ik) s(u2_ik) x1_i + s(u1_ik) s'(u2_ik) x2_i] - 2 alpha n w_k,
    with u^v_ik = w_k . x^v_i.

Activations (chapter 5 replaces s in the representation; :data:`ACTIVATIONS`):
    sigmoid s(u), tanh(u), softplus(u) = log(1 + e^u), relu(u) = max(u, 0);
    derivatives s(1 - s), 1 - tanh^2, s(u), 1[u > 0] (relu'(0) = 0, as torch).

SL (minimized), h_i = F_1 s(w_1.x_i) + F_2 s(w_2.x_i), y_hat_i = s(h_i):
    J(W, F) = sum_i [softplus(h_i) - y_i h_i] + beta n ||W||_F^2 + gamma n ||F||^2
    (softplus(h) - y h is the binary cross-entropy of y_hat, stable for any h)
    dJ/dw_k = sum_i r_i F_k s'(u_ik) x_i + 2 beta n w_k,   r_i = s(h_i) - y_i
    dJ/dF_k = sum_i r_i s(u_ik) + 2 gamma n F_k.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .config import ACTIVATIONS
from .validation import integer

#: highest derivative order of :func:`sigmoid_derivative`
SIGMOID_MAX_ORDER = 6
#: s^(j) = q * d^(j even) * P_j(q) (q = s', d = 1 - 2s): coefficients of P_j, increasing powers
SIGMOID_POLYNOMIALS = {1: [1.0], 2: [1.0], 3: [1.0, -6.0], 4: [1.0, -12.0],
                       5: [1.0, -30.0, 120.0], 6: [1.0, -60.0, 360.0]}


def sigmoid(u: ArrayLike) -> np.ndarray:
    """s(u) = 1 / (1 + e^-u) for any real u.

    For u < -709, e^-u overflows to inf and 1 / (1 + inf) = 0, the correctly rounded value
    (s(u) < 1e-308); the overflow flag is silenced because the result is exact.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(u, dtype=np.float64)))


def sigmoid_derivative(t: ArrayLike, order: int) -> np.ndarray:
    """s^(j)(t), j = 0..6, written with q = s(1 - s) = s' and d = 1 - 2s (so d^2 = 1 - 4q):

    s' = q,  s'' = q d,  s''' = q (1 - 6q),  s'''' = q d (1 - 12q),
    s^(5) = q (1 - 30q + 120q^2),  s^(6) = q d (1 - 60q + 360q^2).

    s and 1 - s are both computed as sigmoids (``scipy.special.expit`` of t and -t), so that
    1 - s keeps its relative accuracy for large t (a specialization of :func:`sigmoid`, tested
    against it).
    """
    j = integer("order", order, 0, high=SIGMOID_MAX_ORDER)
    t = np.asarray(t, dtype=np.float64)
    s = expit(t)
    if j == 0:
        return s
    c = expit(-t)                       # c = 1 - s, accurate for large t
    q, d = s * c, c - s
    return q * (d if j % 2 == 0 else 1.0) * np.polynomial.polynomial.polyval(
        q, SIGMOID_POLYNOMIALS[j])


def activation(name: str, u: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(a(u), a'(u)) for the activation ``name`` (one of :data:`ACTIVATIONS`), entrywise.

    sigmoid: s, s (1 - s);  tanh: t, 1 - t^2;  softplus: log(1 + e^u), s(u);
    relu: max(u, 0), 1[u > 0].
    """
    u = np.asarray(u, dtype=np.float64)
    if name == "sigmoid":
        s = sigmoid(u)
        return s, s * (1 - s)
    if name == "tanh":
        return np.tanh(u), 4.0 * expit(2 * u) * expit(-2 * u)   # 1 - tanh^2, no cancellation
    if name == "softplus":
        return np.logaddexp(0.0, u), expit(u)
    if name == "relu":
        return np.maximum(u, 0.0), (u > 0).astype(np.float64)
    raise ValueError(f"activation={name!r} is unknown: allowed "
                     f"{', '.join(map(repr, ACTIVATIONS))}")


def _n(x: np.ndarray) -> int:
    return x.shape[-2]


def ssl_objective(W: np.ndarray, x1: np.ndarray, x2: np.ndarray, alpha: float) -> np.ndarray:
    """L(W) for the views x1, x2 (..., n, d); returns shape (...)."""
    s1 = sigmoid(x1 @ np.swapaxes(W, -1, -2))
    s2 = sigmoid(x2 @ np.swapaxes(W, -1, -2))
    return (s1 * s2).sum(axis=(-1, -2)) - alpha * _n(x1) * (W**2).sum(axis=(-1, -2))


def ssl_coefficients(u1: np.ndarray, u2: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c1, c2) = (s'(u1) s(u2), s(u1) s'(u2)) and the per-point value s(u1) s(u2)."""
    s1, s2 = sigmoid(u1), sigmoid(u2)
    return s1 * (1 - s1) * s2, s1 * s2 * (1 - s2), s1 * s2


def ssl_gradient(W: np.ndarray, x1: np.ndarray, x2: np.ndarray, alpha: float) -> np.ndarray:
    """dL/dW (..., 2, d): sum_i [c1_ik x1_i + c2_ik x2_i] - 2 alpha n w_k."""
    Wt = np.swapaxes(W, -1, -2)
    c1, c2, _ = ssl_coefficients(x1 @ Wt, x2 @ Wt)
    data = np.swapaxes(c1, -1, -2) @ x1 + np.swapaxes(c2, -1, -2) @ x2
    return data - 2 * alpha * _n(x1) * W


def sl_logit(W: np.ndarray, F: np.ndarray, x: np.ndarray, act: str = "sigmoid") -> np.ndarray:
    """h_i = sum_k F_k a(w_k . x_i), shape (..., n); a = s by default (``act``: an activation
    of :data:`ACTIVATIONS`; W (..., m, d), F (..., m) for any number m of neurons)."""
    return (activation(act, x @ np.swapaxes(W, -1, -2))[0] * F[..., None, :]).sum(-1)


def sl_forward(W: np.ndarray, F: np.ndarray, x: np.ndarray, act: str = "sigmoid") -> np.ndarray:
    """y_hat_i = s(h_i), the predicted probability of label 1 (the "-" class)."""
    return sigmoid(sl_logit(W, F, x, act))


def bce_with_logits(h: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of s(h) against y:
    softplus(h) - y h = (1 - y) softplus(h) + y softplus(-h).

    The second form, with softplus(h) = log(1 + e^h) = logaddexp(0, h), neither overflows nor
    loses the tiny losses of confident correct predictions.
    """
    return (1 - y) * np.logaddexp(0.0, h) + y * np.logaddexp(0.0, -h)


def sl_loss(W: np.ndarray, F: np.ndarray, x: np.ndarray, y: np.ndarray, beta: float,
            gamma: float, act: str = "sigmoid") -> np.ndarray:
    """J(W, F), shape (...) (hidden activation ``act``, default s)."""
    n = _n(x)
    reg = beta * n * (W**2).sum(axis=(-1, -2)) + gamma * n * (F**2).sum(-1)
    return bce_with_logits(sl_logit(W, F, x, act), y).sum(-1) + reg


def sl_gradients(W: np.ndarray, F: np.ndarray, x: np.ndarray, y: np.ndarray, beta: float,
                 gamma: float, act: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """(dJ/dW, dJ/dF) at the same (W, F); with a hidden activation a (``act``) the formulas
    hold with s(u_ik), s'(u_ik) replaced by a(u_ik), a'(u_ik)."""
    n = _n(x)
    s, ds = activation(act, x @ np.swapaxes(W, -1, -2))
    r = sigmoid((s * F[..., None, :]).sum(-1)) - y
    rF = r[..., None] * F[..., None, :]
    gW = np.swapaxes(rF * s * (1 - s) if act == "sigmoid" else rF * ds, -1, -2) @ x
    gF = (r[..., None] * s).sum(-2)
    return gW + 2 * beta * n * W, gF + 2 * gamma * n * F

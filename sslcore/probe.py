"""Probes of a frozen representation: L2-regularized logistic regression, in NumPy.

A linear probe asks what a representation makes *linearly* readable; a polynomial probe
(``degree=3``: logistic regression on all monomials of degree <= 3 of the features,
:func:`polynomial_features`) asks what a simple nonlinear readout finds. For trained weights
W (S, m, d) (one row per seed; the paper's m = 2) the representation of a point x is
f(x) = a(W x) = (a(w_1.x), ..., a(w_m.x)), a the sigmoid s (the paper's) or another activation
of ``config.ACTIVATIONS`` (chapter 5), the same map for the SSL model and for the first layer
of the SL model. The probe is fitted on a
fresh sample of the data distribution (not the training sample), and its accuracy is measured
on a second fresh sample, for a target ``"y"`` (the label, sign of the e1 coordinate) or
``"z"`` (the hidden bit, presence of tau*e2). ``representation="raw"`` probes x itself (a
baseline), ``"linear"`` the pre-activations W x (what the sigmoid squashes).

Fit: minimize, per seed, the mean binary cross-entropy plus (l2/2)||w||^2 (intercept not
penalized) by Newton's method (IRLS) with a backtracking line search, vectorized over seeds:
every iteration is a few batched matrix products and one batched (p+1) x (p+1) solve, no loop
over points. Features are standardized with the training sample's mean and standard deviation
before fitting, so that ``l2`` means the same for sigmoid features and raw coordinates.

Random streams: seed s draws its probe samples from ``data.streams(s, "probe")`` (train sample
from the first generator, test sample from the second), independent of training.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from . import analysis, models
from .config import ACTIVATIONS, TAU, D
from .data import Data, sample, streams
from .validation import choice, integer, real

TARGETS = ("y", "z")
#: representations: a(W x) for an activation a (default the sigmoid), W x, or x itself
FEATURES = ACTIVATIONS + ("linear", "raw")


# ------------------------------------------------------------------ validation helpers
def _seed_weights(W: ArrayLike) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    if W.ndim == 2:
        W = W[None]
    if W.ndim != 3 or W.shape[1] < 1 or W.shape[2] < 2:
        raise ValueError(f"W has shape {W.shape}: expected (seeds, m, d) or (m, d) with m >= 1 "
                         "and d >= 2")
    if not np.all(np.isfinite(W)):
        raise ValueError("W contains non-finite values")
    return W


# ------------------------------------------------------------------ the representation
def features(W: ArrayLike, x: ArrayLike, activation: str = "sigmoid") -> np.ndarray:
    """f(x) = a(W x) for weights W (S, m, d) and points x (S, N, d): shape (S, N, m).

    a: ``activation`` (one of ``config.ACTIVATIONS``; default the sigmoid s, the paper's).
    """
    activation = choice("activation", activation, ACTIVATIONS)
    W = _seed_weights(W)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] != W.shape[0] or x.shape[2] != W.shape[2]:
        raise ValueError(f"x has shape {x.shape}: expected ({W.shape[0]}, N, {W.shape[2]}) "
                         f"for W {W.shape}")
    u = x @ np.swapaxes(W, 1, 2)
    return models.sigmoid(u) if activation == "sigmoid" else models.activation(activation, u)[0]


# ------------------------------------------------------------------ logistic regression
def _design(X: np.ndarray) -> np.ndarray:
    """Prepend a column of ones (the intercept): (S, m, p) -> (S, m, p + 1)."""
    return np.concatenate([np.ones(X.shape[:-1] + (1,)), X], axis=-1)


def _penalty(p: int, l2: float) -> np.ndarray:
    D = np.full(p + 1, l2)
    D[0] = 0.0                                                 # intercept not penalized
    return D


def logistic_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Mean BCE of s(theta_0 + X theta_1:) against y plus (l2/2)||theta_1:||^2; shape (S,).

    theta (S, p + 1), X (S, m, p), y (S, m) in {0, 1}.
    """
    h = (_design(X) @ theta[..., None])[..., 0]
    return models.bce_with_logits(h, y).mean(-1) + 0.5 * l2 * (theta[:, 1:] ** 2).sum(-1)


def logistic_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float
                      ) -> np.ndarray:
    """Gradient of :func:`logistic_loss` with respect to theta, shape (S, p + 1)."""
    A = _design(X)
    r = models.sigmoid((A @ theta[..., None])[..., 0]) - y     # residuals (S, m)
    data = (np.swapaxes(A, 1, 2) @ r[..., None])[..., 0] / X.shape[1]
    return data + _penalty(X.shape[-1], l2) * theta


def logistic_hessian(theta: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float
                     ) -> np.ndarray:
    """Hessian of :func:`logistic_loss`, shape (S, p + 1, p + 1)."""
    A = _design(X)
    p = models.sigmoid((A @ theta[..., None])[..., 0])
    w = p * (1 - p)
    H = np.swapaxes(A, 1, 2) @ (w[..., None] * A) / X.shape[1]
    return H + np.diag(_penalty(X.shape[-1], l2))


def fit_logistic(X: ArrayLike, y: ArrayLike, l2: float = 1e-4, max_iter: int = 100,
                 tol: float = 1e-10) -> np.ndarray:
    """Newton's method (IRLS) with backtracking, for every seed at once.

    X (S, m, p), y (S, m) in {0, 1}; returns theta (S, p + 1) (intercept first). Stops when
    every seed's Newton decrement g^T H^-1 g is below ``tol`` (after taking that last step) or
    after ``max_iter`` iterations.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 3:
        raise ValueError(f"X has shape {X.shape}: expected (seeds, m, p)")
    if y.shape != X.shape[:2]:
        raise ValueError(f"y has shape {y.shape}: expected {X.shape[:2]} to match X")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only 0 and 1")
    l2 = real("l2", l2, 0)
    max_iter = integer("max_iter", max_iter, 1)
    S, _, p = X.shape
    theta = np.zeros((S, p + 1))
    ridge = 1e-12 * np.eye(p + 1)                              # keeps H invertible when l2 = 0
    steps = 0.5 ** np.arange(12)                               # 1, 1/2, ..., 1/2048
    loss = logistic_loss(theta, X, y, l2)
    for _ in range(max_iter):
        g = logistic_gradient(theta, X, y, l2)
        H = logistic_hessian(theta, X, y, l2) + ridge
        delta = np.linalg.solve(H, g[..., None])[..., 0]      # Newton direction (S, p + 1)
        decrement = (g * delta).sum(-1)
        cand = theta[:, None, :] - steps[None, :, None] * delta[:, None, :]   # (S, K, p + 1)
        h = _design(X) @ np.swapaxes(cand, 1, 2)                               # (S, m, K)
        c_loss = (models.bce_with_logits(h, y[..., None]).mean(1)
                  + 0.5 * l2 * (cand[..., 1:] ** 2).sum(-1))
        ok = c_loss <= loss[:, None] - 1e-4 * steps[None] * decrement[:, None]  # Armijo
        k = np.where(ok.any(1), ok.argmax(1), len(steps) - 1)   # largest step that works
        accept = ok.any(1)
        theta = np.where(accept[:, None], cand[np.arange(S), k], theta)
        loss = np.where(accept, c_loss[np.arange(S), k], loss)
        if np.all(decrement < tol):                            # this was the last (tiny) step
            break
    return theta


def predict(theta: np.ndarray, X: ArrayLike) -> np.ndarray:
    """Predicted class (0/1) of every row of X (S, m, p): 1 where theta_0 + X theta_1: > 0."""
    return ((_design(np.asarray(X, dtype=np.float64)) @ theta[..., None])[..., 0] > 0).astype(float)


def polynomial_features(X: ArrayLike, degree: int) -> np.ndarray:
    """All monomials of degree 1..``degree`` of the p features of X (..., m, p), no constant.

    Shape (..., m, P) with P = C(p + degree, degree) - 1, ordered by degree and, within a
    degree, by ``itertools.combinations_with_replacement`` of the feature indices; for p = 2,
    degree = 2: (x1, x2, x1^2, x1 x2, x2^2). Vectorized over points (one product per monomial).
    """
    X = np.asarray(X, dtype=np.float64)
    degree = integer("degree", degree, 1)
    if X.ndim < 1 or X.shape[-1] < 1:
        raise ValueError(f"X has shape {X.shape}: expected (..., m, p) with p >= 1")
    p = X.shape[-1]
    cols = [X[..., list(idx)].prod(-1)
            for k in range(1, degree + 1)
            for idx in combinations_with_replacement(range(p), k)]
    return np.stack(cols, -1)


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale both by the training sample's mean and std (per seed and feature)."""
    mu = X_train.mean(1, keepdims=True)
    sd = X_train.std(1, keepdims=True)
    sd = np.where(sd > 0, sd, 1.0)
    return (X_train - mu) / sd, (X_test - mu) / sd


# ------------------------------------------------------------------ probing trained weights
def probe_samples(seeds: Iterable[int], n_train: int, n_test: int | None = None, d: int = D,
                  tau: float = TAU, rho: float | None = None, noise: str = "isotropic"
                  ) -> tuple[Data, Data]:
    """Fresh (train, test) samples per seed from ``streams(seed, "probe")``: the training
    sample (n_train points) from its first generator, the test sample (n_test, default
    n_train) from its second."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: allowed a non-empty sequence of integers >= 0")
    n_train = integer("n_train", n_train, 2)
    n_test = n_train if n_test is None else integer("n_test", n_test, 1)
    rho = d ** -1.5 if rho is None else real("rho", rho, 0)
    gens = [streams(int(s), "probe") for s in seeds]
    train = sample(n_train, d, tau, rho, [g[0] for g in gens], noise=noise)
    test = sample(n_test, d, tau, rho, [g[1] for g in gens], noise=noise)
    return train, test


def probe_accuracy(W: ArrayLike, target: str = "y", seeds: Iterable[int] | None = None,
                   n_train: int = 1000, n_test: int = 1000, tau: float = TAU,
                   rho: float | None = None, l2: float = 1e-4, representation: str = "sigmoid",
                   noise: str = "isotropic", by_cluster: bool = False, degree: int = 1
                   ) -> np.ndarray:
    """Test accuracy (S,) of a logistic probe on the representation a(W x) of each seed.

    W (S, m, d): frozen weights, one row per seed. ``target``: "y" (label) or "z" (hidden bit).
    ``representation``: an activation a of ``config.ACTIVATIONS`` (f(x) = a(W x); "sigmoid",
    the default, is the paper's s), "linear" (W x) or "raw" (x itself, a baseline that uses W
    only for its shape). ``degree``: 1 is the linear probe; ``degree`` > 1
    fits the logistic regression on :func:`polynomial_features` of the standardized
    representation (standardized again), a nonlinear probe (degree 3: cubic, 9 features for the
    2-neuron representation). ``rho`` (default d^-1.5): the noise of the probe's samples.
    ``seeds`` (default 0..S-1) name the probe
    streams. ``by_cluster=True``: accuracy on the test points of each cluster, shape (S, 4)
    (clusters e1, e1 + tau e2, -e1, -e1 + tau e2).
    """
    W = _seed_weights(W)
    target = choice("target", target, TARGETS)
    representation = choice("representation", representation, FEATURES)
    S, _, d = W.shape
    seeds = list(range(S)) if seeds is None else list(seeds)
    if len(seeds) != S:
        raise ValueError(f"seeds has {len(seeds)} entries: expected one per row of W ({S})")
    n_train = integer("n_train", n_train, 2)
    n_test = integer("n_test", n_test, 1)
    real("l2", l2, 0)
    degree = integer("degree", degree, 1)
    tau = real("tau", tau, 0, low_open=True)
    train, test = probe_samples(seeds, n_train, n_test, d, tau, rho, noise)
    if representation in ACTIVATIONS:
        X_tr = features(W, train.x, representation)
        X_te = features(W, test.x, representation)
    elif representation == "linear":
        X_tr, X_te = train.x @ np.swapaxes(W, 1, 2), test.x @ np.swapaxes(W, 1, 2)
    else:
        X_tr, X_te = train.x, test.x
    X_tr, X_te = standardize(X_tr, X_te)
    if degree > 1:
        X_tr, X_te = standardize(polynomial_features(X_tr, degree),
                                 polynomial_features(X_te, degree))
    y_tr, y_te = getattr(train, target), getattr(test, target)
    theta = fit_logistic(X_tr, y_tr, l2=l2)
    correct = predict(theta, X_te) == y_te
    if not by_cluster:
        return correct.mean(-1)
    in_k = [test.c == k for k in range(4)]
    return np.stack([np.where(m, correct, 0).sum(-1) / np.maximum(m.sum(-1), 1) for m in in_k], -1)


def z_accuracy_limit(W: ArrayLike, tau: float = TAU, rho: float | None = None) -> np.ndarray:
    """The best accuracy (S,) of *any* classifier of z from s(W x): Phi(Delta / 2).

    Within a cluster the pre-activations u = W x are Gaussian with covariance rho^2 G,
    G = W W^T (m x m, isotropic data noise), and z = 1 shifts their mean by tau b,
    b = (w_12, ..., w_m2). Given the label, the best rule for z is the linear discriminant of
    two Gaussians with equal covariance, with accuracy Phi(Delta / 2),
    Delta = (tau / rho) sqrt(b^T G^+ b) (the shift in Mahalanobis units). s is invertible, so
    s(W x) carries the same information as W x (so does any invertible activation, tanh or
    softplus; for relu this is only an upper bound). This is the Bayes accuracy when the
    representation gives the label for sure, i.e. when the two label groups are many noise
    widths apart (true for the trained weights here: 2|w_k1| is dozens of rho ||w_k||);
    otherwise it is only an upper estimate for the within-label part.
    """
    W = _seed_weights(W)
    tau = real("tau", tau, 0, low_open=True)
    rho = W.shape[2] ** -1.5 if rho is None else real("rho", rho, 0)
    if rho == 0:
        raise ValueError("rho=0: without noise the clusters are points; allowed rho > 0")
    G = W @ np.swapaxes(W, 1, 2)                                # (S, m, m)
    b = W[:, :, 1]                                              # e2 weights (S, m)
    m2 = np.einsum("si,sij,sj->s", b, np.linalg.pinv(G), b)
    return ndtr(tau * np.sqrt(np.maximum(m2, 0.0)) / rho / 2)


def mean_ci(values: ArrayLike, z: float = 1.96) -> tuple[float, float]:
    """(mean, half-width) of the 95% interval mean +- z std/sqrt(S) over seeds (as the paper's
    bands)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"values has shape {v.shape}: expected one value per seed, at least 2")
    mean, lo, hi = analysis.mean_band(v, axis=0, z=z)
    return float(mean), float(hi - mean)

"""The SSL objectives of chapter 5: the paper's agreement, InfoNCE and the spectral loss.

The representation of a view is f^v_i = a(u^v_i) in R^m, u^v_i = W x^v_i, a an activation of
:data:`sslcore.config.ACTIVATIONS` applied entrywise, W (m, d). Every objective is
MAXIMIZED, with the paper's weight decay: L(W) = L_data(f^1, f^2) - alpha n ||W||_F^2, where

* ``"agreement"`` (the paper's): L_data = sum_i sum_k f^1_ik f^2_ik.
* ``"spectral"`` (the spectral contrastive loss of HaoChen et al. 2021, as a sum over points
  like the paper's objective; x and an independent x' are two different points):
  L_data = 2 sum_i f^1_i.f^2_i - 1/(n - 1) sum_{i != j} (f^1_i.f^2_j)^2.
* ``"infonce"`` (SimCLR-style, the other points of the batch as negatives, both directions):
  l_ij = cos(f^1_i, f^2_j) / temperature, cos(a, b) = a.b / (|a|_e |b|_e) with
  |a|_e = sqrt(|a|^2 + 1e-16) (finite at a = 0, e.g. a dead ReLU representation), and
  L_data = -1/2 sum_i [(lse_j l_ij - l_ii) + (lse_j l_ji - l_ii)], lse = log-sum-exp.

:func:`data_terms` gives L_data and c^v_i = dL_data/du^v_i in closed form, for a batch of
seeds; the gradient is then dL/dW = sum_{v,i} c^v_i (x^v_i)^T - 2 alpha n W (as
:func:`ssl_gradient`). ``tests/test_objectives.py`` checks every objective and activation
against torch autograd. InfoNCE and the spectral loss build n x n matrices per seed (hence
``config.MAX_PAIRWISE_N``); InfoNCE needs temperature >= 0.01 (``config.MIN_TEMPERATURE``: its
exponentials e^(l_ij - 1/T) >= e^(-2/T) stay above the smallest double).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .config import OBJECTIVES
from .models import activation

#: objectives that compare every point with every other one (n x n matrices per seed)
PAIRWISE = ("infonce", "spectral")
#: squared smoothing of the norm in InfoNCE's cosine: |a|_e = sqrt(|a|^2 + NORM_EPS2)
NORM_EPS2 = 1e-16


def _agreement(f1, f2):
    return (f1 * f2).sum(axis=(-1, -2)), f2, f1


def _spectral(f1, f2):
    n = f1.shape[-2]
    A = f1 @ np.swapaxes(f2, -1, -2)                        # A_ij = f1_i.f2_j, (S, n, n)
    diag = np.diagonal(A, axis1=-2, axis2=-1)
    off = A - diag[..., None] * np.eye(n)                   # A with a zero diagonal
    value = 2 * diag.sum(-1) - (off**2).sum(axis=(-1, -2)) / (n - 1)
    g1 = 2 * f2 - (2 / (n - 1)) * (off @ f2)
    g2 = 2 * f1 - (2 / (n - 1)) * (np.swapaxes(off, -1, -2) @ f1)
    return value, g1, g2


def _infonce(f1, f2, temperature):
    r1 = np.sqrt((f1**2).sum(-1, keepdims=True) + NORM_EPS2)
    r2 = np.sqrt((f2**2).sum(-1, keepdims=True) + NORM_EPS2)
    z1, z2 = f1 / r1, f2 / r2
    logits = z1 @ np.swapaxes(z2, -1, -2) / temperature     # l_ij, (S, n, n)
    # |cos| <= 1, so l_ij - 1/T lies in [-2/T, 0]: one exp serves rows and columns, no overflow
    E = np.exp(logits - 1 / temperature)
    rows, cols = E.sum(-1), E.sum(-2)                       # e^(lse - 1/T) by rows, columns
    diag = np.diagonal(logits, axis1=-2, axis2=-1)
    value = -0.5 * (np.log(rows) + np.log(cols) + 2 / temperature - 2 * diag).sum(-1)
    n = logits.shape[-1]
    G = np.eye(n) - 0.5 * (E / rows[..., :, None] + E / cols[..., None, :])  # dL/dl
    gz1 = (G @ z2) / temperature
    gz2 = (np.swapaxes(G, -1, -2) @ z1) / temperature
    g1 = (gz1 - z1 * (z1 * gz1).sum(-1, keepdims=True)) / r1   # through z = f / |f|_e
    g2 = (gz2 - z2 * (z2 * gz2).sum(-1, keepdims=True)) / r2
    return value, g1, g2


def data_terms(u: ArrayLike, objective: str = "agreement", act: str = "sigmoid",
               temperature: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(L_data, c) for the pre-activations u (..., 2 views, n, m) of a batch of seeds:
    L_data (...) and c = dL_data/du (..., 2, n, m) (module docstring)."""
    u = np.asarray(u, dtype=np.float64)
    f, df = activation(act, u)
    f1, f2 = f[..., 0, :, :], f[..., 1, :, :]
    if objective == "agreement":
        value, g1, g2 = _agreement(f1, f2)
    elif objective == "spectral":
        value, g1, g2 = _spectral(f1, f2)
    elif objective == "infonce":
        value, g1, g2 = _infonce(f1, f2, temperature)
    else:
        raise ValueError(f"objective={objective!r} is unknown: allowed "
                         f"{', '.join(map(repr, OBJECTIVES))}")
    return value, np.stack([g1, g2], axis=-3) * df


def ssl_objective(W: ArrayLike, x1: ArrayLike, x2: ArrayLike, alpha: float,
                  objective: str = "agreement", act: str = "sigmoid",
                  temperature: float = 0.5) -> np.ndarray:
    """L(W) = L_data - alpha n ||W||_F^2 for W (..., m, d) and views x1, x2 (..., n, d)."""
    W = np.asarray(W, dtype=np.float64)
    Wt = np.swapaxes(W, -1, -2)
    u = np.stack([np.asarray(x1) @ Wt, np.asarray(x2) @ Wt], axis=-3)
    n = u.shape[-2]
    return data_terms(u, objective, act, temperature)[0] - alpha * n * (W**2).sum(axis=(-1, -2))


def ssl_gradient(W: ArrayLike, x1: ArrayLike, x2: ArrayLike, alpha: float,
                 objective: str = "agreement", act: str = "sigmoid",
                 temperature: float = 0.5) -> np.ndarray:
    """dL/dW (..., m, d) = sum_{v,i} c^v_i (x^v_i)^T - 2 alpha n W, c from :func:`data_terms`."""
    W = np.asarray(W, dtype=np.float64)
    x1, x2 = np.asarray(x1, dtype=np.float64), np.asarray(x2, dtype=np.float64)
    Wt = np.swapaxes(W, -1, -2)
    u = np.stack([x1 @ Wt, x2 @ Wt], axis=-3)
    c = data_terms(u, objective, act, temperature)[1]
    data = (np.swapaxes(c[..., 0, :, :], -1, -2) @ x1
            + np.swapaxes(c[..., 1, :, :], -1, -2) @ x2)
    return data - 2 * alpha * x1.shape[-2] * W

"""What the learned weights span: projections, cosines, normalized coordinates, summaries.

All functions take W of shape (..., 2, d) (leading axes: seeds, steps).
"""
from __future__ import annotations

import numpy as np


def basis(d: int, j: int) -> np.ndarray:
    """The standard basis vector e_{j+1} of R^d (j = 0 for e1, j = 1 for e2)."""
    e = np.zeros(d)
    e[j] = 1.0
    return e


def projection_length(W: np.ndarray, e: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
    """||P e||, P the orthogonal projection onto span(w1, w2).

    Least squares: P e = A c*, c* = argmin ||A c - e||, A = [w1 w2] (d, 2). Solved through the
    SVD A = U S V^T (no inverse of A^T A): P e = U_r U_r^T e over the singular values
    s > rcond * s_max, so a (nearly) rank-one A gives the projection onto its one direction.
    """
    W = np.asarray(W, dtype=np.float64)
    U, s, _ = np.linalg.svd(np.swapaxes(W, -1, -2), full_matrices=False)  # U (..., d, 2)
    keep = s > rcond * s[..., :1]
    coef = np.einsum("...dr,d->...r", U, np.asarray(e, dtype=np.float64)) * keep
    return np.sqrt((coef**2).sum(-1))


def projections(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(||P e1||, ||P e2||), each of shape (...)."""
    d = np.shape(W)[-1]
    return projection_length(W, basis(d, 0)), projection_length(W, basis(d, 1))


def cosine(W: np.ndarray) -> np.ndarray:
    """cos(w1, w2) = w1.w2 / (||w1|| ||w2||)."""
    W = np.asarray(W, dtype=np.float64)
    w1, w2 = W[..., 0, :], W[..., 1, :]
    return (w1 * w2).sum(-1) / (np.linalg.norm(w1, axis=-1) * np.linalg.norm(w2, axis=-1))


def normalized(W: np.ndarray) -> np.ndarray:
    """w_kj / ||w_k||: each neuron scaled to unit length."""
    W = np.asarray(W, dtype=np.float64)
    return W / np.linalg.norm(W, axis=-1, keepdims=True)


def other_norm(W: np.ndarray) -> np.ndarray:
    """||(w_k3, ..., w_kd)||, the size of each neuron outside the (e1, e2) plane, shape (..., 2)."""
    return np.linalg.norm(np.asarray(W)[..., 2:], axis=-1)


def final_quantities(W: np.ndarray) -> dict[str, np.ndarray]:
    """Named per-seed quantities of final weights W (S, 2, d)."""
    W = np.asarray(W, dtype=np.float64)
    p1, p2 = projections(W)
    other = other_norm(W)
    nrm = normalized(W)
    return {
        "w11": W[:, 0, 0], "w12": W[:, 0, 1], "w21": W[:, 1, 0], "w22": W[:, 1, 1],
        "other_w1": other[:, 0], "other_w2": other[:, 1],
        "e2_share_w1": np.abs(nrm[:, 0, 1]), "e2_share_w2": np.abs(nrm[:, 1, 1]),
        "cosine": cosine(W), "proj_e1": p1, "proj_e2": p2,
    }


def summarize(W: np.ndarray, F: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Mean and standard deviation over seeds of :func:`final_quantities` (and F for SL)."""
    q = final_quantities(W)
    if F is not None:
        q["F1"], q["F2"] = np.asarray(F)[:, 0], np.asarray(F)[:, 1]
    return {k: {"mean": float(np.mean(v)), "std": float(np.std(v))} for k, v in q.items()}


def mean_band(values: np.ndarray, axis: int = 0, z: float = 1.96
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% band over ``axis``: (mean, mean - z std/sqrt(m), mean + z std/sqrt(m))."""
    v = np.asarray(values, dtype=np.float64)
    m = v.shape[axis]
    mean = v.mean(axis)
    half = z * v.std(axis) / np.sqrt(m)
    return mean, mean - half, mean + half

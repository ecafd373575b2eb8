"""What the learned weights span: projections, cosines, normalized coordinates, summaries.

The functions take W of shape (..., m, d) (leading axes: seeds, steps; m neurons, the paper's
m = 2). :func:`cosine`, :func:`final_quantities`, :func:`summarize` and :func:`span_parts`
describe the paper's two neurons (m = 2); the projections, the per-neuron shares
(:func:`feature_shares`, :func:`carriers`) and the bands hold for any m.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def basis(d: int, j: int) -> np.ndarray:
    """The standard basis vector e_{j+1} of R^d (j = 0 for e1, j = 1 for e2)."""
    e = np.zeros(d)
    e[j] = 1.0
    return e


def projection_length(W: ArrayLike, e: ArrayLike, rcond: float = 1e-10) -> np.ndarray:
    """||P e||, P the orthogonal projection onto span(w_1, ..., w_m).

    Least squares: P e = A c*, c* = argmin ||A c - e||, A = [w_1 ... w_m] (d, m). Solved through
    the SVD A = U S V^T (no inverse of A^T A): P e = U_r U_r^T e over the singular values
    s > rcond * s_max, so a (nearly) rank-deficient A gives the projection onto its range. With
    m >= d generic neurons the span is all of R^d and ||P e|| = 1 for every e.
    """
    W = np.asarray(W, dtype=np.float64)
    U, s, _ = np.linalg.svd(np.swapaxes(W, -1, -2), full_matrices=False)  # U (..., d, r)
    keep = s > rcond * s[..., :1]
    coef = np.einsum("...dr,d->...r", U, np.asarray(e, dtype=np.float64)) * keep
    return np.sqrt((coef**2).sum(-1))


def projections(W: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(||P e1||, ||P e2||), each of shape (...)."""
    d = np.shape(W)[-1]
    return projection_length(W, basis(d, 0)), projection_length(W, basis(d, 1))


def cosine(W: ArrayLike) -> np.ndarray:
    """cos(w1, w2) = w1.w2 / (||w1|| ||w2||) of the first two neurons."""
    W = np.asarray(W, dtype=np.float64)
    w1, w2 = W[..., 0, :], W[..., 1, :]
    return (w1 * w2).sum(-1) / (np.linalg.norm(w1, axis=-1) * np.linalg.norm(w2, axis=-1))


def normalized(W: ArrayLike) -> np.ndarray:
    """w_kj / ||w_k||: each neuron scaled to unit length."""
    W = np.asarray(W, dtype=np.float64)
    return W / np.linalg.norm(W, axis=-1, keepdims=True)


def other_norm(W: ArrayLike) -> np.ndarray:
    """||(w_k3, ..., w_kd)||, the size of each neuron outside the (e1, e2) plane, shape (..., m)."""
    return np.linalg.norm(np.asarray(W)[..., 2:], axis=-1)


#: A neuron *carries* a feature e_j when |w_kj| / ||w_k|| is at least this (:func:`carriers`).
CARRIER_SHARE = 0.1


def feature_shares(W: ArrayLike, j: int = 1) -> np.ndarray:
    """Per-neuron share of the feature e_{j+1}: |w_kj| / ||w_k||, shape (..., m) (j = 1: e2).

    The cosine between the neuron and the feature, up to sign; 0 for a zero neuron.
    """
    W = np.asarray(W, dtype=np.float64)
    norm = np.linalg.norm(W, axis=-1)
    return np.abs(W[..., j]) / np.where(norm > 0, norm, 1.0)


def carriers(W: ArrayLike, j: int = 1, share: float = CARRIER_SHARE) -> np.ndarray:
    """How many neurons carry e_{j+1}: #{k : |w_kj| / ||w_k|| >= share}, shape (...)."""
    return (feature_shares(W, j) >= share).sum(-1)


def final_quantities(W: ArrayLike) -> dict[str, np.ndarray]:
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


def summarize(W: ArrayLike, F: ArrayLike | None = None) -> dict[str, dict[str, float]]:
    """Mean and standard deviation over seeds of :func:`final_quantities` (and F for SL)."""
    q = final_quantities(W)
    if F is not None:
        q["F1"], q["F2"] = np.asarray(F)[:, 0], np.asarray(F)[:, 1]
    return {k: {"mean": float(np.mean(v)), "std": float(np.std(v))} for k, v in q.items()}


def mean_band(values: ArrayLike, axis: int = 0, z: float = 1.96
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% band over ``axis``: (mean, mean - z std/sqrt(m), mean + z std/sqrt(m))."""
    v = np.asarray(values, dtype=np.float64)
    m = v.shape[axis]
    mean = v.mean(axis)
    half = z * v.std(axis) / np.sqrt(m)
    return mean, mean - half, mean + half


def span_parts(W: ArrayLike) -> dict[str, np.ndarray]:
    """Why ||P e2|| is ill-conditioned when w1 ~ -w2: the span of (w1, w2) is spanned by
    u = (w1 - w2)/||w1 - w2|| and v = the part of w1 + w2 orthogonal to u, so
    ||P e2||^2 = (e2.u)^2 + (e2.v)^2/||v||^2 exactly. Returns (S,) arrays: proj_e2 (from the
    formula), e2_u = |e2.u|, e2_v = |e2.v| (the numerator) and norm_v = ||v||."""
    W = np.asarray(W, dtype=np.float64)
    diff = W[:, 0] - W[:, 1]
    u = diff / np.linalg.norm(diff, axis=-1, keepdims=True)
    s = W[:, 0] + W[:, 1]
    v = s - (s * u).sum(-1, keepdims=True) * u
    nv = np.linalg.norm(v, axis=-1)
    e2_u, e2_v = np.abs(u[:, 1]), np.abs(v[:, 1])
    return {"proj_e2": np.sqrt(e2_u**2 + (e2_v / nv) ** 2), "e2_u": e2_u, "e2_v": e2_v,
            "norm_v": nv}


def extrapolate_other(W: ArrayLike, factor: float) -> np.ndarray:
    """W with the coordinates 3..d multiplied by ``factor`` (weight decay alone for more steps)."""
    W = np.array(W, dtype=np.float64, copy=True)
    W[..., 2:] *= factor
    return W

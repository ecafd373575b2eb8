"""Assignment 2, Task 2: the reference answer (the IFT constants of any map) and the
recognizable wrong values of each constant that the checkers in ``a2`` name."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..ift import IFT_KEYS, sampled_constants

#: a map x -> f(x) or its Jacobian x -> Df(x)
VectorMap = Callable[[np.ndarray], np.ndarray]


def ift_constants_reference(f: VectorMap, jac: VectorMap, x0: ArrayLike, directions: np.ndarray
                            ) -> dict[str, Any]:
    """What Task 2 asks for: ``sslcore.ift.sampled_constants`` with the Euclidean norm, for any
    map f with Jacobian jac (not only a gradient) and the given directions:

    A = jac(x0), ||A^-1|| (spectral: 1 / the smallest singular value of A), ||f(x0)||,
    r = 2 ||A^-1|| ||f(x0)||, allowed = 1 / (2 ||A^-1||),
    variation = max_u ||jac(x0 + r u) - A||_2 over the rows u of ``directions``.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    c = sampled_constants(f(x0), jac(x0), jac, x0, directions=directions)
    return {k: c[k] for k in IFT_KEYS}


def _norm_mistakes(A: np.ndarray, Ainv: np.ndarray, f0: np.ndarray, fro: float, p: float
                   ) -> dict[str, dict[str, float]]:
    return {
        "norm_Ainv": {
            "||A^-1||_F, the Frobenius norm (np.linalg.norm without ord=2); the theorem uses the "
            "spectral norm": fro,
            "||A||, the norm of A instead of its inverse": np.linalg.norm(A, 2),
            "1/||A|| (||A^-1|| is 1 / the smallest singular value, not the largest)":
                1 / np.linalg.norm(A, 2),
            "1 / min |eigenvalue of A|, equal to ||A^-1|| only for symmetric A; use the smallest "
            "singular value": 1 / np.min(np.abs(np.linalg.eigvals(A))),
            "the induced 1-norm of A^-1; use ord=2": np.linalg.norm(Ainv, 1),
            "the induced max-norm of A^-1; use ord=2": np.linalg.norm(Ainv, np.inf)},
        "perturbation": {
            "||f(x0)||^2 (the square of the norm)": p ** 2,
            "max |f_i(x0)|, the max-norm; use the Euclidean norm": np.max(np.abs(f0)),
            "the 1-norm of f(x0); use the Euclidean norm": np.sum(np.abs(f0)),
            "||A^-1 f(x0)||, the length of the Newton step, not ||f(x0)||":
                np.linalg.norm(Ainv @ f0)},
    }


def _radius_mistakes(A: np.ndarray, Ainv: np.ndarray, f0: np.ndarray, fro: float, nA: float,
                     p: float) -> dict[str, dict[str, float]]:
    return {
        "radius": {
            "r = ||A^-1|| ||f(x0)|| (the factor 2 is missing)": nA * p,
            "r = ||f(x0)|| / (2 ||A^-1||), the radius of the image ball, not of the ball around "
            "x0": p / (2 * nA),
            "r = 2 ||A^-1 f(x0)||; the theorem's radius is 2 ||A^-1|| ||f(x0)||":
                2 * np.linalg.norm(Ainv @ f0),
            "r = 2 ||A|| ||f(x0)|| (||A|| instead of ||A^-1||)": 2 * np.linalg.norm(A, 2) * p,
            "r with the Frobenius norm ||A^-1||_F": 2 * fro * p},
        "allowed_variation": {
            "1 / ||A^-1|| (the factor 1/2 is missing)": 1 / nA,
            "||A^-1|| / 2 (the reciprocal is missing)": nA / 2,
            "1 / (2 ||A||) (||A|| instead of ||A^-1||)": 1 / (2 * np.linalg.norm(A, 2)),
            "1 / (2 ||A^-1||_F) (the Frobenius norm)": 1 / (2 * fro)},
    }


def _variation_mistakes(jac: VectorMap, x0: np.ndarray, dirs: np.ndarray, A: np.ndarray,
                        r: float) -> dict[str, float]:
    at = lambda rad: [np.asarray(jac(x0 + rad * u)) - A for u in dirs]
    D = at(r)
    return {
        "the Frobenius norm ||Df(x) - A||_F; use the spectral norm (ord=2)":
            max(np.linalg.norm(M, "fro") for M in D),
        "the mean over the directions; the condition needs the largest value":
            np.mean([np.linalg.norm(M, 2) for M in D]),
        "max ||Df(x)||, without subtracting A = Df(x0)": max(np.linalg.norm(M + A, 2) for M in D),
        "points x0 + u on the unit sphere; sample x0 + r u on the sphere of radius r":
            max(np.linalg.norm(M, 2) for M in at(1.0)),
        "points at distance r/2 = ||A^-1|| ||f(x0)||; sample x0 + r u with "
        "r = 2 ||A^-1|| ||f(x0)||": max(np.linalg.norm(M, 2) for M in at(r / 2)),
    }


def ift_mistakes(key: str, f: VectorMap, jac: VectorMap, x0: np.ndarray, dirs: np.ndarray
                 ) -> dict[str, float]:
    """Recognizable wrong values of ``key`` (the earlier constants taken as right)."""
    A = np.asarray(jac(x0), dtype=np.float64)
    Ainv, f0 = np.linalg.inv(A), np.asarray(f(x0), dtype=np.float64)
    ref = ift_constants_reference(f, jac, x0, dirs)
    nA, p, r = ref["norm_Ainv"], ref["perturbation"], ref["radius"]
    fro = np.linalg.norm(Ainv, "fro")
    if key == "jacobian_variation":
        return _variation_mistakes(jac, x0, dirs, A, r)
    table = {**_norm_mistakes(A, Ainv, f0, fro, p), **_radius_mistakes(A, Ainv, f0, fro, nA, p)}
    return table.get(key, {})

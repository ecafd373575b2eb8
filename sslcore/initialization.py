"""Initial weights: the paper's two SSL initialization regions and the SL initialization.

The functions take the stream of normals ``rs`` (``np.random.Generator`` or legacy
``RandomState``) and of uniforms ``pr`` (a Generator or Python's ``random.Random``), so the
clean and the reference mode share them and differ only in the streams they pass.
"""
from __future__ import annotations

import random

import numpy as np

W11, W21, W12, W22 = (0, 0), (1, 0), (0, 1), (1, 1)  # index of w_kj in W (neuron k, coordinate j)


def _flip_signs(W: np.ndarray, positive: tuple[tuple[int, int], ...],
                negative: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Make the entries ``positive`` of W positive and ``negative`` negative, by sign flips."""
    for cell in positive:
        W[cell] = abs(W[cell])
    for cell in negative:
        W[cell] = -abs(W[cell])
    return W


def ssl_initial_weights(init: str, d: int, tau: float,
                        rs: np.random.Generator | np.random.RandomState,
                        pr: np.random.Generator | random.Random, m: int = 2,
                        scale: float = 1.0) -> np.ndarray:
    """SSL initialization (m, d) from a normal stream ``rs`` and a uniform stream ``pr``.

    Every entry is first drawn N(0, 1) (m rows, row by row); then
    ``near`` (condition 0): w11 ~ U(3.1, 3.9), w21 ~ -U(3.1, 3.9), w12, w22 ~ U(8.5, 9)/tau.
    ``sign`` (condition 1): w11 > 0, w21 < 0, w12 > 0, w22 > 0 by flipping signs.
    ``gaussian``: every entry scale * N(0, 1) (chapter 5's random start).
    Neurons 3..m (m > 2) keep their N(0, 1) draws under ``near`` and ``sign``.
    """
    W = rs.normal(0.0, 1.0, size=(m, d))
    if init == "gaussian":
        return scale * W
    if init == "near":
        W[W11] = pr.uniform(3.1, 3.9)
        W[W21] = -pr.uniform(3.1, 3.9)
        W[W12] = pr.uniform(8.5, 9.0) / tau
        W[W22] = pr.uniform(8.5, 9.0) / tau
        return W
    return _flip_signs(W, positive=(W11, W12, W22), negative=(W21,))


def sl_initial_weights(d: int, rs: np.random.Generator | np.random.RandomState, m: int = 2
                       ) -> tuple[np.ndarray, np.ndarray]:
    """SL initialization: W (m, d) normal with w11 > 0, w21 < 0; then F ~ N(0, I_m)."""
    W = _flip_signs(rs.normal(0.0, 1.0, size=(m, d)), positive=(W11,), negative=(W21,))
    return W, rs.normal(0.0, 1.0, size=m)

"""A slow, obviously-correct implementation of the reference simulation.

It follows the authors' reference simulation of Yang et al. (2023) line by line (their random
stream: ``sslcore.reference`` and chapter 1), with Python loops over points and coordinates and
NumPy's legacy global generator, exactly as the authors' scripts draw. Like ``sslcore.training``
it stops with a ``DivergenceError`` at the first step whose weights are non-finite or exceed
``training.MAX_WEIGHT``.
Used by the tests (agreement with sslcore's vectorized reference mode), the benchmark and
chapter 4's timing; not by the book's simulations (it is about 300 times slower).
"""
from __future__ import annotations

import math
import random

import numpy as np

from .config import ALPHA, BETA, ETA, GAMMA, RHO, TAU, D
from .training import MAX_WEIGHT, DivergenceError


def _s(u: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-u))
    except OverflowError:  # u < -709: s(u) < 1e-308 rounds to 0, as 1 / (1 + inf) in NumPy
        return 0.0


def _check(step: int, model: str, seed: int, params: dict[str, float],
           *weights: list) -> None:
    """DivergenceError if an entry of the nested lists is non-finite or exceeds MAX_WEIGHT."""
    flat = [abs(v) for w in weights for v in (w if isinstance(w[0], float) else sum(w, []))]
    if not all(v <= MAX_WEIGHT for v in flat):  # NaN compares False
        shown = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        raise DivergenceError(f"{model} training diverged at step {step}: weights non-finite or "
                              f"above {MAX_WEIGHT:g} for seed {seed}, with {shown}; try a "
                              f"smaller eta, e.g. eta={params['eta'] / 10:.3g}",
                              step=step, model=model, seeds=(seed,), params=params)


def _data(n: int, d: int, tau: float, rho: float) -> list[tuple[list[float], int]]:
    """Labels, then one scalar noise draw per point (the quirk); "+" class first."""
    labels = np.random.choice([1, 2, 3, 4], size=n, p=[0.25] * 4)
    points = []
    for i in range(n):
        mu = [0.0] * d
        mu[0] = 1.0 if labels[i] in (1, 2) else -1.0
        mu[1] = tau if labels[i] in (2, 4) else 0.0
        e = np.random.normal(0, 1)
        points.append(([mu[j] + rho * e for j in range(d)], labels[i]))
    plus = [(x, lab) for x, lab in points if lab in (1, 2)]
    minus = [(x, lab) for x, lab in points if lab in (3, 4)]
    return plus + minus


def ssl_run(seed: int, T: int, d: int = D, n: int = D ** 2, tau: float = TAU, rho: float = RHO,
            alpha: float = ALPHA, eta: float = ETA, init: str = "near") -> list[list[float]]:
    """Final W (2 x d nested list) of one SSL run."""
    np.random.seed(seed)
    random.seed(seed)
    W = [[np.random.normal(0, 1) for _ in range(d)] for _ in range(2)]
    if init == "near":
        W[0][0] = random.uniform(3.1, 3.9)
        W[1][0] = -random.uniform(3.1, 3.9)
        W[0][1] = random.uniform(8.5, 9.0) / tau
        W[1][1] = random.uniform(8.5, 9.0) / tau
    else:
        W[0][0], W[1][0] = abs(W[0][0]), -abs(W[1][0])
        W[0][1], W[1][1] = abs(W[0][1]), abs(W[1][1])
    points = _data(n, d, tau, rho)
    params = dict(eta=eta, alpha=alpha, tau=tau, rho=rho, n=n, d=d)
    _check(0, "SSL", seed, params, W)
    for t in range(T):
        grad = [[-2 * alpha * n * W[k][j] for j in range(d)] for k in range(2)]
        for x, _label in points:
            x1, x2 = [0.0] * d, [0.0] * d
            for j in range(d):
                x1[j] = x[j] + rho * np.random.normal(0, 1)
                x2[j] = x[j] + rho * np.random.normal(0, 1)
            for k in range(2):
                s1 = _s(sum(W[k][j] * x1[j] for j in range(d)))
                s2 = _s(sum(W[k][j] * x2[j] for j in range(d)))
                for j in range(d):
                    grad[k][j] += s1 * (1 - s1) * s2 * x1[j] + s1 * s2 * (1 - s2) * x2[j]
        W = [[W[k][j] + eta * grad[k][j] for j in range(d)] for k in range(2)]
        _check(t + 1, "SSL", seed, params, W)
    return W


def sl_run(seed: int, T: int, d: int = D, n: int = D ** 2, tau: float = TAU, rho: float = RHO,
           beta: float = BETA, gamma: float = GAMMA, eta: float = ETA
           ) -> tuple[list[list[float]], list[float]]:
    """Final (W, F) of one SL run: W step with the current F, then F with the new W."""
    np.random.seed(seed)
    random.seed(seed)
    W = [[np.random.normal(0, 1) for _ in range(d)] for _ in range(2)]
    W[0][0], W[1][0] = abs(W[0][0]), -abs(W[1][0])
    F = [np.random.normal(0, 1) for _ in range(2)]
    points = _data(n, d, tau, rho)
    params = dict(eta=eta, beta=beta, gamma=gamma, tau=tau, rho=rho, n=n, d=d)
    _check(0, "SL", seed, params, W, F)

    def forward(W: list[list[float]], x: list[float]) -> tuple[list[float], float]:
        s = [_s(sum(W[k][j] * x[j] for j in range(d))) for k in range(2)]
        return s, _s(F[0] * s[0] + F[1] * s[1])

    for t in range(T):
        gW = [[2 * beta * n * W[k][j] for j in range(d)] for k in range(2)]
        for x, label in points:
            y = 0.0 if label in (1, 2) else 1.0
            s, yhat = forward(W, x)
            for k in range(2):
                for j in range(d):
                    gW[k][j] += (yhat - y) * F[k] * s[k] * (1 - s[k]) * x[j]
        W = [[W[k][j] - eta * gW[k][j] for j in range(d)] for k in range(2)]
        gF = [2 * gamma * n * F[k] for k in range(2)]
        for x, label in points:
            y = 0.0 if label in (1, 2) else 1.0
            s, yhat = forward(W, x)
            for k in range(2):
                gF[k] += (yhat - y) * s[k]
        F = [F[k] - eta * gF[k] for k in range(2)]
        _check(t + 1, "SL", seed, params, W, F)
    return W, F

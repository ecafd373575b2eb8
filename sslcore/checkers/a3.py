"""Checkers of Assignment 3 (gradient ascent and its rate; chapter 2).

Notation (``sslcore.dynamics``): s the sigmoid, mu the four cluster centres
(``data.cluster_means``), p their weights (1/4 each, or a sample's proportions),

    Psi_p(W) = sum_k sum_mu p_mu s(w_k . mu)^2 - alpha ||W||_F^2,
    grad_k   = 2 sum_mu p_mu s(w_k . mu) s'(w_k . mu) mu - 2 alpha w_k.

* Task 1: one ascent step W + lr grad Psi_p(W) for W of shape (..., K, d) (any leading axes),
  against ``dynamics.ascent(W, T=1, ...)``.
* Task 2: the per-step contraction q = exp(slope) of a least-squares fit of log(dist) against
  the step over start <= step <= stop, against ``dynamics.fit_rate``.
* Task 3: the linearization's prediction q = max_i |1 + lr lambda_i| over the eigenvalues of a
  symmetric H, and the steps t = ceil(log(tol / d0) / log q) to reach tol, against
  ``dynamics.steps_to_tolerance``.
* Task 4: a basin map: the class (``dynamics.classify``) of the end point of T ascent steps
  from a grid of starts of neuron 1, against ``dynamics.basin_grid``.

Each task has several parts (one otter test case each); ``*_fresh`` parts are hidden tests.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import dynamics
from ..config import ALPHA, TAU
from ..data import cluster_means
from ..models import sigmoid_derivative
from ..theory import Objective, simplified_optimum
from .common import (
    StudentFunction,
    as_float_array,
    defined,
    hint,
    is_float,
    not_none,
    rel,
    run,
    using,
    verdict,
)

T1, T2 = "Task 1 (ascent step)", "Task 2 (contraction rate)"
T3, T4 = "Task 3 (the Hessian's prediction)", "Task 4 (basin map)"
SEED4_P = (0.20, 0.23, 0.33, 0.24)    # cluster proportions of reference seed 4 (chapter 2)
#: one case of Task 1: (W, lr, tau, alpha, p)
StepCase = tuple[np.ndarray, float, float, float, np.ndarray | None]
#: one case of Task 2: (steps, dist, start, stop)
RateCase = tuple[np.ndarray, np.ndarray, float | None, float | None]
#: one case of Task 4: (a0, b0, p, partner, T, tau)
BasinCase = tuple[np.ndarray, np.ndarray, Sequence[float] | None, tuple[float, float], int, float]


# ------------------------------------------------------------------------------------ Task 1
def data_gradient(W: ArrayLike, tau: float = TAU, p: ArrayLike | None = None) -> np.ndarray:
    """2 sum_mu p_mu s(w_k . mu) s'(w_k . mu) mu, the data part of grad Psi_p, shape of W."""
    W = np.asarray(W, dtype=np.float64)
    mu = cluster_means(W.shape[-1], float(tau))
    p = np.full(4, 0.25) if p is None else np.asarray(p, dtype=np.float64)
    s = sigmoid_derivative(W @ mu.T, 0)
    return 2 * (p * s * s * (1 - s)) @ mu


def reference_step(W: ArrayLike, lr: float = 0.1, tau: float = TAU, alpha: float = ALPHA,
                   p: ArrayLike | None = None) -> np.ndarray:
    """What Task 1 asks for: W + lr grad Psi_p(W) (equal to ``dynamics.ascent`` with T = 1)."""
    W = np.asarray(W, dtype=np.float64)
    return W + lr * (data_gradient(W, tau, p) - 2 * alpha * W)


def _step_mistakes(W: np.ndarray, lr: float, tau: float, alpha: float, p: ArrayLike | None,
                   want: np.ndarray) -> dict[str, np.ndarray]:
    D = data_gradient(W, tau, p)
    mu = cluster_means(W.shape[-1], float(tau))
    pp = np.full(4, 0.25) if p is None else np.asarray(p, dtype=np.float64)
    s = sigmoid_derivative(W @ mu.T, 0)
    return {
        "a descent step W - lr grad Psi (Psi is maximized: climb)": 2 * W - want,
        "the data term without its factor 2 (d/dw s(u)^2 = 2 s(u) s'(u) mu)":
            W + lr * (D / 2 - 2 * alpha * W),
        "s'(u) instead of s(u) s'(u) (the gradient of s(u), not of s(u)^2)":
            W + lr * (2 * (pp * s * (1 - s)) @ mu - 2 * alpha * W),
        "-alpha W instead of -2 alpha W (the weight decay's factor 2)": W + lr * (D - alpha * W),
        "the step without the weight decay -2 alpha W": W + lr * D,
        "lr applied to the data term only (W + lr data - 2 alpha W)": W + lr * D - 2 * alpha * W,
        "equal cluster weights 1/4: pass p on to the step": reference_step(W, lr, tau, alpha),
    }


def check_steps(fn: StudentFunction, cases: Iterable[StepCase], task: str = T1) -> float:
    """Compare fn(W, lr, tau, alpha, p) with :func:`reference_step` for each case."""
    defined(task, "ascent_step", fn)
    worst = 0.0
    for W, lr, tau, alpha, p in cases:
        where = (f"W of shape {W.shape}, lr={lr:g}, tau={tau:g}, alpha={alpha:g}, "
                 f"p={'None' if p is None else np.round(p, 3).tolist()}")
        out, exc = run(task, where, fn, W, lr, tau, alpha, p)
        if exc is not None:
            raise AssertionError(f"{task}: for {where} your function raised "
                                 f"{type(exc).__name__}: {exc} (the step must work for any "
                                 "leading axes: use W @ mu.T, not W.T)")
        got = as_float_array(f"{task}: the new W ({where})", not_none(task, "ascent_step", out),
                             W.shape)
        want = reference_step(W, lr, tau, alpha, p)
        err = rel(got, want)
        if err > 1e-12:
            raise AssertionError(f"{task}: wrong for {where}: max relative error {err:.3g} "
                                 "(allowed 1e-12)."
                                 + hint(got, want, _step_mistakes(W, lr, tau, alpha, p, want)))
        worst = max(worst, err)
    return worst


def step_cases(seed: int, shapes: Iterable[tuple[int, ...]],
               params: Iterable[tuple[float, float, float, Sequence[float] | None]]
               ) -> list[StepCase]:
    """[(W, lr, tau, alpha, p)]: W ~ N(0, 2^2) of each shape with the matching parameters."""
    rng = np.random.default_rng(seed)
    return [(2 * rng.normal(size=shape), lr, tau, alpha, None if p is None else np.array(p))
            for shape, (lr, tau, alpha, p) in zip(shapes, params)]


def ascent_step_equal_weights(fn: StudentFunction) -> float:
    """Part 1: equal cluster weights (p = None), W (2, d) and a grid of W's (leading axes)."""
    return check_steps(fn, step_cases(1, ((2, 10), (2, 2), (3, 2, 5)),
                                      ((0.1, TAU, ALPHA, None), (1.0, 5.0, 0.01, None),
                                       (0.1, TAU, ALPHA, None))))


def ascent_step_proportions(fn: StudentFunction) -> float:
    """Part 2: a sample's cluster proportions p (a surplus of -e1 points)."""
    return check_steps(fn, step_cases(2, ((2, 10), (4, 3, 2, 2)),
                                      ((0.1, TAU, ALPHA, SEED4_P), (0.5, TAU, ALPHA, SEED4_P))))


def ascent_step_fresh(fn: StudentFunction) -> float:
    """Hidden part: other tau, alpha, lr, proportions and shapes."""
    p = tuple(np.random.default_rng(21).dirichlet(np.ones(4)))
    return check_steps(fn, step_cases(3, ((5, 2, 6), (2, 3)),
                                      ((0.5, 3.0, 1 / 400, p), (2.0, 10.0, 0.0, None))))


def check_ascent_step(fn: StudentFunction, verbose: bool = True) -> None:
    worst = max(ascent_step_equal_weights(fn), ascent_step_proportions(fn), ascent_step_fresh(fn))
    if verbose:
        verdict(f"Task 1: correct (max relative error {worst:.0e} against "
                "sslcore.dynamics.ascent)")


# ------------------------------------------------------------------------------------ Task 2
def rate_case(seed: int, qs: ArrayLike, noise: float = 0.0, fast: float = 0.0, every: int = 100,
              T: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """(steps, dist): rows q^t (times exp(noise N(0,1))) plus a fast transient fast 0.99^t."""
    rng = np.random.default_rng(seed)
    steps = np.arange(0, T + 1, every)
    q = np.asarray(qs, dtype=float)[..., None]
    dist = 2.0 * q ** steps * np.exp(noise * rng.normal(size=q.shape[:-1] + steps.shape))
    return steps, dist + fast * 0.99 ** steps


def _fit(steps: np.ndarray, y: np.ndarray) -> np.ndarray:
    tc = steps - steps.mean()
    return (y * tc).sum(-1) / (tc ** 2).sum()


def _rate_mistakes(steps: np.ndarray, dist: np.ndarray, start: float | None,
                   stop: float | None) -> dict[str, np.ndarray]:
    keep = (steps >= (start if start is not None else -np.inf)) & \
        (steps <= (stop if stop is not None else np.inf))
    t, d = steps[keep], dist[..., keep]
    slope, idx = _fit(t, np.log(d)), np.arange(len(steps), dtype=float)[keep]
    return {
        "the slope log q; return q = exp(slope)": slope,
        "exp of the slope of log10(dist); with log10 the contraction is 10**slope":
            np.exp(slope / np.log(10)),
        "a fit against the record index: steps are record_every apart, fit against the steps":
            np.exp(_fit(idx, np.log(d))),
        "a fit of dist itself; fit log(dist), which is linear in t": np.exp(_fit(t, d)),
        "exp(-slope), the inverse factor": np.exp(-slope),
        "a fit over all records; keep start <= step <= stop": np.exp(_fit(steps, np.log(dist))),
        "the two end points of the window; fit all records in [start, stop] by least squares":
            (d[..., -1] / d[..., 0]) ** (1 / (t[-1] - t[0])),
    }


def _rate_value(task: str, out: Any, dshape: tuple[int, ...]) -> np.floating | np.ndarray:
    shape = dshape[:-1]
    if shape == ():
        if not (is_float(out) or (isinstance(out, np.ndarray) and out.shape == ())):
            raise AssertionError(f"{task}: return one number q for a 1-D dist, got "
                                 f"{type(out).__name__} of shape {np.shape(out)}")
        return np.float64(out)
    return as_float_array(f"{task}: q for dist of shape {dshape}", out, shape)


def check_rates(fn: StudentFunction, cases: Iterable[RateCase], task: str = T2) -> None:
    """Compare fn(steps, dist, start, stop) with ``dynamics.fit_rate(...).contraction``."""
    defined(task, "contraction_rate", fn)
    for steps, dist, start, stop in cases:
        where = f"dist of shape {dist.shape}, start={start}, stop={stop}"
        out, exc = run(task, where, fn, steps, dist, start, stop)
        if exc is not None:
            raise AssertionError(f"{task}: for {where} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        got = _rate_value(task, not_none(task, "contraction_rate", out), dist.shape)
        want = dynamics.fit_rate(steps, dist, start, stop).contraction
        if not np.all(np.isfinite(got)) or rel(got, want) > 1e-10:
            # compared as 1 - q: rates near 1 differ in the digits of 1 - q
            mistakes = {k: 1 - v for k, v in _rate_mistakes(steps, dist, start, stop).items()}
            raise AssertionError(
                f"{task}: wrong for {where}: yours {np.round(got, 8).tolist()}, expected "
                f"{np.round(want, 8).tolist()}." + hint(1 - got, 1 - want, mistakes))


def rate_exact(fn: StudentFunction) -> None:
    """Part 1: exact geometric decay q^t, recorded every 100 steps, whole range."""
    steps, dist = rate_case(1, 0.9985)
    return check_rates(fn, [(steps, dist, None, None), (steps[:21], dist[:21] * 3, None, None)])


def rate_window(fn: StudentFunction) -> None:
    """Part 2: noisy decay after a fast transient, fitted in a window [start, stop]."""
    steps, dist = rate_case(2, 0.9988, noise=0.05, fast=1.0)
    return check_rates(fn, [(steps, dist, 2000, 8000), (steps, dist, 3000, None)])


def _rate_errors(fn: Callable[..., Any], task: str = T2) -> None:
    steps, dist = rate_case(3, 0.999)
    for args, what in (((steps, dist, 500, 550), "fewer than two records in [start, stop]"),
                       ((steps, np.where(steps > 5000, 0.0, dist), None, None),
                        "a distance that is 0 (its log is -inf)")):
        out, exc = run(task, what, fn, *args)
        if not isinstance(exc, ValueError):
            got = f"raised {type(exc).__name__}: {exc}" if exc else f"returned {out!r}"
            raise AssertionError(f"{task}: for {what} your function {got}; raise ValueError "
                                 "(no rate can be fitted).")


def rate_rows_and_errors(fn: StudentFunction) -> None:
    """Part 3: one rate per row of a 2-D dist; ValueError when no rate can be fitted."""
    steps, dist = rate_case(4, (0.9985, 0.9997, 0.99), noise=0.02)
    check_rates(fn, [(steps, dist, 1000, 9000)])
    _rate_errors(fn)


def rate_fresh(fn: StudentFunction) -> None:
    """Hidden part: other rates, record intervals and windows."""
    steps, dist = rate_case(5, (0.995, 0.9999), noise=0.03, fast=0.5, every=50, T=6000)
    check_rates(fn, [(steps, dist, 1500, 5000), (steps, dist[0], None, 4000)])
    _rate_errors(fn)


def check_contraction_rate(fn: StudentFunction, verbose: bool = True) -> None:
    rate_exact(fn)
    rate_window(fn)
    rate_rows_and_errors(fn)
    rate_fresh(fn)
    if verbose:
        verdict("Task 2: correct (equal to sslcore.dynamics.fit_rate for exact, noisy and "
                "windowed decays; ValueError where no rate can be fitted)")


# ------------------------------------------------------------------------------------ Task 3
def reference_prediction(H: ArrayLike, lr: float) -> float:
    """max_i |1 + lr lambda_i| over the eigenvalues of the symmetric H."""
    return float(np.max(np.abs(1 + lr * np.linalg.eigvalsh(H))))


def symmetric(eigenvalues: ArrayLike, seed: int) -> np.ndarray:
    """A symmetric matrix with the given eigenvalues and a random (non-diagonal) eigenbasis."""
    lam = np.asarray(eigenvalues, dtype=float)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(lam), len(lam))))
    return (Q * lam) @ Q.T


def _prediction_mistakes(H: np.ndarray, lr: float) -> dict[str, float]:
    lam = np.linalg.eigvalsh(H)
    return {
        "max |1 - lr lambda|: for lambda < 0 the factor is 1 + lr lambda = 1 - lr |lambda|":
            float(np.max(np.abs(1 - lr * lam))),
        "1 - lr |lambda| of the eigenvalue closest to 0 (or max(1 + lr lambda) without the "
        "absolute value): when lr |lambda| > 1 the fast direction overshoots (1 + lr lambda < 0) "
        "and can set the rate; take the max of |1 + lr lambda| over all eigenvalues":
            float(1 - lr * np.min(np.abs(lam))),
        "the smallest factor (the fastest direction); the slowest direction sets the rate":
            float(np.min(np.abs(1 + lr * lam))),
        "the diagonal of H instead of its eigenvalues (H is not diagonal)":
            float(np.max(np.abs(1 + lr * np.diag(H)))),
    }


def check_predictions(fn: StudentFunction, cases: Iterable[tuple[str, np.ndarray, float]],
                      task: str = T3) -> None:
    """Compare fn(H, lr) with :func:`reference_prediction` for each (name, H, lr)."""
    defined(task, "predicted_contraction", fn)
    for name, H, lr in cases:
        out, exc = run(task, name, fn, H, lr)
        if exc is not None:
            raise AssertionError(f"{task}: for {name} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        out = not_none(task, "predicted_contraction", out)
        if not (is_float(out) or (isinstance(out, np.ndarray) and out.shape == ())):
            raise AssertionError(f"{task}: return one number (a float), got "
                                 f"{type(out).__name__} of shape {np.shape(out)}")
        want = reference_prediction(H, lr)
        if abs(float(out) - want) > 1e-12 * max(1.0, want):
            raise AssertionError(f"{task}: wrong for {name}: yours {float(out):.12g}, expected "
                                 f"{want:.12g}." + hint(float(out), want,
                                                        _prediction_mistakes(H, lr)))


def g_hessian(tau: float = TAU, alpha: float = ALPHA) -> np.ndarray:
    """The Hessian of g at its maximum (a*, b*) (2 x 2, not diagonal)."""
    return Objective.simplified(tau, alpha, d=2).hessian(simplified_optimum(tau, alpha, d=2)[0])


def prediction_small_steps(fn: StudentFunction) -> None:
    """Part 1: lr |lambda| < 1: the Hessian of g at (a*, b*), and a 4 x 4 matrix."""
    return check_predictions(fn, [
        ("the Hessian of g at (a*, b*), lr = 0.1", g_hessian(), 0.1),
        ("H with eigenvalues (-0.5, -0.2, -0.05, -0.01), lr = 1",
         symmetric((-0.5, -0.2, -0.05, -0.01), 1), 1.0)])


def prediction_large_steps(fn: StudentFunction) -> None:
    """Part 2: 1 < lr |lambda_max| (overshoot) and lr |lambda_max| > 2 (divergence)."""
    return check_predictions(fn, [
        ("H with eigenvalues (-1.95, -0.2), lr = 1 (the fast direction overshoots)",
         symmetric((-1.95, -0.2), 2), 1.0),
        ("the Hessian of g at (a*, b*), lr = 80 (lr |lambda_max| > 2)", g_hessian(), 80.0),
        ("H with eigenvalues (-2.5, -0.3, -0.1), lr = 1", symmetric((-2.5, -0.3, -0.1), 3), 1.0)])


def reference_steps(d0: float, tol: float, q: float) -> int:
    """What ``steps_needed`` returns: ``dynamics.steps_to_tolerance`` as a Python int."""
    return int(dynamics.steps_to_tolerance(d0, tol, q))


def _steps_hint(got: int, d0: float, tol: float, q: float) -> str:
    x = np.log(tol / d0) / np.log(q)
    if got < 0:
        return " A negative count: when d0 <= tol no step is needed, return 0."
    for value, text in ((np.floor(x), "floor instead of ceil: after that many steps d0 q^t is "
                                      "still above tol"),
                        (np.ceil(x) + 1, "one step more than needed"),
                        (-np.ceil(x), "log(d0 / tol) / log(q), which is negative"),
                        (np.ceil(x) - 1 if x > 0 else None, "one step too few")):
        if value is not None and got == value:
            return f" It matches {text}."
    return ""


def check_steps_needed(fn: StudentFunction, cases: Iterable[tuple[float, float, float]],
                       task: str = T3) -> None:
    """Compare fn(d0, tol, q) with :func:`reference_steps`; q outside (0, 1) -> ValueError."""
    defined(task, "steps_needed", fn)
    for d0, tol, q in cases:
        where = f"d0 = {d0:g}, tol = {tol:g}, q = {q:.6g}"
        out, exc = run(task, f"for {where}", fn, d0, tol, q)
        if not 0 < q < 1:
            if not isinstance(exc, ValueError):
                got = f"raised {type(exc).__name__}" if exc else f"returned {out!r}"
                raise AssertionError(f"{task}: for {where} steps_needed {got}; raise ValueError "
                                     "(no contraction: the distance never reaches tol).")
            continue
        if exc is not None:
            raise AssertionError(f"{task}: for {where} steps_needed raised "
                                 f"{type(exc).__name__}: {exc}")
        if not isinstance(out, (int, np.integer)) or isinstance(out, (bool, np.bool_)):
            raise AssertionError(f"{task}: steps_needed must return an int, got "
                                 f"{type(out).__name__} ({out!r}) for {where}")
        want = reference_steps(d0, tol, q)
        if out != want:
            raise AssertionError(f"{task}: for {where} steps_needed returned {out}, expected "
                                 f"{want}, the smallest t >= 0 with d0 q^t <= tol."
                                 + _steps_hint(out, d0, tol, q))


def steps_needed_values(fn: StudentFunction) -> None:
    """Part 3: steps to reach a tolerance, 0 when already there, ValueError for q >= 1."""
    check_steps_needed(fn, [(4.0, 1e-3, 1 - 2.5e-4), (0.05, 1e-6, 0.9), (2e-4, 1e-3, 0.99),
                            (1.0, 0.5, 0.5), (1.0, 1e-3, 1.0), (1.0, 1e-3, 1.2)])


def rate_prediction_fresh(predicted_contraction: StudentFunction, steps_needed: StudentFunction
                          ) -> None:
    """Hidden part: other matrices, step sizes and tolerances."""
    check_predictions(predicted_contraction, [
        ("the Hessian of g for tau = 5, lr = 0.3", g_hessian(5.0), 0.3),
        ("H with eigenvalues (-3.0, -1.0, -0.4), lr = 0.9", symmetric((-3.0, -1.0, -0.4), 4), 0.9)])
    check_steps_needed(steps_needed, [(3.0, 1e-4, 0.999), (10.0, 1e-2, 0.25), (1.0, 1e-3, 0.0)])


def check_rate_prediction(predicted_contraction: StudentFunction, steps_needed: StudentFunction,
                          verbose: bool = True) -> None:
    prediction_small_steps(predicted_contraction)
    prediction_large_steps(predicted_contraction)
    steps_needed_values(steps_needed)
    rate_prediction_fresh(predicted_contraction, steps_needed)
    if verbose:
        verdict("Task 3: correct (the predicted contraction for small, overshooting and "
                "diverging steps; the steps to a tolerance equal sslcore's)")


# ------------------------------------------------------------------------------------ Task 4
def _labels(task: str, out: object, shape: tuple[int, int]) -> np.ndarray:
    out = not_none(task, "basin_map", out)
    if not isinstance(out, np.ndarray):
        raise AssertionError(f"{task}: return a NumPy array of classes, got {type(out).__name__}")
    if out.shape != shape:
        text = (" (transposed? rows are the values of b0, columns those of a0, as in "
                "np.meshgrid(a0, b0))" if out.shape == shape[::-1] else "")
        raise AssertionError(f"{task}: the map has shape {out.shape}, expected {shape}{text}")
    return out


def _map_hint(got: np.ndarray, case: BasinCase) -> str:
    a0, b0, p, partner, T, tau = case
    other = {"neuron 2 starting at the origin; start it at partner":
             dynamics.basin_grid(a0, b0, (0.0, 0.0), T, 0.1, tau, p=p).labels}
    if p is not None:
        other["the map for equal cluster weights; pass p to the step and to the optimum"] = \
            dynamics.basin_grid(a0, b0, partner, T, 0.1, tau).labels
    return next((f" It matches {k}." for k, v in other.items() if np.array_equal(got, v)), "")


def check_maps(fn: StudentFunction, cases: Iterable[BasinCase], task: str = T4) -> None:
    """Compare fn(a0, b0, p=p, partner=partner, T=T, tau=tau) with ``dynamics.basin_grid``."""
    defined(task, "basin_map", fn)
    for case in cases:
        a0, b0, p, partner, T, tau = case
        where = (f"a0 = {np.round(a0, 3).tolist()}, b0 = {np.round(b0, 3).tolist()}, p = "
                 f"{p}, partner = {partner}, T = {T}, tau = {tau:g}")
        out, exc = run(task, where, functools.partial(fn, p=p, partner=partner, T=T, tau=tau),
                       a0, b0)
        if exc is not None:
            raise AssertionError(f"{task}: for {where} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        got = _labels(task, out, (len(b0), len(a0)))
        want = dynamics.basin_grid(a0, b0, partner, T, 0.1, tau, p=p).labels
        bad = np.argwhere(got != want)
        if len(bad):
            i, j = bad[0]
            name = lambda k: dynamics.CLASSES[k] if k in range(4) else repr(k)
            raise AssertionError(
                f"{task}: for {where} the map differs from sslcore's at {len(bad)} of {got.size} "
                f"starts, e.g. at (w11, w12) = ({a0[j]:g}, {b0[i]:g}): yours "
                f"{name(got[i, j])!r}, expected {name(want[i, j])!r}." + _map_hint(got, case))


def map_equal_weights(basin_map: StudentFunction, env: dict[str, Any] | None = None) -> None:
    """Part 1: equal cluster weights, a grid across the symmetry line a = 0. Graded with a
    correct ``ascent_step`` in the notebook, so a Task 1 mistake costs Task 1 points only."""
    with using(env, ascent_step=reference_step):
        check_maps(basin_map, [(np.array([-2.0, -1.0, -0.25, 0.0, 0.25, 1.0, 2.5]),
                                np.array([-1.0, 0.5, 2.0]), None, (-3.5, 1.25), 4000, TAU)])


def map_proportions(basin_map: StudentFunction, env: dict[str, Any] | None = None) -> None:
    """Part 2: the proportions of reference seed 4, where the boundary moves to a0 ~ 0.55."""
    with using(env, ascent_step=reference_step):
        check_maps(basin_map, [(np.array([0.1, 0.3, 0.5, 0.6, 0.8, 1.5]), np.array([0.0, 1.0]),
                                SEED4_P, (-3.5, 1.25), 4000, TAU)])


def map_fresh(basin_map: StudentFunction, env: dict[str, Any] | None = None) -> None:
    """Hidden part: another partner, tau, proportions and T."""
    with using(env, ascent_step=reference_step):
        check_maps(basin_map, [(np.array([-1.0, 0.2, 0.4, 0.7, 2.0]), np.array([-0.5, 0.8, 1.6]),
                                (0.22, 0.26, 0.3, 0.22), (-3.0, 1.0), 3000, 5.0)])


def check_basin_map(basin_map: StudentFunction, verbose: bool = True,
                    env: dict[str, Any] | None = None) -> None:
    map_equal_weights(basin_map, env)
    map_proportions(basin_map, env)
    map_fresh(basin_map, env)
    if verbose:
        verdict("Task 4: correct (basin maps equal sslcore.dynamics.basin_grid for equal "
                "weights, for seed 4's proportions and for new settings)")

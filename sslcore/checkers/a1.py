"""Checkers of Assignment 1 (gradients and features).

Formulas (s the sigmoid, s' = s (1 - s), u^v_ik = w_k . x^v_i, W (2, d), x (n, d)):

* Task 1, SSL (maximized): L(W) = sum_i sum_k s(u^1_ik) s(u^2_ik) - alpha n ||W||_F^2,
  dL/dw_k = sum_i [s'(u^1_ik) s(u^2_ik) x^1_i + s(u^1_ik) s'(u^2_ik) x^2_i] - 2 alpha n w_k.
* Task 2, SL (minimized): h_i = sum_k F_k s(w_k . x_i), r_i = s(h_i) - y_i,
  J = sum_i BCE(y_i, s(h_i)) + beta n ||W||_F^2 + gamma n ||F||^2,
  dJ/dw_k = sum_i r_i F_k s'(u_ik) x_i + 2 beta n w_k,  dJ/dF_k = sum_i r_i s(u_ik) + 2 gamma n F_k.
* Task 3: ||P e|| with P e = A c*, c* = argmin_c ||A c - e|| (least squares), A = [w1 w2] (d, 2).
* Task 4: final weights of SSL (``init="sign"``) and SL runs for a few values of tau.

Each task has several parts (one otter test case each, for partial credit): the public parts
name the mistakes, the ``*_fresh`` part (a hidden test) repeats the check on new inputs. Every
part compares with sslcore's implementation (and, for the gradients, torch autograd).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

import numpy as np

from .. import analysis, data, models
from ..config import ALPHA, RHO
from .common import (
    RTOL,
    StudentFunction,
    as_float_array,
    call,
    defined,
    hint,
    not_none,
    rel,
    verdict,
)

SHAPES = ((1, 3), (7, 4), (30, 10))      # (n, d) of the random cases
#: one case of Task 1: (W, x1, x2, alpha)
SSLCase = tuple[np.ndarray, np.ndarray, np.ndarray, float]
#: one case of Task 2: (W, F, x, y, beta, gamma)
SLCase = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]
#: one case of Task 3: (name, W, e, expected ||P e||, tolerance)
ProjectionCase = tuple[str, np.ndarray, np.ndarray, float, float]


def _paper_case(rng: np.random.Generator) -> tuple[np.ndarray, data.Data]:
    """W near the paper's SSL optimum, a sample of the paper's data (n = 100, d = 10, tau = 7)."""
    D = data.sample_points(100, seed=int(rng.integers(1 << 31)))
    W = rng.normal(size=(2, 10)) * 0.3
    W[:, 0], W[:, 1] = [3.8, -3.8], 1.52
    return W, D


# ------------------------------------------------------------------------------------ Task 1
def _torch_ssl_gradient(W: np.ndarray, x1: np.ndarray, x2: np.ndarray, alpha: float
                        ) -> np.ndarray:
    import torch
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    t1, t2 = torch.tensor(x1, dtype=torch.float64), torch.tensor(x2, dtype=torch.float64)
    L = (torch.sigmoid(t1 @ Wt.T) * torch.sigmoid(t2 @ Wt.T)).sum() \
        - alpha * x1.shape[0] * (Wt**2).sum()
    L.backward()
    return Wt.grad.numpy()


def half_ssl(W: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """The first view's term alone: sum_i s'(u1_ik) s(u2_ik) x1_i (a common slip)."""
    c1, _, _ = models.ssl_coefficients(x1 @ W.T, x2 @ W.T)
    return c1.T @ x1


def ssl_inputs(seed: int, alphas: Iterable[float], shapes: Iterable[tuple[int, int]] = SHAPES,
               paper: bool = False) -> list[SSLCase]:
    """[(W, x1, x2, alpha)]: random cases of the given shapes, and the paper's data."""
    rng = np.random.default_rng(seed)
    out = [(rng.normal(size=(2, d)), 2 * rng.normal(size=(n, d)), 2 * rng.normal(size=(n, d)), a)
           for (n, d), a in zip(shapes, alphas)]
    if paper:
        W, D = _paper_case(rng)
        x1, x2 = data.augment(D.x, RHO, rng)
        out.append((W, x1, x2, ALPHA))
    return out


def _ssl_mistakes(W: np.ndarray, x1: np.ndarray, x2: np.ndarray, alpha: float,
                  want: np.ndarray) -> dict[str, np.ndarray]:
    n, reg = x1.shape[0], 2 * alpha * x1.shape[0] * W
    return {
        "the gradient without the regularizer term -2 alpha n W": want + reg,
        "the gradient with the regularizer added instead of subtracted": want + 2 * reg,
        "the gradient with -2 alpha W (the factor n is missing)": want + reg - reg / n,
        "the gradient with -alpha n W (the factor 2 is missing)": want + reg / 2,
        "the gradient divided by n (a mean over the points; L is a sum)": want / n,
        "minus the gradient (it should be the gradient of L, which is maximized)": -want,
        "the first view's term s'(u1) s(u2) x1 alone (the second view's term is missing)":
            half_ssl(W, x1, x2) - reg,
    }


def check_ssl_cases(fn: StudentFunction, inputs: Iterable[SSLCase],
                    task: str = "Task 1 (SSL gradient)") -> float:
    """Compare fn(W, x1, x2, alpha) with sslcore and torch autograd; return the worst error."""
    defined(task, "ssl_gradient", fn)
    worst = 0.0
    for W, x1, x2, alpha in inputs:
        n, d = x1.shape
        where = f"n={n}, d={d}, alpha={alpha:g}"
        got = not_none(task, "ssl_gradient", call(task, fn, W, x1, x2, alpha))
        got = as_float_array(f"{task}: the gradient ({where})", got, (2, d))
        want = models.ssl_gradient(W, x1, x2, alpha)
        err = max(rel(got, want), rel(got, _torch_ssl_gradient(W, x1, x2, alpha)))
        if err > RTOL:
            raise AssertionError(
                f"{task}: wrong for {where}: max relative error {err:.3g} (allowed {RTOL:g}); "
                f"max |yours - expected| = {np.max(np.abs(got - want)):.3g}."
                + hint(got, want, _ssl_mistakes(W, x1, x2, alpha, want)))
        worst = max(worst, err)
    return worst


def ssl_gradient_data_term(fn: StudentFunction) -> float:
    """Part 1: no weight decay (alpha = 0), random views of three shapes."""
    return check_ssl_cases(fn, ssl_inputs(1, (0.0, 0.0, 0.0)))


def ssl_gradient_weight_decay(fn: StudentFunction) -> float:
    """Part 2: with weight decay (alpha > 0), random views and the paper's data."""
    return check_ssl_cases(fn, ssl_inputs(2, (0.01, 0.3, 0.05), paper=True))


def ssl_gradient_fresh(fn: StudentFunction) -> float:
    """Hidden part: new shapes, new alphas, a new sample of the paper's data."""
    return check_ssl_cases(fn, ssl_inputs(11, (0.02, 0.0, 0.7), ((2, 5), (17, 6), (50, 12)),
                                          paper=True))


def check_ssl_gradient(fn: StudentFunction, verbose: bool = True) -> None:
    """All parts of Task 1; prints a verdict when they pass."""
    worst = max(ssl_gradient_data_term(fn), ssl_gradient_weight_decay(fn), ssl_gradient_fresh(fn))
    if verbose:
        verdict(f"Task 1: correct (max relative error {worst:.1g} against sslcore and torch "
                "autograd)")


# ------------------------------------------------------------------------------------ Task 2
def _torch_sl_gradients(W: np.ndarray, F: np.ndarray, x: np.ndarray, y: np.ndarray,
                        beta: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    import torch
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    Ft = torch.tensor(F, dtype=torch.float64, requires_grad=True)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    h = torch.sigmoid(xt @ Wt.T) @ Ft
    n = x.shape[0]
    J = torch.nn.functional.binary_cross_entropy_with_logits(h, yt, reduction="sum") \
        + beta * n * (Wt**2).sum() + gamma * n * (Ft**2).sum()
    J.backward()
    return Wt.grad.numpy(), Ft.grad.numpy()


def sl_inputs(seed: int, regs: Iterable[tuple[float, float]],
              shapes: Iterable[tuple[int, int]] = SHAPES, paper: bool = True) -> list[SLCase]:
    """[(W, F, x, y, beta, gamma)]: random cases, and W near the SL optimum on the paper's data."""
    rng = np.random.default_rng(seed)
    out = [(rng.normal(size=(2, d)), 3 * rng.normal(size=2), 2 * rng.normal(size=(n, d)),
            (rng.random(n) < 0.5).astype(np.float64), b, g) for (n, d), (b, g) in zip(shapes, regs)]
    if paper:
        W, D = _paper_case(rng)
        out.append((0.7 * W, np.array([-4.25, 4.25]), D.x, D.y, ALPHA, ALPHA))
    return out


def sl_outputs(task: str, fn: Callable[..., Any], W: np.ndarray, F: np.ndarray, x: np.ndarray,
               y: np.ndarray, beta: float, gamma: float) -> tuple[np.ndarray, np.ndarray, str]:
    """The student's (gW, gF), checked for form: a pair, in this order, float64 arrays."""
    d = x.shape[1]
    out = not_none(task, "sl_gradients", call(task, fn, W, F, x, y, beta, gamma))
    if not (isinstance(out, tuple) and len(out) == 2):
        size = f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""
        raise AssertionError(f"{task}: return the pair (gW, gF), got {type(out).__name__}{size}")
    if np.shape(out[0]) == (2,) and np.shape(out[1]) == (2, d):
        raise AssertionError(f"{task}: you returned (gF, gW); return (gW, gF)")
    where = f"n={x.shape[0]}, d={d}, beta={beta:g}, gamma={gamma:g}"
    return (as_float_array(f"{task}: gW ({where})", out[0], (2, d)),
            as_float_array(f"{task}: gF ({where})", out[1], (2,)), where)


def _sl_mistakes(name: str, want: np.ndarray, reg: np.ndarray, coef: float, n: int,
                 flipped: np.ndarray) -> dict[str, np.ndarray]:
    r = 2 * coef * n * reg
    sym, var = ("beta", "W") if name == "gW" else ("gamma", "F")
    return {
        f"the gradient without the regularizer term 2 {sym} n {var}": want - r,
        f"the gradient with 2 {sym} {var} (the factor n is missing)": want - r + r / n,
        f"the gradient with {sym} n {var} (the factor 2 is missing)": want - r / 2,
        "minus the gradient (J is minimized; use r = s(h) - y)": -want,
        "the gradient divided by n (a mean over the points; J is a sum)": want / n,
        "the gradient for flipped labels (r = s(h) - (1 - y))": flipped,
        "gW transposed (row k of gW is dJ/dw_k, shape (2, d))": want.T,
    }


def check_sl_cases(fn: StudentFunction, inputs: Iterable[SLCase],
                   which: Collection[str] = ("gW", "gF"), task: str = "Task 2 (SL gradients)"
                   ) -> float:
    """Compare the parts ``which`` of fn(W, F, x, y, beta, gamma) with sslcore and torch."""
    defined(task, "sl_gradients", fn)
    worst = 0.0
    for W, F, x, y, beta, gamma in inputs:
        gW, gF, where = sl_outputs(task, fn, W, F, x, y, beta, gamma)
        wants, autos = models.sl_gradients(W, F, x, y, beta, gamma), \
            _torch_sl_gradients(W, F, x, y, beta, gamma)
        for k, (name, got, reg, coef) in enumerate((("gW", gW, W, beta), ("gF", gF, F, gamma))):
            if name not in which:
                continue
            err = max(rel(got, wants[k]), rel(got, autos[k]))
            if err > RTOL:
                flipped = models.sl_gradients(W, F, x, 1 - y, beta, gamma)[k]
                raise AssertionError(
                    f"{task}: {name} is wrong for {where}: max relative error {err:.3g} "
                    f"(allowed {RTOL:g}); max |yours - expected| = "
                    f"{np.max(np.abs(got - wants[k])):.3g}."
                    + hint(got, wants[k], _sl_mistakes(name, wants[k], reg, coef, len(x),
                                                       flipped)))
            worst = max(worst, err)
    return worst


def sl_gradient_W(fn: StudentFunction) -> float:
    """Part 1: dJ/dW (the pair's form is checked too)."""
    return check_sl_cases(fn, sl_inputs(2, ((0.0, 0.0), (0.01, 0.02), (0.3, 0.1))), ("gW",))


def sl_gradient_F(fn: StudentFunction) -> float:
    """Part 2: dJ/dF."""
    return check_sl_cases(fn, sl_inputs(2, ((0.0, 0.0), (0.01, 0.02), (0.3, 0.1))), ("gF",))


def sl_gradients_fresh(fn: StudentFunction) -> float:
    """Hidden part: both gradients on new inputs."""
    return check_sl_cases(fn, sl_inputs(12, ((0.05, 0.0), (0.0, 0.2), (0.02, 0.02)),
                                        ((3, 2), (11, 8), (60, 10))))


def check_sl_gradients(fn: StudentFunction, verbose: bool = True) -> None:
    worst = max(sl_gradient_W(fn), sl_gradient_F(fn), sl_gradients_fresh(fn))
    if verbose:
        verdict(f"Task 2: correct (max relative error {worst:.1g} against sslcore and torch "
                "autograd)")


# ------------------------------------------------------------------------------------ Task 3
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _parallel(rng: np.random.Generator, d: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    w1 = rng.normal(size=d)
    return np.stack([w1, w1 + eps * rng.normal(size=d)]), _unit(rng.normal(size=d))


def projection_cases(seed: int = 3, part: str = "well-conditioned") -> list[ProjectionCase]:
    """(name, W (2, d), e, expected ||P e||, tolerance), expected from sslcore.

    Nearly parallel neurons (cond(A) about 1e7): forming A^T A squares the condition number to
    about 1e14 and loses about half the digits; least squares does not.
    """
    rng, out = np.random.default_rng(seed), []
    if part == "well-conditioned":
        for d in (2, 3, 10):
            out.append((f"random W, d={d}", rng.normal(size=(2, d)), _unit(rng.normal(size=d)),
                        None, 1e-10))
        W = rng.normal(size=(2, 6))
        out.append(("e in span(w1, w2)", W, _unit(W[0] - 2 * W[1]), 1.0, 1e-10))
        W = np.zeros((2, 6))
        W[:, :2] = rng.normal(size=(2, 2))
        out.append(("e orthogonal to span(w1, w2)", W, analysis.basis(6, 4), 0.0, 1e-10))
    elif part == "hard":
        W = np.zeros((2, 10))
        W[:, 0], W[:, 1] = [3.816, -3.816], 1.52
        out.append(("the paper's optimum, e = e2", W, analysis.basis(10, 1), 1.0, 1e-10))
        out.append(("nearly parallel w1, w2 (cond(A) ~ 1e7)", *_parallel(rng, 5, 1e-7), None,
                    1e-6))
    else:
        out.append(("random W, d=20", rng.normal(size=(2, 20)), _unit(rng.normal(size=20)),
                    None, 1e-10))
        out.append(("nearly parallel w1, w2, d=8", *_parallel(rng, 8, 3e-8), None, 1e-6))
    return [(name, W, e, float(analysis.projection_length(W, e)) if want is None else want, tol)
            for name, W, e, want, tol in out]


def _projection_hint(name: str, got: float, want: float) -> str:
    if abs(got - want**2) < 1e-8 and want not in (0.0, 1.0):
        return " It matches ||P e||^2: take the square root (the length, not its square)."
    if abs(got - np.sqrt(max(0.0, 1 - want**2))) < 1e-8:
        return " It matches the length of the residual e - P e, not of P e."
    if "parallel" in name:
        return (" Forming A^T A (inverse or solve of the normal equations) squares the "
                "condition number; use np.linalg.lstsq(A, e, rcond=None).")
    return ""


def check_projection_cases(fn: StudentFunction, cases: Iterable[ProjectionCase],
                           task: str = "Task 3 (projection length)") -> float:
    """Compare fn(W, e) with the expected ||P e|| of each case; return the worst error."""
    defined(task, "projection_length", fn)
    worst = 0.0
    for name, W, e, want, tol in cases:
        got = not_none(task, "projection_length", call(task, fn, W, e))
        if not isinstance(got, (float, np.floating)) and not (
                isinstance(got, np.ndarray) and got.shape == ()):
            raise AssertionError(f"{task}: return one number (a float), got "
                                 f"{type(got).__name__} of shape {np.shape(got)}")
        got = float(got)
        err = abs(got - want)
        if not np.isfinite(got) or err > tol:
            raise AssertionError(f"{task}: wrong for {name}: yours {got:.10g}, expected "
                                 f"{want:.10g} (error {err:.3g}, allowed {tol:g})."
                                 + _projection_hint(name, got, want))
        worst = max(worst, err)
    return worst


def projection_well_conditioned(fn: StudentFunction) -> float:
    """Part 1: random neurons, e inside and orthogonal to the span."""
    return check_projection_cases(fn, projection_cases(3, "well-conditioned"))


def projection_hard_cases(fn: StudentFunction) -> float:
    """Part 2: the paper's optimum, and nearly parallel neurons (least squares needed)."""
    return check_projection_cases(fn, projection_cases(3, "hard"))


def projection_fresh(fn: StudentFunction) -> float:
    """Hidden part: a larger d and another nearly parallel pair."""
    return check_projection_cases(fn, projection_cases(13, "fresh"))


def check_projection_length(fn: StudentFunction, verbose: bool = True) -> None:
    worst = max(projection_well_conditioned(fn), projection_hard_cases(fn), projection_fresh(fn))
    if verbose:
        verdict(f"Task 3: correct (max absolute error {worst:.1g}, including nearly parallel "
                "neurons)")


# ------------------------------------------------------------------------------------ Task 4
def reference_sweep(taus: Sequence[float], seeds: Sequence[int], T: int,
                    models: Collection[str] = ("ssl", "sl")) -> dict[float, dict[str, np.ndarray]]:
    """What Task 4 asks for, computed by sslcore: {tau: {"ssl": W (S, 2, d), "sl": W (S, 2, d)}}.

    SSL with the sign initialization (the paper's condition 1) and SL, T steps each, paper
    settings otherwise; every tau's runs in one vectorized loop (only the ``models`` asked for).
    """
    from ..config import SLConfig, SSLConfig
    from ..training import train_sl_many, train_ssl_many
    out = {t: {} for t in taus}
    if "ssl" in models:
        for t, run in zip(taus, train_ssl_many([SSLConfig(tau=t, init="sign", seeds=seeds, T=T,
                                                          record_every=T) for t in taus])):
            out[t]["ssl"] = run.W_final
    if "sl" in models:
        for t, run in zip(taus, train_sl_many([SLConfig(tau=t, seeds=seeds, T=T, record_every=T)
                                               for t in taus])):
            out[t]["sl"] = run.W_final
    return out


def _sweep_form(task: str, results: object, taus: Sequence[float]) -> None:
    if not 3 <= len(taus) <= 4 or len(set(taus)) != len(taus) or min(taus) <= 0:
        raise AssertionError(f"{task}: choose 3 or 4 distinct values tau > 0, got {taus}")
    not_none(task, "tau_sweep", results)
    if not isinstance(results, dict) or sorted(results) != sorted(taus):
        keys = sorted(results) if isinstance(results, dict) else type(results).__name__
        raise AssertionError(f"{task}: return a dict with one entry per tau {taus}, got {keys}")
    for t in taus:
        if not isinstance(results[t], dict) or set(results[t]) != {"ssl", "sl"}:
            raise AssertionError(f"{task}: results[{t}] must be a dict with keys 'ssl' and 'sl'")


def check_tau_sweep(results: object, taus: Iterable[float] | None, seeds: Sequence[int], T: int,
                    verbose: bool = True, task: str = "Task 4 (tau sweep)",
                    models: Sequence[str] = ("ssl", "sl")) -> None:
    """Check the Task 4 results: 3 or 4 distinct tau > 0, and for each the final weights of
    SSL (init="sign") and SL with the given seeds and T, equal to :func:`reference_sweep`
    (only the ``models`` given)."""
    taus = list(taus) if taus is not None else []
    _sweep_form(task, results, taus)
    want = reference_sweep(taus, seeds, T, models)
    S, d = len(tuple(seeds)), want[taus[0]][models[0]].shape[-1]
    for t in taus:
        for model in models:
            got = as_float_array(f"{task}: results[{t}][{model!r}]",
                                 np.asarray(results[t][model]), (S, 2, d))
            err = rel(got, want[t][model])
            if err > 1e-8:
                how = ('SSLConfig(tau=..., init="sign", seeds=seeds, T=T)' if model == "ssl"
                       else "SLConfig(tau=..., seeds=seeds, T=T)")
                raise AssertionError(
                    f"{task}: results[{t}][{model!r}] differs from sslcore's final weights "
                    f"(max relative difference {err:.3g}); train with {how} and keep "
                    "run.W_final (the weights after T steps, shape (seeds, 2, d))")
    if verbose:
        verdict(f"Task 4: correct ({len(taus)} values of tau, {S} seeds, T = {T}: final weights "
                "equal sslcore's)")


def sweep_ssl(results: object, taus: Iterable[float] | None, seeds: Sequence[int], T: int
              ) -> None:
    """Part 1: the final SSL weights of the student's sweep."""
    check_tau_sweep(results, taus, seeds, T, verbose=False, models=("ssl",))


def sweep_sl(results: object, taus: Iterable[float] | None, seeds: Sequence[int], T: int
             ) -> None:
    """Part 2: the final SL weights of the student's sweep."""
    check_tau_sweep(results, taus, seeds, T, verbose=False, models=("sl",))


def tau_sweep_fresh(tau_sweep: StudentFunction) -> None:
    """Hidden part: tau_sweep for new values of tau, seeds and T, against sslcore."""
    task = "Task 4 (tau sweep, new values)"
    defined(task, "tau_sweep", tau_sweep)
    taus, seeds, T = [0.3, 2.0, 5.0], (5, 6), 300
    check_tau_sweep(tau_sweep(taus, seeds=seeds, T=T), taus, seeds, T, verbose=False, task=task)

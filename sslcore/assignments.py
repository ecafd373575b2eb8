"""Checkers for the assignments in ``assignments/`` (Assignment 1: gradients and features).

Each ``check_*`` calls a student's function on random float64 inputs of several shapes (and
on the paper's data), compares it with sslcore's implementation and with torch autograd, and
prints one verdict line, e.g. ``Task 1: correct (max relative error 3e-16 ...)``. Otherwise it
raises AssertionError saying what differs and by how much, with a hint when the answer matches
a known mistake (regularizer missing, transposed, wrong sign, ...).

Formulas (s the sigmoid, s' = s (1 - s), u^v_ik = w_k . x^v_i, W (2, d), x (n, d)):

* Task 1, SSL (maximized): L(W) = sum_i sum_k s(u^1_ik) s(u^2_ik) - alpha n ||W||_F^2,
  dL/dw_k = sum_i [s'(u^1_ik) s(u^2_ik) x^1_i + s(u^1_ik) s'(u^2_ik) x^2_i] - 2 alpha n w_k.
* Task 2, SL (minimized): h_i = sum_k F_k s(w_k . x_i), r_i = s(h_i) - y_i,
  J = sum_i BCE(y_i, s(h_i)) + beta n ||W||_F^2 + gamma n ||F||^2,
  dJ/dw_k = sum_i r_i F_k s'(u_ik) x_i + 2 beta n w_k,  dJ/dF_k = sum_i r_i s(u_ik) + 2 gamma n F_k.
* Task 3: ||P e|| with P e = A c*, c* = argmin_c ||A c - e|| (least squares), A = [w1 w2] (d, 2).
* Task 4: final weights of SSL (``init="sign"``) and SL runs for a few values of tau.
"""
from __future__ import annotations

import numpy as np

from . import analysis, data, models

SHAPES = ((1, 3), (7, 4), (30, 10))  # (n, d) of the random cases; a paper-like case is added
RTOL = 1e-8                          # allowed max relative error of a gradient


def _rel(a, b):
    """max |a - b| / max |b| (max |a - b| when b = 0)."""
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / (scale if scale > 0 else 1.0))


def _as_float_array(name, value, shape):
    """Check type, shape, dtype and finiteness of a returned array; return it."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.shape != shape:
        hint = " (transposed? W and its gradient are (2, d))" if value.shape == shape[::-1] else ""
        raise AssertionError(f"{name} has shape {value.shape}, expected {shape}{hint}")
    if value.dtype != np.float64:
        raise AssertionError(f"{name} has dtype {value.dtype}, expected float64")
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{name} has non-finite entries (nan or inf)")
    return value


def _hint(got, want, mistakes):
    """Name of the first known mistake whose value matches ``got``, as a sentence (or '');
    mistakes that coincide with the right answer ``want`` for this case are skipped."""
    for text, value in mistakes.items():
        if np.shape(value) != np.shape(want) or _rel(value, want) < 1e-6:
            continue
        if _rel(got, value) < 1e-6:
            return f" It matches {text}."
    return ""


def _cases(seed=0):
    """(n, d, rng) for the random cases and a generator for the paper-like case."""
    rng = np.random.default_rng(seed)
    return [(n, d, rng) for n, d in SHAPES], rng


def _paper_case(rng):
    """W near the paper's SSL optimum, a sample of the paper's data (n = 100, d = 10, tau = 7)."""
    D = data.sample_points(100, d=10, tau=7.0, seed=int(rng.integers(1 << 31)))
    W = rng.normal(size=(2, 10)) * 0.3
    W[:, 0], W[:, 1] = [3.8, -3.8], 1.52
    return W, D


def _call(task, fn, *args):
    """Call fn on copies of the inputs; fail if it changes them."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    out = fn(*copies)
    for a, c in zip(args, copies):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c):
            raise AssertionError(f"{task}: your function changed one of its inputs in place; "
                                 "compute new arrays instead")
    return out


# ------------------------------------------------------------------------------------ Task 1
def _torch_ssl_gradient(W, x1, x2, alpha):
    import torch
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    t1, t2 = torch.tensor(x1, dtype=torch.float64), torch.tensor(x2, dtype=torch.float64)
    L = (torch.sigmoid(t1 @ Wt.T) * torch.sigmoid(t2 @ Wt.T)).sum() \
        - alpha * x1.shape[0] * (Wt**2).sum()
    L.backward()
    return Wt.grad.numpy()


def check_ssl_gradient(fn, verbose=True):
    """Check ``fn(W, x1, x2, alpha) -> dL/dW`` (2, d) against sslcore and torch autograd.

    dL/dw_k = sum_i [s'(u1_ik) s(u2_ik) x1_i + s(u1_ik) s'(u2_ik) x2_i] - 2 alpha n w_k.
    """
    task = "Task 1 (SSL gradient)"
    cases, rng = _cases(1)
    inputs = []
    for (n, d, r), alpha in zip(cases, (0.0, 0.01, 0.3)):
        inputs.append((r.normal(size=(2, d)), 2 * r.normal(size=(n, d)), 2 * r.normal(size=(n, d)),
                       alpha))
    W, D = _paper_case(rng)
    x1, x2 = data.augment(D.x, 10 ** -1.5, rng)
    inputs.append((W, x1, x2, 1 / 800))
    worst = 0.0
    for W, x1, x2, alpha in inputs:
        n, d = x1.shape
        where = f"n={n}, d={d}, alpha={alpha:g}"
        got = _as_float_array(f"{task}: the gradient ({where})", _call(task, fn, W, x1, x2, alpha),
                              (2, d))
        want = models.ssl_gradient(W, x1, x2, alpha)
        auto = _torch_ssl_gradient(W, x1, x2, alpha)
        err = max(_rel(got, want), _rel(got, auto))
        if err > RTOL:
            reg = 2 * alpha * n * W
            hint = _hint(got, want, {
                "the gradient without the regularizer term -2 alpha n W": want + reg,
                "the gradient with the regularizer added instead of subtracted": want + 2 * reg,
                "the gradient with -2 alpha W (the factor n is missing)": want + reg - reg / n,
                "the gradient with -alpha n W (the factor 2 is missing)": want + reg / 2,
                "the gradient divided by n (a mean over the points; L is a sum)": want / n,
                "minus the gradient (it should be the gradient of L, which is maximized)": -want,
                "the first view's term s'(u1) s(u2) x1 alone (the second view's term is missing)":
                    _half_ssl(W, x1, x2) - reg,
            })
            raise AssertionError(
                f"{task}: wrong for {where}: max relative error {err:.3g} (allowed {RTOL:g}); "
                f"max |yours - expected| = {np.max(np.abs(got - want)):.3g}.{hint}")
        worst = max(worst, err)
    if verbose:
        print(f"Task 1: correct (max relative error {worst:.1g} against sslcore and torch "
              f"autograd, {len(inputs)} cases)")


def _half_ssl(W, x1, x2):
    """The first view's term alone: sum_i s'(u1_ik) s(u2_ik) x1_i (a common slip)."""
    c1, _, _ = models.ssl_coefficients(x1 @ W.T, x2 @ W.T)
    return c1.T @ x1


# ------------------------------------------------------------------------------------ Task 2
def _torch_sl_gradients(W, F, x, y, beta, gamma):
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


def check_sl_gradients(fn, verbose=True):
    """Check ``fn(W, F, x, y, beta, gamma) -> (dJ/dW (2, d), dJ/dF (2,))`` against sslcore and torch.

    dJ/dw_k = sum_i r_i F_k s'(u_ik) x_i + 2 beta n w_k,  dJ/dF_k = sum_i r_i s(u_ik) + 2 gamma n F_k,
    r_i = s(h_i) - y_i.
    """
    task = "Task 2 (SL gradients)"
    cases, rng = _cases(2)
    inputs = []
    for (n, d, r), (beta, gamma) in zip(cases, ((0.0, 0.0), (0.01, 0.02), (0.3, 0.1))):
        inputs.append((r.normal(size=(2, d)), 3 * r.normal(size=2), 2 * r.normal(size=(n, d)),
                       (r.random(n) < 0.5).astype(np.float64), beta, gamma))
    W, D = _paper_case(rng)
    inputs.append((W * [[0.7], [0.7]], np.array([-4.25, 4.25]), D.x, D.y, 1 / 800, 1 / 800))
    worst = 0.0
    for W, F, x, y, beta, gamma in inputs:
        n, d = x.shape
        where = f"n={n}, d={d}, beta={beta:g}, gamma={gamma:g}"
        out = _call(task, fn, W, F, x, y, beta, gamma)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise AssertionError(f"{task}: return the pair (gW, gF), got {type(out).__name__}"
                                 + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        if np.shape(out[0]) == (2,) and np.shape(out[1]) == (2, d):
            raise AssertionError(f"{task}: you returned (gF, gW); return (gW, gF)")
        gW = _as_float_array(f"{task}: gW ({where})", out[0], (2, d))
        gF = _as_float_array(f"{task}: gF ({where})", out[1], (2,))
        wW, wF = models.sl_gradients(W, F, x, y, beta, gamma)
        aW, aF = _torch_sl_gradients(W, F, x, y, beta, gamma)
        for name, got, want, auto, reg, coef in (("gW", gW, wW, aW, W, beta), ("gF", gF, wF, aF, F, gamma)):
            err = max(_rel(got, want), _rel(got, auto))
            if err > RTOL:
                r = 2 * coef * n * reg
                sym = "beta" if name == "gW" else "gamma"
                var = "W" if name == "gW" else "F"
                flipped = models.sl_gradients(W, F, x, 1 - y, beta, gamma)[name == "gF"]
                mistakes = {
                    f"the gradient without the regularizer term 2 {sym} n {var}": want - r,
                    f"the gradient with 2 {sym} {var} (the factor n is missing)": want - r + r / n,
                    f"the gradient with {sym} n {var} (the factor 2 is missing)": want - r / 2,
                    "minus the gradient (J is minimized; use r = s(h) - y)": -want,
                    "the gradient divided by n (a mean over the points; J is a sum)": want / n,
                    "the gradient for flipped labels (r = s(h) - (1 - y))": flipped,
                }
                raise AssertionError(
                    f"{task}: {name} is wrong for {where}: max relative error {err:.3g} "
                    f"(allowed {RTOL:g}); max |yours - expected| = "
                    f"{np.max(np.abs(got - want)):.3g}.{_hint(got, want, mistakes)}")
            worst = max(worst, err)
    if verbose:
        print(f"Task 2: correct (max relative error {worst:.1g} against sslcore and torch "
              f"autograd, {len(inputs)} cases)")


# ------------------------------------------------------------------------------------ Task 3
def _unit(v):
    return v / np.linalg.norm(v)


def projection_cases(seed=3):
    """(name, W (2, d), e, expected ||P e||, tolerance) for Task 3, expected from sslcore.

    Includes e inside and orthogonal to the span, the paper's optimum, and nearly parallel
    neurons (cond(A) about 1e7): there forming A^T A squares the condition number to about
    1e14 and loses about half the digits, least squares does not.
    """
    rng = np.random.default_rng(seed)
    out = []
    for d in (2, 3, 10):
        W = rng.normal(size=(2, d))
        e = _unit(rng.normal(size=d))
        out.append((f"random W, d={d}", W, e, None, 1e-10))
    W = rng.normal(size=(2, 6))
    out.append(("e in span(w1, w2)", W, _unit(W[0] - 2 * W[1]), 1.0, 1e-10))
    W = np.zeros((2, 6))
    W[:, :2] = rng.normal(size=(2, 2))
    out.append(("e orthogonal to span(w1, w2)", W, analysis.basis(6, 4), 0.0, 1e-10))
    W = np.zeros((2, 10))
    W[:, 0], W[:, 1] = [3.816, -3.816], 1.52
    out.append(("the paper's optimum, e = e2", W, analysis.basis(10, 1), 1.0, 1e-10))
    w1 = rng.normal(size=5)
    W = np.stack([w1, w1 + 1e-7 * rng.normal(size=5)])
    out.append(("nearly parallel w1, w2 (cond(A) ~ 1e7)", W, _unit(rng.normal(size=5)), None, 1e-6))
    return [(name, W, e, float(analysis.projection_length(W, e)) if want is None else want, tol)
            for name, W, e, want, tol in out]


def check_projection_length(fn, verbose=True):
    """Check ``fn(W, e) -> ||P e||`` (a float), P the orthogonal projection onto span(w1, w2).

    P e = A c*, c* = argmin ||A c - e|| (np.linalg.lstsq), A = W^T = [w1 w2].
    """
    task = "Task 3 (projection length)"
    worst = 0.0
    for name, W, e, want, tol in projection_cases():
        got = _call(task, fn, W, e)
        if not isinstance(got, (float, np.floating)) and not (
                isinstance(got, np.ndarray) and got.shape == ()):
            raise AssertionError(f"{task}: return one number (a float), got "
                                 f"{type(got).__name__} of shape {np.shape(got)}")
        got = float(got)
        err = abs(got - want)
        if not np.isfinite(got) or err > tol:
            hint = ""
            if "parallel" in name:
                hint = (" Forming A^T A (inverse or solve of the normal equations) squares the "
                        "condition number; use np.linalg.lstsq(A, e, rcond=None).")
            elif abs(got - want**2) < 1e-8 and want not in (0.0, 1.0):
                hint = " It matches ||P e||^2: take the square root (the length, not its square)."
            elif abs(got - np.sqrt(max(0.0, 1 - want**2))) < 1e-8:
                hint = " It matches the length of the residual e - P e, not of P e."
            raise AssertionError(f"{task}: wrong for {name}: yours {got:.10g}, expected "
                                 f"{want:.10g} (error {err:.3g}, allowed {tol:g}).{hint}")
        worst = max(worst, err)
    if verbose:
        print(f"Task 3: correct (max absolute error {worst:.1g} over {len(projection_cases())} "
              "cases, including nearly parallel neurons)")


# ------------------------------------------------------------------------------------ Task 4
def reference_sweep(taus, seeds, T):
    """What Task 4 asks for, computed by sslcore: {tau: {"ssl": W (S, 2, d), "sl": W (S, 2, d)}}.

    SSL with the sign initialization (the paper's condition 1) and SL, T steps each, paper
    settings otherwise; every tau's runs in one vectorized loop.
    """
    from .config import SLConfig, SSLConfig
    from .training import train_sl_many, train_ssl_many
    ssl = train_ssl_many([SSLConfig(tau=t, init="sign", seeds=seeds, T=T, record_every=T)
                          for t in taus])
    sl = train_sl_many([SLConfig(tau=t, seeds=seeds, T=T, record_every=T) for t in taus])
    return {t: {"ssl": a.W_final, "sl": b.W_final} for t, a, b in zip(taus, ssl, sl)}


def check_tau_sweep(results, taus, seeds, T, verbose=True):
    """Check the Task 4 results: 3 or 4 distinct tau > 0, and for each the final weights of
    SSL (init="sign") and SL with the given seeds and T, equal to :func:`reference_sweep`."""
    task = "Task 4 (tau sweep)"
    taus = list(taus)
    if not 3 <= len(taus) <= 4 or len(set(taus)) != len(taus) or min(taus) <= 0:
        raise AssertionError(f"{task}: choose 3 or 4 distinct values tau > 0, got {taus}")
    if not isinstance(results, dict) or sorted(results) != sorted(taus):
        keys = sorted(results) if isinstance(results, dict) else type(results).__name__
        raise AssertionError(f"{task}: return a dict with one entry per tau {taus}, got {keys}")
    want = reference_sweep(taus, seeds, T)
    S, d = len(tuple(seeds)), want[taus[0]]["ssl"].shape[-1]
    for t in taus:
        entry = results[t]
        if not isinstance(entry, dict) or set(entry) != {"ssl", "sl"}:
            raise AssertionError(f"{task}: results[{t}] must be a dict with keys 'ssl' and 'sl'")
        for model in ("ssl", "sl"):
            got = _as_float_array(f"{task}: results[{t}][{model!r}]", np.asarray(entry[model]),
                                  (S, 2, d))
            err = _rel(got, want[t][model])
            if err > 1e-8:
                how = ('SSLConfig(tau=..., init="sign", seeds=seeds, T=T)' if model == "ssl"
                       else "SLConfig(tau=..., seeds=seeds, T=T)")
                raise AssertionError(
                    f"{task}: results[{t}][{model!r}] differs from sslcore's final weights "
                    f"(max relative difference {err:.3g}); train with {how} and keep "
                    "run.W_final (the weights after T steps, shape (seeds, 2, d))")
    if verbose:
        print(f"Task 4: correct ({len(taus)} values of tau, {S} seeds, T = {T}: final weights "
              "equal sslcore's)")

"""Checkers for the assignments in ``assignments/`` (Assignment 1: gradients and features;
Assignment 2: the inverse function theorem, computed).

Each ``check_*`` calls a student's function on random float64 inputs of several shapes (and
on the paper's data), compares it with sslcore's implementation and with torch autograd, and
prints a verdict, e.g. ``Task 1: correct (max relative error 3e-16 ...)``, wrapped to
79 characters (the width of a code cell on the book's pages). Otherwise it
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

Assignment 2 (``check_newton``, ``check_ift_constants``, ``check_noise_threshold``; the maps
are called through a wrapper that stops a loop without an exit):

* Task 1: Newton's method x <- x - J(x)^-1 f(x), stopping when max|step| <= tol max(1, max|x|),
  RuntimeError when max_iter steps do not get there; checked on a linear map with a
  non-symmetric Jacobian (the first step), on grad g for several (tau, alpha) against
  ``theory.simplified_optimum``, and on a map whose iterates cycle.
* Task 2: the IFT constants of a map f at x0 (Euclidean norm, spectral matrix norm):
  ||A^-1|| = 1 / sigma_min(A), ||f(x0)||, r = 2 ||A^-1|| ||f(x0)||, 1 / (2 ||A^-1||) and the
  Jacobian variation sampled at x0 + r u; against known constants and ``ift.ift_check``.
* Task 3: bisection for the largest rho at which a predicate holds, and the sampled
  condition of the population objective as a function of rho (2-D reduction or all d
  coordinates), against ``ift.ift_check(...).holds_sampled``.
"""
from __future__ import annotations

import textwrap

import numpy as np

from . import analysis, data, models
from .ift import IFT_KEYS, ift_check, sampled_constants, sphere_directions
from .theory import Objective, simplified_optimum

SHAPES = ((1, 3), (7, 4), (30, 10))  # (n, d) of the random cases; a paper-like case is added
RTOL = 1e-8                          # allowed max relative error of a gradient

VERDICT_WIDTH = 79    # a longer line is cut off on the book's pages


def _verdict(text):
    """Print a check's verdict, wrapped to VERDICT_WIDTH characters (continuation lines
    indented by two spaces)."""
    print(textwrap.fill(text, VERDICT_WIDTH, subsequent_indent="  ", break_long_words=False,
                        break_on_hyphens=False))


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
    copies = _copies(args)
    out = fn(*copies)
    _unchanged(task, args, copies)
    return out


def _copies(args):
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def _unchanged(task, args, copies, hint=""):
    """Fail if the student's function changed one of the array inputs (given as ``copies``)."""
    for a, c in zip(args, copies):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c):
            raise AssertionError(f"{task}: your function changed one of its inputs in place; "
                                 f"compute new arrays instead{hint}")


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
        _verdict(f"Task 1: correct (max relative error {worst:.1g} against sslcore and torch "
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
        _verdict(f"Task 2: correct (max relative error {worst:.1g} against sslcore and torch "
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
        _verdict(f"Task 3: correct (max absolute error {worst:.1g} over {len(projection_cases())} "
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
        _verdict(f"Task 4: correct ({len(taus)} values of tau, {S} seeds, T = {T}: final weights "
                 "equal sslcore's)")


# ====================================================================================
# Assignment 2: the inverse function theorem, computed
# ====================================================================================
class _Runaway(Exception):
    """Raised by a checker's map when a student's loop calls it far too often."""


def _traced(fn, limit):
    """(wrapped fn, list of the points it was called at); the wrapper raises _Runaway after
    ``limit`` calls, so that a loop without an exit cannot hang the checker."""
    calls = []

    def wrapped(x):
        if len(calls) >= limit:
            raise _Runaway
        calls.append(np.array(x, dtype=np.float64, copy=True))
        return fn(x)
    return wrapped, calls


def _run(task, what, fn, *args, limit=1000, name="f"):
    """Call ``fn`` on copies of the inputs: (result, exception raised by fn or None). A runaway
    loop (more than ``limit`` calls of the checker's map ``name``) and a change of an input in
    place are reported as AssertionError, NotImplementedError (a stub) propagates, and any
    other exception, an AssertionError of the student's code included, is returned for the
    checker to explain."""
    copies = _copies(args)
    try:
        out, exc = fn(*copies), None
    except _Runaway:
        raise AssertionError(f"{task}: {what}: your function called {name} more than {limit} "
                             "times; does its loop stop?") from None
    except NotImplementedError:
        raise                     # an unfinished task: the check cell stops as the stub says
    except Exception as e:  # noqa: BLE001 - explained to the student by the checker
        out, exc = None, e
    _unchanged(task, args, copies, " (x = x0.copy() or x = x - step)")
    return out, exc


def _is_float(v):
    return isinstance(v, (float, np.floating)) and not isinstance(v, (bool, np.bool_))


# ------------------------------------------------------------------------------------ Task 1
def newton_linear_case():
    """(f, jac, x0, solution) of a linear map with a non-symmetric Jacobian M: Newton's method
    reaches the zero in one step, and its first step tells the right update from a wrong one."""
    M = np.array([[3.0, 1.0], [-1.0, 2.0]])
    c = np.array([1.0, 2.0])
    return (lambda x: M @ x - c), (lambda x: M.copy()), np.array([0.5, -1.0]), np.linalg.solve(M, c)


NEWTON_PARAMS = ((3.0, 1 / 800), (5.0, 1 / 800), (7.0, 1 / 800), (10.0, 1 / 800), (7.0, 1 / 400))


def check_newton(fn, verbose=True):
    """Check ``fn(f, jac, x0, tol=1e-12, max_iter=50) -> x`` (Newton's method for f(x) = 0).

    (i) On a linear map the first step must be x0 - M^-1 f(x0) and the result the zero;
    (ii) from (3.5, 9/tau) on f = grad g, jac = Hess g (``theory.Objective.simplified(tau,
    alpha, d=2)``) the result must equal ``theory.simplified_optimum`` for several (tau, alpha);
    (iii) on f(x) = x^3 - 2x + 2 from x0 = 0, whose Newton iterates cycle 0, 1, 0, 1, ..., it
    must raise RuntimeError saying that it did not converge, after at most max_iter steps.
    """
    task = "Task 1 (Newton's method)"
    # (i) the linear map: the first step
    f, jac, x0, zero = newton_linear_case()
    fw, calls = _traced(f, 1000)
    out, exc = _run(task, "on a linear map", fn, fw, jac, x0, 1e-12, 50)
    moved = [x for x in calls if x.shape == x0.shape and not np.array_equal(x, x0)]
    M, f0 = jac(x0), f(x0)
    want = x0 - np.linalg.solve(M, f0)
    if moved and _rel(moved[0], want) > 1e-10:
        hint = _hint(moved[0], want, {
            "x + J^-1 f(x): the step has the wrong sign": x0 + np.linalg.solve(M, f0),
            "x - J f(x): J instead of its inverse (solve J step = f(x))": x0 - M @ f0,
            "x - J^-T f(x): the transposed Jacobian": x0 - np.linalg.solve(M.T, f0),
            "x - f(x): a gradient step, not a Newton step": x0 - f0,
            "x - f(x) / diag(J): a coordinate-wise step; solve the linear system J step = f(x)":
                x0 - f0 / np.diag(M),
        })
        raise AssertionError(f"{task}: on the linear map f(x) = M x - c (M not symmetric) the first "
                             f"step from x0 = {x0.tolist()} went to {moved[0].tolist()}, expected "
                             f"x0 - M^-1 f(x0) = {want.round(12).tolist()}.{hint}")
    if exc is not None:
        raise AssertionError(f"{task}: on a linear map, where Newton's method converges in one "
                             f"step, your function raised {type(exc).__name__}: {exc}")
    out = _as_float_array(f"{task}: the result (linear map)", out, x0.shape)
    if _rel(out, zero) > 1e-10:
        raise AssertionError(f"{task}: on a linear map the result is {out.tolist()}, expected the "
                             f"zero {zero.tolist()} (reached by the first step)")
    # (ii) the critical point of g for several (tau, alpha)
    worst = 0.0
    for tau, alpha in NEWTON_PARAMS:
        g2 = Objective.simplified(tau, alpha, d=2)
        where = f"g with tau = {tau:g}, alpha = 1/{1 / alpha:g}, from x0 = (3.5, 9/tau)"
        fw, calls = _traced(g2.gradient, 1000)
        out, exc = _run(task, where, fn, fw, g2.hessian, np.array([3.5, 9 / tau]), 1e-12, 50,
                        name="f")
        if exc is not None:
            raise AssertionError(f"{task}: for {where} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        out = _as_float_array(f"{task}: the result ({where})", out, (2,))
        want = simplified_optimum(tau, alpha, d=2)[0]
        err = _rel(out, want)
        if err > 1e-10:
            raise AssertionError(
                f"{task}: for {where} the result is {out.tolist()}, expected {want.tolist()} "
                f"(relative error {err:.3g}, allowed 1e-10; |grad g| there is "
                f"{np.linalg.norm(g2.gradient(out)):.3g}). Stop only when the step is below "
                "tol * max(1, max|x|).")
        worst = max(worst, err)
    # (iii) no convergence: a 2-cycle
    max_iter = 20
    cyc = lambda x: x ** 3 - 2 * x + 2                        # noqa: E731
    cyc_jac = lambda x: np.array([[3 * x[0] ** 2 - 2]])     # noqa: E731
    fw, calls = _traced(cyc, 10 * max_iter + 10)
    where = "on f(x) = x^3 - 2x + 2 from x0 = 0 (Newton's iterates cycle 0, 1, 0, 1, ...)"
    out, exc = _run(task, where, fn, fw, cyc_jac, np.array([0.0]), 1e-12, max_iter,
                    limit=10 * max_iter + 10)
    if exc is None:
        raise AssertionError(f"{task}: {where} your function returned {out!r} after "
                             f"{len(calls)} evaluations of f with max_iter={max_iter}. It matches "
                             "returning the last iterate silently: raise RuntimeError when max_iter "
                             "steps do not reach the tolerance.")
    if not isinstance(exc, RuntimeError):
        raise AssertionError(f"{task}: {where} your function raised {type(exc).__name__}: {exc}; "
                             "raise RuntimeError (Newton's method did not converge).")
    if "converg" not in str(exc).lower():
        raise AssertionError(f"{task}: {where} your RuntimeError says {str(exc)!r}; say in the "
                             "message that Newton's method did not converge (and why: the last "
                             "step, max_iter).")
    if len(calls) > max_iter + 2:
        raise AssertionError(f"{task}: {where} your function evaluated f {len(calls)} times with "
                             f"max_iter={max_iter}: take at most max_iter steps.")
    if verbose:
        _verdict(f"Task 1: correct (critical points of g for {len(NEWTON_PARAMS)} values of "
                 f"(tau, alpha) within {worst:.0e} of sslcore; the exact step on a linear map; "
                 "RuntimeError on a 2-cycle)")


# ------------------------------------------------------------------------------------ Task 2
def ift_constants_reference(f, jac, x0, directions):
    """What Task 2 asks for: ``sslcore.ift.sampled_constants`` with the Euclidean norm, for any
    map f with Jacobian jac (not only a gradient) and the given directions:

    A = jac(x0), ||A^-1|| (spectral: 1 / the smallest singular value of A), ||f(x0)||,
    r = 2 ||A^-1|| ||f(x0)||, allowed = 1 / (2 ||A^-1||),
    variation = max_u ||jac(x0 + r u) - A||_2 over the rows u of ``directions``.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    c = sampled_constants(f(x0), jac(x0), jac, x0, directions=directions)
    return {k: c[k] for k in IFT_KEYS}


def _made_up_map(c):
    """f(x) = A (x - x0) + f0 + ||x - x0||^2 v with ||v|| = c and A = [[2, 1], [0, 1]]:
    Df(x) - A = 2 v (x - x0)^T, so ||Df(x) - A|| = 2 c ||x - x0|| in every direction.
    Known constants: ||A^-1|| = sqrt(2) (sqrt(5) + 1) / 4 (A^T A has eigenvalues 3 +- sqrt(5)),
    ||f(x0)|| = 0.005, variation on the sphere of radius r = 2 c r."""
    A = np.array([[2.0, 1.0], [0.0, 1.0]])
    x0, f0, v = np.array([0.3, -0.2]), np.array([0.003, -0.004]), c * np.array([0.6, 0.8])
    f = lambda x: A @ (x - x0) + f0 + np.dot(x - x0, x - x0) * v     # noqa: E731
    jac = lambda x: A + 2 * np.outer(v, x - x0)                         # noqa: E731
    rng = np.random.default_rng(7)
    U = rng.normal(size=(6, 2))
    dirs = np.vstack([np.eye(2), U / np.linalg.norm(U, axis=1, keepdims=True)])
    norm_Ainv = np.sqrt(2) * (np.sqrt(5) + 1) / 4
    r = 2 * norm_Ainv * 0.005
    known = {"norm_Ainv": norm_Ainv, "perturbation": 0.005, "radius": r,
             "allowed_variation": 1 / (2 * norm_Ainv), "jacobian_variation": 2 * c * r,
             "holds_sampled": bool(2 * c * r <= 1 / (2 * norm_Ainv))}
    return f, jac, x0, dirs, known


def ift_cases():
    """(name, f, jac, x0, directions, expected dict) for Task 2: two made-up maps with known
    constants (a non-symmetric Jacobian), and the population objective in the 2-D reduction
    (and once in all coordinates of d = 3), expected from ``sslcore.ift.ift_check``."""
    out = []
    for c, verdict in ((0.1, "holds"), (50.0, "fails")):
        f, jac, x0, dirs, known = _made_up_map(c)
        out.append((f"made-up map with ||v|| = {c:g} (condition {verdict})", f, jac, x0, dirs, known))
    for tau, rho, d, k, n, seed in ((7.0, 10 ** -1.5, 2, 0, 10, 0), (7.0, 0.08, 2, 1, 10, 1),
                                    (5.0, 0.02, 2, 0, 6, 2), (7.0, 10 ** -1.5, 3, 0, 6, 3)):
        obj = Objective.population(tau, rho, 1 / 800, d=d)
        x0 = simplified_optimum(tau, 1 / 800, d=d)[k]
        dirs = sphere_directions(obj.hessian(x0), n, seed)
        res = ift_check(obj, x0, n_samples=n, seed=seed, find_root=False)
        where = "2-D reduction" if d == 2 else f"all {d} coordinates"
        name = f"population, {where}, tau = {tau:g}, rho = {rho:.3g}, neuron {k + 1}"
        out.append((name, obj.gradient, obj.hessian, x0, dirs,
                    {key: getattr(res, key) for key in IFT_KEYS}))
    return out


def _ift_mistakes(key, f, jac, x0, dirs, ref):
    """Recognizable wrong values of ``key`` (the earlier constants taken as right)."""
    A = np.asarray(jac(x0), dtype=np.float64)
    Ainv, f0 = np.linalg.inv(A), np.asarray(f(x0), dtype=np.float64)
    nA, p, r = ref["norm_Ainv"], ref["perturbation"], ref["radius"]
    fro = np.linalg.norm(Ainv, "fro")
    if key == "norm_Ainv":
        return {"||A^-1||_F, the Frobenius norm (np.linalg.norm without ord=2); the theorem "
                "uses the spectral norm": fro,
                "||A||, the norm of A instead of its inverse": np.linalg.norm(A, 2),
                "1/||A|| (||A^-1|| is 1 / the smallest singular value, not the largest)":
                    1 / np.linalg.norm(A, 2),
                "1 / min |eigenvalue of A|, equal to ||A^-1|| only for symmetric A; use the "
                "smallest singular value": 1 / np.min(np.abs(np.linalg.eigvals(A))),
                "the induced 1-norm of A^-1; use ord=2": np.linalg.norm(Ainv, 1),
                "the induced max-norm of A^-1; use ord=2": np.linalg.norm(Ainv, np.inf)}
    if key == "perturbation":
        return {"||f(x0)||^2 (the square of the norm)": p ** 2,
                "max |f_i(x0)|, the max-norm; use the Euclidean norm": np.max(np.abs(f0)),
                "the 1-norm of f(x0); use the Euclidean norm": np.sum(np.abs(f0)),
                "||A^-1 f(x0)||, the length of the Newton step, not ||f(x0)||":
                    np.linalg.norm(Ainv @ f0)}
    if key == "radius":
        return {"r = ||A^-1|| ||f(x0)|| (the factor 2 is missing)": nA * p,
                "r = ||f(x0)|| / (2 ||A^-1||), the radius of the image ball, not of the ball "
                "around x0": p / (2 * nA),
                "r = 2 ||A^-1 f(x0)||; the theorem's radius is 2 ||A^-1|| ||f(x0)||":
                    2 * np.linalg.norm(Ainv @ f0),
                "r = 2 ||A|| ||f(x0)|| (||A|| instead of ||A^-1||)": 2 * np.linalg.norm(A, 2) * p,
                "r with the Frobenius norm ||A^-1||_F": 2 * fro * p}
    if key == "allowed_variation":
        return {"1 / ||A^-1|| (the factor 1/2 is missing)": 1 / nA,
                "||A^-1|| / 2 (the reciprocal is missing)": nA / 2,
                "1 / (2 ||A||) (||A|| instead of ||A^-1||)": 1 / (2 * np.linalg.norm(A, 2)),
                "1 / (2 ||A^-1||_F) (the Frobenius norm)": 1 / (2 * fro)}
    if key == "jacobian_variation":
        at = lambda rad: [np.asarray(jac(x0 + rad * u)) - A for u in dirs]   # noqa: E731
        D = at(r)
        return {"the Frobenius norm ||Df(x) - A||_F; use the spectral norm (ord=2)":
                    max(np.linalg.norm(M, "fro") for M in D),
                "the mean over the directions; the condition needs the largest value":
                    np.mean([np.linalg.norm(M, 2) for M in D]),
                "max ||Df(x)||, without subtracting A = Df(x0)":
                    max(np.linalg.norm(M + A, 2) for M in D),
                "points x0 + u on the unit sphere; sample x0 + r u on the sphere of radius r":
                    max(np.linalg.norm(M, 2) for M in at(1.0)),
                "points at distance r/2 = ||A^-1|| ||f(x0)||; sample x0 + r u with "
                "r = 2 ||A^-1|| ||f(x0)||": max(np.linalg.norm(M, 2) for M in at(r / 2))}
    return {}


def check_ift_constants(fn, verbose=True):
    """Check ``fn(f, jac, x0, directions) -> dict`` with the keys of ``IFT_KEYS``.

    norm_Ainv = ||A^-1||_2 (A = jac(x0)), perturbation = ||f(x0)||, radius r = 2 ||A^-1||
    ||f(x0)||, allowed_variation = 1 / (2 ||A^-1||), jacobian_variation = max over the rows u of
    ``directions`` of ||jac(x0 + r u) - A||_2, holds_sampled = (variation <= allowed).
    Compared with known constants (made-up maps) and with ``sslcore.ift.ift_check``.
    """
    task = "Task 2 (IFT constants)"
    cases = ift_cases()
    worst = 0.0
    for name, f, jac, x0, dirs, want in cases:
        got, exc = _run(task, f"for the {name}", fn, f, jac, x0, dirs)
        if exc is not None:
            raise AssertionError(f"{task}: for the {name} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        if not isinstance(got, dict):
            raise AssertionError(f"{task}: return a dict with the keys {list(IFT_KEYS)}, got "
                                 f"{type(got).__name__}")
        missing = [k for k in IFT_KEYS if k not in got]
        if missing:
            raise AssertionError(f"{task}: the dict lacks the keys {missing} (it has "
                                 f"{sorted(got)})")
        ref = ift_constants_reference(f, jac, x0, dirs)
        for key in IFT_KEYS:
            value = got[key]
            if key == "holds_sampled":
                if not isinstance(value, (bool, np.bool_)):
                    raise AssertionError(f"{task}: holds_sampled must be a bool, got "
                                         f"{type(value).__name__}")
                if bool(value) != want[key]:
                    raise AssertionError(
                        f"{task}: holds_sampled is {bool(value)} for the {name}, expected "
                        f"{want[key]} (variation {want['jacobian_variation']:.4g}, allowed "
                        f"{want['allowed_variation']:.4g}). The condition holds when the "
                        "variation is <= the allowed variation.")
                continue
            if not _is_float(value) or not np.isfinite(value):
                raise AssertionError(f"{task}: {key} must be a finite float, got {value!r} "
                                     f"({type(value).__name__}) for the {name}")
            err = _rel(float(value), want[key])
            if err > RTOL:
                hint = _hint(float(value), want[key], _ift_mistakes(key, f, jac, x0, dirs, ref))
                raise AssertionError(f"{task}: {key} is wrong for the {name}: yours {value:.10g}, "
                                     f"expected {want[key]:.10g} (relative error {err:.3g}, "
                                     f"allowed {RTOL:g}).{hint}")
            worst = max(worst, err)
    if verbose:
        _verdict(f"Task 2: correct (max relative error {worst:.0e}; {len(cases)} cases: 2 made-up "
                 "maps with known constants, 4 population checks against sslcore.ift.ift_check)")


# ------------------------------------------------------------------------------------ Task 3
def reference_condition_holds(rho, d=2, tau=7.0, alpha=1 / 800, n_samples=20, seed=0,
                              verdict="holds_sampled"):
    """What Task 3's ``condition_holds`` returns, from ``sslcore.ift.ift_check``: the sampled
    Jacobian condition for the population objective at noise rho, one neuron, base point the
    simplified optimum; d = 2 is the 2-D reduction, d >= 3 all d coordinates (Euclidean norm).
    verdict='holds' gives the Lipschitz-bound verdict instead."""
    x0 = simplified_optimum(tau, alpha, d=d)[0]
    res = ift_check(Objective.population(tau, rho, alpha, d=d), x0, n_samples=n_samples,
                    seed=seed, find_root=False)
    return bool(getattr(res, verdict))


BISECTION_CASES = ((0.0123, 0.001, 1.0, 1e-3), (0.7, 0.5, 0.9, 1e-6), (0.0506, 0.01, 0.2, 1e-3))
BAD_BRACKETS = ((2.0, 0.001, 1.0), (1e-4, 0.001, 1.0))
HOLDS_CASES = ((0.01, 2), (0.03, 2), (0.045, 2), (0.055, 2), (0.1, 2), (0.005, 3), (0.03, 3),
               (0.005, 10), (10 ** -1.5, 10))


def _check_bisection(task, largest_rho):
    for t, lo, hi, rtol in BISECTION_CASES:
        holds, calls = _traced(lambda rho, t=t: bool(rho <= t), 1000)
        where = f"holds(rho) = (rho <= {t:g}), lo = {lo:g}, hi = {hi:g}, rtol = {rtol:g}"
        out, exc = _run(task, f"for {where}", largest_rho, holds, lo, hi, rtol, name="holds")
        if exc is not None:
            raise AssertionError(f"{task}: for {where} largest_rho raised "
                                 f"{type(exc).__name__}: {exc}")
        if not _is_float(out) or not np.isfinite(out):
            raise AssertionError(f"{task}: largest_rho must return a finite float, got {out!r} "
                                 f"({type(out).__name__})")
        out = float(out)
        hint = ""
        near_lo, near_hi = out <= lo * (1 + rtol) ** 2, out >= hi / (1 + rtol) ** 2
        if (near_lo or near_hi) and not t / (1 + rtol) <= out <= t:
            hint = (f" It is at the end {'lo' if near_lo else 'hi'} of the bracket, away from the "
                    "threshold: when holds(mid) is True set lo = mid, otherwise hi = mid (with "
                    "the updates swapped the bisection runs to an end of the bracket).")
        elif out > t:
            hint = (" holds(result) is False: return lo, the largest value known to hold, not hi "
                    "or the last midpoint.")
        elif out < t / (1 + rtol) * (1 - 1e-12):
            hint = (f" It is more than rtol below the threshold: continue until hi / lo <= "
                    "1 + rtol.")
        if hint:
            raise AssertionError(f"{task}: for {where} largest_rho returned {out:.10g}; expected "
                                 f"a value in [{t / (1 + rtol):.10g}, {t:g}].{hint}")
    for t, lo, hi in BAD_BRACKETS:
        holds, _ = _traced(lambda rho, t=t: bool(rho <= t), 1000)
        end = "holds(hi) is True" if t >= hi else "holds(lo) is False"
        where = f"holds(rho) = (rho <= {t:g}), lo = {lo:g}, hi = {hi:g} ({end})"
        out, exc = _run(task, f"for {where}", largest_rho, holds, lo, hi, 1e-3, name="holds")
        if exc is None:
            raise AssertionError(f"{task}: for {where} largest_rho returned {out!r}; raise "
                                 "ValueError when [lo, hi] does not bracket the threshold.")
        if not isinstance(exc, ValueError):
            raise AssertionError(f"{task}: for {where} largest_rho raised {type(exc).__name__}: "
                                 f"{exc}; raise ValueError (an assert is skipped under python -O).")


def check_noise_threshold(condition_holds, largest_rho, verbose=True):
    """Check Task 3: ``largest_rho(holds, lo, hi, rtol=1e-3)`` (bisection for the largest rho in
    [lo, hi] at which the predicate holds, ValueError for a bad bracket) on predicates with known
    thresholds, and ``condition_holds(rho, d=2)`` against :func:`reference_condition_holds`."""
    task = "Task 3 (noise threshold)"
    _check_bisection(task, largest_rho)
    got, want = [], []
    for rho, d in HOLDS_CASES:
        value, exc = _run(task, f"condition_holds({rho:.4g}, d={d})", condition_holds, rho, d,
                          name="f")
        if exc is not None:
            raise AssertionError(f"{task}: condition_holds({rho:.4g}, d={d}) raised "
                                 f"{type(exc).__name__}: {exc}")
        if not isinstance(value, (bool, np.bool_)):
            raise AssertionError(f"{task}: condition_holds must return a bool, got "
                                 f"{type(value).__name__} for rho = {rho:.4g}, d = {d}")
        got.append(bool(value))
        want.append(reference_condition_holds(rho, d))
    if got != want:
        wrong = [f"rho = {r:.4g}, d = {d}: yours {g}, expected {w}"
                 for (r, d), g, w in zip(HOLDS_CASES, got, want) if g != w]
        mistakes = {
            "the Lipschitz-bound verdict (IFTResult.holds); use the sampled one":
                [reference_condition_holds(r, d, verdict="holds") for r, d in HOLDS_CASES],
            "the 2-D reduction for every d; for d >= 3 check all d coordinates":
                [reference_condition_holds(r, 2) for r, _ in HOLDS_CASES],
            "the negated verdict": [not w for w in want],
        }
        hint = next((f" It matches {text}." for text, v in mistakes.items() if v == got), "")
        raise AssertionError(f"{task}: condition_holds differs from sslcore's sampled verdict at "
                             f"{len(wrong)} of {len(HOLDS_CASES)} noise levels ({'; '.join(wrong)})."
                             f"{hint}")
    if verbose:
        _verdict(f"Task 3: correct (bisection within rtol for {len(BISECTION_CASES)} thresholds, "
                 f"ValueError for {len(BAD_BRACKETS)} bad brackets; the sampled verdict equals "
                 f"sslcore's at {len(HOLDS_CASES)} (rho, d))")

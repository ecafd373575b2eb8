"""Checkers of Assignment 2 (the inverse function theorem, computed). The maps are called
through a wrapper that stops a loop without an exit (``common.traced``).

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

Each task has several parts (one otter test case each); ``*_fresh`` parts are hidden tests.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..config import ALPHA, RHO, TAU
from ..ift import IFT_KEYS, ift_check, sphere_directions
from ..theory import Objective, simplified_optimum
from .a2_reference import VectorMap, ift_constants_reference, ift_mistakes
from .common import (
    RTOL,
    StudentFunction,
    as_float_array,
    defined,
    hint,
    is_float,
    not_none,
    rel,
    run,
    traced,
    using,
    verdict,
)

T1 = "Task 1 (Newton's method)"
T2 = "Task 2 (IFT constants)"
T3 = "Task 3 (noise threshold)"
#: a map with a known zero: (f, jac, x0, zero)
LinearCase = tuple[VectorMap, VectorMap, np.ndarray, np.ndarray]
#: one case of Task 2: (name, f, jac, x0, directions, expected constants)
IFTCase = tuple[str, VectorMap, VectorMap, np.ndarray, np.ndarray, dict[str, Any]]


# ------------------------------------------------------------------------------------ Task 1
def linear_case(M: ArrayLike = ((3.0, 1.0), (-1.0, 2.0)), c: ArrayLike = (1.0, 2.0),
                x0: ArrayLike = (0.5, -1.0)) -> LinearCase:
    """(f, jac, x0, zero) of f(x) = M x - c with a non-symmetric M: Newton's method reaches the
    zero in one step, and its first step tells the right update from a wrong one."""
    M, c = np.array(M, dtype=float), np.array(c, dtype=float)
    return (lambda x: M @ x - c), (lambda x: M.copy()), np.array(x0, dtype=float), \
        np.linalg.solve(M, c)


def _step_mistakes(x0: np.ndarray, M: np.ndarray, f0: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "x + J^-1 f(x): the step has the wrong sign": x0 + np.linalg.solve(M, f0),
        "x - J f(x): J instead of its inverse (solve J step = f(x))": x0 - M @ f0,
        "x - J^-T f(x): the transposed Jacobian": x0 - np.linalg.solve(M.T, f0),
        "x - f(x): a gradient step, not a Newton step": x0 - f0,
        "x - f(x) / diag(J): a coordinate-wise step; solve the linear system J step = f(x)":
            x0 - f0 / np.diag(M),
    }


def newton_linear(newton: StudentFunction, case: LinearCase | None = None) -> None:
    """Part 1: on a linear map the first step is x0 - M^-1 f(x0) and the result the zero."""
    defined(T1, "newton", newton)
    f, jac, x0, zero = case or linear_case()
    fw, calls = traced(f, 1000)
    out, exc = run(T1, "on a linear map", newton, fw, jac, x0, 1e-12, 50)
    moved = [x for x in calls if x.shape == x0.shape and not np.array_equal(x, x0)]
    M, f0 = jac(x0), f(x0)
    want = x0 - np.linalg.solve(M, f0)
    if moved and rel(moved[0], want) > 1e-10:
        raise AssertionError(
            f"{T1}: on the linear map f(x) = M x - c (M not symmetric) the first step from x0 = "
            f"{x0.tolist()} went to {moved[0].tolist()}, expected x0 - M^-1 f(x0) = "
            f"{want.round(12).tolist()}." + hint(moved[0], want, _step_mistakes(x0, M, f0)))
    if exc is not None:
        raise AssertionError(f"{T1}: on a linear map, where Newton's method converges in one "
                             f"step, your function raised {type(exc).__name__}: {exc}")
    out = as_float_array(f"{T1}: the result (linear map)", not_none(T1, "newton", out), x0.shape)
    if rel(out, zero) > 1e-10:
        raise AssertionError(f"{T1}: on a linear map the result is {out.tolist()}, expected the "
                             f"zero {zero.tolist()} (reached by the first step)")


NEWTON_PARAMS = ((3.0, ALPHA), (5.0, ALPHA), (TAU, ALPHA), (10.0, ALPHA), (TAU, 1 / 400))


def newton_critical_points(newton: StudentFunction,
                           params: Iterable[tuple[float, float]] = NEWTON_PARAMS,
                           start: tuple[float, float] = (3.5, 9.0)) -> float:
    """Part 2: from (start[0], start[1]/tau) on f = grad g, jac = Hess g the result equals
    ``theory.simplified_optimum`` for each (tau, alpha); returns the worst relative error."""
    defined(T1, "newton", newton)
    worst = 0.0
    for tau, alpha in params:
        g2 = Objective.simplified(tau, alpha, d=2)
        x0 = np.array([start[0], start[1] / tau])
        where = f"g with tau = {tau:g}, alpha = 1/{1 / alpha:g}, from x0 = {x0.round(4).tolist()}"
        fw, _ = traced(g2.gradient, 1000)
        out, exc = run(T1, where, newton, fw, g2.hessian, x0, 1e-12, 50)
        if exc is not None:
            raise AssertionError(f"{T1}: for {where} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        out = as_float_array(f"{T1}: the result ({where})", not_none(T1, "newton", out), (2,))
        want = simplified_optimum(tau, alpha, d=2)[0]
        err = rel(out, want)
        if err > 1e-10:
            raise AssertionError(
                f"{T1}: for {where} the result is {out.tolist()}, expected {want.tolist()} "
                f"(relative error {err:.3g}, allowed 1e-10; |grad g| there is "
                f"{np.linalg.norm(g2.gradient(out)):.3g}). Stop only when the step is below "
                "tol * max(1, max|x|).")
        worst = max(worst, err)
    return worst


def newton_no_convergence(newton: StudentFunction, max_iter: int = 20) -> None:
    """Part 3: on f(x) = x^3 - 2x + 2 from x0 = 0, whose Newton iterates cycle 0, 1, 0, 1, ...,
    it must raise RuntimeError saying that it did not converge, after at most max_iter steps."""
    defined(T1, "newton", newton)
    cyc = lambda x: x ** 3 - 2 * x + 2
    cyc_jac = lambda x: np.array([[3 * x[0] ** 2 - 2]])
    limit = 10 * max_iter + 10
    fw, calls = traced(cyc, limit)
    where = "on f(x) = x^3 - 2x + 2 from x0 = 0 (Newton's iterates cycle 0, 1, 0, 1, ...)"
    out, exc = run(T1, where, newton, fw, cyc_jac, np.array([0.0]), 1e-12, max_iter, limit=limit)
    if exc is None:
        not_none(T1, "newton", out if calls else None)
        raise AssertionError(f"{T1}: {where} your function returned {out!r} after "
                             f"{len(calls)} evaluations of f with max_iter={max_iter}. It matches "
                             "returning the last iterate silently: raise RuntimeError when "
                             "max_iter steps do not reach the tolerance.")
    if not isinstance(exc, RuntimeError):
        raise AssertionError(f"{T1}: {where} your function raised {type(exc).__name__}: {exc}; "
                             "raise RuntimeError (Newton's method did not converge).")
    if "converg" not in str(exc).lower():
        raise AssertionError(f"{T1}: {where} your RuntimeError says {str(exc)!r}; say in the "
                             "message that Newton's method did not converge (and why: the last "
                             "step, max_iter).")
    if len(calls) > max_iter + 2:
        raise AssertionError(f"{T1}: {where} your function evaluated f {len(calls)} times with "
                             f"max_iter={max_iter}: take at most max_iter steps.")


def newton_fresh(newton: StudentFunction) -> None:
    """Hidden part: a 3-D linear map, other (tau, alpha) and start, another max_iter."""
    newton_linear(newton, linear_case(((2.0, 1.0, 0.0), (0.5, 3.0, 1.0), (0.0, -1.0, 4.0)),
                                      (1.0, -2.0, 0.5), (0.2, 0.1, -0.3)))
    newton_critical_points(newton, ((4.0, ALPHA), (8.0, 1 / 600)), start=(4.0, 10.0))
    newton_no_convergence(newton, max_iter=7)


def check_newton(newton: StudentFunction, verbose: bool = True) -> None:
    newton_linear(newton)
    worst = newton_critical_points(newton)
    newton_no_convergence(newton)
    newton_fresh(newton)
    if verbose:
        verdict(f"Task 1: correct (critical points of g for {len(NEWTON_PARAMS)} values of "
                f"(tau, alpha) within {worst:.0e} of sslcore; the exact step on a linear map; "
                "RuntimeError on a 2-cycle)")


# ------------------------------------------------------------------------------------ Task 2
def made_up_map(c: float, A: ArrayLike = ((2.0, 1.0), (0.0, 1.0)), x0: ArrayLike = (0.3, -0.2),
                f0: ArrayLike = (0.003, -0.004), seed: int = 7
                ) -> tuple[VectorMap, VectorMap, np.ndarray, np.ndarray, dict[str, Any]]:
    """f(x) = A (x - x0) + f0 + ||x - x0||^2 v with ||v|| = c: Df(x) - A = 2 v (x - x0)^T, so
    ||Df(x) - A|| = 2 c ||x - x0|| in every direction. Known constants: ||A^-1|| = 1 /
    sigma_min(A) (sqrt(2) (sqrt(5) + 1) / 4 for the default A), ||f(x0)|| = ||f0||, variation
    2 c r on the sphere of radius r. Returns (f, jac, x0, directions, known)."""
    A, x0, f0 = (np.array(a, dtype=float) for a in (A, x0, f0))
    v = c * (np.arange(3, 3 + len(x0)) / np.linalg.norm(np.arange(3, 3 + len(x0))))
    f = lambda x: A @ (x - x0) + f0 + np.dot(x - x0, x - x0) * v
    jac = lambda x: A + 2 * np.outer(v, x - x0)
    U = np.random.default_rng(seed).normal(size=(6, len(x0)))
    dirs = np.vstack([np.eye(len(x0)), U / np.linalg.norm(U, axis=1, keepdims=True)])
    norm_Ainv = 1 / np.linalg.svd(A, compute_uv=False)[-1]
    p = float(np.linalg.norm(f0))
    r = 2 * norm_Ainv * p
    known = {"norm_Ainv": norm_Ainv, "perturbation": p, "radius": r,
             "allowed_variation": 1 / (2 * norm_Ainv), "jacobian_variation": 2 * c * r,
             "holds_sampled": bool(2 * c * r <= 1 / (2 * norm_Ainv))}
    return f, jac, x0, dirs, known


def made_up_cases() -> list[IFTCase]:
    """Two made-up maps with known constants (the condition holds for one, fails for the other)."""
    return [(f"made-up map with ||v|| = {c:g} (condition {v})", *made_up_map(c))
            for c, v in ((0.1, "holds"), (50.0, "fails"))]


def population_cases(params: Iterable[tuple[float, float, int, int, int, int]] = (
        (TAU, RHO, 2, 0, 10, 0), (TAU, 0.08, 2, 1, 10, 1), (5.0, 0.02, 2, 0, 6, 2),
        (TAU, RHO, 3, 0, 6, 3))) -> list[IFTCase]:
    """The population objective in the 2-D reduction (and in all coordinates of d = 3),
    expected constants from ``sslcore.ift.ift_check``."""
    out = []
    for tau, rho, d, k, n, seed in params:
        obj = Objective.population(tau, rho, ALPHA, d=d)
        x0 = simplified_optimum(tau, ALPHA, d=d)[k]
        dirs = sphere_directions(obj.hessian(x0), n, seed)
        res = ift_check(obj, x0, n_samples=n, seed=seed, find_root=False)
        where = "2-D reduction" if d == 2 else f"all {d} coordinates"
        name = f"population, {where}, tau = {tau:g}, rho = {rho:.3g}, neuron {k + 1}"
        out.append((name, obj.gradient, obj.hessian, x0, dirs,
                    {key: getattr(res, key) for key in IFT_KEYS}))
    return out


def ift_cases() -> list[IFTCase]:
    """All public cases of Task 2: (name, f, jac, x0, directions, expected dict)."""
    return made_up_cases() + population_cases()


def _ift_dict(name: str, got: object) -> None:
    not_none(T2, "ift_constants", got)
    if not isinstance(got, dict):
        raise AssertionError(f"{T2}: return a dict with the keys {list(IFT_KEYS)}, got "
                             f"{type(got).__name__}")
    missing = [k for k in IFT_KEYS if k not in got]
    if missing:
        raise AssertionError(f"{T2}: the dict lacks the keys {missing} (it has {sorted(got)})")


def _holds_value(name: str, value: object, want: dict[str, Any]) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{T2}: holds_sampled must be a bool, got {type(value).__name__}")
    if bool(value) != want["holds_sampled"]:
        raise AssertionError(
            f"{T2}: holds_sampled is {bool(value)} for the {name}, expected "
            f"{want['holds_sampled']} (variation {want['jacobian_variation']:.4g}, allowed "
            f"{want['allowed_variation']:.4g}). The condition holds when the variation is <= "
            "the allowed variation.")


def _ift_value(name: str, key: str, value: object, want: dict[str, Any], f: VectorMap,
               jac: VectorMap, x0: np.ndarray, dirs: np.ndarray) -> float:
    if not is_float(value) or not np.isfinite(value):
        raise AssertionError(f"{T2}: {key} must be a finite float, got {value!r} "
                             f"({type(value).__name__}) for the {name}")
    err = rel(float(value), want[key])
    if err > RTOL:
        raise AssertionError(f"{T2}: {key} is wrong for the {name}: yours {value:.10g}, "
                             f"expected {want[key]:.10g} (relative error {err:.3g}, allowed "
                             f"{RTOL:g})." + hint(float(value), want[key],
                                                  ift_mistakes(key, f, jac, x0, dirs)))
    return err


def check_ift_cases(ift_constants: StudentFunction, cases: Iterable[IFTCase]) -> float:
    """Compare ift_constants(f, jac, x0, directions) with each case; return the worst error."""
    defined(T2, "ift_constants", ift_constants)
    worst = 0.0
    for name, f, jac, x0, dirs, want in cases:
        got, exc = run(T2, f"for the {name}", ift_constants, f, jac, x0, dirs)
        if exc is not None:
            raise AssertionError(f"{T2}: for the {name} your function raised "
                                 f"{type(exc).__name__}: {exc}")
        _ift_dict(name, got)
        for key in IFT_KEYS[:-1]:
            worst = max(worst, _ift_value(name, key, got[key], want, f, jac, x0, dirs))
        _holds_value(name, got["holds_sampled"], want)
    return worst


def ift_made_up(ift_constants: StudentFunction) -> float:
    """Part 1: two made-up maps with known constants and a non-symmetric Jacobian."""
    return check_ift_cases(ift_constants, made_up_cases())


def ift_population(ift_constants: StudentFunction) -> float:
    """Part 2: the population objective, against ``sslcore.ift.ift_check``."""
    return check_ift_cases(ift_constants, population_cases())


def ift_fresh(ift_constants: StudentFunction) -> float:
    """Hidden part: a 3-D made-up map and other population cases."""
    A3 = ((1.5, 0.4, 0.0), (0.0, 2.0, 0.7), (0.3, 0.0, 1.0))
    cases = [("3-D made-up map", *made_up_map(0.3, A3, (0.1, 0.2, -0.1), (0.002, 0.001, -0.003),
                                              seed=9))]
    cases += population_cases(((6.0, 0.04, 2, 1, 8, 5), (TAU, 0.02, 3, 1, 5, 6)))
    return check_ift_cases(ift_constants, cases)


def check_ift_constants(ift_constants: StudentFunction, verbose: bool = True) -> None:
    worst = max(ift_made_up(ift_constants), ift_population(ift_constants),
                ift_fresh(ift_constants))
    if verbose:
        verdict(f"Task 2: correct (max relative error {worst:.0e}: made-up maps with known "
                "constants, population checks against sslcore.ift.ift_check)")


# ------------------------------------------------------------------------------------ Task 3
def reference_condition_holds(rho: float, d: int = 2, tau: float = TAU, alpha: float = ALPHA,
                              n_samples: int = 20, seed: int = 0,
                              verdict: str = "holds_sampled") -> bool:
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
               (0.005, 10), (RHO, 10))


def _bisection_hint(out: float, t: float, lo: float, hi: float, rtol: float) -> str:
    near_lo, near_hi = out <= lo * (1 + rtol) ** 2, out >= hi / (1 + rtol) ** 2
    if (near_lo or near_hi) and not t / (1 + rtol) <= out <= t:
        return (f" It is at the end {'lo' if near_lo else 'hi'} of the bracket, away from the "
                "threshold: when holds(mid) is True set lo = mid, otherwise hi = mid (with the "
                "updates swapped the bisection runs to an end of the bracket).")
    if out > t:
        return (" holds(result) is False: return lo, the largest value known to hold, not hi or "
                "the last midpoint.")
    if out < t / (1 + rtol) * (1 - 1e-12):
        return " It is more than rtol below the threshold: continue until hi / lo <= 1 + rtol."
    return ""


def bisection_thresholds(largest_rho: StudentFunction,
                         cases: Iterable[tuple[float, float, float, float]] = BISECTION_CASES
                         ) -> None:
    """Part 1: the bisection finds known thresholds within rtol (from below)."""
    defined(T3, "largest_rho", largest_rho)
    for t, lo, hi, rtol in cases:
        holds, _ = traced(lambda rho, t=t: bool(rho <= t), 1000)
        where = f"holds(rho) = (rho <= {t:g}), lo = {lo:g}, hi = {hi:g}, rtol = {rtol:g}"
        out, exc = run(T3, f"for {where}", largest_rho, holds, lo, hi, rtol, name="holds")
        if exc is not None:
            raise AssertionError(f"{T3}: for {where} largest_rho raised "
                                 f"{type(exc).__name__}: {exc}")
        if not is_float(not_none(T3, "largest_rho", out)) or not np.isfinite(out):
            raise AssertionError(f"{T3}: largest_rho must return a finite float, got {out!r} "
                                 f"({type(out).__name__})")
        text = _bisection_hint(float(out), t, lo, hi, rtol)
        if text:
            raise AssertionError(f"{T3}: for {where} largest_rho returned {float(out):.10g}; "
                                 f"expected a value in [{t / (1 + rtol):.10g}, {t:g}].{text}")


def bisection_bad_brackets(largest_rho: StudentFunction,
                           cases: Iterable[tuple[float, float, float]] = BAD_BRACKETS) -> None:
    """Part 2: ValueError when [lo, hi] does not bracket the threshold."""
    defined(T3, "largest_rho", largest_rho)
    for t, lo, hi in cases:
        holds, _ = traced(lambda rho, t=t: bool(rho <= t), 1000)
        end = "holds(hi) is True" if t >= hi else "holds(lo) is False"
        where = f"holds(rho) = (rho <= {t:g}), lo = {lo:g}, hi = {hi:g} ({end})"
        out, exc = run(T3, f"for {where}", largest_rho, holds, lo, hi, 1e-3, name="holds")
        if exc is None:
            raise AssertionError(f"{T3}: for {where} largest_rho returned {out!r}; raise "
                                 "ValueError when [lo, hi] does not bracket the threshold.")
        if not isinstance(exc, ValueError):
            raise AssertionError(f"{T3}: for {where} largest_rho raised {type(exc).__name__}: "
                                 f"{exc}; raise ValueError (an assert is skipped under python -O).")


def _condition_values(condition_holds: Callable[..., Any], cases: Iterable[tuple[float, int]]
                      ) -> list[bool]:
    got = []
    for rho, d in cases:
        value, exc = run(T3, f"condition_holds({rho:.4g}, d={d})", condition_holds, rho, d)
        if exc is not None:
            raise AssertionError(f"{T3}: condition_holds({rho:.4g}, d={d}) raised "
                                 f"{type(exc).__name__}: {exc}")
        if not isinstance(not_none(T3, "condition_holds", value), (bool, np.bool_)):
            raise AssertionError(f"{T3}: condition_holds must return a bool, got "
                                 f"{type(value).__name__} for rho = {rho:.4g}, d = {d}")
        got.append(bool(value))
    return got


def condition_verdicts(condition_holds: StudentFunction, env: dict[str, Any] | None = None,
                       cases: Sequence[tuple[float, int]] = HOLDS_CASES) -> None:
    """Part 3: condition_holds(rho, d) equals sslcore's sampled verdict. Graded with a correct
    ``ift_constants`` in the notebook (``env``), so a Task 2 mistake costs Task 2 points only."""
    defined(T3, "condition_holds", condition_holds)
    with using(env, ift_constants=ift_constants_reference):
        got = _condition_values(condition_holds, cases)
    want = [reference_condition_holds(r, d) for r, d in cases]
    if got == want:
        return
    wrong = [f"rho = {r:.4g}, d = {d}: yours {g}, expected {w}"
             for (r, d), g, w in zip(cases, got, want) if g != w]
    mistakes = {
        "the Lipschitz-bound verdict (IFTResult.holds); use the sampled one":
            [reference_condition_holds(r, d, verdict="holds") for r, d in cases],
        "the 2-D reduction for every d; for d >= 3 check all d coordinates":
            [reference_condition_holds(r, 2) for r, _ in cases],
        "the negated verdict": [not w for w in want],
    }
    text = next((f" It matches {k}." for k, v in mistakes.items() if v == got), "")
    raise AssertionError(f"{T3}: condition_holds differs from sslcore's sampled verdict at "
                         f"{len(wrong)} of {len(cases)} noise levels ({'; '.join(wrong)}).{text}")


def noise_threshold_fresh(condition_holds: StudentFunction, largest_rho: StudentFunction,
                          env: dict[str, Any] | None = None) -> None:
    """Hidden part: other thresholds, brackets and noise levels."""
    bisection_thresholds(largest_rho, ((0.3, 0.01, 3.0, 1e-4), (0.02, 0.019, 0.5, 1e-3)))
    bisection_bad_brackets(largest_rho, ((0.5, 0.6, 0.9),))
    condition_verdicts(condition_holds, env, ((0.04, 2), (0.06, 2), (0.01, 3), (0.015, 5)))


def check_noise_threshold(condition_holds: StudentFunction, largest_rho: StudentFunction,
                          verbose: bool = True, env: dict[str, Any] | None = None) -> None:
    bisection_thresholds(largest_rho)
    bisection_bad_brackets(largest_rho)
    condition_verdicts(condition_holds, env)
    noise_threshold_fresh(condition_holds, largest_rho, env)
    if verbose:
        verdict(f"Task 3: correct (bisection within rtol for {len(BISECTION_CASES)} thresholds, "
                f"ValueError for {len(BAD_BRACKETS)} bad brackets; the sampled verdict equals "
                f"sslcore's at {len(HOLDS_CASES)} (rho, d))")

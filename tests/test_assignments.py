"""The assignment checkers (sslcore.checkers) accept sslcore's own answers and name typical
mistakes; the master notebooks are complete and their hand-outs hold no solution text; every
code and output line fits the page. Grading with otter: tests/test_grading.py."""
import ast
import copy
import glob
import json
import os
import re

import numpy as np
import pytest
from answers import basin_map_using

from sslcore import analysis, dynamics, models, theory
from sslcore.checkers import a1, a2, a3

ROOT = os.path.join(os.path.dirname(__file__), "..")
ASSIGNMENTS = sorted(os.path.splitext(os.path.basename(p))[0] for p in
                     glob.glob(os.path.join(ROOT, "assignments", "masters", "*.ipynb")))
by_name = pytest.mark.parametrize("name", ASSIGNMENTS)


def _master(name):
    return os.path.join(ROOT, "assignments", "masters", name + ".ipynb")


def _handout(name):
    return os.path.join(ROOT, "assignments", name + ".ipynb")


def _source(cell):
    return "".join(cell["source"])


# ================================================================================= A1 checkers
def test_a1_checkers_accept_sslcore(capsys):
    a1.check_ssl_gradient(models.ssl_gradient)
    a1.check_sl_gradients(models.sl_gradients)
    a1.check_projection_length(lambda W, e: float(analysis.projection_length(W, e)))
    a1.tau_sweep_fresh(lambda taus, seeds, T: a1.reference_sweep(taus, seeds, T))
    out = capsys.readouterr().out
    for k in (1, 2, 3):
        assert f"Task {k}: correct (max" in out


def test_tau_sweep_checker_accepts_reference_and_rejects_near_init(capsys):
    taus, seeds, T = [0.5, 1.0, 7.0], (0, 1), 40
    results = a1.reference_sweep(taus, seeds, T)
    a1.check_tau_sweep(results, taus, seeds, T)
    assert "Task 4: correct" in capsys.readouterr().out
    from sslcore import SSLConfig, training
    bad = copy.deepcopy(results)
    bad[1.0]["ssl"] = training.train_ssl(SSLConfig(tau=1.0, init="near", seeds=seeds, T=T)).W_final
    with pytest.raises(AssertionError, match=r"results\[1.0\]\['ssl'\] differs .*init=\"sign\""):
        a1.check_tau_sweep(bad, taus, seeds, T)
    with pytest.raises(AssertionError, match="3 or 4 distinct"):
        a1.check_tau_sweep(results, [0.5, 1.0], seeds, T)
    with pytest.raises(AssertionError, match="keys 'ssl' and 'sl'"):
        a1.check_tau_sweep({t: {"ssl": v["ssl"]} for t, v in results.items()}, taus, seeds, T)
    with pytest.raises(AssertionError, match="tau_sweep returned None"):
        a1.check_tau_sweep(None, taus, seeds, T)


def _no_reg(W, x1, x2, alpha):
    return models.ssl_gradient(W, x1, x2, 0.0)


SSL_MISTAKES = [  # (wrong function, message, parts it fails: data term, weight decay, fresh)
    (_no_reg, "without the regularizer", (False, True, True)),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).T.copy(),
     r"shape \(\d+, 2\).*transposed", (True, True, True)),
    (lambda W, x1, x2, a: -models.ssl_gradient(W, x1, x2, a), "minus the gradient",
     (True, True, True)),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a / x1.shape[0]),
     "factor n is missing", (False, True, True)),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a) / x1.shape[0], "divided by n",
     (True, True, True)),
    (lambda W, x1, x2, a: a1.half_ssl(W, x1, x2) - 2 * a * x1.shape[0] * W, "first view",
     (True, True, True)),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).astype(np.float32), "dtype float32",
     (True, True, True)),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).tolist(), "NumPy array",
     (True, True, True)),
    (lambda W, x1, x2, a: None, r"returned None; write its body", (True, True, True)),
]


def assert_parts(parts, wrong, message, fails):
    """Each otter test case (part) of a task fails, naming the mistake, exactly where ``fails``
    says, and passes elsewhere."""
    for part, fail in zip(parts, fails):
        if fail:
            with pytest.raises(AssertionError, match=message):
                part(wrong)
        else:
            part(wrong)


@pytest.mark.parametrize("wrong, message, fails", SSL_MISTAKES)
def test_ssl_checker_parts_name_the_mistake(wrong, message, fails):
    """Each part fails exactly where the mistake shows, and says which mistake it is."""
    parts = (a1.ssl_gradient_data_term, a1.ssl_gradient_weight_decay, a1.ssl_gradient_fresh)
    assert_parts(parts, wrong, message, fails)


def test_ssl_checker_reports_the_size_of_the_error():
    def off(W, x1, x2, a):
        return models.ssl_gradient(W, x1, x2, a) * (1 + 1e-5)
    with pytest.raises(AssertionError, match=r"max relative error 1e-05 \(allowed 1e-08\)"):
        a1.check_ssl_gradient(off)


def test_checker_rejects_changing_inputs_in_place_and_undefined_functions():
    def in_place(W, x1, x2, a):
        g = models.ssl_gradient(W, x1, x2, a)
        x1 *= 0
        return g
    with pytest.raises(AssertionError, match="changed one of its inputs"):
        a1.check_ssl_gradient(in_place)
    with pytest.raises(AssertionError, match="ssl_gradient is not defined; run the cell"):
        a1.ssl_gradient_data_term(None)


def _sl(transform):
    def fn(W, F, x, y, beta, gamma):
        return transform(*models.sl_gradients(W, F, x, y, beta, gamma), W, F, x, y, beta, gamma)
    return fn


SL_MISTAKES = [  # (wrong, message, fails: gW part, gF part, fresh)
    (_sl(lambda gW, gF, W, F, x, y, b, g: (gW - 2 * b * len(x) * W, gF)),
     "gW .*without the regularizer", (True, False, True)),
    (_sl(lambda gW, gF, W, F, x, y, b, g: (gW, gF - 2 * g * len(x) * F)),
     "gF .*without the regularizer", (False, True, True)),
    (_sl(lambda gW, gF, *a: (gF, gW)), r"returned \(gF, gW\)", (True, True, True)),
    (_sl(lambda gW, gF, *a: (gW.T.copy(), gF)), "transposed", (True, True, True)),
    (_sl(lambda gW, gF, *a: [gW, gF]), "pair", (True, True, True)),
    (lambda W, F, x, y, b, g: models.sl_gradients(W, F, x, 1 - y, b, g), "flipped labels",
     (True, True, True)),
    (_sl(lambda gW, gF, W, F, x, *a: (gW / len(x), gF)), "gW .*divided by n",
     (True, False, True)),
    (_sl(lambda gW, gF, W, F, x, *a: (gW, gF / len(x))), "gF .*divided by n",
     (False, True, True)),
]


@pytest.mark.parametrize("wrong, message, fails", SL_MISTAKES)
def test_sl_checker_parts_name_the_mistake(wrong, message, fails):
    assert_parts((a1.sl_gradient_W, a1.sl_gradient_F, a1.sl_gradients_fresh), wrong, message, fails)


def _normal_equations(W, e):
    A = W.T
    return float(np.linalg.norm(A @ np.linalg.inv(A.T @ A) @ A.T @ e))


@pytest.mark.parametrize("wrong, message, fails", [
    (_normal_equations, "nearly parallel.*squares the condition number", (False, True, True)),
    (lambda W, e: float(analysis.projection_length(W, e)) ** 2, r"\|\|P e\|\|\^2",
     (True, True, True)),
    (lambda W, e: float(np.sqrt(1 - analysis.projection_length(W, e) ** 2)), "residual",
     (True, True, True)),
    (lambda W, e: np.atleast_1d(analysis.projection_length(W, e)), "one number",
     (True, True, True)),
    (lambda W, e: float(np.linalg.norm(W @ e)), "wrong for", (True, True, True)),
])
def test_projection_checker_parts_name_the_mistake(wrong, message, fails):
    parts = (a1.projection_well_conditioned, a1.projection_hard_cases, a1.projection_fresh)
    assert_parts(parts, wrong, message, fails)


def test_projection_cases_expected_values():
    cases = {name: (W, e, want) for name, W, e, want, _ in a1.projection_cases(3, "hard")}
    W, e, want = cases["nearly parallel w1, w2 (cond(A) ~ 1e7)"]
    A = W.T
    assert np.linalg.cond(A) > 1e6
    c, *_ = np.linalg.lstsq(A, e, rcond=None)
    assert abs(np.linalg.norm(A @ c) - want) < 1e-8
    assert abs(_normal_equations(W, e) - want) > 1e-4   # what the case is there to catch


# ================================================================================= A2 checkers
def _newton(f, jac, x0, tol=1e-12, max_iter=50, step=np.linalg.solve, fail="raise",
            error=RuntimeError, message="Newton's method did not converge", forever=False):
    """Newton's method with knobs for the mistakes the A2 checker should name."""
    x = np.array(x0, dtype=np.float64)
    k = 0
    while forever or k < max_iter:
        s = step(np.asarray(jac(x)), np.asarray(f(x)))
        x = x - s
        k += 1
        if np.max(np.abs(s)) <= tol * max(1.0, np.max(np.abs(x))):
            return x
    if fail == "return":
        return x
    raise error(message)


def _newton_in_place(f, jac, x0, tol=1e-12, max_iter=50):
    x = x0                                      # no copy: x -= step changes the caller's x0
    for _ in range(max_iter):
        s = np.linalg.solve(jac(x), f(x))
        x -= s
        if np.max(np.abs(s)) <= tol * max(1.0, np.max(np.abs(x))):
            return x
    raise RuntimeError("did not converge")


def _bisection(holds, lo, hi, rtol=1e-3, ret="lo", swap=False, iters=None, check=True):
    """Bisection in log(rho) with knobs for the mistakes the A2 checker should name."""
    if check and (not holds(lo) or holds(hi)):
        raise ValueError(f"[{lo}, {hi}] does not bracket the threshold")
    k = 0
    while hi / lo > 1 + rtol and (iters is None or k < iters):
        mid = np.sqrt(lo * hi)
        if holds(mid) != swap:
            lo = mid
        else:
            hi = mid
        k += 1
    return {"lo": lo, "hi": hi}[ret]


def test_a2_checkers_accept_sslcore(capsys):
    a2.check_newton(theory.newton_critical_point)
    a2.check_ift_constants(a2.ift_constants_reference)
    a2.check_noise_threshold(a2.reference_condition_holds, _bisection)
    out = capsys.readouterr().out
    for k in (1, 2, 3):
        assert f"Task {k}: correct (" in out


@pytest.mark.parametrize("wrong, message", [
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: -np.linalg.solve(J, F)), "wrong sign"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: J @ F), "J instead of its inverse"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: np.linalg.solve(J.T, F)),
     "transposed Jacobian"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: F), "gradient step"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: F / np.diag(J)), "coordinate-wise"),
    (lambda *a, **k: _newton(*a, **k, fail="return"), "returning the last iterate silently"),
    (lambda *a, **k: _newton(*a, **k, forever=True), r"called f more than 210 times"),
    (lambda *a, **k: _newton(*a, **k, error=ValueError), "raised ValueError.*raise RuntimeError"),
    (lambda *a, **k: _newton(*a, **k, message="max_iter reached"), "say in the message"),
    (lambda f, jac, x0, tol=1e-12, max_iter=50: _newton(f, jac, x0, tol, 1),
     "raised RuntimeError"),
    (lambda f, jac, x0, tol=1e-12, max_iter=50: _newton(f, jac, x0, 1e-2, max_iter),
     "Stop only when"),
    (lambda *a, **k: _newton(*a, **k).tolist(), "NumPy array"),
    (lambda *a, **k: _newton(*a, **k).astype(np.float32), "dtype float32"),
    (_newton_in_place, "changed one of its inputs"),
])
def test_newton_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        a2.check_newton(wrong)


def test_newton_parts_give_partial_credit():
    """A silent return instead of RuntimeError fails the no-convergence part only."""
    wrong = lambda *a, **k: _newton(*a, **k, fail="return")
    a2.newton_linear(wrong)
    a2.newton_critical_points(wrong)
    with pytest.raises(AssertionError, match="returning the last iterate silently"):
        a2.newton_no_convergence(wrong)
    with pytest.raises(AssertionError, match="returning the last iterate silently"):
        a2.newton_fresh(wrong)


def _ift(ainv=lambda A: np.linalg.norm(np.linalg.inv(A), 2), pert=lambda f0: np.linalg.norm(f0),
         radius=lambda nA, p: 2 * nA * p, allowed=lambda nA: 1 / (2 * nA), vnorm=2, at=lambda r: r,
         reduce=max, subtract=True, holds=lambda v, a: v <= a, out=None):
    """Task 2 with knobs: each default is right, each knob one of the named mistakes."""
    def fn(f, jac, x0, directions):
        A = np.asarray(jac(x0))
        nA, p = float(ainv(A)), float(pert(np.asarray(f(x0))))
        r, al = float(radius(nA, p)), float(allowed(nA))
        v = float(reduce([np.linalg.norm(jac(x0 + at(r) * u) - (A if subtract else 0), vnorm)
                          for u in directions]))
        d = {"norm_Ainv": nA, "perturbation": p, "radius": r, "allowed_variation": al,
             "jacobian_variation": v, "holds_sampled": bool(holds(v, al))}
        return out(d) if out else d
    return fn


@pytest.mark.parametrize("wrong, message", [
    (_ift(ainv=lambda A: np.linalg.norm(np.linalg.inv(A))), r"norm_Ainv .*Frobenius norm"),
    (_ift(ainv=lambda A: np.linalg.norm(A, 2)), r"norm of A instead of its inverse"),
    (_ift(ainv=lambda A: 1 / np.abs(np.linalg.eigvals(A)).min()), r"only for symmetric A"),
    (_ift(ainv=lambda A: np.linalg.norm(np.linalg.inv(A), 1)), r"induced 1-norm"),
    (_ift(pert=lambda f0: np.linalg.norm(f0) ** 2), r"perturbation .*square of the norm"),
    (_ift(pert=lambda f0: np.abs(f0).max()), r"max-norm; use the Euclidean"),
    (_ift(radius=lambda nA, p: nA * p), r"radius .*factor 2 is missing"),
    (_ift(radius=lambda nA, p: p / (2 * nA)), r"image ball"),
    (_ift(allowed=lambda nA: 1 / nA), r"allowed_variation .*factor 1/2 is missing"),
    (_ift(allowed=lambda nA: nA / 2), r"reciprocal is missing"),
    (_ift(vnorm="fro"), r"jacobian_variation .*Frobenius norm \|\|Df\(x\) - A\|\|_F"),
    (_ift(at=lambda r: 1.0), r"unit sphere"),
    (_ift(at=lambda r: r / 2), r"distance r/2"),
    (_ift(reduce=np.mean), r"mean over the directions"),
    (_ift(subtract=False), r"without subtracting A"),
    (_ift(holds=lambda v, a: v > a), r"holds_sampled is .*expected"),
    (_ift(out=lambda d: tuple(d.values())), r"return a dict"),
    (_ift(out=lambda d: {k: v for k, v in d.items() if k != "radius"}),
     r"lacks the keys \['radius'\]"),
    (_ift(out=lambda d: {**d, "radius": np.array([d["radius"]])}),
     r"radius must be a finite float"),
    (_ift(out=lambda d: {**d, "holds_sampled": int(d["holds_sampled"])}), r"must be a bool"),
])
def test_ift_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        a2.check_ift_constants(wrong)


def test_ift_cases_agree_with_sslcore_and_the_known_constants():
    cases = a2.ift_cases()
    assert [c[5]["holds_sampled"] for c in cases] == [True, False, True, False, True, False]
    for name, f, jac, x0, dirs, want in cases:
        assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0), name
        ref = a2.ift_constants_reference(f, jac, x0, dirs)
        assert ref["holds_sampled"] == want["holds_sampled"], name
        for key in a2.IFT_KEYS[:-1]:
            assert abs(ref[key] / want[key] - 1) < 1e-12, (name, key)
    # the made-up map: A = [[2, 1], [0, 1]] is not symmetric, and Df(x) - A = 2 v (x - x0)^T
    f, jac, x0, dirs, known = a2.made_up_map(0.1)
    A = jac(x0)
    assert abs(known["norm_Ainv"] - np.sqrt(2) * (np.sqrt(5) + 1) / 4) < 1e-14
    assert abs(1 / np.abs(np.linalg.eigvals(A)).min() - known["norm_Ainv"]) > 0.1  # caught
    x, u = x0 + 0.01 * dirs[3], dirs[4]
    assert abs(np.linalg.norm(jac(x) - A, 2) - 2 * 0.1 * 0.01) < 1e-15
    h = 1e-5                                              # jac is the Jacobian of f
    assert np.allclose((f(x + h * u) - f(x - h * u)) / (2 * h), jac(x) @ u, rtol=0, atol=1e-10)
    # the hidden 3-D case: its known constants are those of sslcore too
    f, jac, x0, dirs, known = a2.made_up_map(0.3, ((1.5, 0.4, 0.0), (0.0, 2.0, 0.7),
                                                   (0.3, 0.0, 1.0)), (0.1, 0.2, -0.1),
                                             (0.002, 0.001, -0.003), seed=9)
    ref = a2.ift_constants_reference(f, jac, x0, dirs)
    assert all(abs(ref[k] / known[k] - 1) < 1e-10 for k in a2.IFT_KEYS[:-1])


def _bisection_assert(holds, lo, hi, rtol=1e-3):
    assert holds(lo) and not holds(hi)
    return _bisection(holds, lo, hi, rtol)


@pytest.mark.parametrize("wrong, message", [
    (lambda *a: _bisection(*a, ret="hi"), r"holds\(result\) is False"),
    (lambda *a: _bisection(*a, swap=True), r"end (lo|hi) of the bracket"),
    (lambda *a: _bisection(*a, iters=2), "more than rtol below"),
    (lambda *a: _bisection(*a, check=False), "raise ValueError when"),
    (_bisection_assert, r"(?s)raised AssertionError.*raise ValueError"),
    (lambda *a: np.array([_bisection(*a)]), "finite float"),
    (lambda holds, lo, hi, rtol=1e-3: _bisection(holds, lo, hi, 0.0),
     "called holds more than 1000 times"),
])
def test_noise_threshold_checker_rejects_bisection(wrong, message):
    with pytest.raises(AssertionError, match=message):
        a2.check_noise_threshold(a2.reference_condition_holds, wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda rho, d=2: a2.reference_condition_holds(rho, d, verdict="holds"),
     "Lipschitz-bound verdict"),
    (lambda rho, d=2: a2.reference_condition_holds(rho, 2), "2-D reduction for every d"),
    (lambda rho, d=2: not a2.reference_condition_holds(rho, d), "negated verdict"),
    (lambda rho, d=2: float(a2.reference_condition_holds(rho, d)), "must return a bool"),
])
def test_noise_threshold_checker_rejects_condition(wrong, message):
    with pytest.raises(AssertionError, match=message):
        a2.check_noise_threshold(wrong, _bisection)


def test_condition_is_graded_with_a_correct_ift_constants():
    """Task 3's verdicts run with the reference ift_constants bound in the notebook namespace
    (``env``), so a Task 2 mistake does not cost Task 3 points; the namespace is restored."""
    env = {}
    wrong = _ift(ainv=lambda A: np.linalg.norm(np.linalg.inv(A)))       # Frobenius norm

    def condition_holds(rho, d=2):
        x0 = theory.simplified_optimum(7.0, 1 / 800, d=d)[0]
        pop = theory.Objective.population(7.0, rho, 1 / 800, d=d)
        dirs = a2.sphere_directions(pop.hessian(x0), 20, 0)
        return env["ift_constants"](pop.gradient, pop.hessian, x0, dirs)["holds_sampled"]
    env["ift_constants"] = wrong
    with pytest.raises(AssertionError):                       # graded with the student's own
        a2.condition_verdicts(condition_holds, env=None)
    a2.condition_verdicts(condition_holds, env=env)         # graded with the reference
    assert env["ift_constants"] is wrong


def test_reference_condition_matches_the_chapter_functions():
    from sslcore import ift_studies
    for rho in (0.03, 0.045, 0.055):
        res = ift_studies.population_ift(7.0, rho, 1 / 800, "2d", n_samples=20, seed=0,
                                         find_root=False)
        assert a2.reference_condition_holds(rho) == res.holds_sampled
        full = ift_studies.population_ift(7.0, rho, 1 / 800, "full", n_samples=20, seed=0,
                                 find_root=False)
        assert a2.reference_condition_holds(rho, 3) == full.holds_sampled
    # the threshold the A2 notebook quotes: the sampled 2-D condition holds up to rho ~ 0.0506
    rho_star = _bisection(a2.reference_condition_holds, 0.01, 0.2)
    assert 0.0505 < rho_star < 0.0508 and 7.2 < rho_star ** (-2 / 3) < 7.4


# ================================================================================= A3 checkers
def _fit_rate(steps, dist, start=None, stop=None):
    return dynamics.fit_rate(steps, dist, start, stop).contraction


def _basin(a0, b0, p=None, partner=(-3.5, 1.25), T=4000, lr=0.1, tau=7.0, alpha=1 / 800):
    return dynamics.basin_grid(a0, b0, partner, T, lr, tau, alpha, p).labels


def test_a3_reference_step_is_sslcore_ascent():
    W = np.random.default_rng(0).normal(size=(3, 2, 5))
    p = np.array(a3.SEED4_P)
    want = dynamics.ascent(W, 1, 0.3, 5.0, 0.01, p, record_every=1)[1][..., -1, :, :]
    assert np.allclose(a3.reference_step(W, 0.3, 5.0, 0.01, p), want, rtol=1e-14, atol=0)


def test_a3_seed4_proportions_are_those_of_reference_seed_4():
    from sslcore import SSLConfig
    from sslcore.training import train_ssl
    run = train_ssl(SSLConfig(init="sign", rng="reference", seeds=(4,), T=1, record_every=1))
    assert np.allclose(dynamics.empirical_proportions(run.data.c[0]), a3.SEED4_P, atol=1e-12)


def test_a3_checkers_accept_sslcore(capsys):
    a3.check_ascent_step(a3.reference_step)
    a3.check_contraction_rate(_fit_rate)
    a3.check_rate_prediction(a3.reference_prediction, a3.reference_steps)
    a3.check_basin_map(_basin)
    out = capsys.readouterr().out
    for k in (1, 2, 3, 4):
        assert f"Task {k}: correct (" in out


def _step(transform):
    def fn(W, lr=0.1, tau=7.0, alpha=1 / 800, p=None):
        return transform(W, lr, tau, alpha, p)
    return fn


D = a3.data_gradient
STEP_MISTAKES = [  # (wrong, message, fails: equal weights, proportions, fresh)
    (_step(lambda W, lr, t, a, p: 2 * W - a3.reference_step(W, lr, t, a, p)), "descent step",
     (True, True, True)),
    (_step(lambda W, lr, t, a, p: W + lr * (D(W, t, p) / 2 - 2 * a * W)), "without its factor 2",
     (True, True, True)),
    (_step(lambda W, lr, t, a, p: W + lr * (D(W, t, p) - a * W)), "weight decay's factor 2",
     (True, True, True)),
    (_step(lambda W, lr, t, a, p: W + lr * D(W, t, p)), "without the weight decay",
     (True, True, True)),
    (_step(lambda W, lr, t, a, p: W + lr * D(W, t, p) - 2 * a * W), "lr applied to the data",
     (True, True, True)),
    (_step(lambda W, lr, t, a, p: a3.reference_step(W, lr, t, a)), "equal cluster weights",
     (False, True, True)),
    (_step(lambda W, lr, t, a, p: a3.reference_step(W, lr, t, a, p).astype(np.float32)),
     "dtype float32", (True, True, True)),
    (_step(lambda W, lr, t, a, p: W.T @ np.ones((2, 2)) if W.ndim > 2 else
           a3.reference_step(W, lr, t, a, p)), "leading axes", (True, True, True)),
]


@pytest.mark.parametrize("wrong, message, fails", STEP_MISTAKES)
def test_step_checker_parts_name_the_mistake(wrong, message, fails):
    parts = (a3.ascent_step_equal_weights, a3.ascent_step_proportions, a3.ascent_step_fresh)
    assert_parts(parts, wrong, message, fails)


def test_step_checker_rejects_changing_w_in_place():
    def in_place(W, lr=0.1, tau=7.0, alpha=1 / 800, p=None):
        W += lr * (D(W, tau, p) - 2 * alpha * W)
        return W
    with pytest.raises(AssertionError, match="changed one of its inputs"):
        a3.ascent_step_equal_weights(in_place)


def _window(s, a, b):
    return (s >= (-np.inf if a is None else a)) & (s <= (np.inf if b is None else b))


def _ends(s, d, a=None, b=None):
    k = _window(s, a, b)
    t, dd = s[k], d[..., k]
    return (dd[..., -1] / dd[..., 0]) ** (1 / (t[-1] - t[0]))


def _index_fit(s, d, a=None, b=None):
    k = _window(s, a, b)
    idx = np.arange(len(s), dtype=float)[k]
    t = idx - idx.mean()
    return np.exp((np.log(d[..., k]) * t).sum(-1) / (t ** 2).sum())


RATE_MISTAKES = [  # (wrong, message, fails: exact, window, rows and errors, fresh)
    (lambda s, d, a=None, b=None: np.log(_fit_rate(s, d, a, b)), "the slope log q",
     (True, True, True, True)),
    (lambda s, d, a=None, b=None: np.exp(np.log(_fit_rate(s, d, a, b)) / np.log(10)), "log10",
     (True, True, True, True)),
    (_index_fit, "record index", (True, True, True, True)),
    (lambda s, d, a=None, b=None: 1 / _fit_rate(s, d, a, b), "inverse factor",
     (True, True, True, True)),
    (lambda s, d, a=None, b=None: _fit_rate(s, d), "fit over all records",
     (False, True, True, True)),
    (_ends, "two end points", (False, True, True, True)),
    (lambda s, d, a=None, b=None: np.float64(np.mean(_fit_rate(s, d, a, b))), "NumPy array",
     (False, False, True, True)),
]


@pytest.mark.parametrize("wrong, message, fails", RATE_MISTAKES)
def test_rate_checker_parts_name_the_mistake(wrong, message, fails):
    parts = (a3.rate_exact, a3.rate_window, a3.rate_rows_and_errors, a3.rate_fresh)
    assert_parts(parts, wrong, message, fails)


def test_rate_checker_wants_value_errors():
    def no_checks(s, d, a=None, b=None):
        k = _window(s, a, b)
        t = s[k] - s[k].mean()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.exp((np.log(d[..., k]) * t).sum(-1) / (t ** 2).sum())
    a3.rate_exact(no_checks)
    with pytest.raises(AssertionError, match="raise ValueError"):
        a3.rate_rows_and_errors(no_checks)


def _eig(H):
    return np.linalg.eigvalsh(H)


PREDICTION_MISTAKES = [  # (wrong, message, fails: small steps, large steps)
    (lambda H, lr: float(np.max(np.abs(1 - lr * _eig(H)))), r"max \|1 - lr lambda\|",
     (True, True)),
    (lambda H, lr: float(np.min(np.abs(1 + lr * _eig(H)))),
     "smallest factor|eigenvalue closest to 0", (True, True)),
    (lambda H, lr: float(np.max(np.abs(1 + lr * np.diag(H)))), "diagonal of H", (True, True)),
    (lambda H, lr: float(1 - lr * np.min(np.abs(_eig(H)))), "eigenvalue closest to 0",
     (False, True)),
    (lambda H, lr: float(np.max(1 + lr * _eig(H))), "without the absolute value",
     (False, True)),
    (lambda H, lr: np.abs(1 + lr * _eig(H)), "one number", (True, True)),
]


@pytest.mark.parametrize("wrong, message, fails", PREDICTION_MISTAKES)
def test_prediction_checker_parts_name_the_mistake(wrong, message, fails):
    assert_parts((a3.prediction_small_steps, a3.prediction_large_steps), wrong, message, fails)
    with pytest.raises(AssertionError):
        a3.rate_prediction_fresh(wrong, a3.reference_steps)


def _steps(fn):
    def steps(d0, tol, q):
        if not 0 < q < 1:
            raise ValueError("no contraction")
        return fn(np.log(tol / d0) / np.log(q))
    return steps


@pytest.mark.parametrize("wrong, message", [
    (_steps(lambda x: int(np.floor(x))), "floor instead of ceil"),
    (_steps(lambda x: int(np.ceil(x)) + 1), "one step more"),
    (_steps(lambda x: int(np.ceil(x))), "A negative count"),
    (_steps(lambda x: float(max(np.ceil(x), 0))), "must return an int"),
    (lambda d0, tol, q: max(int(np.ceil(np.log(tol / d0) / np.log(q))), 0) if q != 1 else 0,
     "raise ValueError"),
])
def test_steps_needed_checker_names_the_mistake(wrong, message):
    with pytest.raises(AssertionError, match=message):
        a3.steps_needed_values(wrong)


MAP_MISTAKES = [  # (wrong, message, fails: equal weights, proportions, fresh)
    (lambda *a, **k: _basin(*a, **k).T.copy(), "transposed", (True, True, True)),
    (lambda a0, b0, p=None, **k: _basin(a0, b0, None, **k), "equal cluster weights",
     (False, True, True)),
    (lambda a0, b0, p=None, partner=None, **k: _basin(a0, b0, p, (0.0, 0.0), **k),
     "neuron 2 starting at the origin", (True, False, False)),   # p tilts it to -a* too
    (lambda *a, **k: None, "basin_map returned None", (True, True, True)),
]


@pytest.mark.parametrize("wrong, message, fails", MAP_MISTAKES)
def test_map_checker_parts_name_the_mistake(wrong, message, fails):
    assert_parts((a3.map_equal_weights, a3.map_proportions, a3.map_fresh), wrong, message, fails)


def test_map_is_graded_with_a_correct_ascent_step():
    """The map runs with the reference step bound in the notebook namespace, whatever the
    student's Task 1 does; the namespace is restored afterwards."""
    def descent(W, lr=0.1, tau=7.0, alpha=1 / 800, p=None):
        return 2 * W - a3.reference_step(W, lr, tau, alpha, p)
    env = {"ascent_step": descent}

    basin_map = basin_map_using(env)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(AssertionError, match="differs from sslcore's"):
            a3.map_equal_weights(basin_map, env=None)
    a3.map_equal_weights(basin_map, env=env)
    a3.map_proportions(basin_map, env=env)
    assert env["ascent_step"] is descent


# ================================================================================= notebooks
def _function_lengths(path):
    tree = ast.parse(open(path).read())
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_checker_and_tool_functions_are_short():
    paths = glob.glob(os.path.join(ROOT, "sslcore", "checkers", "*.py")) + \
        [os.path.join(ROOT, "sslcore", "assignments.py")]
    long = [f"{os.path.basename(p)}: {name} has {n} lines" for p in paths
            for name, n in _function_lengths(p) if n >= 50]
    assert not long, long


def test_the_assignments_are_found():
    assert ASSIGNMENTS == ["A1_gradients_and_features", "A2_ift_constants", "A3_ascent_rate"]


def _blocks(nb):
    """[(kind, config text, cells)] for the raw-cell blocks of an otter master notebook."""
    out, stack = [], []
    for c in nb["cells"]:
        src = _source(c)
        if c["cell_type"] == "raw":
            m = re.match(r"# (BEGIN|END) (QUESTION|SOLUTION|TESTS)", src)
            if m and m.group(1) == "BEGIN":
                stack.append((m.group(2), src, []))
            elif m:
                kind, conf, cells = stack.pop()
                assert kind == m.group(2), f"{m.group(0)} closes a {kind} block"
                out.append((kind, conf, cells))
            continue
        for _, _, cells in stack:
            cells.append(c)
    assert not stack, "unclosed block"
    return out


@by_name
def test_master_notebook_is_complete(name):
    """A config cell with PDFs off; per task a question with a solution, public and hidden tests;
    a written question; executed without errors; cells of at most 30 lines."""
    nb = json.load(open(_master(name)))
    config = _source(nb["cells"][0])
    assert config.startswith("# ASSIGNMENT CONFIG") and f"name: {name}" in config
    for line in ("solutions_pdf: false", "pdf: false", "ok_format: false", "init_cell: false"):
        assert line in config, line
    blocks = _blocks(nb)
    questions = [(conf, cells) for kind, conf, cells in blocks if kind == "QUESTION"]
    auto = [q for q in questions if "manual: true" not in q[0]]
    assert len(auto) >= 3 and len(questions) == len(auto) + 1
    for conf, cells in auto:
        tests = [_source(c) for c in cells if "# BEGIN TEST CONFIG" in _source(c)]
        assert any("hidden: true" in t for t in tests), conf
        assert sum("hidden: true" not in t for t in tests) >= 2, conf   # partial credit
        assert any("# BEGIN SOLUTION" in _source(c) for c in cells), conf
    text = "\n".join(_source(c) for c in nb["cells"])
    for part in ("**Learning objectives.**", "**How to work.**", "**On the website**",
                 "## Summary", "Instructor's answer", f'otter.Notebook("{name}.ipynb")'):
        assert part in text, part
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("nbval-check-output" in c["metadata"].get("tags", []) for c in code)
    assert all(c["execution_count"] is not None for c in code)
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    assert all(len(_source(c).splitlines()) <= 30 for c in code)


def _solution_lines(nb):
    """The lines a student must not see: code between # BEGIN/END SOLUTION, and the text of the
    markdown answers (solution blocks of the master)."""
    lines = set()
    for kind, _, cells in _blocks(nb):
        if kind != "SOLUTION":
            continue
        for c in cells:
            src = _source(c)
            if c["cell_type"] == "markdown":
                lines |= {ln.strip() for ln in src.splitlines() if len(ln.strip()) > 20}
            for block in re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", src, re.S):
                lines |= {ln.strip() for ln in block.splitlines()
                          if len(ln.strip()) > 12 and not ln.strip().startswith("#")}
    return lines


@by_name
def test_handout_holds_no_solution_text_and_no_hidden_test(name):
    master, handout = json.load(open(_master(name))), json.load(open(_handout(name)))
    secret = _solution_lines(master)
    assert len(secret) > 10
    shown = {ln.strip() for c in handout["cells"] for ln in _source(c).splitlines()}
    assert not secret & shown, sorted(secret & shown)[:5]
    text = json.dumps(handout)
    for word in ("BEGIN SOLUTION", "Instructor's answer", "hidden=True", "_fresh("):
        assert word not in text, word
    tests = handout["metadata"]["otter"]["tests"]
    assert sorted(tests) == sorted(f"task{k}" for k in range(1, len(tests) + 1))
    assert all(c["outputs"] == [] for c in handout["cells"] if c["cell_type"] == "code")
    assert not any("execution" in c["metadata"] for c in handout["cells"])   # no timings
    checks = [_source(c) for c in handout["cells"]
              if c["cell_type"] == "code" and _source(c).startswith("grader.check(")]
    assert checks == [f'grader.check("task{k}")' for k in range(1, len(tests) + 1)]


WIDTH = 79   # the book's pages cut a longer line of a code cell or of its output


@by_name
def test_code_and_output_lines_fit_the_page(name):
    long = []
    for path in (_master(name), _handout(name)):
        nb = json.load(open(path))
        for i, c in enumerate(nb["cells"]):
            if c["cell_type"] != "code":
                continue
            outputs = "".join("".join(o.get("text", "")) for o in c["outputs"])
            for kind, text in (("code", _source(c)), ("output", outputs)):
                long += [f"{os.path.relpath(path, ROOT)}, cell {i}, {kind}: {len(line)} characters"
                         for line in text.splitlines() if len(line) > WIDTH]
    assert not long, "\n".join(long)


def _myst_problems(text):
    """Lines that MyST would misread: a $$ block without a blank line around it, and a line
    inside a formula that starts like a list item ("+ ", "- ", "1. ")."""
    bad, lines, display, inline = [], text.splitlines(), False, False
    for j, line in enumerate(lines):
        s = line.strip()
        if s == "$$":
            k = j + 1 if display else j - 1
            if 0 <= k < len(lines) and lines[k].strip():
                bad.append(f"no blank line {'after' if display else 'before'} the $$ of line {j}")
            display = not display
            continue
        if (display or inline) and re.match(r"([+-]|\d+\.) ", s):
            bad.append(f"a formula line starts like a list item: {line!r}")
        inline = False if not s else inline ^ (s.replace("$$", "").count("$") % 2 == 1)
    return bad


def test_myst_check_catches_its_defects():
    assert _myst_problems("text\n\n$$\nx\n$$\n\nmore") == []
    assert len(_myst_problems("text\n$$\nx\n$$\nmore")) == 2
    assert _myst_problems("a formula $a\n+ b$ here") != []
    assert _myst_problems("- a list item with $x$\n- another") == []


@by_name
def test_handout_markdown_reads_as_myst(name):
    bad = [f"cell {i}: {p}" for i, c in enumerate(json.load(open(_handout(name)))["cells"])
           if c["cell_type"] == "markdown" for p in _myst_problems(_source(c))]
    assert not bad, bad

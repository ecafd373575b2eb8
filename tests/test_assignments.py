"""The assignment checkers (sslcore.assignments) and the student-notebook generator
(scripts/make_student.py): checkers accept sslcore's own answers and reject typical mistakes;
the generator stubs solutions and tags the cells that raise; the committed pair is in sync."""
import copy
import glob
import importlib.util
import json
import os
import re

import numpy as np
import pytest

from sslcore import analysis, assignments, ift, models, theory

ROOT = os.path.join(os.path.dirname(__file__), "..")
spec = importlib.util.spec_from_file_location("make_student", os.path.join(ROOT, "scripts", "make_student.py"))
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)

# every assignment: the instructor notebook (the source) and the generated student notebook
ASSIGNMENTS = sorted(os.path.basename(p) for p in
                     glob.glob(os.path.join(ROOT, "assignments", "solutions", "*.ipynb")))
by_name = pytest.mark.parametrize("name", ASSIGNMENTS)


def _instructor(name):
    return os.path.join(ROOT, "assignments", "solutions", name)


def _student(name):
    return os.path.join(ROOT, "assignments", name)


def _source(cell):
    return "".join(cell["source"])


# ------------------------------------------------------------------------------- checkers
def test_checkers_accept_sslcore(capsys):
    assignments.check_ssl_gradient(models.ssl_gradient)
    assignments.check_sl_gradients(models.sl_gradients)
    assignments.check_projection_length(lambda W, e: float(analysis.projection_length(W, e)))
    out = capsys.readouterr().out
    for k in (1, 2, 3):
        assert f"Task {k}: correct (max" in out


def test_tau_sweep_checker_accepts_reference_and_rejects_near_init(capsys):
    taus, seeds, T = [0.5, 1.0, 7.0], (0, 1), 40
    results = assignments.reference_sweep(taus, seeds, T)
    assignments.check_tau_sweep(results, taus, seeds, T)
    assert "Task 4: correct" in capsys.readouterr().out
    from sslcore import SSLConfig, training
    bad = copy.deepcopy(results)
    bad[1.0]["ssl"] = training.train_ssl(SSLConfig(tau=1.0, init="near", seeds=seeds, T=T)).W_final
    with pytest.raises(AssertionError, match=r"results\[1.0\]\['ssl'\] differs .*init=\"sign\""):
        assignments.check_tau_sweep(bad, taus, seeds, T)
    with pytest.raises(AssertionError, match="3 or 4 distinct"):
        assignments.check_tau_sweep(results, [0.5, 1.0], seeds, T)
    with pytest.raises(AssertionError, match="keys 'ssl' and 'sl'"):
        assignments.check_tau_sweep({t: {"ssl": v["ssl"]} for t, v in results.items()}, taus, seeds, T)


def _no_reg(W, x1, x2, alpha):
    return models.ssl_gradient(W, x1, x2, 0.0)


@pytest.mark.parametrize("wrong, message", [
    (_no_reg, "without the regularizer"),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).T.copy(), r"shape \(\d+, 2\).*transposed"),
    (lambda W, x1, x2, a: -models.ssl_gradient(W, x1, x2, a), "minus the gradient"),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a / x1.shape[0]), "factor n is missing"),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a) / x1.shape[0], "divided by n"),
    (lambda W, x1, x2, a: assignments._half_ssl(W, x1, x2) - 2 * a * x1.shape[0] * W, "first view"),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).astype(np.float32), "dtype float32"),
    (lambda W, x1, x2, a: models.ssl_gradient(W, x1, x2, a).tolist(), "NumPy array"),
])
def test_ssl_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_ssl_gradient(wrong)


def test_ssl_checker_reports_the_size_of_the_error():
    def off(W, x1, x2, a):
        return models.ssl_gradient(W, x1, x2, a) * (1 + 1e-5)
    with pytest.raises(AssertionError, match=r"max relative error 1e-05 \(allowed 1e-08\)"):
        assignments.check_ssl_gradient(off)


def test_checker_rejects_changing_inputs_in_place():
    def in_place(W, x1, x2, a):
        g = models.ssl_gradient(W, x1, x2, a)
        x1 *= 0
        return g
    with pytest.raises(AssertionError, match="changed one of its inputs"):
        assignments.check_ssl_gradient(in_place)


def _sl(transform):
    def fn(W, F, x, y, beta, gamma):
        return transform(*models.sl_gradients(W, F, x, y, beta, gamma), W, F, x, y, beta, gamma)
    return fn


@pytest.mark.parametrize("wrong, message", [
    (_sl(lambda gW, gF, W, F, x, y, b, g: (gW - 2 * b * len(x) * W, gF)), "gW .*without the regularizer"),
    (_sl(lambda gW, gF, W, F, x, y, b, g: (gW, gF - 2 * g * len(x) * F)), "gF .*without the regularizer"),
    (_sl(lambda gW, gF, *a: (gF, gW)), r"returned \(gF, gW\)"),
    (_sl(lambda gW, gF, *a: (gW.T.copy(), gF)), "transposed"),
    (_sl(lambda gW, gF, *a: [gW, gF]), "pair"),
    (lambda W, F, x, y, b, g: models.sl_gradients(W, F, x, 1 - y, b, g), "flipped labels"),
    (_sl(lambda gW, gF, W, F, x, *a: (gW / len(x), gF)), "gW .*divided by n"),
    (_sl(lambda gW, gF, W, F, x, *a: (gW, gF / len(x))), "gF .*divided by n"),
])
def test_sl_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_sl_gradients(wrong)


def _normal_equations(W, e):
    A = W.T
    return float(np.linalg.norm(A @ np.linalg.inv(A.T @ A) @ A.T @ e))


@pytest.mark.parametrize("wrong, message", [
    (_normal_equations, "nearly parallel.*squares the condition number"),
    (lambda W, e: float(analysis.projection_length(W, e)) ** 2, r"\|\|P e\|\|\^2"),
    (lambda W, e: float(np.sqrt(1 - analysis.projection_length(W, e) ** 2)), "residual"),
    (lambda W, e: np.atleast_1d(analysis.projection_length(W, e)), "one number"),
    (lambda W, e: float(np.linalg.norm(W @ e)), "wrong for"),
])
def test_projection_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_projection_length(wrong)


def test_projection_cases_expected_values():
    cases = {name: (W, e, want) for name, W, e, want, _ in assignments.projection_cases()}
    W, e, want = cases["nearly parallel w1, w2 (cond(A) ~ 1e7)"]
    A = W.T
    assert np.linalg.cond(A) > 1e6
    c, *_ = np.linalg.lstsq(A, e, rcond=None)
    assert abs(np.linalg.norm(A @ c) - want) < 1e-8
    assert abs(_normal_equations(W, e) - want) > 1e-4   # what the case is there to catch


# ------------------------------------------------------------------------------- A2 checkers
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


def test_a2_checkers_let_a_stub_raise():
    def stub(*args, **kwargs):
        raise NotImplementedError("Task k: write the body of stub")
    for check, args in ((assignments.check_newton, (stub,)), (assignments.check_ift_constants, (stub,)),
                        (assignments.check_noise_threshold, (stub, _bisection)),
                        (assignments.check_noise_threshold, (assignments.reference_condition_holds, stub))):
        with pytest.raises(NotImplementedError, match="Task k"):
            check(*args)


def test_a2_checkers_accept_sslcore(capsys):
    assignments.check_newton(theory.newton_critical_point)
    assignments.check_ift_constants(assignments.ift_constants_reference)
    assignments.check_noise_threshold(assignments.reference_condition_holds, _bisection)
    out = capsys.readouterr().out
    for k in (1, 2, 3):
        assert f"Task {k}: correct (" in out


@pytest.mark.parametrize("wrong, message", [
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: -np.linalg.solve(J, F)), "wrong sign"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: J @ F), "J instead of its inverse"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: np.linalg.solve(J.T, F)), "transposed Jacobian"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: F), "gradient step"),
    (lambda *a, **k: _newton(*a, **k, step=lambda J, F: F / np.diag(J)), "coordinate-wise"),
    (lambda *a, **k: _newton(*a, **k, fail="return"), "returning the last iterate silently"),
    (lambda *a, **k: _newton(*a, **k, forever=True), r"called f more than 210 times"),
    (lambda *a, **k: _newton(*a, **k, error=ValueError), "raised ValueError.*raise RuntimeError"),
    (lambda *a, **k: _newton(*a, **k, message="max_iter reached"), "say in the message"),
    (lambda f, jac, x0, tol=1e-12, max_iter=50: _newton(f, jac, x0, tol, 1), "raised RuntimeError"),
    (lambda f, jac, x0, tol=1e-12, max_iter=50: _newton(f, jac, x0, 1e-2, max_iter), "Stop only when"),
    (lambda *a, **k: _newton(*a, **k).tolist(), "NumPy array"),
    (lambda *a, **k: _newton(*a, **k).astype(np.float32), "dtype float32"),
    (_newton_in_place, "changed one of its inputs"),
])
def test_newton_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_newton(wrong)


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
    (_ift(out=lambda d: {k: v for k, v in d.items() if k != "radius"}), r"lacks the keys \['radius'\]"),
    (_ift(out=lambda d: {**d, "radius": np.array([d["radius"]])}), r"radius must be a finite float"),
    (_ift(out=lambda d: {**d, "holds_sampled": int(d["holds_sampled"])}), r"must be a bool"),
])
def test_ift_checker_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_ift_constants(wrong)


def test_ift_cases_agree_with_sslcore_and_the_known_constants():
    cases = assignments.ift_cases()
    assert [c[5]["holds_sampled"] for c in cases] == [True, False, True, False, True, False]
    for name, f, jac, x0, dirs, want in cases:
        assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0), name
        ref = assignments.ift_constants_reference(f, jac, x0, dirs)
        assert ref["holds_sampled"] == want["holds_sampled"], name
        for key in assignments.IFT_KEYS[:-1]:
            assert abs(ref[key] / want[key] - 1) < 1e-12, (name, key)
    # the made-up map: A = [[2, 1], [0, 1]] is not symmetric, and Df(x) - A = 2 v (x - x0)^T
    f, jac, x0, dirs, known = assignments._made_up_map(0.1)
    A = jac(x0)
    assert abs(known["norm_Ainv"] - 1 / np.linalg.svd(A, compute_uv=False)[-1]) < 1e-14
    assert abs(1 / np.abs(np.linalg.eigvals(A)).min() - known["norm_Ainv"]) > 0.1  # what it catches
    x, u = x0 + 0.01 * dirs[3], dirs[4]
    assert abs(np.linalg.norm(jac(x) - A, 2) - 2 * 0.1 * 0.01) < 1e-15
    h = 1e-5                                              # jac is the Jacobian of f
    assert np.allclose((f(x + h * u) - f(x - h * u)) / (2 * h), jac(x) @ u, rtol=0, atol=1e-10)


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
    (lambda holds, lo, hi, rtol=1e-3: _bisection(holds, lo, hi, 0.0), "called holds more than 1000 times"),
])
def test_noise_threshold_checker_rejects_bisection(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_noise_threshold(assignments.reference_condition_holds, wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda rho, d=2: assignments.reference_condition_holds(rho, d, verdict="holds"), "Lipschitz-bound verdict"),
    (lambda rho, d=2: assignments.reference_condition_holds(rho, 2), "2-D reduction for every d"),
    (lambda rho, d=2: not assignments.reference_condition_holds(rho, d), "negated verdict"),
    (lambda rho, d=2: float(assignments.reference_condition_holds(rho, d)), "must return a bool"),
])
def test_noise_threshold_checker_rejects_condition(wrong, message):
    with pytest.raises(AssertionError, match=message):
        assignments.check_noise_threshold(wrong, _bisection)


def test_reference_condition_matches_the_chapter_functions():
    from sslcore import ift_figures as F3
    for rho in (0.03, 0.045, 0.055):
        res = F3.population_ift(7.0, rho, 1 / 800, "2d", n_samples=20, seed=0, find_root=False)
        assert assignments.reference_condition_holds(rho) == res.holds_sampled
        full = F3.population_ift(7.0, rho, 1 / 800, "full", n_samples=20, seed=0, find_root=False)
        assert assignments.reference_condition_holds(rho, 3) == full.holds_sampled
    # the threshold the A2 notebook quotes: the sampled 2-D condition holds up to rho ~ 0.0506
    rho_star = _bisection(assignments.reference_condition_holds, 0.01, 0.2)
    assert 0.0505 < rho_star < 0.0508 and 7.2 < rho_star ** (-2 / 3) < 7.4


# ------------------------------------------------------------------------------- generator
def _nb(cells):
    out = []
    for i, (kind, src) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": src}
        if kind == "code":
            cell.update(execution_count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": "x"}],
                        metadata={"execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"}})
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


SYNTHETIC = _nb([
    ("markdown", "# T\n\n## Task 1: f"),
    ("code", "%matplotlib inline\nimport numpy as np"),
    ("code", "def f(x):\n    \"\"\"doc\"\"\"\n    y = 2 * x\n    # BEGIN SOLUTION\n    return y + 1\n    # END SOLUTION"),
    ("code", "def g(x):\n    return f(x) - 1"),          # defines only: does not raise
    ("code", "print(np.pi)"),                             # independent
    ("markdown", "## Task 2: h"),
    ("code", "class K:\n    def m(self):\n        if True:\n            # BEGIN SOLUTION\n            return 3\n            # END SOLUTION"),
    ("code", "# NBVAL_CHECK_OUTPUT\nz = g(1)"),             # calls a stub through g: raises
    ("code", "print(z + 1)"),                             # uses a name of a raising cell
    ("code", "w = 5"),
    ("markdown", "Question?\n\n<!-- BEGIN SOLUTION -->\nThe answer.\n<!-- END SOLUTION -->\n\nEnd."),
])


def test_make_student_stubs_tags_and_strips():
    st = make_student.make_student(SYNTHETIC)
    src = [_source(c) for c in st["cells"]]
    assert src[2] == ('def f(x):\n    """doc"""\n    y = 2 * x\n'
                      '    raise NotImplementedError("Task 1: write the body of f")')
    assert '            raise NotImplementedError("Task 2: write the body of m")' in src[6]
    assert "The answer" not in src[10] and "*Your answer here.*" in src[10] and src[10].endswith("End.")
    tagged = [i for i, c in enumerate(st["cells"]) if "raises-exception" in c["metadata"].get("tags", [])]
    assert tagged == [7, 8]
    assert "NBVAL_CHECK_OUTPUT" not in src[7]
    for c in st["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None and "execution" not in c["metadata"]
    assert [c["id"] for c in st["cells"]] == [c["id"] for c in SYNTHETIC["cells"]]
    assert make_student.dumps(st) == make_student.dumps(make_student.make_student(SYNTHETIC))
    assert "BEGIN SOLUTION" in _source(SYNTHETIC["cells"][2])   # the input is not modified


def test_top_level_solution_region_raises_in_its_own_cell():
    nb = _nb([("markdown", "## Task 3: x"), ("code", "# BEGIN SOLUTION\nx = 1\n# END SOLUTION"),
              ("code", "print(x)")])
    st = make_student.make_student(nb)
    assert _source(st["cells"][1]) == 'raise NotImplementedError("Task 3: write this part")'
    assert [c["metadata"].get("tags") for c in st["cells"][1:]] == [["raises-exception"]] * 2


@pytest.mark.parametrize("src, message", [
    ("def f():\n    # BEGIN SOLUTION\n    pass", "no '# END SOLUTION'"),
    ("def f():\n    # END SOLUTION", "without"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
    ("x = 1", "no solution regions"),
])
def test_make_student_rejects_bad_markers(src, message):
    with pytest.raises(make_student.RegionError, match=message):
        make_student.make_student(_nb([("code", src)]))


def test_check_mode_detects_a_stale_student_notebook(tmp_path, capsys):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "A9.ipynb").write_text(json.dumps(SYNTHETIC))
    assert make_student.main([str(sol / "A9.ipynb"), "--check"]) == 1          # missing
    assert make_student.main([str(sol / "A9.ipynb")]) == 0
    first = (tmp_path / "A9.ipynb").read_text()
    assert make_student.main([str(sol / "A9.ipynb"), "--check"]) == 0
    changed = copy.deepcopy(SYNTHETIC)
    changed["cells"][4]["source"] = "print(2 * np.pi)"
    (sol / "A9.ipynb").write_text(json.dumps(changed))
    assert make_student.main([str(sol / "A9.ipynb"), "--check"]) == 1
    assert "cell 4: source differs" in capsys.readouterr().err
    assert make_student.main([str(sol / "A9.ipynb")]) == 0
    assert (tmp_path / "A9.ipynb").read_text() != first


# ------------------------------------------------------------------------------- every pair
def _tasks(nb):
    """{k: the cells of the section '## Task k' (up to the next '## ' heading)}."""
    out, current = {}, None
    for c in nb["cells"]:
        src = _source(c)
        if c["cell_type"] == "markdown":
            heading = re.search(r"^## (.*)", src, re.M)
            if heading:
                m = re.match(r"Task (\d+)", heading.group(1))
                current = int(m.group(1)) if m else None
                if current is not None:
                    out[current] = []
        if current is not None:
            out[current].append(c)
    return out


def test_the_assignments_are_found():
    assert {"A1_gradients_and_features.ipynb", "A2_ift_constants.ipynb"} <= set(ASSIGNMENTS)


def test_committed_student_notebooks_are_in_sync():
    assert make_student.main(["--check"]) == 0


@by_name
def test_instructor_notebook_is_complete(name):
    nb = json.load(open(_instructor(name)))
    text = "\n".join(_source(c) for c in nb["cells"])
    tasks = _tasks(nb)
    assert sorted(tasks) == list(range(1, len(tasks) + 1)) and len(tasks) >= 3
    assert not any("NotImplementedError" in _source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert text.count("# BEGIN SOLUTION") == text.count("# END SOLUTION") >= len(tasks)
    assert text.count("<!-- BEGIN SOLUTION -->") == text.count("<!-- END SOLUTION -->") >= 1
    for k, cells in tasks.items():        # each task: a solution region and exactly one check cell
        code = [_source(c) for c in cells if c["cell_type"] == "code"]
        assert any("# BEGIN SOLUTION" in src for src in code), f"Task {k} has no solution region"
        assert sum("assignments.check_" in src for src in code) == 1, f"Task {k}: one check cell"
    for part in ("**Learning objectives.**", "**How to work.**", "## Summary", "# NBVAL_CHECK_OUTPUT"):
        assert part in text, part
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code)
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    checks = [c for c in code if "assignments.check_" in _source(c)]
    assert all("correct (" in "".join(o.get("text", "")) for c in checks for o in c["outputs"][:1])
    assert all(len(_source(c).splitlines()) <= 30 for c in code)


WIDTH = 79   # the book's pages cut a longer line of a code cell or of its output


@by_name
def test_code_and_output_lines_fit_the_page(name):
    long = []
    for path in (_instructor(name), _student(name)):
        nb = json.load(open(path))
        for i, c in enumerate(nb["cells"]):
            if c["cell_type"] != "code":
                continue
            outputs = "".join("".join(o.get("text", "")) for o in c["outputs"])
            for kind, text in (("code", _source(c)), ("output", outputs)):
                long += [f"{os.path.relpath(path, ROOT)}, cell {i}, {kind}: {len(line)} characters"
                         for line in text.splitlines() if len(line) > WIDTH]
    assert not long, "\n".join(long)


@by_name
def test_student_notebook_has_stubs_and_tags(name):
    nb = json.load(open(_student(name)))
    tasks = _tasks(json.load(open(_instructor(name))))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    text = "\n".join(_source(c) for c in nb["cells"])
    assert "SOLUTION" not in text and "Instructor's answer" not in text
    assert "*Your answer here.*" in text and "NBVAL_CHECK_OUTPUT" not in text
    for k in tasks:
        assert f'raise NotImplementedError("Task {k}: write the body of' in text
    checks = [c for c in code if "assignments.check_" in _source(c)]
    assert len(checks) == len(tasks)
    assert all("raises-exception" in c["metadata"].get("tags", []) for c in checks)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@by_name
def test_student_notebook_raises_exactly_in_the_tagged_cells(name):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    path = _student(name)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        errors = [o for o in c.outputs if o.output_type == "error"]
        if "raises-exception" in c.metadata.get("tags", []):
            assert errors, f"cell {i} is tagged raises-exception but does not raise"
            assert errors[0].ename in ("NotImplementedError", "NameError"), errors[0].ename
            if "assignments.check_" in c.source:
                assert errors[0].ename == "NotImplementedError"
        else:
            assert not errors, f"cell {i} raises {errors[0].ename} but is not tagged"

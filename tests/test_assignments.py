"""The assignment checkers (sslcore.assignments) and the student-notebook generator
(scripts/make_student.py): checkers accept sslcore's own answers and reject typical mistakes;
the generator stubs solutions and tags the cells that raise; the committed pair is in sync."""
import copy
import importlib.util
import json
import os

import numpy as np
import pytest

from sslcore import analysis, assignments, models

ROOT = os.path.join(os.path.dirname(__file__), "..")
spec = importlib.util.spec_from_file_location("make_student", os.path.join(ROOT, "scripts", "make_student.py"))
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)

INSTRUCTOR = os.path.join(ROOT, "assignments", "solutions", "A1_gradients_and_features.ipynb")
STUDENT = os.path.join(ROOT, "assignments", "A1_gradients_and_features.ipynb")


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


# ------------------------------------------------------------------------------- the A1 pair
def test_committed_student_notebook_is_in_sync():
    assert make_student.main(["--check"]) == 0


def test_instructor_notebook_is_complete():
    nb = json.load(open(INSTRUCTOR))
    text = "\n".join(_source(c) for c in nb["cells"])
    assert not any("NotImplementedError" in _source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert text.count("# BEGIN SOLUTION") == text.count("# END SOLUTION") == 4
    assert text.count("<!-- BEGIN SOLUTION -->") == 1
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code)
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    assert all(len(_source(c).splitlines()) <= 30 for c in code)


def test_student_notebook_has_stubs_and_tags():
    nb = json.load(open(STUDENT))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    text = "\n".join(_source(c) for c in nb["cells"])
    assert "SOLUTION" not in text and "Instructor's answer" not in text
    for k in (1, 2, 3, 4):
        assert f'raise NotImplementedError("Task {k}: write the body of' in text
    checks = [c for c in code if "assignments.check_" in _source(c)]
    assert len(checks) == 4
    assert all("raises-exception" in c["metadata"].get("tags", []) for c in checks)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_student_notebook_raises_exactly_in_the_tagged_cells():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    nb = nbformat.read(STUDENT, as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": os.path.dirname(STUDENT)}}).execute()
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

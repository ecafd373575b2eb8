"""Coursework with otter-grader, as an instructor runs it (sslcore.assignments: `make
assignments`, `make grade`), for every assignment:

* the student notebook otter builds is the committed hand-out (assignments/NAME.ipynb);
* graded without Docker into grades.csv (otter's final_grades.csv layout): the solution scores
  100 %, the blank hand-out 0 %, a submission with one named mistake loses exactly that
  question's points and its feedback names the mistake, and a submission that never ends is
  stopped with its kernel, recorded as failed, and grading goes on;
* the parts of a question give partial credit (the otter test files run in-process);
* the command line names the bad parameter in one line.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import psutil
import pytest
from answers import basin_map_using

from sslcore import analysis, assignments, dynamics, models, theory
from sslcore.checkers import a1, a2, a3

NAMES = assignments.names()
by_name = pytest.mark.parametrize("name", NAMES)

# One named mistake per assignment, in the solution's code: (question, old, new, feedback).
# Each fails every test case of its question; the other questions must keep their points.
MISTAKES = {
    "A1_gradients_and_features": ("task2", "    return gW, gF\n", "    return gF, gW\n",
                                  "you returned (gF, gW); return (gW, gF)"),
    "A2_ift_constants": ("task2", "norm_Ainv = 1 / np.linalg.svd(A, compute_uv=False)[-1]",
                         "norm_Ainv = np.linalg.norm(np.linalg.inv(A))",
                         "the Frobenius norm (np.linalg.norm without ord=2)"),
    "A3_ascent_rate": ("task1", "    return W + lr * grad\n", "    return W - lr * grad\n",
                       "It matches a descent step W - lr grad Psi"),
}
LOOP = "import time\nwhile True:        # a submission that never ends\n    time.sleep(0.05)"
LOOP_TIMEOUT = 40      # seconds; the empty notebook graded after the loop needs far less


def _nb(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write(path, nb):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nb, f)


def _with_mistake(solution, name):
    nb = _nb(solution)
    _, old, new, _ = MISTAKES[name]
    hits = [c for c in nb["cells"] if c["cell_type"] == "code" and old in "".join(c["source"])]
    assert len(hits) == 1, f"{name}: the mistake's line is not in exactly one cell"
    hits[0]["source"] = "".join(hits[0]["source"]).replace(old, new)
    return nb


def _with_loop(solution):
    nb = _nb(solution)
    at = next(i for i, c in enumerate(nb["cells"]) if "grader = otter.Notebook" in
              "".join(c["source"]))
    nb["cells"].insert(at + 1, {"cell_type": "code", "id": "loop", "metadata": {},
                                "execution_count": None, "outputs": [], "source": LOOP})
    return nb


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every assignment built by otter assign (without its own test run: grading the solution
    below checks that it scores 100 %)."""
    out = tmp_path_factory.mktemp("build")
    for name in NAMES:
        assignments.build(name, out=out, run_tests=False, handout=False)
    return out


@pytest.fixture(scope="module")
def graded(built, tmp_path_factory):
    """{name: {"main": (folder, table, details), "loop": (...)}}: each assignment's folders
    graded as `make grade` does, all at once (the loops only sleep)."""
    jobs = []
    for name in NAMES:
        solution = built / name / "autograder" / f"{name}.ipynb"
        main, loop = (tmp_path_factory.mktemp(f"{name}-{kind}") for kind in ("main", "loop"))
        shutil.copy(solution, main / "solution.ipynb")
        shutil.copy(assignments.HANDOUTS / f"{name}.ipynb", main / "blank.ipynb")
        _write(main / "mistake.ipynb", _with_mistake(solution, name))
        _write(loop / "a_loop.ipynb", _with_loop(solution))
        handout = _nb(assignments.HANDOUTS / f"{name}.ipynb")
        _write(loop / "b_empty.ipynb", {**handout, "cells": []})      # everything deleted
        other = NAMES[(NAMES.index(name) + 1) % len(NAMES)]
        shutil.copy(assignments.HANDOUTS / f"{other}.ipynb", loop / "d_other.ipynb")
        (loop / "c_broken.ipynb").write_text("this is not a notebook")
        jobs += [(name, "main", main, 400, 2), (name, "loop", loop, LOOP_TIMEOUT, 1)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        done = list(pool.map(lambda j: assignments.grade(j[0], j[2], j[3], j[4], build_dir=built,
                                                         log=lambda *_: None), jobs))
    out = {name: {} for name in NAMES}
    for (name, kind, folder, _, _), (table, details) in zip(jobs, done):
        out[name][kind] = (folder, table, details)
    return out


def _row(table, file):
    rows = table[table["file"] == file]
    assert len(rows) == 1, file
    return rows.iloc[0]


# ------------------------------------------------------------------------------- build
@by_name
def test_committed_handout_is_what_otter_assign_builds(built, name):
    """`make assignments` would leave assignments/NAME.ipynb unchanged."""
    with open(assignments.HANDOUTS / f"{name}.ipynb", encoding="utf-8") as f:
        committed = f.read()
    assert assignments.handout_text(built / name, name) == committed, \
        f"assignments/{name}.ipynb is out of date: run `make assignments`"


@by_name
def test_autograder_zip_carries_sslcore_and_its_pins(built, name):
    """What `otter grade` (Docker) and Gradescope need: the hidden tests, sslcore, the pins."""
    ag = assignments.autograder_zip(name, built)
    with zipfile.ZipFile(ag) as z:
        files = z.namelist()
        env = z.read("environment.yml").decode()
    assert "files/sslcore/checkers/a1.py" in files and "files/sslcore/__init__.py" in files
    assert not any("__pycache__" in f for f in files)
    tests = [f for f in files if f.startswith("tests/")]
    assert len(tests) == len(_nb(assignments.HANDOUTS / f"{name}.ipynb")["metadata"]["otter"]
                             ["tests"])
    for pin in assignments.grading_requirements():
        assert pin in env, pin
    assert f"python={sys.version_info[0]}.{sys.version_info[1]}" in env
    student = _nb(built / name / "student" / f"{name}.ipynb")
    assert "hidden=True" not in json.dumps(student)            # hidden tests only in the zip
    assert any("hidden=True" in z for z in _zip_tests(ag).values())


def _zip_tests(ag):
    with zipfile.ZipFile(ag) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("tests/")}


def test_grading_requirements_are_the_pinned_ones():
    req = open(assignments.ROOT / "requirements.txt").read().splitlines()
    pins = assignments.grading_requirements()
    assert pins[0].startswith("--extra-index-url") and all(p in req for p in pins[1:])
    assert [p.split("==")[0] for p in pins[1:]] == list(assignments.GRADING_PACKAGES)


# ------------------------------------------------------------------------------- grading
@by_name
def test_grades_csv_has_otters_layout(graded, name):
    folder, table, _ = graded[name]["main"]
    csv = pd.read_csv(folder / "grades.csv")
    questions = [c for c in csv.columns if c.startswith("task")]
    assert list(csv.columns) == ["file", *questions, "total_points_earned", "percent_correct",
                                 "grading_status"]
    assert questions == [f"task{k}" for k in range(1, len(questions) + 1)]
    assert csv["file"].tolist() == ["points-per-question", "blank.ipynb", "mistake.ipynb",
                                    "solution.ipynb"]
    points = _row(csv, "points-per-question")
    assert points["total_points_earned"] == sum(points[q] for q in questions)
    assert (folder / "feedback" / "solution.txt").exists()


@by_name
def test_solution_scores_100_and_blank_0(graded, name):
    _, table, _ = graded[name]["main"]
    solution, blank = _row(table, "solution.ipynb"), _row(table, "blank.ipynb")
    assert solution["percent_correct"] == 1.0 and solution["grading_status"] == "Completed"
    assert blank["percent_correct"] == 0.0 and blank["total_points_earned"] == 0
    assert blank["grading_status"] == "Completed"          # graded, not crashed


@by_name
def test_one_named_mistake_loses_exactly_its_questions_points(graded, name):
    folder, table, _ = graded[name]["main"]
    question, _, _, feedback = MISTAKES[name]
    points, row = _row(table, "points-per-question"), _row(table, "mistake.ipynb")
    questions = [c for c in table.columns if c.startswith("task")]
    assert row[question] == 0 and points[question] > 0
    for q in questions:
        if q != question:
            assert row[q] == points[q], q
    assert row["total_points_earned"] == points["total_points_earned"] - points[question]
    text = (folder / "feedback" / "mistake.txt").read_text()
    assert feedback in text
    assert f"{question} results: All test cases passed!" not in text


@by_name
def test_a_submission_that_never_ends_is_stopped_and_recorded(graded, name):
    folder, table, details = graded[name]["loop"]
    row = _row(table, "a_loop.ipynb")
    questions = [c for c in table.columns if c.startswith("task")]
    assert row["percent_correct"] == 0 and all(row[q] == 0 for q in questions)
    assert f"timed out in {LOOP_TIMEOUT} seconds" in row["grading_status"]
    _, seconds, killed = details["a_loop.ipynb"]
    assert LOOP_TIMEOUT <= seconds < LOOP_TIMEOUT + 30
    assert len(killed) >= 2                          # the worker and the notebook's kernel
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                   for p in killed)
    assert _row(table, "b_empty.ipynb")["grading_status"] == "Completed"   # grading went on
    assert "timed out" in (folder / "feedback" / "a_loop.txt").read_text()


@by_name
def test_a_file_that_is_not_a_notebook_is_recorded_as_failed(graded, name):
    _, table, _ = graded[name]["loop"]
    row = _row(table, "c_broken.ipynb")
    assert row["total_points_earned"] == 0
    assert row["grading_status"].startswith("grading 'c_broken.ipynb' failed (exit code")


@by_name
def test_a_notebook_of_another_assignment_is_recorded_as_failed(graded, name):
    _, table, _ = graded[name]["loop"]
    other = NAMES[(NAMES.index(name) + 1) % len(NAMES)]
    row = _row(table, "d_other.ipynb")
    assert row["total_points_earned"] == 0
    assert f"Received submission for assignment '{other}'" in row["grading_status"]


@by_name
def test_blank_feedback_says_what_to_do(graded, name):
    folder, _, _ = graded[name]["main"]
    text = (folder / "feedback" / "blank.txt").read_text()
    assert "returned None; write its body (replace the '...')" in text


# ------------------------------------------------------------------------------- partial credit
def _run(built, name, env):
    """{question: {test function name: (passed, message)}} of the zip's tests on ``env``."""
    ref = assignments.points_reference(assignments.autograder_zip(name, built))
    out = {}
    for q, tf in ref.results.items():
        tf.run(env)
        out[q] = {r.test_case.body.test_func.__name__: (r.passed, r.message)
                  for r in tf.test_case_results}
    return out


def _failed(results):
    return {q: sorted(t for t, (ok, _) in cases.items() if not ok)
            for q, cases in results.items() if any(not ok for ok, _ in cases.values())}


def _a1_env():
    taus, seeds, T = [0.5, 1.0, 7.0], (0, 1), 40
    return {"ssl_gradient": models.ssl_gradient, "sl_gradients": models.sl_gradients,
            "projection_length": lambda W, e: float(analysis.projection_length(W, e)),
            "tau_sweep": lambda taus, seeds=seeds, T=T: a1.reference_sweep(taus, seeds, T),
            "results": a1.reference_sweep(taus, seeds, T), "TAUS": taus, "SEEDS": seeds, "T": T}


def test_a1_parts_give_partial_credit(built):
    env = _a1_env()
    assert _failed(_run(built, "A1_gradients_and_features", env)) == {}
    env["ssl_gradient"] = lambda W, x1, x2, alpha: models.ssl_gradient(W, x1, x2, 0.0)
    res = _run(built, "A1_gradients_and_features", env)
    assert _failed(res) == {"task1": ["test_fresh", "test_weight_decay"]}
    assert "without the regularizer" in res["task1"]["test_weight_decay"][1]


def _a2_env():
    env = {"newton": theory.newton_critical_point, "ift_constants": a2.ift_constants_reference}

    def condition_holds(rho, d=2, tau=7.0, alpha=1 / 800, n_samples=20, seed=0):
        x0 = theory.simplified_optimum(tau, alpha, d=d)[0]
        pop = theory.Objective.population(tau, rho, alpha, d=d)
        dirs = a2.sphere_directions(pop.hessian(x0), n_samples, seed)
        return env["ift_constants"](pop.gradient, pop.hessian, x0, dirs)["holds_sampled"]

    def largest_rho(holds, lo, hi, rtol=1e-3):
        if not holds(lo) or holds(hi):
            raise ValueError("no bracket")
        while hi / lo > 1 + rtol:
            mid = np.sqrt(lo * hi)
            lo, hi = (mid, hi) if holds(mid) else (lo, mid)
        return float(lo)
    env.update(condition_holds=condition_holds, largest_rho=largest_rho)
    return env


def test_a2_parts_give_partial_credit_and_a_task_2_mistake_costs_task_2_only(built):
    env = _a2_env()
    assert _failed(_run(built, "A2_ift_constants", env)) == {}

    def silent(f, jac, x0, tol=1e-12, max_iter=50):     # returns instead of raising
        try:
            return theory.newton_critical_point(f, jac, x0, tol, max_iter)
        except RuntimeError:
            x = np.array(x0, dtype=float)
            for _ in range(max_iter):
                x = x - np.linalg.solve(jac(x), f(x))
            return x
    env["newton"] = silent
    env["ift_constants"] = lambda f, jac, x0, dirs: {
        **a2.ift_constants_reference(f, jac, x0, dirs),
        "norm_Ainv": float(np.linalg.norm(np.linalg.inv(jac(x0))))}
    res = _run(built, "A2_ift_constants", env)
    assert _failed(res) == {"task1": ["test_fresh", "test_no_convergence"],
                            "task2": ["test_fresh", "test_made_up_maps", "test_population"]}
    assert "returning the last iterate silently" in res["task1"]["test_no_convergence"][1]


def _a3_env():
    env = {"ascent_step": a3.reference_step, "predicted_contraction": a3.reference_prediction,
           "steps_needed": a3.reference_steps,
           "contraction_rate":
               lambda s, d, a=None, b=None: dynamics.fit_rate(s, d, a, b).contraction}

    basin_map = basin_map_using(env)
    env["basin_map"] = basin_map
    return env


def test_a3_parts_give_partial_credit_and_a_task_1_mistake_costs_task_1_only(built):
    env = _a3_env()
    assert _failed(_run(built, "A3_ascent_rate", env)) == {}
    env["ascent_step"] = lambda W, lr=0.1, tau=7.0, alpha=1 / 800, p=None: \
        a3.reference_step(W, lr, tau, alpha)                   # ignores p
    env["steps_needed"] = lambda d0, tol, q: a3.reference_steps(d0, tol, q) + 1
    res = _run(built, "A3_ascent_rate", env)
    assert _failed(res) == {"task1": ["test_fresh", "test_proportions"],
                            "task3": ["test_fresh", "test_steps_needed"]}
    assert "pass p on to the step" in res["task1"]["test_proportions"][1]
    assert "one step more than needed" in res["task3"]["test_steps_needed"][1]


# ------------------------------------------------------------------------------- command line
@pytest.mark.parametrize("args, message", [
    (["", "x"], "ASSIGNMENT is not set"),
    (["A9", "x"], "ASSIGNMENT=A9 is not an assignment: give one of A1_gradients_and_features"),
    (["A1", ""], "SUBMISSIONS is not set"),
    (["A1", "/nonexistent/folder"], "SUBMISSIONS=/nonexistent/folder is not a folder"),
    (["A1", "{empty}"], "holds no .ipynb files"),
    (["A1", "{one}", "--timeout", "soon"], "TIMEOUT=soon must be a number of seconds > 0"),
    (["A1", "{one}", "--timeout", "-5"], "TIMEOUT=-5.0 must be a number of seconds > 0"),
    (["A1", "{one}", "--jobs", "0"], "JOBS=0 must be an integer >= 1"),
])
def test_grade_names_the_bad_parameter_in_one_line(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "x.ipynb").write_text("{}")
    args = [a.format(empty=tmp_path / "empty", one=tmp_path / "one") for a in args]
    assert assignments.main(["grade", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_grade_without_a_build_says_to_run_make_assignments(tmp_path):
    (tmp_path / "x.ipynb").write_text("{}")
    with pytest.raises(assignments.UsageError, match=r"run `make assignments` first"):
        assignments.grade("A1", tmp_path, build_dir=tmp_path / "no-build")


def test_make_passes_the_parameters_through():
    """`make grade` hands ASSIGNMENT, SUBMISSIONS, TIMEOUT and JOBS to the command line (a make
    without ASSIGNMENT runs it with an empty name, which it reports)."""
    make = open(assignments.ROOT / "Makefile").read()
    assert ('$(PY) -m sslcore.assignments grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" '
            '--timeout "$(TIMEOUT)" --jobs "$(JOBS)"') in make
    assert "$(PY) -m sslcore.assignments build" in make
    proc = subprocess.run([sys.executable, "-m", "sslcore.assignments", "grade", "", "x"],
                          capture_output=True, text=True, cwd=assignments.ROOT)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ASSIGNMENT is not set")
    assert os.path.isdir(assignments.MASTERS)


def test_the_students_grader_check_names_the_mistake(built, tmp_path):
    """In the student's own notebook (public tests from its metadata, no autograder),
    grader.check("taskK") shows the named mistake for the wrong task and passes the others."""
    import nbformat
    from nbclient import NotebookClient
    name = "A3_ascent_rate"
    question, old, new, feedback = MISTAKES[name]
    nb = _nb(assignments.HANDOUTS / f"{name}.ipynb")
    solution = {c["id"]: c["source"] for c in _nb(built / name / "autograder" / f"{name}.ipynb")
                ["cells"]}
    for c in nb["cells"]:
        if "otter_answer_cell" in c["metadata"].get("tags", []) and c["id"] in solution:
            c["source"] = "".join(solution[c["id"]]).replace(old, new)
    _write(tmp_path / f"{name}.ipynb", nb)
    run = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    NotebookClient(run, timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = {c.source: "".join(o.get("data", {}).get("text/plain", "") or o.get("text", "")
                               for o in c.outputs)
             for c in run.cells if c.cell_type == "code" and c.source.startswith("grader.check")}
    assert len(shown) == 4
    for source, text in shown.items():
        if question in source:
            assert feedback in text and "Test case failed" in text
        else:
            assert "All test cases passed!" in text, (source, text)

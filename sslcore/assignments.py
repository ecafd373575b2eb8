"""Coursework with otter-grader: build the assignments and grade a folder of submissions
without Docker.

    python -m sslcore.assignments build [NAME ...]                  # what `make assignments` runs
    python -m sslcore.assignments grade NAME FOLDER [--timeout S] [--jobs N]     # `make grade`

``build`` runs ``otter assign`` on each master notebook ``assignments/masters/NAME.ipynb`` into
``_build/assignments/NAME/`` (``student/NAME.ipynb`` without solutions or hidden tests,
``autograder/`` with the solution notebook and the autograder zip) and copies the student
notebook to ``assignments/NAME.ipynb``, the hand-out the book shows. The zip also carries
``sslcore`` and the pinned requirements it needs, so it grades unchanged with ``otter grade``
(Docker) or on Gradescope.

``grade`` grades every ``.ipynb`` in FOLDER with ``otter.api.grade_submission`` (the same test
run as ``otter grade``, minus the container), one worker process per submission, ``--jobs`` at
a time, each stopped after ``--timeout`` seconds together with its kernel (an infinite loop is
recorded as a failed submission, and grading goes on). It writes ``FOLDER/grades.csv`` in the
layout of otter's ``final_grades.csv`` (``otter.grade.utils.merge_scores_to_df``) and, per
submission, ``FOLDER/feedback/STEM.txt`` with every test's result and message (hidden tests
included: that file is for the instructor).

Checkers (the otter test cases) live in :mod:`sslcore.checkers`.
"""
from __future__ import annotations

import argparse
import json
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:                     # only for annotations: otter and pandas load lazily
    import pandas as pd
    from otter.test_files import GradingResults

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "assignments" / "masters"
HANDOUTS = ROOT / "assignments"
BUILD = ROOT / "_build" / "assignments"
# Packages sslcore needs at grading time (their pins are read from requirements.txt).
GRADING_PACKAGES = ("torch", "numpy", "scipy", "matplotlib", "tqdm", "mpmath", "python-flint")
DEFAULT_TIMEOUT = 600
REFERENCE = "__points__"        # the file name of the row that only carries the points


class UsageError(ValueError):
    """A bad argument of ``build`` or ``grade``: the message names the parameter."""


def names() -> list[str]:
    """The assignments: the stems of ``assignments/masters/*.ipynb``."""
    return sorted(p.stem for p in MASTERS.glob("*.ipynb"))


def resolve(name: str | None, param: str = "ASSIGNMENT") -> str:
    """The full name of an assignment, given in full or by its prefix ("A1")."""
    known = names()
    if not name:
        raise UsageError(f"{param} is not set: give one of {', '.join(known)}")
    hits = [n for n in known if n == name or n.split("_")[0] == name]
    if len(hits) != 1:
        raise UsageError(f"{param}={name} is not an assignment: give one of {', '.join(known)}")
    return hits[0]


# ------------------------------------------------------------------------------------ build
def grading_requirements(requirements: str | Path = ROOT / "requirements.txt") -> list[str]:
    """The pinned lines of requirements.txt for :data:`GRADING_PACKAGES`, with the CPU index
    of torch (PyPI's torch pulls multi-GB CUDA libraries)."""
    pins = {}
    for line in Path(requirements).read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==", line.strip())
        if m:
            pins[m.group(1).lower()] = line.strip()
    missing = [p for p in GRADING_PACKAGES if p not in pins]
    if missing:
        raise ValueError(f"requirements.txt has no pin for {missing}")
    return ["--extra-index-url https://download.pytorch.org/whl/cpu"] + \
        [pins[p] for p in GRADING_PACKAGES]


def _stage(name: str, stage: Path) -> None:
    """Copy the master to ``stage`` with sslcore and the grading requirements beside it, and
    add them to its ASSIGNMENT CONFIG (the zip then carries what a grading image needs)."""
    nb = json.loads((MASTERS / f"{name}.ipynb").read_text(encoding="utf-8"))
    cell = nb["cells"][0]
    src = "".join(cell["source"])
    if cell["cell_type"] != "raw" or not src.startswith("# ASSIGNMENT CONFIG"):
        raise ValueError(f"{name}: the first cell must be the raw '# ASSIGNMENT CONFIG' cell")
    py = ".".join(map(str, sys.version_info[:2]))           # the Python the pins are made for
    cell["source"] = src.rstrip("\n") + f"\npython_version: \"{py}\"\n" \
        "requirements: requirements.txt\nautograder_files:\n  - sslcore\n"
    (stage / f"{name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    (stage / "requirements.txt").write_text("\n".join(grading_requirements()) + "\n")
    shutil.copytree(ROOT / "sslcore", stage / "sslcore",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def stable_ids(student: dict[str, Any], master: dict[str, Any]) -> dict[str, Any]:
    """Otter gives the cells it adds (check cells, answer cells) random ids, and keeps the
    master's execution timings: replace the ids by ids derived from the position and drop the
    timings, so that a rebuild of an unchanged master changes nothing in the hand-out."""
    known = {c.get("id") for c in master["cells"]}
    for i, c in enumerate(student["cells"]):
        if c.get("id") not in known:
            c["id"] = f"otter-{i:02d}"
        for key in ("execution", "ExecuteTime"):
            c.get("metadata", {}).pop(key, None)
    return student


def build(name: str, out: str | Path = BUILD, run_tests: bool = True, handout: bool = True
          ) -> Path:
    """``otter assign`` of one master into ``out/NAME``; returns that folder. With ``handout``
    the student notebook is copied to ``assignments/NAME.ipynb`` (stable cell ids)."""
    from otter.assign import main as otter_assign
    name = resolve(name, "NAME")
    dest = Path(out) / name
    shutil.rmtree(dest, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"assign-{name}-") as tmp:
        _stage(name, Path(tmp))
        otter_assign(str(Path(tmp) / f"{name}.ipynb"), str(dest), no_run_tests=not run_tests)
    if handout:
        (HANDOUTS / f"{name}.ipynb").write_text(handout_text(dest, name), encoding="utf-8")
    return dest


def handout_text(built: str | Path, name: str) -> str:
    """The hand-out assignments/NAME.ipynb as built in ``built`` (otter's student notebook,
    stable cell ids, nbformat's JSON layout)."""
    student = json.loads((Path(built) / "student" / f"{name}.ipynb").read_text(encoding="utf-8"))
    master = json.loads((MASTERS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return json.dumps(stable_ids(student, master), indent=1, ensure_ascii=False) + "\n"


def autograder_zip(name: str, build_dir: str | Path = BUILD) -> Path:
    """The autograder zip of a built assignment (one per build: otter stamps its name)."""
    zips = sorted((Path(build_dir) / name / "autograder").glob(f"{name}-autograder_*.zip"))
    if not zips:
        raise UsageError(f"ASSIGNMENT={name} has no autograder in {Path(build_dir) / name}: run "
                         "`make assignments` first")
    return Path(zips[-1])


# ------------------------------------------------------------------------------------ grade
def _kill_tree(pid: int) -> list[int]:
    """Kill a worker and every process it started (the notebook's kernel runs in a session of
    its own, so killing the worker's process group would leave it looping)."""
    import psutil
    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.NoSuchProcess:
        return []
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)
    return [p.pid for p in procs]


def _failed(error: BaseException, name: str) -> GradingResults:
    from otter.test_files import GradingResults
    res = GradingResults.without_results(error)
    res.file = name
    return res


def grade_one(notebook: str | Path, ag_zip: str | Path, timeout: float = DEFAULT_TIMEOUT,
              as_name: str | None = None) -> tuple[GradingResults, float, list[int]]:
    """Grade one submission in a worker process: (GradingResults, seconds, pids killed).

    The notebook is graded under the file name ``as_name`` (the assignment's: its first cell
    opens the notebook by that name), whatever the student called the file."""
    from otter.grade.utils import TimeoutException
    notebook, start = Path(notebook), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        out, copy = Path(tmp) / "results.pkl", Path(tmp) / "submission" / (as_name or notebook.name)
        copy.parent.mkdir()
        shutil.copyfile(notebook, copy)
        cmd = [sys.executable, "-m", "sslcore.assignments", "_worker", str(ag_zip), str(copy),
               str(out)]
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = _kill_tree(proc.pid)
            proc.communicate()
            error = TimeoutException(f"Executing '{notebook.name}' timed out in {timeout:g} "
                                     "seconds (stopped, with its kernel)")
            return _failed(error, notebook.name), time.perf_counter() - start, killed
        if proc.returncode != 0 or not out.exists():
            last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            error = RuntimeError(f"grading '{notebook.name}' failed (exit code "
                                 f"{proc.returncode}): {last}")
            return _failed(error, notebook.name), time.perf_counter() - start, []
        with open(out, "rb") as f:
            res = pickle.load(f)
    res.file = notebook.name
    return res, time.perf_counter() - start, []


def _worker(ag_zip: str, notebook: str, out: str) -> None:
    """In the worker process: otter's grading API on one notebook, results pickled to ``out``."""
    from otter.api import grade_submission
    res = grade_submission(notebook, ag_zip, quiet=True)
    res.notebook = None                       # the executed notebook is not needed: keep it small
    with open(out, "wb") as f:
        pickle.dump(res, f)


def points_reference(ag_zip: str | Path) -> GradingResults:
    """GradingResults holding the zip's test files, not run: the points of every question, so
    that grades.csv has its question columns even when every submission failed."""
    import zipfile

    from otter.test_files import GradingResults
    from otter.test_files.exception_test import ExceptionTestFile
    with zipfile.ZipFile(ag_zip) as z:
        tests = [ExceptionTestFile.from_string(z.read(n).decode(), path=n)
                 for n in sorted(z.namelist()) if re.match(r"tests/[^/]+\.py$", n)]
    ref = GradingResults(tests)
    ref.file = REFERENCE
    return ref


def grades_table(results: Iterable[GradingResults], ag_zip: str | Path) -> pd.DataFrame:
    """otter's final_grades.csv layout: a points-per-question row, then one row per file."""
    from otter.grade.utils import merge_scores_to_df
    df = merge_scores_to_df([points_reference(ag_zip)] + list(results))
    return df[df["file"] != REFERENCE].reset_index(drop=True)


def _feedback(res: GradingResults, seconds: float) -> str:
    head = f"{res.file}: {res.total:g} of {res.possible:g} points ({100 * res.percent:.0f} %), " \
        f"graded in {seconds:.1f} s"
    if res.has_catastrophic_failure():
        return f"{res.file}: not graded ({res.catastrophic_error}); 0 points\n"
    return head + "\n\n" + res.summary() + "\n"


def _check_args(name: str | None, folder: str | Path | None, timeout: float, jobs: int
                ) -> tuple[str, Path, list[Path]]:
    name = resolve(name)
    if not folder:
        raise UsageError("SUBMISSIONS is not set: give a folder of .ipynb files")
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"SUBMISSIONS={folder} is not a folder")
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise UsageError(f"SUBMISSIONS={folder} holds no .ipynb files")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise UsageError(f"TIMEOUT={timeout} must be a number of seconds > 0")
    if not (isinstance(jobs, int) and jobs >= 1):
        raise UsageError(f"JOBS={jobs} must be an integer >= 1")
    return name, folder, notebooks


def grade(name: str, folder: str | Path, timeout: float = DEFAULT_TIMEOUT, jobs: int = 2,
          build_dir: str | Path = BUILD, log: Callable[[str], object] = print
          ) -> tuple[pd.DataFrame, dict[str, tuple[GradingResults, float, list[int]]]]:
    """Grade every .ipynb in ``folder``; write ``folder/grades.csv`` and ``folder/feedback/``.
    Returns (the grades table, {file: (GradingResults, seconds, pids killed)})."""
    name, folder, notebooks = _check_args(name, folder, timeout, jobs)
    ag_zip = autograder_zip(name, build_dir)
    log(f"grading {len(notebooks)} notebook(s) in {folder} against {ag_zip.name} "
        f"({jobs} at a time, at most {timeout:g} s each)")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(lambda nb: grade_one(nb, ag_zip, timeout, f"{name}.ipynb"),
                             notebooks))
    (folder / "feedback").mkdir(exist_ok=True)
    for res, seconds, _ in done:
        (folder / "feedback" / f"{Path(res.file).stem}.txt").write_text(_feedback(res, seconds))
        status = "TIMED OUT / FAILED" if res.has_catastrophic_failure() else \
            f"{res.total:g}/{res.possible:g}"
        log(f"  {res.file}: {status} ({seconds:.1f} s)")
    table = grades_table([r for r, _, _ in done], ag_zip)
    table.to_csv(folder / "grades.csv", index=False)
    log(f"wrote {folder / 'grades.csv'} and {folder / 'feedback'}/")
    return table, {r.file: (r, s, k) for r, s, k in done}


# ------------------------------------------------------------------------------------ CLI
def _number(param: str, text: str, kind: type[float] | type[int]) -> float:
    try:
        return kind(text)
    except ValueError:
        what = "a number of seconds > 0" if kind is float else "an integer >= 1"
        raise UsageError(f"{param}={text} must be {what}") from None


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sslcore.assignments",
                                description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="otter assign every master (or the NAMEs given)")
    b.add_argument("names", nargs="*")
    b.add_argument("--no-run-tests", action="store_true",
                   help="skip otter's check that the solution scores 100 %%")
    g = sub.add_parser("grade", help="grade a folder of submissions into FOLDER/grades.csv")
    g.add_argument("name", help="the assignment (full name or prefix, e.g. A1)")
    g.add_argument("folder", help="the folder of submitted .ipynb files")
    g.add_argument("--timeout", default=str(DEFAULT_TIMEOUT),
                   help=f"seconds per submission (default {DEFAULT_TIMEOUT})")
    g.add_argument("--jobs", default="2", help="submissions graded at once (default 2)")
    w = sub.add_parser("_worker")
    w.add_argument("args", nargs=3)
    args = p.parse_args(argv)
    try:
        if args.cmd == "_worker":
            _worker(*args.args)
        elif args.cmd == "build":
            for name in (args.names or names()):
                print(f"built {build(name, run_tests=not args.no_run_tests)}")
        else:
            grade(args.name, args.folder, _number("TIMEOUT", args.timeout, float),
                  _number("JOBS", args.jobs, int))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

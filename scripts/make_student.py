"""Generate the student version of an assignment from its instructor version (the source of truth).

    .venv/bin/python scripts/make_student.py              # every assignments/solutions/*.ipynb
    .venv/bin/python scripts/make_student.py --check      # exit 1 if a committed student file is stale
    .venv/bin/python scripts/make_student.py --execute    # also run the student notebook(s) in place
    .venv/bin/python scripts/make_student.py assignments/solutions/A1_gradients_and_features.ipynb

assignments/solutions/NAME.ipynb  ->  assignments/NAME.ipynb. In the student version

* each code region between the lines ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes
  ``raise NotImplementedError("Task k: ...")`` with the region's indentation (k from the
  nearest ``## Task k`` heading above, the text names the enclosing function);
* each markdown region between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  becomes ``*Your answer here.*``;
* every code cell that will raise is tagged ``raises-exception`` (nbval and myst-nb then
  expect the error), found by a static analysis: a cell raises if it executes a stub at top
  level or uses, outside a function body, a name that a raising cell defines or a function
  whose body calls a stub (transitively);
* outputs, execution counts and timing metadata are removed (students run the notebook), and
  with them the ``# NBVAL_CHECK_OUTPUT`` markers (there is no reference output to compare).

The output is a function of the instructor notebook only: no timestamps, cells keep their ids.
``--check`` compares sources, cell types, tags and metadata (not outputs, so a student file
that was run with ``--execute`` still counts as in sync).
"""
from __future__ import annotations

import argparse
import ast
import copy
import glob
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SOLUTIONS = os.path.join(ROOT, "assignments", "solutions")

BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^\s*<!-- BEGIN SOLUTION -->\s*$")
MD_END = re.compile(r"^\s*<!-- END SOLUTION -->\s*$")
TASK = re.compile(r"^##\s+Task\s+(\d+)", re.M)
DEF = re.compile(r"^(\s*)def\s+(\w+)\s*\(")
TAG = "raises-exception"
MD_STUB = "*Your answer here.*"
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"


class RegionError(ValueError):
    """Unbalanced or nested solution markers."""


def student_path(instructor_path):
    """assignments/solutions/NAME.ipynb -> assignments/NAME.ipynb."""
    folder = os.path.dirname(os.path.dirname(os.path.abspath(instructor_path)))
    return os.path.join(folder, os.path.basename(instructor_path))


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines_to_source(lines):
    """Jupyter's on-disk form: a list of lines, each but the last ending in a newline."""
    text = "\n".join(lines)
    return text.splitlines(keepends=True)


def _enclosing_function(lines, at, indent):
    """Name of the nearest ``def`` above line ``at`` that is less indented than ``indent``."""
    for line in reversed(lines[:at]):
        m = DEF.match(line)
        if m and len(m.group(1)) < len(indent):
            return m.group(2)
    return None


def stub_code(src, task, where="cell"):
    """(new source, number of regions): each solution region replaced by a NotImplementedError."""
    lines, out, count, i = src.split("\n"), [], 0, 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if END.match(lines[i]):
            raise RegionError(f"{where}: '# END SOLUTION' without '# BEGIN SOLUTION' (line {i + 1})")
        if not m:
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not END.match(lines[j]):
            if BEGIN.match(lines[j]):
                raise RegionError(f"{where}: nested '# BEGIN SOLUTION' (line {j + 1})")
            j += 1
        if j == len(lines):
            raise RegionError(f"{where}: '# BEGIN SOLUTION' (line {i + 1}) has no '# END SOLUTION'")
        indent = m.group(1)
        fn = _enclosing_function(lines, i, indent)
        what = f"write the body of {fn}" if fn else "write this part"
        label = f"Task {task}: " if task is not None else ""
        out.append(f'{indent}raise NotImplementedError("{label}{what}")')
        count += 1
        i = j + 1
    return "\n".join(out), count


def stub_markdown(src, where="cell"):
    """(new source, number of regions): each markdown answer replaced by ``*Your answer here.*``."""
    lines, out, count, inside = src.split("\n"), [], 0, False
    for k, line in enumerate(lines):
        if MD_BEGIN.match(line):
            if inside:
                raise RegionError(f"{where}: nested '<!-- BEGIN SOLUTION -->' (line {k + 1})")
            inside, count = True, count + 1
            out.append(MD_STUB)
        elif MD_END.match(line):
            if not inside:
                raise RegionError(f"{where}: '<!-- END SOLUTION -->' without a BEGIN (line {k + 1})")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise RegionError(f"{where}: '<!-- BEGIN SOLUTION -->' has no '<!-- END SOLUTION -->'")
    return "\n".join(out), count


# ------------------------------------------------------------------ which cells will raise
def _python(src):
    """The cell as plain Python (IPython magics such as %matplotlib become function calls)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(src)


def _executed_nodes(node):
    """Nodes that run when ``node`` runs: function and lambda bodies are skipped (their
    decorators and default values are kept)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(n.decorator_list + n.args.defaults
                         + [d for d in n.args.kw_defaults if d is not None])
        elif isinstance(n, ast.Lambda):
            stack.extend(n.args.defaults + [d for d in n.args.kw_defaults if d is not None])
        else:
            stack.extend(ast.iter_child_nodes(n))


def _is_stub_raise(n):
    return (isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)
            and isinstance(n.exc.func, ast.Name) and n.exc.func.id == "NotImplementedError")


def _stored_names(tree):
    """Names a cell binds at top level (assignments, defs, classes, imports, loop targets)."""
    names = set()
    for n in _executed_nodes(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in n.names)
    return names


def raising_cells(sources, originals=None):
    """Indices of the code cells (student sources, in order) that will raise.

    ``originals`` (the instructor's sources of the same cells) supply the names a raising
    cell would have bound: a stubbed top-level region leaves them undefined.
    """
    tainted, out = set(), []
    for idx, src in enumerate(sources):
        tree = ast.parse(_python(src))
        executed = list(_executed_nodes(tree))
        loads = {n.id for n in executed if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        raises = any(_is_stub_raise(n) for n in executed) or bool(loads & tainted)
        # a function whose body runs a stub or a tainted name raises when called
        for n in executed:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                body = list(ast.walk(n))
                if any(_is_stub_raise(b) for b in body) or any(
                        isinstance(b, ast.Name) and b.id in tainted for b in body):
                    if not isinstance(n, ast.Lambda):
                        tainted.add(n.name)
        if raises:
            tainted |= _stored_names(tree)
            if originals is not None:
                tainted |= _stored_names(ast.parse(_python(originals[idx])))
            out.append(idx)
    return out


# ------------------------------------------------------------------ the transformation
def make_student(nb, where="notebook"):
    """The student notebook (a new dict) from the instructor notebook ``nb`` (a dict)."""
    nb = copy.deepcopy(nb)
    task, regions = None, 0
    code_cells = []
    originals = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(nb["cells"]):
        src = _source(cell)
        here = f"{where}, cell {i}"
        if cell["cell_type"] == "markdown":
            found = TASK.findall(src)
            if found:
                task = int(found[-1])
            src, count = stub_markdown(src, here)
        elif cell["cell_type"] == "code":
            src, count = stub_code(src, task, here)
            # no reference outputs in the student file, so nothing for nbval to compare
            src = "\n".join(line for line in src.split("\n") if line.strip() != CHECK_OUTPUT)
            code_cells.append(cell)
            cell["outputs"], cell["execution_count"] = [], None
        else:
            count = 0
        regions += count
        cell["source"] = _lines_to_source(src.split("\n"))
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)
        meta.pop("ExecuteTime", None)
    if regions == 0:
        raise RegionError(f"{where}: no solution regions found")
    for i in raising_cells([_source(c) for c in code_cells], originals):
        tags = code_cells[i]["metadata"].setdefault("tags", [])
        if TAG not in tags:
            tags.append(TAG)
    nb["metadata"].pop("widgets", None)
    return nb


def dumps(nb):
    """Deterministic JSON text (nbformat's layout: indent 1, sorted keys, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _normalized(nb):
    """What --check compares: sources, cell types, ids and metadata; no outputs or run info."""
    cells = []
    for c in nb["cells"]:
        meta = {k: v for k, v in c.get("metadata", {}).items() if k not in ("execution", "ExecuteTime")}
        cells.append({"cell_type": c["cell_type"], "id": c.get("id"), "source": _source(c),
                      "metadata": meta})
    meta = {k: v for k, v in nb.get("metadata", {}).items() if k not in ("widgets", "language_info")}
    return {"cells": cells, "metadata": meta, "nbformat": nb.get("nbformat")}


def _differences(want, have):
    a, b = _normalized(want), _normalized(have)
    if len(a["cells"]) != len(b["cells"]):
        return [f"{len(b['cells'])} cells, expected {len(a['cells'])}"]
    out = [f"cell {i}: {k} differs" for i, (x, y) in enumerate(zip(a["cells"], b["cells"]))
           for k in x if x[k] != y[k]]
    if a["metadata"] != b["metadata"] or a["nbformat"] != b["nbformat"]:
        out.append("notebook metadata differs")
    return out


def _read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def process(instructor, check=False, execute=False):
    """Generate (or check) one student notebook; return a list of problems (empty when fine)."""
    target = student_path(instructor)
    rel = os.path.relpath(target, ROOT)
    student = make_student(_read(instructor), where=os.path.relpath(instructor, ROOT))
    if check:
        if not os.path.exists(target):
            return [f"{rel} is missing; run scripts/make_student.py"]
        diff = _differences(student, _read(target))
        return [f"{rel} is out of date ({'; '.join(diff[:5])}); run scripts/make_student.py"] if diff else []
    with open(target, "w", encoding="utf-8") as f:
        f.write(dumps(student))
    tagged = sum(TAG in c["metadata"].get("tags", []) for c in student["cells"])
    print(f"wrote {rel} ({tagged} cells tagged {TAG})")
    if execute:
        start = time.perf_counter()
        jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
        subprocess.run([jupyter if os.path.exists(jupyter) else "jupyter", "execute", "--inplace", target],
                       check=True)
        print(f"executed {rel} in {time.perf_counter() - start:.1f} s")
    return []


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="*", help="instructor notebooks (default: assignments/solutions/*.ipynb)")
    p.add_argument("--check", action="store_true", help="exit 1 if a student notebook is out of date")
    p.add_argument("--execute", action="store_true", help="run the student notebook(s) in place afterwards")
    args = p.parse_args(argv)
    if args.check and args.execute:
        p.error("--check and --execute exclude each other")
    paths = args.notebooks or sorted(glob.glob(os.path.join(SOLUTIONS, "*.ipynb")))
    if not paths:
        p.error(f"no instructor notebooks in {os.path.relpath(SOLUTIONS, ROOT)}")
    problems = []
    for path in paths:
        problems += process(path, check=args.check, execute=args.execute)
    for line in problems:
        print(line, file=sys.stderr)
    if args.check and not problems:
        print(f"{len(paths)} student notebook(s) in sync")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

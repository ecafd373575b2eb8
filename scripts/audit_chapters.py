"""Check every chapter notebook against CONTRIBUTING.md's rules; exit 1 on a violation.

    python scripts/audit_chapters.py [chapters/*.ipynb]
"""
import glob
import json
import re
import sys

FORBIDDEN_DEF = re.compile(r"^\s*def\s+(\w*(loss|grad|sigmoid|train|objective)\w*)\s*\(", re.M)
LABEL = re.compile(r"^:label:\s*(\S+)", re.M)


#: the text column: lines of code and of printed output fit it (CONTRIBUTING.md)
WIDTH = 79


def audit(path):
    nb = json.load(open(path))
    cells = nb["cells"]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]
    problems = []
    h1 = re.findall(r"^# ", md, re.M)
    if len(h1) != 1:
        problems.append(f"{len(h1)} level-1 headings (want 1)")
    levels = [len(m) for m in re.findall(r"^(#+) ", md, re.M)]
    for a, b in zip(levels, levels[1:]):
        if b > a + 1:
            problems.append(f"heading jumps from level {a} to {b}")
    n_ex = len(re.findall(r"```\{exercise\}", md))
    n_sol = len(re.findall(r"```\{solution(-start)?\}", md))
    if n_ex < 3 or n_sol < n_ex:
        problems.append(f"{n_ex} exercises, {n_sol} solutions (want >= 3, one each)")
    if "solution-start" not in md:
        problems.append("no computational solution (solution-start/solution-end)")
    if not re.search(r"learning objectives", md, re.I):
        problems.append("no learning objectives")
    if not re.search(r"^## .*summary", md, re.I | re.M):
        problems.append("no summary section")
    chapter = re.match(r"(\d+)_", path.replace("\\", "/").rsplit("/", 1)[-1])
    for label in LABEL.findall(md):
        if chapter and not re.match(rf"[a-z]+-ch{int(chapter.group(1))}-", label):
            problems.append(f"label {label!r} lacks the chapter prefix "
                            f"(e.g. thm-ch{int(chapter.group(1))}-...)")
    checked = sum("nbval-check-output" in c.get("metadata", {}).get("tags", []) for c in code)
    if checked < 3:
        problems.append(f"{checked} cells tagged nbval-check-output (want >= 3)")
    if not any("widgets.explorer" in "".join(c["source"]) for c in code):
        problems.append("no widget explorer")
    for i, c in enumerate(code):
        src = "".join(c["source"])
        tags = c.get("metadata", {}).get("tags", [])
        timed = "widgets.explorer" in src or "perf_counter" in src
        if timed and "nbval-ignore-output" not in tags:
            problems.append(f"code cell {i}: widget/timing cell without the nbval-ignore-output "
                            "tag")
        if "NBVAL" in src:
            problems.append(f"code cell {i}: an nbval comment marker (shown on the page); "
                            "use a cell tag")
        if FORBIDDEN_DEF.search(src):
            name = FORBIDDEN_DEF.search(src).group(1)
            problems.append(f"code cell {i}: defines model code ({name})")
        if len(src.splitlines()) > 30:
            problems.append(f"code cell {i}: {len(src.splitlines())} lines (> 30)")
        if c.get("execution_count") is None and src.strip():
            problems.append(f"code cell {i}: not executed")
        long = [n for n, line in enumerate(src.splitlines(), 1) if len(line) > WIDTH]
        if long:
            problems.append(f"code cell {i}: line {long[0]} over {WIDTH} characters")
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"code cell {i}: stored error output")
            if any(len(line) > WIDTH for line in _printed(out).splitlines()):
                problems.append(f"code cell {i}: a printed line over {WIDTH} characters")
    return problems


def _printed(out):
    """The text an output shows on the page (a widget shows its view, not its text/plain)."""
    if out.get("output_type") == "stream":
        return "".join(out.get("text", ""))
    data = out.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data or "text/html" in data:
        return ""
    return "".join(data.get("text/plain", ""))


def main(paths):
    bad = 0
    for path in paths:
        problems = audit(path)
        print(f"{'ok  ' if not problems else 'FAIL'} {path}")
        for p in problems:
            print(f"     - {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or sorted(glob.glob("chapters/*.ipynb"))))

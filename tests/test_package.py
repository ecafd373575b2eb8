"""Package metadata: the version is written once, the licences are where pyproject says."""
import ast
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

import sslcore

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("sslcore") == sslcore.__version__


def test_licences():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause"
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    text = (ROOT / "LICENSE-TEXT").read_text()
    assert "Creative Commons Attribution 4.0 International Public License" in text


# ----------------------------------------------------------------------------- layers and sizes
SSLCORE = ROOT / "sslcore"
#: the layers of sslcore (README, "Layers of sslcore"); imports go presentation -> theory -> core
CORE = {"config", "validation", "data", "initialization", "models", "ssl_kernels", "training",
        "reference", "analysis", "probe", "experiments", "timing", "ssl_sl_runs", "divergence",
        "objectives", "sweeps", "beyond"}
THEORY = {"theory", "ift", "ift_rigorous", "ift_studies", "sl_theory", "dynamics"}
PRESENTATION = {"plots", "widgets", "convergence", "ift_figures", "comparison",
                "beyond_figures"}
AROUND = {"__init__", "__main__", "cli", "loop_impl", "assignments"}


def _relative_imports(path):
    """The sslcore modules that ``path`` imports (relative imports, first component)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    return found - {"__version__"}


def test_every_module_has_a_layer():
    modules = {p.stem for p in SSLCORE.glob("*.py")}
    assert modules == CORE | THEORY | PRESENTATION | AROUND


@pytest.mark.parametrize("layer, forbidden", [(CORE, THEORY | PRESENTATION),
                                              (THEORY, PRESENTATION)])
def test_imports_go_one_way(layer, forbidden):
    wrong = {m: sorted(_relative_imports(SSLCORE / f"{m}.py") & forbidden) for m in layer}
    assert not {m: w for m, w in wrong.items() if w}


def test_no_long_functions_or_modules():
    """No function over 50 lines, no module over 500 lines in sslcore (checkers included)."""
    long = []
    for path in sorted(SSLCORE.rglob("*.py")):
        src = path.read_text()
        if len(src.splitlines()) > 500:
            long.append(f"{path.relative_to(ROOT)}: {len(src.splitlines())} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > 50:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size} lines")
    assert not long, "\n".join(long)

"""Package metadata: the version is written once, the licences are where pyproject says."""
import importlib.metadata
import tomllib
from pathlib import Path

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

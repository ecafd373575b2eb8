"""The book's configuration parses and says what the book issue requires (a broken _config.yml
otherwise surfaces only in `make book`)."""
import os
import re
from pathlib import Path

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..")


def _load(name):
    with open(os.path.join(ROOT, name)) as f:
        return yaml.safe_load(f)


def test_config_parses_and_has_the_required_settings():
    cfg = _load("_config.yml")
    assert cfg["execute"]["execute_notebooks"] in ("force", "cache")
    assert cfg["only_build_toc_files"] is True
    ext = cfg["sphinx"]["extra_extensions"]
    for name in ("sphinx_proof", "sphinx_exercise", "sphinx-mathjax-offline"):
        assert name in ext
    conf = cfg["sphinx"]["config"]
    # Never a folder named _static: Jupyter Book would inject its .js/.css into every page.
    assert conf["html_static_path"] == ["widgets", "book_static"]
    assert not os.path.exists(os.path.join(ROOT, "_static"))
    assert conf["html_css_files"] == ["book.css"]
    assert list(conf["nb_ipywidgets_js"])[-1].endswith("embed-amd.js")
    assert "references.bib" in cfg["bibtex_bibfiles"]
    # The master notebooks (solutions, hidden tests) never reach the published book.
    assert "assignments/masters" in cfg["exclude_patterns"]
    # Assignments are hand-outs: not executed by the book (their `...` bodies fail by design).
    assert "assignments/*" in cfg["execute"]["exclude_patterns"]
    assert "assignments/masters/*" in cfg["execute"]["exclude_patterns"]


def test_publishing_is_one_setting_and_off_until_set():
    """No placeholder repository: the buttons are off while repository.url is empty, and the
    local extension (_ext/book_pages.py) derives the repository button from that one URL."""
    import importlib.util
    import types

    cfg = _load("_config.yml")
    assert cfg["repository"]["url"] in ("", None) or "example" not in cfg["repository"]["url"]
    assert cfg["html"]["use_repository_button"] is False      # the extension decides
    assert cfg["sphinx"]["local_extensions"] == {"book_pages": "_ext"}
    spec = importlib.util.spec_from_file_location("book_pages",
                                                  os.path.join(ROOT, "_ext", "book_pages.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for url, button in (("", False), ("https://github.com/o/n", True)):
        opts = {"repository_url": url, "use_repository_button": False,
                "launch_buttons": {"binderhub_url": "https://mybinder.org"}}
        mod.publishing(None, types.SimpleNamespace(html_theme_options=opts))
        assert opts["use_repository_button"] is button
        assert bool(opts["launch_buttons"]) is button


def test_every_toc_entry_exists_and_no_solution_is_listed():
    toc = _load("_toc.yml")
    assert toc["format"] == "jb-book"
    files = [toc["root"]] + [c["file"] for c in toc["chapters"]]
    for f in files:
        assert any(os.path.exists(os.path.join(ROOT, f + ext)) for ext in (".md", ".ipynb")), f
        assert "solutions" not in f and "masters" not in f


def test_toc_lists_the_hand_out_of_every_assignment():
    """Every master notebook has its student hand-out in the toc (assignments/NAME)."""
    toc = _load("_toc.yml")
    files = [c["file"] for c in toc["chapters"]]
    masters = sorted(os.path.splitext(n)[0]
                     for n in os.listdir(os.path.join(ROOT, "assignments", "masters"))
                     if n.endswith(".ipynb"))
    assert len(masters) >= 3
    for name in masters:
        assert f"assignments/{name}" in files, name


def test_binder_installs_the_requirements_and_the_package():
    """The Binder launch button builds from binder/: the pinned requirements plus sslcore."""
    req = open(os.path.join(ROOT, "binder", "requirements.txt")).read().split("\n")
    assert "-r ../requirements.txt" in req
    post = os.path.join(ROOT, "binder", "postBuild")
    assert os.access(post, os.X_OK) and "pip install --no-deps -e ." in open(post).read()


def test_api_reference_lists_every_module():
    """api.md documents every sslcore module (automodule), and the toc shows it."""
    root = Path(ROOT)
    listed = set(re.findall(r"\.\. automodule:: sslcore\.(\w+)", (root / "api.md").read_text()))
    modules = {p.stem for p in (root / "sslcore").glob("*.py")} - {"__init__", "__main__"}
    # the coursework's checkers and builder are documented in assignments/README.md
    assert modules - {"assignments"} == listed
    assert "file: api" in (root / "_toc.yml").read_text()

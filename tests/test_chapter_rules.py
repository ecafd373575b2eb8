"""Every chapter notebook follows CONTRIBUTING.md (scripts/audit_chapters.py)."""
import glob
import importlib.util
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
spec = importlib.util.spec_from_file_location("audit_chapters",
                                              os.path.join(ROOT, "scripts", "audit_chapters.py"))
audit_chapters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_chapters)

CHAPTERS = sorted(glob.glob(os.path.join(ROOT, "chapters", "*.ipynb")))


@pytest.mark.parametrize("path", CHAPTERS, ids=os.path.basename)
def test_chapter_follows_the_rules(path):
    assert audit_chapters.audit(path) == []


def test_every_chapter_is_in_the_toc():
    toc = open(os.path.join(ROOT, "_toc.yml")).read()
    for path in CHAPTERS:
        assert "chapters/" + os.path.basename(path)[:-len(".ipynb")] in toc


def test_audit_catches_a_violation(tmp_path):
    import json
    nb = {"cells": [{"cell_type": "markdown", "source": ["# T\n### jump"], "metadata": {}},
                    {"cell_type": "code", "source": ["def my_loss(w):\n    pass"], "metadata": {},
                     "execution_count": None, "outputs": []},
                    {"cell_type": "code", "source": ["x = 1  # " + "-" * 80], "metadata": {},
                     "execution_count": 1,
                     "outputs": [{"output_type": "stream", "name": "stdout",
                                  "text": ["ok\n", "y" * 80 + "\n"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "x.ipynb"
    p.write_text(json.dumps(nb))
    problems = " ".join(audit_chapters.audit(str(p)))
    words = ("jumps", "exercises", "objectives", "summary", "widget", "my_loss", "not executed",
             "line 1 over 79 characters", "a printed line over 79 characters")
    for word in words:
        assert word in problems


def test_audit_requires_the_chapter_prefix_on_labels(tmp_path):
    import json
    md = ("```{prf:theorem} T\n:label: thm-ift\n\nx\n```\n"
          "```{exercise} E\n:label: ex-ch5-ok\n\ny\n```")
    nb = {"cells": [{"cell_type": "markdown", "source": [md], "metadata": {}}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "05_x.ipynb"
    p.write_text(json.dumps(nb))
    problems = " ".join(audit_chapters.audit(str(p)))
    assert "'thm-ift' lacks the chapter prefix" in problems and "ex-ch5-ok" not in problems

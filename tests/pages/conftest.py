"""Page tests: the built book as a reader sees it (headless Chromium, offline).

Run after `make book` (the Makefile's `test` target does both):
    .venv/bin/python -m pytest tests/pages [--book _build/html]
They need Debian's chromium (scripts/ensure_chromium.sh installs it) and playwright.
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import reader_check  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--book", default=str(ROOT / "_build" / "html"),
                     help="folder of the built book (default: _build/html)")


@pytest.fixture(scope="session")
def browser_ok():
    if reader_check.find_chromium() is None:
        pytest.fail("no Chromium: run scripts/ensure_chromium.sh (apt-get install -y chromium)")
    return True


@pytest.fixture(scope="session")
def book_dir(request):
    book = Path(request.config.getoption("--book"))
    if not (book / "intro.html").is_file():
        pytest.fail(f"no built book in {book}: run `make book` first")
    return book


@pytest.fixture(scope="session")
def book_reports(book_dir, browser_ok):
    """Every page at every width, checked once: {(page, width): PageReport}."""
    reports = reader_check.check_book(book_dir)
    return {(r.page, r.width): r for r in reports}

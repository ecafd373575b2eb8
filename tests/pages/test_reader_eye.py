"""The reader's-eye test of the built book: every page, at 1280 px and 390 px, offline.

What a page must not show is listed in scripts/reader_check.py (raw TeX, prose set as math,
tracebacks, nbval markers, machine paths, placeholder or dead links, JavaScript errors, failed
or outgoing requests, cut-off tables/equations/output, figure text under 9 px, two search
boxes, explorers whose figure does not follow the slider)."""
from pathlib import Path

import pytest
import reader_check

BOOK = Path(__file__).resolve().parents[2] / "_build" / "html"
# Every page of the toc must be there: a page that silently disappears is no pass.
EXPECTED = ["intro.html", "bibliography.html",
            "chapters/01_setup.html", "chapters/02_convergence.html",
            "chapters/03_ift.html", "chapters/04_ssl_vs_sl.html", "chapters/05_beyond.html",
            "assignments/A1_gradients_and_features.html", "assignments/A2_ift_constants.html",
            "assignments/A3_ascent_rate.html", "api.html"]


def test_every_toc_page_was_built(book_dir):
    pages = reader_check.book_pages(book_dir)
    missing = [p for p in EXPECTED if p not in pages]
    assert not missing, f"pages missing from the build: {missing}"


@pytest.mark.parametrize("width", reader_check.WIDTHS)
@pytest.mark.parametrize("page", EXPECTED)
def test_page_reads_clean(book_reports, page, width):
    rep = book_reports.get((page, width))
    assert rep is not None, f"{page} was not checked"
    assert not rep.problems, f"{page} at {width}px:\n" + "\n".join(f"  - {p}" for p in rep.problems)


@pytest.mark.parametrize("page", [p for p in EXPECTED if p.startswith("chapters/")])
def test_chapter_explorer_works_without_a_kernel(book_reports, page):
    """Each chapter has an explorer, and in the static page a slider changes its figure."""
    rep = book_reports[(page, 1280)]
    assert any("changes the figure" in n for n in rep.notes), \
        f"{page}: no explorer whose slider changes the figure ({rep.notes})"


@pytest.mark.parametrize("page", [p for p in EXPECTED if p.startswith("chapters/")])
def test_chapter_pages_stay_small(book_dir, page):
    size = (book_dir / page).stat().st_size
    assert size < 5e6, f"{page} is {size / 1e6:.1f} MB (limit 5 MB)"

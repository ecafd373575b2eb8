"""The reader's-eye check catches each defect the book once had (issue: the book as a reader
sees it). Each page below reproduces one defect in a few lines of HTML, as the built book
showed it; the check must name it. A clean page must pass, so the check is not merely strict.
Runs in headless Chromium, like the page test; needs no built book."""
import pytest
import reader_check

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sslcore import plots  # noqa: E402

HEAD = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0 }} article.bd-article {{ width: min(700px, calc(100vw - 32px)); margin: 0 16px }}
img {{ max-width: 100% }} pre {{ overflow-x: auto }}
</style></head><body><article class="bd-article"><section><h1>{title}</h1>{body}
</section></article></body></html>"""

PAGES = {
    # Chapter 2: $$ glued to text, MyST set the paragraph as one inline formula.
    "garbled.html": ({"math-prose", "raw-tex"},
                     '<p>on <span class="math notranslate nohighlight">\\( with fresh views '
                     'at every step, \\)</span> and \\eta = 10^{-3} stays raw</p>'),
    # Assignments: tracebacks with the build machine's paths.
    "traceback.html": ({"error-output", "machine-path"},
                       '<div class="cell_output"><div class="output traceback"><pre>Traceback '
                       '(most recent call last)\n  File /work/main/sslcore/assignments.py:140\n'
                       'NotImplementedError: Task 1</pre></div></div>'),
    # Chapter 2: a three-panel figure shown at 44 %.
    "smallfig.html": ({"small-text"}, '<div class="cell_output"><img src="wide.png"></div>'),
    # Chapter 3: the IFT table, its right columns hidden.
    "cutoff.html": ({"cut-off"}, '<div class="cell_output"><div class="output"><pre>'
                    + "check  ||A^-1||  ||f(x0)||  r  " * 8 + "</pre></div></div>"),
    # A long inline name widening an exercise box that hides its overflow (390 px).
    "clipbox.html": ({"cut-off"}, '<div class="admonition" style="overflow: hidden"><p>Call <code>'
                     '<span style="white-space: nowrap">' + "training.init_ssl(config)" * 6
                     + '</span></code></p></div>'),
    "marker.html": ({"nbval-marker"}, '<div class="cell_input"><pre># NBVAL_CHECK_OUTPUT\n'
                    'x = 1</pre></div>'),
    # Chapter 2's PAPER.md, the placeholder repository, a dead page and a dead anchor.
    "links.html": ({"link"}, '<p><a href="http://PAPER.md">PAPER.md</a> <a href="https://github.com/'
                   'example/ssl-learnability-book">repo</a> <a href="gone.html">gone</a> '
                   '<a href="links.html#nowhere">anchor</a></p>'),
    # sphinx-thebe's config declared twice; a font file that is not there.
    "jserror.html": ({"js-error", "request"}, '<script>const THEBE_JS_URL = 1;</script>'
                     '<script>const THEBE_JS_URL = 2;</script><img src="missing.woff2.png">'),
    "network.html": ({"request"}, '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>'),
    "twosearch.html": ({"search"}, '<button class="search-button-field">Search</button>'
                       '<button class="search-button-field">Search</button>'),
    # An explorer whose slider moves while the figure stays (no kernel behind the page).
    "deadexplorer.html": ({"explorer"}, '<div class="widget-subarea"><input type="range" min="0" '
                          'max="9" value="3"><img src="narrow.png"></div>'),
}
CLEAN = {
    # (math as MathJax leaves it: the TeX replaced by an mjx-container)
    "clean.html": '<p>Text with <span class="math notranslate nohighlight"><mjx-container>x²'
                  '</mjx-container></span>.</p>'
                  '<div class="cell_output"><img src="narrow.png"></div>',
    "liveexplorer.html": '<div class="widget-subarea">'
                         '<input type="range" min="0" max="9" value="3"'
                         ' oninput="this.nextElementSibling.src = this.value % 2 ? '
                         '\'narrow.png\' : \'narrow2.png\'"><img src="narrow.png"></div>',
    # The word nbval in prose (the intro's make test line) is not a marker.
    "nbvalprose.html": '<p>make test runs the chapters under nbval (NBVAL checks).</p>',
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory, browser_ok):
    root = tmp_path_factory.mktemp("defects")
    (root / "intro.html").write_text(HEAD.format(title="intro", body="<p>intro</p>"))
    for name, (_, body) in PAGES.items():
        (root / name).write_text(HEAD.format(title=name, body=body))
    for name, body in CLEAN.items():
        (root / name).write_text(HEAD.format(title=name, body=body))
    pngs = (("wide.png", 3, "a"), ("narrow.png", 1, "b"), ("narrow2.png", 1, "c"))
    for name, ncols, label in pngs:
        fig, axes = plt_figure(ncols)
        axes[0].set_title(label)
        (root / name).write_bytes(plots.png_bytes(fig))
    reps = reader_check.check_book(root, list(PAGES) + list(CLEAN))
    return {(r.page, r.width): r for r in reps}


def plt_figure(ncols):
    import matplotlib.pyplot as plt

    plots.use_style()
    fig, axes = plt.subplots(1, ncols, figsize=(5.0 * ncols, 3.6), squeeze=False)
    for ax in axes.ravel():
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("step $t$")
    return fig, axes.ravel()


@pytest.mark.parametrize("page", list(PAGES))
def test_each_old_defect_is_named(reports, page):
    want = PAGES[page][0]
    found = {p.kind for p in reports[(page, 1280)].problems}
    assert want <= found, f"{page}: want {want}, the check found {found}"


def test_cut_off_output_fails_at_390_px_too(reports):
    assert "cut-off" in {p.kind for p in reports[("cutoff.html", 390)].problems}


@pytest.mark.parametrize("page", list(CLEAN))
def test_clean_pages_pass(reports, page):
    for width in reader_check.WIDTHS:
        assert not reports[(page, width)].problems, reports[(page, width)].problems


def test_live_explorer_is_recognised(reports):
    assert any("changes the figure" in n for n in reports[("liveexplorer.html", 1280)].notes)

"""The reader's-eye check: open every page of the built book in headless Chromium, offline,
at 1280 px and 390 px wide, and report what a reader would see that is broken.

    python scripts/reader_check.py [BUILD_DIR] [--widths 1280 390] [--screenshots DIR] [PAGE ...]

Exit status 0: every page passed; 1: a page failed; 2: no build or no browser. The page tests
(`tests/pages/`) call :func:`check_book` through pytest; this command prints the same report and
can save full-page screenshots to look at.

A page fails on (each check names the element and shows a snippet):
  raw-tex       TeX left raw in prose (backslash commands, ^{ or _{, $ signs), math not typeset
  math-prose    prose swallowed into a formula (several English words inside one formula)
  error-output  an error, traceback or warning shown in a cell output
  nbval-marker  an nbval marker shown on the page
  machine-path  a path of the build machine shown (/work/..., site-packages, ...)
  link          a placeholder URL, a file name auto-linked as a web site, or a dead internal link
  js-error      an uncaught JavaScript error or a console error
  request       a request that failed (missing file) or that left the machine (the book is offline)
  cut-off       at 1280 px: a table, code or output line, equation or figure that does not fit
                the text column; at 390 px: one that is clipped with no sign that it scrolls
  small-text    a figure whose smallest text renders under MIN_TEXT_PX CSS px (checked at 1280 px)
  search        more than one search box in view
  explorer      a widget explorer whose sliders move but whose figure does not change
Needs Debian's chromium (apt-get install -y chromium) and the Python package playwright.
"""
from __future__ import annotations

import argparse
import base64
import functools
import html
import http.server
import os
import re
import shutil
import struct
import sys
import threading
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MIN_TEXT_PX = 9.0          # smallest readable figure text, CSS px, at a 1280 px window
FIGURE_TEXT_PX_KEY = "sslcore min text px"   # PNG text chunk written by sslcore.plots.png_bytes
DEFAULT_FONT_PT = 10.0     # matplotlib's default size, assumed when a PNG has no record
WIDTHS = (1280, 390)
SKIP_PAGES = {"genindex.html", "search.html", "prf-prf.html", "index.html"}
PLACEHOLDERS = re.compile(
    r"example/ssl-learnability-book|github\.com/example\b|example\.(?:com|org)\b"
    r"|binder-examples/jupyter-stacks-datascience|executablebooks/jupyter-book")
FILE_AS_HOST = re.compile(r"\.(?:md|py|ipynb|txt|ya?ml|json|csv|sh|toml|cfg)$", re.I)
MACHINE_PATH = re.compile(r"(?:/work/|/home/\w|/root/|/tmp/|site-packages|/usr/lib/python)")
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\w*(?:Error|Exception)\b.*:|"
                        r"\w+Warning:", re.M)
HOST = "127.0.0.1"


@dataclass
class Problem:
    kind: str
    detail: str

    def __str__(self):
        return f"{self.kind}: {self.detail}"


@dataclass
class PageReport:
    page: str
    width: int
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, kind, detail):
        p = Problem(kind, _short(detail))
        if all(str(p) != str(q) for q in self.problems):
            self.problems.append(p)


def _short(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------- the browser
def find_chromium():
    """Path of a Chromium binary ($CHROMIUM, then chromium / chromium-browser on PATH)."""
    for c in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if c and shutil.which(c):
            return shutil.which(c)
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class BookServer:
    """Serve a folder on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, root):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), handler)
        self.origin = f"http://{HOST}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def launch(playwright):
    """Headless Chromium, offline (every host name resolves to nothing).

    Scroll bars are hidden, as phones and macOS show them (overlay bars, invisible until one
    scrolls): a box that scrolls must show that it does by itself (see reader_check.js).
    """
    exe = find_chromium()
    if exe is None:
        raise RuntimeError("no Chromium found: apt-get install -y chromium (or set $CHROMIUM)")
    return playwright.chromium.launch(
        executable_path=exe,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])


# ----------------------------------------------------------------------------- PNG records
def png_chunks(data):
    """{chunk type: [payload, ...]} of a PNG file (empty for other formats)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return {}
    chunks, i = {}, 8
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        chunks.setdefault(kind.decode("latin-1"), []).append(data[i + 8:i + 8 + length])
        i += 12 + length
    return chunks


def figure_text_px(data):
    """(smallest text in image px, how it is known) of a PNG: the record sslcore writes, else
    matplotlib's default font size at the PNG's dpi (pHYs), else None."""
    chunks = png_chunks(data)
    for payload in chunks.get("tEXt", []):
        key, _, value = payload.partition(b"\0")
        if key.decode("latin-1") == FIGURE_TEXT_PX_KEY:
            return float(value), "recorded"
    for payload in chunks.get("zTXt", []):
        key, _, rest = payload.partition(b"\0")
        if key.decode("latin-1") == FIGURE_TEXT_PX_KEY:
            return float(zlib.decompress(rest[1:])), "recorded"
    if "pHYs" in chunks:
        ppu_x, _, unit = struct.unpack(">IIB", chunks["pHYs"][0][:9])
        if unit == 1:
            return DEFAULT_FONT_PT * ppu_x * 0.0254 / 72, "estimated (no record; 10 pt at its dpi)"
    return None, "unknown"


# ----------------------------------------------------------------------------- static checks
MATH_SPAN = re.compile(r'<(span|div) class="math notranslate nohighlight">(.*?)</\1>', re.S)
TEXT_GROUP = re.compile(r"\\(?:text\w*|mathrm|operatorname\*?|mbox|mathsf|textrm|mathit|begin|end)"
                        r"\s*\{[^{}]*\}")
COMMAND = re.compile(r"\\[A-Za-z]+")


def swallowed_prose(tex):
    """English words inside a formula outside \\text{...}: a sign that prose became math."""
    body = TEXT_GROUP.sub(" ", tex)
    body = COMMAND.sub(" ", body)
    words = re.findall(r"(?<![A-Za-z])[A-Za-z]{4,}(?![A-Za-z])", body)
    if "$" in body:
        return words + ["$"]
    return words if len(words) >= 2 else []


def check_source(report, src):
    """Checks on the page's HTML as built (math source, placeholders)."""
    for m in MATH_SPAN.finditer(src):
        tex = html.unescape(re.sub(r"<[^>]+>", " ", m.group(2)))
        words = swallowed_prose(tex)
        if words:
            report.add("math-prose", f"prose inside a formula ({' '.join(words[:6])}): {tex[:100]}")
    for m in PLACEHOLDERS.finditer(src):
        report.add("link", f"placeholder in the page: {m.group(0)!r}")


def check_links(report, links, root, origin, page_rel):
    """Placeholder and file-name links; internal links must reach a file and an anchor."""
    ids_cache = {}
    for link in links:
        href = link["href"]
        if not href or href.startswith(("javascript:", "mailto:", "data:", "blob:")):
            continue
        url = urllib.parse.urlsplit(href)
        if PLACEHOLDERS.search(href):
            report.add("link", f"placeholder link {href!r} ({link['text']!r})")
        if url.scheme in ("http", "https") and not href.startswith(origin):
            if url.hostname and FILE_AS_HOST.search(url.hostname):
                report.add("link", f"a file name linked as a web site: {href!r}")
            continue
        if not href.startswith(origin):
            continue
        path = root / urllib.parse.unquote(url.path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            report.add("link", f"dead internal link {url.path!r} ({link['text']!r})")
            continue
        if url.fragment and path.suffix == ".html":
            if path not in ids_cache:
                html = path.read_text(encoding="utf-8", errors="replace")
                ids_cache[path] = set(re.findall(r'\b(?:id|name)="([^"]+)"', html))
            if urllib.parse.unquote(url.fragment) not in ids_cache[path]:
                report.add("link", f"dead anchor #{url.fragment} in {url.path} ({link['text']!r})")


# ----------------------------------------------------------------------------- in the page
PAGE_JS = Path(__file__).with_name("reader_check.js").read_text(encoding="utf-8")

READY_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const want = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]').length;
  for (let i = 0; i < 100 && document.querySelectorAll('.widget-subarea').length < want; i++)
    await new Promise(r => setTimeout(r, 100));
  await new Promise(r => setTimeout(r, 300));
}"""

FETCH_JS = """async (src) => {
  const b = new Uint8Array(await (await fetch(src)).arrayBuffer());
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
}"""


def check_dom(report, page, width):
    """Checks on the rendered page (after MathJax and the widget manager ran)."""
    res = page.evaluate(PAGE_JS, width >= 1280)
    for t in res["rawTex"]:
        report.add("raw-tex", f"TeX shown as text: {t!r}")
    if res["untypeset"]:
        report.add("raw-tex", f"{res['untypeset']} formula(s) not typeset by MathJax")
    for t in res["errors"]:
        report.add("error-output", t)
    body = res["text"]
    for m in re.finditer(r".{0,40}\bNBVAL_[A-Z_]+.{0,30}", body):
        report.add("nbval-marker", m.group(0))
    for m in re.finditer(r".{0,40}" + MACHINE_PATH.pattern + r".{0,40}", body):
        report.add("machine-path", m.group(0))
    for c in res["cutoff"]:
        report.add("cut-off", c)
    if res["searchBoxes"] > 1:
        report.add("search", f"{res['searchBoxes']} search boxes in view")
    for img in res["images"]:
        data = base64.b64decode(page.evaluate(FETCH_JS, img["src"]))
        px, how = figure_text_px(data)
        if px is None or not img["naturalWidth"]:
            continue
        shown = px * img["width"] / img["naturalWidth"]
        scale = img["width"] / img["naturalWidth"]
        report.notes.append(
            f"figure {img['where']}: text {shown:.1f} px ({how}), scale {scale:.0%}")
        if width >= 1280 and shown < MIN_TEXT_PX:
            report.add("small-text", f"figure {img['where']}: smallest text {shown:.1f} CSS px "
                       f"< {MIN_TEXT_PX:g} ({how}; shown at {scale:.0%} of "
                       f"{img['naturalWidth']} px)")
    return res


EXPLORER_JS = """(i) => {
  const root = document.querySelectorAll('.widget-subarea')[i];
  return Array.from(root.querySelectorAll('img')).filter(e => e.offsetParent !== null)
    .map(e => e.src.slice(0, 64) + e.src.length + ':' + e.naturalWidth + 'x' + e.naturalHeight)
    .join('|');
}"""


def check_explorers(report, page):
    """Move each explorer's sliders with the keyboard; some slider must change the figure."""
    areas = page.locator(".widget-subarea")
    for i in range(areas.count()):
        handles = areas.nth(i).locator(".noUi-handle, input[type=range]")
        if handles.count() == 0 or areas.nth(i).locator("img").count() == 0:
            continue
        before, changed, names = page.evaluate(EXPLORER_JS, i), False, []
        for k in range(handles.count()):
            handle = handles.nth(k)
            label = handle.evaluate(
                "e => (e.closest('.widget-slider, .widget-hslider, .jupyter-widgets')"
                "?.querySelector('.widget-label')?.textContent || '?').trim()")
            names.append(label)
            for key in ("ArrowRight", "End"):
                handle.focus()
                page.keyboard.press(key)
                page.wait_for_timeout(400)
                if page.evaluate(EXPLORER_JS, i) != before:
                    changed = True
                    report.notes.append(f"explorer {i + 1}: slider {label!r} changes the figure")
                    break
            if changed:
                break
        if not changed:
            report.add("explorer", f"explorer {i + 1}: moving its sliders ({', '.join(names)}) "
                       "does not change the figure (the page has no kernel)")


def check_page(context, root, origin, rel, width, screenshot=None, explorers=True):
    """Open one page at one width and run every check; returns a PageReport."""
    report = PageReport(rel, width)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.on("pageerror", lambda e: report.add("js-error", f"uncaught: {e}"))
    page.on("console", lambda m: m.type == "error" and report.add("js-error", f"console: {m.text}"))
    page.on("requestfailed", lambda r: report.add(
        "request", f"{r.url.replace(origin, '')} failed ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and report.add(
        "request", f"{r.url.replace(origin, '')} answered {r.status}"))
    try:
        page.goto(f"{origin}/{rel}", wait_until="load", timeout=60_000)
        page.evaluate(READY_JS)
        check_source(report, (root / rel).read_text(encoding="utf-8", errors="replace"))
        res = check_dom(report, page, width)
        check_links(report, res["links"], root, origin, rel)
        if explorers and width >= 1280:
            check_explorers(report, page)
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return report


def book_pages(root):
    """The book's content pages (relative paths), without Sphinx's index/search pages."""
    root = Path(root)
    pages = []
    for p in sorted(root.rglob("*.html")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel in SKIP_PAGES:
            continue
        pages.append(rel)
    return pages


def make_context(browser, origin):
    """A browser context that serves only the book: any other request is aborted and counted."""
    context = browser.new_context(device_scale_factor=1)
    outside = []

    def route(r):
        url = r.request.url
        if url.startswith((origin, "data:", "blob:")):
            return r.continue_()
        outside.append(url)
        return r.abort()

    context.route("**/*", route)
    return context, outside


def check_book(root, pages=None, widths=WIDTHS, screenshots=None, explorers=True):
    """Run every check on every page at every width; returns the list of PageReports."""
    from playwright.sync_api import sync_playwright

    root = Path(root).resolve()
    pages = pages or book_pages(root)
    reports = []
    with BookServer(root) as server, sync_playwright() as pw:
        browser = launch(pw)
        try:
            for width in widths:
                context, outside = make_context(browser, server.origin)
                for rel in pages:
                    shot = None
                    if screenshots:
                        Path(screenshots).mkdir(parents=True, exist_ok=True)
                        shot = Path(screenshots) / f"{rel[:-5].replace('/', '_')}_{width}.png"
                    n_out = len(outside)
                    rep = check_page(context, root, server.origin, rel, width, shot, explorers)
                    for url in outside[n_out:]:
                        rep.add("request", f"the page asked the network for {url}")
                    reports.append(rep)
                context.close()
        finally:
            browser.close()
    return reports


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="_build/html")
    ap.add_argument("pages", nargs="*", help="pages relative to BUILD (default: all)")
    ap.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    ap.add_argument("--screenshots", help="folder for full-page screenshots")
    ap.add_argument("--notes", action="store_true",
                    help="also print what passed (figure scales...)")
    args = ap.parse_args(argv)
    root = Path(args.build)
    if not (root / "intro.html").is_file():
        print(f"reader_check: no built book in {root} (run make book)", file=sys.stderr)
        return 2
    if find_chromium() is None:
        print("reader_check: no Chromium; apt-get install -y chromium", file=sys.stderr)
        return 2
    reports = check_book(root, args.pages or None, args.widths, args.screenshots)
    bad = 0
    for rep in reports:
        print(f"{'FAIL' if rep.problems else 'ok  '} {rep.page} @ {rep.width}px")
        for p in rep.problems:
            print(f"     - {p}")
        if args.notes:
            for n in rep.notes:
                print(f"       . {n}")
        bad += bool(rep.problems)
    print(f"reader_check: {len(reports) - bad}/{len(reports)} page views pass")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

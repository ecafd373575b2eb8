// Run in the rendered page by scripts/reader_check.py; returns what a reader sees.
// strict (the 1280 px check): nothing in the text column may be clipped at all; otherwise a
// clipped box passes if it shows that it scrolls (the scroll shadows of _static/book.css).
(strict) => {
  const col = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  // A reader opens the dropdowns (solutions): check their content too.
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("button.toggle-button").forEach(b => {
    if (b.getAttribute("aria-expanded") === "false") b.click();
  });

  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) &&
    getComputedStyle(e).visibility !== "hidden";
  const where = e => {
    const sec = e.closest("section");
    const h = sec && sec.querySelector("h1, h2, h3, h4");
    return (h ? "in '" + h.textContent.replace(/[#¶]/g, "").trim().slice(0, 50) + "'" : "on the page");
  };

  // 1. TeX left raw in prose: text outside formulas, code and outputs.
  // dt.sig: a Python signature on the API page is code (defaults may hold TeX labels).
  const SKIP = "script, style, pre, code, mjx-container, .highlight, textarea, .MathJax, svg, dt.sig, " +
               ".cell_output, .output, .widget-subarea, .jupyter-widgets";
  const rawTex = [];
  const walker = document.createTreeWalker(col, NodeFilter.SHOW_TEXT, null);
  let n;
  while ((n = walker.nextNode())) {
    const p = n.parentElement;
    if (!p || p.closest(SKIP) || !visible(p)) continue;
    const t = n.nodeValue;
    const m = t.match(/\\[A-Za-z]{2,}|\\[{}()[\]]|\$|\^\{|_\{/);
    if (m) rawTex.push(t.slice(Math.max(0, m.index - 30), m.index + 40).trim() + " (" + where(p) + ")");
  }
  const untypeset = Array.from(col.querySelectorAll(".math")).filter(
    e => !e.querySelector("mjx-container") && e.tagName !== "MJX-CONTAINER").length;

  // 2. Errors shown in outputs.
  const errors = [];
  col.querySelectorAll(".output.traceback, .output.error").forEach(e => {
    errors.push("traceback shown " + where(e) + ": " + e.textContent.trim().split("\n").slice(-1)[0].slice(0, 120));
  });
  col.querySelectorAll(".output.stderr, .output.stream, .cell_output pre").forEach(e => {
    const t = e.textContent;
    const m = t.match(/Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b[^\n]*:|\w+Warning:/m);
    if (m) errors.push("error text in an output " + where(e) + ": " + t.slice(m.index, m.index + 120));
  });
  col.querySelectorAll(".cell_output img").forEach(e => {
    if (e.naturalWidth === 0) errors.push("broken image " + where(e));
  });

  // 3. Cut off: wider than its clipping box without a visible scroll bar, or than the column.
  const colRight = col.getBoundingClientRect().right;
  const scrollCue = e => {
    const s = getComputedStyle(e);
    if (s.overflowX === "hidden" || s.overflowX === "clip") return false;
    return /gradient/.test(s.backgroundImage) && /local/.test(s.backgroundAttachment);
  };
  const CAND = "table, pre, mjx-container, div.math, .cell_output img, " +
               ".cell_output > .output, .widget-subarea, .jupyter-widgets img, .figure img, figure img";
  const cutoff = [];
  const seen = new Set();
  col.querySelectorAll(CAND).forEach(el => {
    if (!visible(el)) return;
    // MathJax keeps an invisible copy of each formula (assistive MathML) that inflates
    // scrollWidth: for a formula's own boxes, compare the drawn formula (mjx-math) instead.
    const drawn = el.tagName === "MJX-CONTAINER" && el.querySelector("mjx-math");
    const own = drawn ? new Set([el, el.parentElement]) : new Set();
    let clip = null;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const wide = own.has(a) ? drawn.getBoundingClientRect().width : a.scrollWidth;
      if (s.overflowX !== "visible" && wide > a.clientWidth + 1) { clip = a; break; }
      if (a === col) break;
    }
    const r = el.getBoundingClientRect();
    let msg = null;
    if (clip) {
      const size = `${Math.round(clip.scrollWidth)} px of content in a ${Math.round(clip.clientWidth)} px box`;
      if (strict) {
        msg = `${el.tagName.toLowerCase()} ${where(el)} does not fit the text column (${size})`;
      } else if (!scrollCue(clip)) {
        msg = `${el.tagName.toLowerCase()} ${where(el)} is cut off: ${size} with no sign that it scrolls`;
      }
    } else if (r.right > colRight + 2 && r.width > 0) {
      msg = `${el.tagName.toLowerCase()} ${where(el)} sticks out of the text column by ${Math.round(r.right - colRight)} px`;
    }
    if (msg) {
      const key = clip || el;
      if (!seen.has(key)) { seen.add(key); cutoff.push(msg + ": " + el.textContent.trim().slice(0, 60)); }
    }
  });
  // Any other box that clips its content (an admonition with overflow hidden, ...).
  col.querySelectorAll("*").forEach(a => {
    if (seen.has(a) || a.tagName.startsWith("MJX-") || !visible(a)) return;
    const s = getComputedStyle(a);
    if (s.overflowX === "visible") return;
    const drawn = a.matches("span.math") && a.querySelector("mjx-math");
    const wide = drawn ? drawn.getBoundingClientRect().width : a.scrollWidth;
    if (wide <= a.clientWidth + 1 || a.clientWidth === 0) return;
    if (!strict && scrollCue(a)) return;
    seen.add(a);
    cutoff.push(`${a.tagName.toLowerCase()}.${a.className.toString().split(" ")[0]} ${where(a)} clips its content ` +
                `(${Math.round(wide)} px in ${a.clientWidth} px${strict ? "" : ", no sign that it scrolls"}): ` +
                a.textContent.trim().slice(0, 60));
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    cutoff.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window`);

  // 4. Search boxes in view.
  const searchBoxes = Array.from(document.querySelectorAll(
    ".search-button-field, .search-button__button, form.bd-search")).filter(e => {
      if (!visible(e)) return false;
      if (e.closest(".bd-search") && e.matches(".search-button__button")) return false;
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.bottom > 0 && r.top < window.innerHeight && !e.closest(".search-button__wrapper");
    }).length;

  // 5. Figures in the article (outputs and widget images) and links.
  const images = Array.from(col.querySelectorAll("img")).filter(e => visible(e) && e.naturalWidth > 60)
    .map(e => ({ src: e.src, naturalWidth: e.naturalWidth, width: e.getBoundingClientRect().width,
                 where: where(e) }));
  const links = Array.from(document.querySelectorAll("a[href]")).map(a => ({
    href: a.href, text: a.textContent.trim().slice(0, 40) }));

  // 6. Rendering: MathJax errors (bad TeX, an undefined macro shown in red), widgets drawn.
  col.querySelectorAll("mjx-merror").forEach(e => rawTex.push("MathJax error: " + e.textContent.slice(0, 60)));
  col.querySelectorAll("mjx-mtext").forEach(e => {
    if (/^\\[A-Za-z]+$/.test(e.textContent) && e.style.color === "red") rawTex.push("undefined TeX macro " + e.textContent);
  });
  const widgetViews = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const widgetAreas = document.querySelectorAll(".widget-subarea").length;
  if (widgetAreas < widgetViews)
    errors.push(`widgets not drawn: ${widgetAreas} of ${widgetViews} (the widget scripts did not run)`);

  return { rawTex, untypeset, errors, cutoff, searchBoxes, images, links,
           text: document.body.innerText };
}

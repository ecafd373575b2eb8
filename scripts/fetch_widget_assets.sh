#!/usr/bin/env bash
# Fetch the JavaScript that renders ipywidgets in the built (static, offline) book.
#
# Installs pinned npm packages with `npm install --no-save --prefix` into a throwaway,
# git-ignored folder (node_modules/.book-widget-assets/) and copies the files the pages
# need into the top-level, git-ignored folder widgets/jupyter-widgets/:
#   require.js      (requirejs)                    AMD loader used by embed-amd.js
#   embed-amd.js    (@jupyter-widgets/html-manager) widget manager + built-in controls, CSS inlined
#   *.woff2 ...     (@jupyter-widgets/html-manager) Font Awesome fonts (widget icons)
#   widgets-setup.js (written here)                 font path for embed-amd.js + MathJax 3 shim
# _config.yml lists widgets/ in html_static_path, so Sphinx copies these files to
# _build/html/_static/jupyter-widgets/, and points nb_ipywidgets_js at them.
#
# Idempotent: returns at once when the pinned versions are already in place.
# Usage: bash scripts/fetch_widget_assets.sh [--force]
set -euo pipefail

# Pinned versions. html-manager 1.0.x renders the ipywidgets 8 widget state
# (@jupyter-widgets/controls 5.x = model module version 2.0.0); 1.0.15 bundles controls 5.0.13.
HTML_MANAGER_VERSION="1.0.15"
REQUIREJS_VERSION="2.3.8"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/widgets/jupyter-widgets"
PREFIX="$ROOT/node_modules/.book-widget-assets"
STAMP="$DEST/VERSIONS"
# The stamp also holds this script's checksum, so editing the script refreshes widgets/.
WANT="@jupyter-widgets/html-manager@$HTML_MANAGER_VERSION requirejs@$REQUIREJS_VERSION script=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

if [[ "${1:-}" != "--force" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" \
      && -s "$DEST/embed-amd.js" && -s "$DEST/require.js" && -s "$DEST/widgets-setup.js" ]]; then
    echo "fetch_widget_assets: widgets/ is up to date ($WANT)"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "fetch_widget_assets: npm is not installed; it is needed once to fetch $WANT" >&2
    echo "  (Debian: apt-get install -y npm, or install Node.js >= 18)" >&2
    exit 1
fi

echo "fetch_widget_assets: installing $WANT from the npm registry"
mkdir -p "$PREFIX"
# --ignore-scripts: nothing here needs an install script (the dist files are prebuilt).
npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
    --prefer-offline --loglevel=error --prefix "$PREFIX" \
    "@jupyter-widgets/html-manager@$HTML_MANAGER_VERSION" "requirejs@$REQUIREJS_VERSION"

HM="$PREFIX/node_modules/@jupyter-widgets/html-manager"
RJ="$PREFIX/node_modules/requirejs"
for f in "$HM/dist/embed-amd.js" "$RJ/require.js"; do
    [[ -s "$f" ]] || { echo "fetch_widget_assets: missing $f after npm install" >&2; exit 1; }
done
grep -q "\"version\": \"$HTML_MANAGER_VERSION\"" "$HM/package.json" \
    || { echo "fetch_widget_assets: wrong html-manager version in $HM" >&2; exit 1; }

# Fresh copy into a temporary folder, then swap, so an interrupted run leaves no half state.
TMP="$(mktemp -d "$PREFIX/stage.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
cp "$RJ/require.js" "$TMP/require.js"
# embed-amd.js is self-contained (it defines base, controls, output and html-manager);
# its CSS is inlined; only the fonts are separate files, looked up next to the script.
cp "$HM/dist/embed-amd.js" "$TMP/embed-amd.js"
# Drop the sourceMappingURL comments: the .map files are not shipped (avoids 404s in devtools).
sed -i -e 's|^//# sourceMappingURL=.*$||' "$TMP/embed-amd.js"
shopt -s nullglob
for f in "$HM"/dist/*.woff2 "$HM"/dist/*.woff "$HM"/dist/*.ttf "$HM"/dist/*.eot "$HM"/dist/*.svg; do
    cp "$f" "$TMP/"
done
cp "$HM/dist/embed.js.LICENSE.txt" "$TMP/embed-amd.js.LICENSE.txt" 2>/dev/null || true
cat > "$TMP/NOTICE.txt" <<TXT
Fetched from the npm registry by scripts/fetch_widget_assets.sh:
  @jupyter-widgets/html-manager $HTML_MANAGER_VERSION (BSD-3-Clause, Project Jupyter): embed-amd.js, fonts
  requirejs $REQUIREJS_VERSION (MIT, jQuery Foundation and other contributors): require.js
Font Awesome Free fonts: SIL OFL 1.1.
TXT
cat > "$TMP/widgets-setup.js" <<'JS'
// Written by scripts/fetch_widget_assets.sh; loaded right after require.js, before embed-amd.js.
(function () {
  // 1. Fonts: the widget bundle resolves its font files against
  //    window.__jupyter_widgets_assets_path__; point it at the folder this script (and
  //    embed-amd.js) is served from, so nothing is fetched from a CDN, at any page depth.
  var s = document.currentScript;
  if (s && s.src) {
    window.__jupyter_widgets_assets_path__ = s.src.replace(/[^\/]*$/, "");
  }
  // 2. Math in widget labels: the widgets call the MathJax 2 API MathJax.Hub.Queue, but the
  //    book ships MathJax 3 (sphinx-mathjax-offline), where that call throws and aborts the
  //    widget's rendering. MathJax 3 replaces window.MathJax when it starts (deferred script),
  //    so the shim is installed on "load", which fires before the widgets are rendered.
  //    The book's MathJax only knows \( \) and \[ \] (MyST converts $ at build time), so
  //    $...$ and $$...$$ inside a widget are rewritten first, as Jupyter would render them.
  function dollarsToTex(el) {
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, null);
    var nodes = [], n;
    while ((n = walker.nextNode())) { if (n.nodeValue.indexOf("$") >= 0) nodes.push(n); }
    nodes.forEach(function (t) {
      t.nodeValue = t.nodeValue
        .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
        .replace(/(^|[^\\])\$([^$]+)\$/g, "$1\\($2\\)");
    });
  }
  // 3. The bundle also derives the URL of its font files from its own AMD module URI, which
  //    require.js resolves against the PAGE's folder (chapters/@jupyter-widgets/html-manager/
  //    dist/...: file not found). Map that module path to this script's folder.
  if (window.requirejs && s && s.src) {
    window.requirejs.config({
      paths: { "@jupyter-widgets/html-manager/dist": s.src.replace(/\/[^\/]*$/, "") }
    });
  }
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") return;
    mj.Hub = {
      Queue: function (cmd) {
        var el = cmd && cmd[2];
        if (!el || !el.nodeType) return;
        var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
        ready.then(function () {
          dollarsToTex(el);
          return mj.typesetPromise([el]);
        }).catch(function (e) { console.warn("widget math:", e); });
      }
    };
  });
})();
JS
echo "$WANT" > "$TMP/VERSIONS"

chmod 755 "$TMP"
chmod 644 "$TMP"/*
mkdir -p "$ROOT/widgets"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
echo "fetch_widget_assets: wrote $(ls "$DEST" | wc -l) files to widgets/jupyter-widgets ($(du -sh "$DEST" | cut -f1))"

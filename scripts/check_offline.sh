#!/usr/bin/env bash
# Check that the built book renders OFFLINE in a real browser (headless Chromium):
#   - every page with math: MathJax typeset it (<mjx-container> for each math node,
#     no <mjx-merror>, i.e. no unknown TeX macro);
#   - every page with ipywidgets: each saved widget view was rendered (a widget-subarea
#     holding jupyter-widgets DOM), using only the files in _static/jupyter-widgets;
#   - no page loads a script or stylesheet from the network.
# All host names resolve to nothing during the check, so a CDN dependency shows up as a
# failure. Needs Debian's chromium:  apt-get update && apt-get install -y chromium
#
# Usage: scripts/check_offline.sh [BUILD_DIR] [--screenshots DIR]
#   BUILD_DIR defaults to _build/html. Exit status 0: all good; 1: a check failed;
#   2: usage error or no browser.
# Environment: CHROMIUM (browser binary), VIRTUAL_TIME_MS (default 15000).
set -uo pipefail

BUILD_DIR="_build/html"
SHOTS=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --screenshots) SHOTS="${2:?--screenshots needs a folder}"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) BUILD_DIR="$1"; shift ;;
    esac
done
[[ -f "$BUILD_DIR/intro.html" || -f "$BUILD_DIR/index.html" ]] \
    || { echo "check_offline: no built book in '$BUILD_DIR' (run make book first)" >&2; exit 2; }
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"

CHROMIUM="${CHROMIUM:-}"
if [[ -z "$CHROMIUM" ]]; then
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then CHROMIUM="$c"; break; fi
    done
fi
[[ -n "$CHROMIUM" ]] || { echo "check_offline: no chromium; apt-get install -y chromium" >&2; exit 2; }
VT="${VIRTUAL_TIME_MS:-15000}"
[[ -n "$SHOTS" ]] && mkdir -p "$SHOTS"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

browser() {  # browser OUTFILE_FLAG... URL : one headless run, offline, fresh profile
    timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --disable-default-apps --mute-audio --hide-scrollbars \
        --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$WORK/profile" --enable-logging=stderr --v=0 \
        --virtual-time-budget="$VT" "$@" </dev/null
}

fail=0
pages=0
while IFS= read -r page; do
    rel="${page#"$BUILD_DIR"/}"
    case "$rel" in genindex.html|search.html|prf-prf.html|index.html) continue ;; esac
    pages=$((pages + 1))
    dom="$WORK/dom.html"; log="$WORK/console.log"
    browser --dump-dom "file://$page" >"$dom" 2>"$log"
    if [[ -n "$SHOTS" ]]; then
        shot="$SHOTS/$(echo "${rel%.html}" | tr '/' '_').png"
        browser --window-size=1280,2400 --screenshot="$shot" "file://$page" >/dev/null 2>&1
    fi
    python3 - "$page" "$dom" "$log" "$rel" <<'PY' || fail=1
import re, sys
page, dom_path, log_path, rel = sys.argv[1:5]
src = open(page, encoding="utf-8").read()
dom = open(dom_path, encoding="utf-8", errors="replace").read()
log = open(log_path, encoding="utf-8", errors="replace").read()
problems, notes = [], []

# Resources from the network: scripts and stylesheets must be local.
remote = re.findall(r'<script[^>]*\ssrc="(https?://[^"]+)"', src)
remote += re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="(https?://[^"]+)"', src)
remote += re.findall(r'<link[^>]*href="(https?://[^"]+)"[^>]*rel="stylesheet"', src)
if remote:
    problems.append("loads from the network: " + ", ".join(sorted(set(remote))))

# Math: Sphinx writes each formula as an element of class "math".
n_math = len(re.findall(r'class="math notranslate nohighlight"', src))
n_mjx = len(re.findall(r"<mjx-container\b", dom))
n_err = len(re.findall(r"<mjx-merror\b", dom))
# An undefined macro (\R without a definition) is shown as its name in red text.
undef = re.findall(r'<mjx-mtext[^>]*style="color: red;">((?:<mjx-c class="mjx-c[0-9A-F]+"></mjx-c>)+)', dom)
undef = ["".join(chr(int(h, 16)) for h in re.findall(r"mjx-c([0-9A-F]+)", u)) for u in undef]
undef = sorted(set(u for u in undef if u.startswith("\\")))
if n_math:
    notes.append(f"math {n_mjx}/{n_math} typeset")
    if n_mjx < n_math:
        problems.append(f"math not typeset: {n_mjx} <mjx-container> for {n_math} formulas")
    if n_err:
        problems.append(f"{n_err} MathJax error(s) (<mjx-merror>: bad TeX)")
    if undef:
        problems.append("undefined TeX macro(s): " + " ".join(undef))

# Widgets: myst-nb writes one widget-view script per displayed widget; the html-manager
# puts a div.widget-subarea before each one it renders.
n_views = src.count('type="application/vnd.jupyter.widget-view+json"')
has_state = 'type="application/vnd.jupyter.widget-state+json"' in src
n_sub = len(re.findall(r'class="widget-subarea"', dom))
if n_views:
    notes.append(f"widgets {n_sub}/{n_views} rendered")
    if not has_state:
        problems.append("widget views but no saved widget state on the page")
    if n_sub < n_views or not re.search(r'class="[^"]*\bjupyter-widgets\b', dom):
        problems.append(f"widgets not rendered: {n_sub} widget-subarea for {n_views} views")

# Console: uncaught errors coming from the widget or MathJax code fail the check;
# others are reported. (sphinx-thebe 0.3.1 declares THEBE_JS_URL twice: known, harmless.)
for m in re.finditer(r'CONSOLE[^\]]*\] "(.*?)", source: (\S+)', log):
    msg, source = m.group(1), m.group(2)
    if "Uncaught" not in msg or "THEBE_JS_URL" in msg:
        continue
    if "jupyter-widgets" in source or "mathjax" in source:
        problems.append(f"JS error: {msg} ({source.split('/')[-1]})")
    else:
        notes.append(f"console: {msg[:100]}")

status = "FAIL" if problems else "ok"
print(f"{status:4} {rel}: " + ("; ".join(notes) or "no math, no widgets"))
for p in problems:
    print(f"     - {p}")
sys.exit(1 if problems else 0)
PY
done < <(find "$BUILD_DIR" -name '*.html' -not -path '*/_static/*' -not -path '*/_sources/*' | sort)

echo "check_offline: $pages page(s) checked in $BUILD_DIR$([[ -n "$SHOTS" ]] && echo ", screenshots in $SHOTS")"
if [[ $fail -ne 0 ]]; then echo "check_offline: FAILED" >&2; exit 1; fi
echo "check_offline: all pages render offline"

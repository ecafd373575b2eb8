"""Every figure the book shows fits the text column and keeps its text readable.

The rule (sslcore.plots): a figure at most ``plots.COLUMN_INCHES`` wide is shown 1:1 in the
book's text column (inline figures at figure.dpi = 100), and no visible text is smaller than
8 pt (8 * 100 / 72 = 11.1 px). Each book figure function is built here with small inputs and
checked; legends drawn inside an axes must not cover its data. The stored outputs of the
notebooks are checked too (PNG width and the smallest text size recorded by plots.png_bytes).
"""
import base64
import glob
import json
import os
import struct

import matplotlib
import matplotlib.contour
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import (
    SLConfig,
    SSLConfig,
    comparison,
    convergence,
    data,
    dynamics,
    experiments,
    ift_figures,
    ift_studies,
    plots,
    sl_theory,
    ssl_sl_runs,
    theory,
)
from sslcore.training import train_sl, train_ssl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_PX = 8 * 100 / 72 - 1e-9            # 8 pt at the inline dpi (figure.dpi = 100)
TIGHT_PAD = 0.2                         # bbox_inches="tight" adds 0.1 in on each side
RHO = 10 ** -1.5


@pytest.fixture(scope="module")
def runs():
    ssl = train_ssl(SSLConfig(seeds=(0, 1), T=60, record_every=10))
    sign = train_ssl(SSLConfig(seeds=(0, 1), T=60, record_every=10, init="sign"))
    sl = train_sl(SLConfig(seeds=(0, 1, 2), T=200, record_every=20))
    # the paper's runs as the chapters use them (loaded from the cache, else trained: seconds)
    paper = {name: experiments.cached(cfg) for name, cfg in experiments.paper_configs().items()}
    return {"ssl_near": ssl, "ssl_sign": sign, "sl": sl, "paper": paper}


def _sample():
    D = data.sample_points(40, seed=0)
    x1, x2 = data.augment(D.x, RHO, np.random.default_rng(1))
    return D, x1, x2


def _views_figure(r):
    D, x1, x2 = _sample()
    idx = [int(np.argmax(D.c == k)) for k in range(4)]
    return plots.views_figure(D, x1, x2, idx, RHO, tau=7.0)


def _views(r):
    D, x1, x2 = _sample()
    return plots.views(D.x[:4], x1[:4], x2[:4])[0].figure


def _e2_profiles(r):
    b = np.linspace(-1, 3, 21)
    return plots.e2_profiles(b, -(b - 1.5) ** 2, b ** 2)[0].figure


def _rate_figure(r):
    run = r["ssl_near"]
    dist = np.exp(-np.arange(len(run.steps)))[None] * np.ones((2, 1))
    panel = {"title": "panel", "curves": [(run.steps, dist, "b", "to $W^*$"),
                                          (run.steps, dist / 2, "r", "to $W^\\dagger_x$")],
             "lines": [(run.steps, dist[0], "--", "$(1-\\eta n|\\lambda|)^t$")]}
    return convergence.rate_figure([panel, panel, panel])


def _basin_figure(r):
    a0, b0 = np.linspace(-2, 2, 5), np.linspace(-1, 2, 4)
    maps = [dynamics.basin_grid(a0, b0, T=20), dynamics.basin_grid(a0, b0, T=20)]
    return convergence.basin_figure(maps, ["equal cluster weights $p_\\mu = 1/4$",
                                           "proportions p = (0.25, 0.27, 0.23, 0.25)"],
                                    starts=[None, ([0.5], [0.5], [dynamics.BOTH])])


def _comparison_figure(r):
    rng = np.random.default_rng(0)
    x0 = theory.simplified_optimum(7.0, 1 / 800, 4)
    study = {"root": x0 + 0.01 * rng.normal(size=(3, 2, 4)),
             "base": x0 + 0.01 * rng.normal(size=(3, 2, 4))}
    steps = np.arange(0, 1001, 100)
    traj = x0 + np.exp(-steps / 400.0)[None, :, None, None] * rng.normal(size=(3, 1, 2, 4))
    return ift_figures.iterates_figure(x0, x0, 0.01, study, traj[:, -1], traj[:, 4], steps,
                                         traj, 1 / 800, 100, 1e-3)


def _phase_figure(r):
    taus, rhos = np.array([0.5, 1, 2, 4, 7, 12.0]), np.array([0.01, RHO, 0.1, 0.3, 1.0])
    v = np.random.default_rng(0).uniform(size=(5, 6, 3))
    pd = ssl_sl_runs.PhaseDiagram(taus, rhos, v, v, v, v, v, v > 0.5)
    return comparison.phase_figure(pd, mark=(7.0, RHO))


def _paper_figures(r):
    return list(comparison.paper_figures(r).values())


BUILDERS = {
    "plots.figure(ncols=2)": lambda r: plots.figure(ncols=2)[0],
    "plots.learning_curves": lambda r: plots.learning_curves(r["ssl_near"]).figure,
    "plots.final_scatter": lambda r: plots.final_scatter(r["sl"].W_final).figure,
    "plots.projection_histograms": lambda r: plots.projection_histograms(
        {"SSL": (r["ssl_near"].W_final, "b")})[0].figure,
    "plots.samples": lambda r: plots.samples(_sample()[0]).figure,
    "plots.views": _views,
    "plots.views_figure": _views_figure,
    "plots.sample_figure": lambda r: plots.sample_figure(n=60),
    "plots.e2_profiles": _e2_profiles,
    "convergence.landscape_figure": lambda r: convergence.landscape_figure(
        [(r["ssl_near"], (0,), plots.COLORS["ssl"], "training, near init")], T=50),
    "convergence.rate_figure": _rate_figure,
    "convergence.basin_figure": _basin_figure,
    "convergence.learning_curve_figure": lambda r: convergence.learning_curve_figure(T=40, seeds=2),
    "ift_figures.simplified_figure": lambda r: ift_figures.simplified_figure(grid=41),
    "ift_figures.sweep_figure": lambda r: ift_figures.sweep_figure(
        ift_studies.sweep([0.01, 0.05, 0.1], taus=(3.0, 5.0, 7.0, 10.0), n_samples=0),
        mark_rhos={"d = 10": RHO, "d = 30": 30 ** -1.5}),
    "ift_figures.ift_explorer": lambda r: ift_figures.ift_explorer(n_samples=2),
    "ift_figures.iterates_figure": _comparison_figure,
    "comparison.learning_curves_figure": lambda r: comparison.learning_curves_figure(
        r["ssl_near"], r["sl"], theory.simplified_optimum(d=2), np.array([[2.6, 0], [-2.6, 0]])),
    "comparison.final_weights_figure": lambda r: comparison.final_weights_figure(
        r["ssl_near"].W_final, r["sl"].W_final),
    "comparison.mechanism_figure": lambda r: comparison.mechanism_figure(
        sl_theory.e2_decay(r["sl"]), sl_theory.kick(r["sl"], T=20)),
    "comparison.phase_figure": _phase_figure,
    "comparison.live_figure": lambda r: comparison.live_figure(seeds=2, T=60, sl_T=60),
    "comparison.paper_figures": _paper_figures,
    # the same functions on the paper's runs, as chapters 2 and 4 call them
    "paper: convergence.landscape_figure": lambda r: convergence.landscape_figure(
        [(r["paper"]["ssl_near"], (0, 1), plots.COLORS["ssl"], "training, near init"),
         (r["paper"]["ssl_sign"], (0, 17), plots.COLORS["ssl_sign"], "training, sign init")]),
    "paper: comparison.learning_curves_figure": lambda r: comparison.learning_curves_figure(
        r["paper"]["ssl_near"], r["paper"]["sl"], theory.simplified_optimum(),
        np.array([[2.628, 0.0], [-2.628, 0.0]])),
    "paper: comparison.final_weights_figure": lambda r: comparison.final_weights_figure(
        r["paper"]["ssl_near"].W_final, r["paper"]["sl"].W_final),
    "paper: comparison.mechanism_figure": lambda r: comparison.mechanism_figure(
        sl_theory.e2_decay(r["paper"]["sl"]), sl_theory.kick(r["paper"]["sl"], T=400)),
    "paper: comparison.live_figure": lambda r: comparison.live_figure(),
    "paper: comparison.paper_figures": lambda r: _paper_figures(r["paper"]),
    "paper: plots.sample_figure": lambda r: plots.sample_figure(),
    "paper: convergence.learning_curve_figure": lambda r: convergence.learning_curve_figure(
        T=2000, init="sign", seeds=5),
}


def _visible_legends(fig):
    for ax in fig.axes:
        leg = ax.get_legend()
        if ax.get_visible() and leg is not None and leg.get_visible():
            yield ax, leg


def _covered_data(ax, box):
    """Names of data artists of ``ax`` with a point (line vertex, marker, bar, image) in ``box``
    (display coordinates)."""
    covered = []
    def inside(xy):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return bool(np.any((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1)
                           & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)))

    for line in ax.get_lines():
        if line.get_visible() and inside(line.get_transform().transform(line.get_xydata())):
            covered.append(f"line {line.get_label()!r}")
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, (matplotlib.collections.QuadMesh, matplotlib.contour.ContourSet)):
            covered.append("heat map")
        elif len(coll.get_offsets()) and isinstance(coll, matplotlib.collections.PathCollection):
            if inside(coll.get_offset_transform().transform(coll.get_offsets())):
                covered.append(f"markers {coll.get_label()!r}")
    for patch in ax.patches:
        if isinstance(patch, matplotlib.patches.Rectangle) and patch.get_visible():
            if patch.get_window_extent().overlaps(box) and patch.get_height() != 0:
                covered.append("bar")
    if ax.images:
        covered.append("image")
    return covered


def check_fits(fig):
    """Problems of ``fig`` with the column rule (empty if it fits)."""
    problems = []
    width = fig.get_size_inches()[0]
    if width > plots.COLUMN_INCHES + 1e-9:
        problems.append(f"width {width:.2f} in > COLUMN_INCHES = {plots.COLUMN_INCHES}")
    renderer = fig.canvas.get_renderer()
    tight = fig.get_tightbbox(renderer).width
    if tight > plots.COLUMN_INCHES + 1e-6:
        problems.append(f"drawn width (tight bbox) {tight:.2f} in > {plots.COLUMN_INCHES}")
    px = plots.min_text_px(fig)
    if px < MIN_PX:
        small = sorted({f"{t.get_text()!r}: {t.get_fontsize():g} pt"
                        for t in plots.visible_texts(fig)
                        if t.get_fontsize() * fig.dpi / 72 < MIN_PX})
        problems.append(f"smallest text {px:.1f} px < 11.1 px (8 pt): {small[:4]}")
    for ax, leg in _visible_legends(fig):
        box = leg.get_window_extent(renderer)
        if ax.bbox.overlaps(box):
            hit = _covered_data(ax, box)
            if hit:
                problems.append(f"legend of {ax.get_title()!r} covers {hit[:3]}")
    return problems


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_book_figure_fits_the_column(name, runs):
    figs = BUILDERS[name](runs)
    figs = figs if isinstance(figs, list) else [figs]
    try:
        for fig in figs:
            fig.canvas.draw()
            assert fig.get_size_inches()[0] <= plots.COLUMN_INCHES + 1e-9
            assert plots.min_text_px(fig) >= MIN_PX
            assert check_fits(fig) == [], f"{name}: {check_fits(fig)}"
    finally:
        for fig in figs:
            plt.close(fig)


def test_figure_refuses_a_grid_wider_than_the_column():
    with pytest.raises(ValueError, match=r"ncols=3.*width=4.*COLUMN_INCHES"):
        plots.figure(ncols=3, width=4.0)
    with pytest.raises(ValueError, match=r"ncols=1.*width=7"):
        plots.figure(width=7.0)
    fig, axes = plots.figure(ncols=2, nrows=3)           # default width: the column shared
    assert len(axes) == 6 and fig.get_size_inches()[0] <= plots.COLUMN_INCHES
    plt.close(fig)
    fig, _ = plots.figure(width=plots.COLUMN_INCHES)
    plt.close(fig)


def test_check_fits_can_fail():
    """The checks above catch a wide figure, small text and a legend on the data."""
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.plot(np.arange(10), np.zeros(10), label="data")
    ax.set_xlabel("tiny", fontsize=6)
    ax.legend(loc="center")
    problems = check_fits(fig)
    plt.close(fig)
    assert any("width" in p for p in problems)
    assert any("smallest text" in p for p in problems)
    assert any("covers" in p for p in problems)


# ----------------------------------------------------------------- stored notebook outputs
def _png_info(b64):
    """(width px, {tEXt key: value}) of a base64 PNG."""
    raw = base64.b64decode(b64)
    width = struct.unpack(">I", raw[16:20])[0]
    texts, pos = {}, 8
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        if kind == b"tEXt":
            key, _, value = raw[pos + 8:pos + 8 + length].partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return width, texts


NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "chapters", "*.ipynb"))
                   + glob.glob(os.path.join(ROOT, "assignments", "**", "*.ipynb"), recursive=True))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: os.path.relpath(p, ROOT))
def test_stored_notebook_figures_fit_the_column(path):
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    bad = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            width, texts = _png_info(png if isinstance(png, str) else "".join(png))
            px = float(texts.get(plots.TEXT_SIZE_KEY, "nan"))
            # the chunk holds the size rounded to 0.01 px
            if width > (plots.COLUMN_INCHES + TIGHT_PAD) * 100 + 1 or not px >= MIN_PX - 0.005:
                bad.append(f"cell {i}: {width} px wide, smallest text {px} px")
    assert bad == [], f"{os.path.relpath(path, ROOT)}: {bad}"

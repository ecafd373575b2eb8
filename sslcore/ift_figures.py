"""Chapter 3's figures and tables (the IFT characterization). They compose
``sslcore.ift_studies`` (the IFT across settings and samples), ``sslcore.ift`` and
``sslcore.theory``; nothing is computed here beyond distances for a table.

* ``simplified_figure``: contours of the per-neuron simplified objective g(a, b).
* ``sweep_figure``, ``ift_explorer``: the sweep over (rho, tau) and the widget's figure.
* ``ift_table_rows``, ``format_rows``: IFT results as plain-text tables that fit the page.
* ``distance_rows``, ``iterates_figure``: simplified point, Newton root, long-run
  gradient-ascent average and the T = 4000 weights, against the radius.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import analysis, plots
from .config import ALPHA, RHO, TAU
from .ift import IFTResult
from .ift_studies import MODES, first_failing_rho, population_ift
from .theory import g, simplified_optimum
from .validation import integer, real

__all__ = ["sweep_figure", "ift_explorer", "ift_table_rows", "format_rows", "TABLE_WIDTH",
           "distance_rows", "iterates_figure", "simplified_figure"]

BOUND_COLOR = "#b8860b"   # verified balls and bounds (not red: red is SL in this book)



def sweep_figure(sw: Mapping[str, np.ndarray], mark_rhos: Mapping[str, float] | None = None
                 ) -> Figure:
    """Two panels for ``sweep`` output, stacked. Top: radius r and the observed Newton root
    distance against rho (log-log; filled markers where the Lipschitz-bound condition holds, open
    where it fails, a dotted line at the first failure). Bottom: the ratios (variation / allowed)
    against rho with the threshold 1. ``mark_rhos``: {label: rho} drawn as grey vertical lines.
    Legends are right of the panels. Returns the Figure.
    """
    fig, (ax, bx) = plots.figure(nrows=2, width=plots.COLUMN_INCHES, height=3.1)
    colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(sw["tau"])))
    rhos = sw["rho"]
    for i, (tau, col) in enumerate(zip(sw["tau"], colors)):
        h = sw["holds"][i]
        ax.plot(rhos, sw["radius"][i], color=col, lw=1.5, label=f"$r$, $\\tau$ = {tau:g}")
        ax.plot(rhos, sw["root_distance"][i], color=col, lw=1.0, ls="--")
        ax.scatter(rhos[h], sw["radius"][i][h], color=col, s=16, zorder=3)
        ax.scatter(rhos[~h], sw["radius"][i][~h], facecolors="white", edgecolors=col, s=16,
                   zorder=3)
        bx.plot(rhos, sw["variation_bound"][i] / sw["allowed_variation"][i], color=col, lw=1.5,
                label=f"bound, $\\tau$ = {tau:g}")
        bx.plot(rhos, sw["jacobian_variation"][i] / sw["allowed_variation"][i], color=col, lw=1.0,
                ls="--")
        t = first_failing_rho(rhos, h)
        if np.isfinite(t):
            for a in (ax, bx):
                a.axvline(t, color=col, ls=":", lw=1.0)
    ax.plot([], [], color="0.3", ls="--", lw=1.0, label="observed:\nNewton root distance")
    bx.plot([], [], color="0.3", ls="--", lw=1.0, label="sampled variation")
    bx.axhline(1.0, color=plots.COLORS["theory"], lw=1.0)
    for lab, rho in (mark_rhos or {}).items():
        for a in (ax, bx):
            a.axvline(rho, color="0.6", lw=0.8)
        ax.annotate(lab, (rho, 0.98), xycoords=("data", "axes fraction"), fontsize=plots.SMALL,
                    rotation=90, ha="right", va="top", color="0.4")
    for a in (ax, bx):
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel(r"noise scale $\rho$")
    ax.set_ylabel("distance from $x_0$")
    ax.set_title("IFT radius vs the actual critical point (open markers: condition fails)",
                 fontsize=10)
    bx.set_ylabel(r"$\sup\|Df(x) - A\|$ / allowed")
    bx.set_title(r"Jacobian condition (allowed: $1/(2\|A^{-1}\|)$): holds below 1", fontsize=10)
    plots.side_legend(ax)
    plots.side_legend(bx)
    fig.tight_layout()
    return fig


def ift_explorer(rho: float = RHO, tau: float = TAU, alpha: float = ALPHA,
                 n_samples: int = 20) -> Figure:
    """The widget's figure: for (rho, tau), the IFT for the population objective at the
    simplified optimum in the three modes ('2d', 'full', 'hessian'; one neuron).

    Top: the radius r next to the observed distance of the Newton root (both in the norm of
    the check). Bottom: the allowed variation 1/(2||A^-1||) next to the sampled sup and the
    Lipschitz bound of ||Df(x) - A|| on the ball. The title gives the verdicts and the
    dimension d = rho^(-2/3) whose default noise is rho; legends are right of the panels.
    Returns the Figure.
    """
    rho = real("rho", rho, 0, low_open=True)
    tau = real("tau", tau, 0, low_open=True)
    alpha = real("alpha", alpha, 0)
    n_samples = integer("n_samples", n_samples, 0)
    res = {m: population_ift(tau, rho, alpha, m, n_samples=n_samples) for m in MODES}
    names = {"2d": "2-D reduction", "full": "all coordinates", "hessian": "preconditioned"}
    fig, (ax, bx) = plots.figure(nrows=2, width=plots.COLUMN_INCHES, height=2.7)
    x = np.arange(len(MODES))
    if any(r is None for r in res.values()):
        for a in (ax, bx):
            a.text(0.5, 0.5, "no simplified optimum found\nfor this tau", ha="center",
                   va="center", transform=a.transAxes)
        fig.suptitle(f"rho = {rho:.3g}, tau = {tau:.3g}", fontsize=10)
        return fig
    get = lambda f: np.array([getattr(res[m], f) for m in MODES])
    ax.bar(x - 0.2, get("radius"), 0.4, color=plots.COLORS["ssl"], label="IFT radius $r$")
    ax.bar(x + 0.2, get("root_distance"), 0.4, color=plots.COLORS["ssl_sign"],
           label="Newton root distance")
    bx.bar(x - 0.27, get("allowed_variation"), 0.27, color=plots.COLORS["theory"],
           label="allowed $1/(2\\|A^{-1}\\|)$")
    bx.bar(x, get("jacobian_variation"), 0.27, color=plots.COLORS["ssl_sign"],
           label="sampled sup")
    bx.bar(x + 0.27, get("variation_bound"), 0.27, color=BOUND_COLOR, label="Lipschitz bound")
    for a in (ax, bx):
        a.set_xticks(x, [names[m] for m in MODES])
        a.set_yscale("log")
        plots.side_legend(a)
    ax.set_ylabel("distance from $x_0$\n(norm of the check)")
    ax.set_title("Radius vs actual critical point", fontsize=10)
    bx.set_ylabel(r"$\|Df(x) - A\|$ on the ball")
    bx.set_title("Jacobian condition (holds if gold < black)", fontsize=10)
    verdict = ", ".join(f"{names[m]}: {'holds' if res[m].holds else 'fails'}" for m in MODES)
    fig.suptitle(f"$\\rho$ = {rho:.3g} (d = {rho ** (-2 / 3):.3g}), $\\tau$ = {tau:.3g}:\n"
                 f"{verdict}", fontsize=10)
    fig.tight_layout()
    return fig


def ift_table_rows(results: Mapping[str, IFTResult]) -> list[dict]:
    """Rows for ``format_rows`` from {name: IFTResult}: the constants and the distance of the
    Newton root first, then the Jacobian condition (variations and the two verdicts), so that a
    table split to fit the page (``format_rows``) splits between the two groups."""
    rows = []
    for name, r in results.items():
        rows.append({"check": name, "||A^-1||": r.norm_Ainv, "||f(x0)||": r.perturbation,
                     "r": r.radius, "max|x-x0|": r.max_displacement,
                     "root dist": r.root_distance,
                     "sampled var": r.jacobian_variation, "L r": r.variation_bound,
                     "allowed": r.allowed_variation,
                     "bound": "holds" if r.holds else "fails",
                     "sampled": "holds" if r.holds_sampled else "fails"})
    return rows


# Widest printed table, in characters: an output block of the book's page is 688 px wide at a
# 1280 px window and shows 83 monospace characters (7.83 px each, 32 px padding); wider lines
# are cut off. One character is kept in reserve.
TABLE_WIDTH = 79   # the book's code column (longer lines are cut off on the page)


def format_rows(rows: Sequence[Mapping], digits: int = 3, width: int = TABLE_WIDTH) -> str:
    """A plain-text table of a list of dicts (same keys): numbers with ``digits`` significant
    digits, strings as they are. A table wider than ``width`` characters is split into several
    tables (separated by a blank line), each repeating the first column."""
    if not rows:
        return ""
    keys = list(rows[0])

    def cell(v):
        if isinstance(v, str):
            return v
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        v = float(v)
        return "nan" if not np.isfinite(v) else f"{v:.{digits}g}"

    cells = [[cell(r[k]) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    blocks, used = [[0]], widths[0]
    for i in range(1, len(keys)):
        if len(blocks[-1]) > 1 and used + 2 + widths[i] > width:
            blocks.append([0])
            used = widths[0]
        blocks[-1].append(i)
        used += 2 + widths[i]

    def line(xs, cols):
        return "  ".join(xs[i].rjust(widths[i]) if i else xs[i].ljust(widths[i]) for i in cols)

    return "\n\n".join("\n".join([line(keys, b), line(["-" * w for w in widths], b)]
                                  + [line(c, b) for c in cells]) for b in blocks)



# ============================================================= iterates against the radius
def _dist(P, Q):
    """Euclidean distances per neuron: total, coordinates 1-2, coordinates 3..d; (..., 2)."""
    D = np.asarray(P) - np.asarray(Q)
    return (np.linalg.norm(D, axis=-1), np.linalg.norm(D[..., :2], axis=-1),
            np.linalg.norm(D[..., 2:], axis=-1))


def distance_rows(x0: np.ndarray, candidates: Mapping[str, np.ndarray], root: np.ndarray
                  ) -> list[dict]:
    """Rows for ``format_rows``: for each {name: W (S, 2, d)} the mean and max over the S x 2
    neuron cases of the distance to x0 (2, d) and to the per-sample Newton root (S, 2, d), and
    the mean distance to the root in coordinates 1-2 and 3..d."""
    rows = []
    for name, W in candidates.items():
        W = np.broadcast_to(W, np.shape(root))
        d0 = _dist(W, x0)[0]
        dr, dr12, dr3 = _dist(W, root)
        rows.append({"point": name, "to x0 mean": d0.mean(), "to x0 max": d0.max(),
                     "to root mean": dr.mean(), "to root max": dr.max(),
                     "root, coords 1-2": dr12.mean(), "root, coords 3..d": dr3.mean()})
    return rows


def iterates_figure(x0: np.ndarray, pop_root: np.ndarray, pop_radius: float,
                    study: Mapping[str, np.ndarray], W_long: np.ndarray, W_4000: np.ndarray,
                    steps: np.ndarray, W_traj: np.ndarray, alpha: float, n: int, eta: float
                    ) -> Figure:
    """Three panels. Top left: the (w_k1, w_k2) plane near x0 (neuron 2 mirrored, a -> -a, so
    all 2S neuron cases share one panel): x0, the per-sample Newton roots, the rho = 0 optima
    for the sample proportions, the long-run averages and the T = 4000 weights. Top right: a
    zoom on x0 with the population root and its verified 2-D ball (bound-based, float; radius
    ``pop_radius``).
    One legend for both under them. Bottom, the column wide: the mean norm of coordinates 3..d
    along training against the prediction ||w(0)|| (1 - 2 alpha n eta)^t and the level of the
    Newton roots, with its legend under it. Returns the Figure.
    """
    fig, axes = plots.figure(ncols=2, nrows=3, width=plots.COLUMN_INCHES / 2, height=2.2,
                             gridspec_kw={"height_ratios": [3.3, 1.0, 2.9]})
    ax, zx = axes[:2]
    gs = axes[0].get_subplotspec().get_gridspec()
    for a in axes[2:]:
        a.remove()
    bx = fig.add_subplot(gs[2, :])
    legend_ax = fig.add_subplot(gs[1, :])
    _iterate_planes(ax, zx, x0, pop_root, pop_radius, study, W_long, W_4000)
    handles, labels = [], []
    for a in (ax, zx):
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    legend_ax.axis("off")
    legend_ax.legend(handles, labels, loc="upper center", ncol=2, fontsize=plots.SMALL,
                     frameon=False)
    _other_coordinates_panel(bx, steps, W_traj, study, alpha, n, eta)
    fig.tight_layout(h_pad=0.4)
    return fig


def _iterate_planes(ax: Axes, zx: Axes, x0, pop_root, pop_radius, study, W_long, W_4000):
    """The two (w_k1, w_k2) panels of :func:`iterates_figure` (no legends)."""
    mirror = np.array([[1.0, 1.0], [-1.0, 1.0]])                        # (neuron, coordinate)
    flat = lambda W: (np.asarray(W)[..., :2] * mirror).reshape(-1, 2)
    ax.scatter(*flat(W_4000).T, s=14, marker="x", color=plots.COLORS["ssl_sign"],
               label="$T$ = 4000 weights")
    ax.scatter(*flat(study["root"]).T, s=28, facecolors="none", edgecolors=plots.COLORS["ssl"],
               label="Newton root, sample $\\Phi(\\cdot; x)$")
    ax.scatter(*flat(W_long).T, s=6, color=plots.COLORS["ssl"], label="long-run GA average")
    ax.scatter(*flat(study["base"]).T, s=10, marker="s", color="0.55",
               label="$\\rho$ = 0 optimum, sample proportions")
    for a in (ax, zx):
        a.scatter(*x0[0, :2], s=70, marker="*", color=plots.COLORS["theory"], zorder=4,
                  label="$x_0$ (simplified)")
    zx.scatter(*pop_root[0, :2], s=30, marker="D", color=BOUND_COLOR, zorder=4,
               label="population root")
    zx.add_patch(plt.Circle(tuple(x0[0, :2]), pop_radius, fill=False, color=BOUND_COLOR, lw=1.4))
    zx.plot([], [], color=BOUND_COLOR, lw=1.4, label=f"verified ball, $r$ = {pop_radius:.4f}")
    half = 2.0 * pop_radius
    zx.set_xlim(x0[0, 0] - half, x0[0, 0] + half)
    zx.set_ylim(x0[0, 1] - half, x0[0, 1] + half)
    zx.set_aspect("equal")
    zx.ticklabel_format(useOffset=False)
    zx.locator_params(nbins=4)
    zx.tick_params(labelsize=plots.SMALL)
    zx.set_title("Population: zoom on $x_0$", fontsize=10)
    ax.set_title("Samples: critical points, iterates\n(neuron 2 mirrored)", fontsize=10)
    for a in (ax, zx):
        a.set_xlabel("$w_{k1}$ (neuron 2: $-w_{21}$)")
        a.set_ylabel("$w_{k2}$")


def _other_coordinates_panel(bx, steps, W_traj, study, alpha, n, eta):
    """The bottom panel of :func:`iterates_figure`: the norm of coordinates 3..d."""
    other = analysis.other_norm(W_traj).mean(axis=(0, 2))               # (R,)
    bx.plot(steps, other, color=plots.COLORS["ssl"], lw=1.6,
            label="mean $\\|(w_{k3},\\dots,w_{kd})\\|$\n(gradient ascent)")
    bx.plot(steps, other[0] * (1 - 2 * alpha * n * eta) ** steps, color=plots.COLORS["theory"],
            ls="--", lw=1.0, label="$\\|w(0)\\|\\,(1 - 2\\alpha n\\eta)^t$")
    bx.axhline(analysis.other_norm(study["root"]).mean(), color=BOUND_COLOR, lw=1.0,
               ls=":", label="Newton roots (mean)")
    bx.axvline(4000, color="0.5", lw=0.8)
    bx.set_yscale("log")
    bx.xaxis.set_major_locator(MaxNLocator(5))
    bx.set_xlabel("step $t$ (grey line: $T$ = 4000)")
    bx.set_ylabel("norm, coords $3..d$")
    bx.set_title("Coordinates 3..d converge slowly", fontsize=10)
    plots.below_legend(bx, ncol=3, offset=0.32)


# ============================================================================ simplified objective
def simplified_figure(tau: float = TAU, alpha: float = ALPHA,
                      a_range: tuple[float, float] = (-6.0, 6.0),
                      b_range: tuple[float, float] = (-1.0, 3.5), grid: int = 241) -> Figure:
    """Contours of the per-neuron simplified objective g(a, b) (``sslcore.theory.g``) with its two
    critical points (+-a*, b*) (``simplified_optimum``) and the paper's condition-0
    initialization boxes w_11 in [3.1, 3.9], w_21 in [-3.9, -3.1], w_k2 in [8.5, 9] / tau;
    the legend is under the axes. Returns the Figure."""
    tau = real("tau", tau, 0, low_open=True)
    alpha = real("alpha", alpha, 0)
    grid = integer("grid", grid, 2)
    for name, r in (("a_range", a_range), ("b_range", b_range)):
        if np.shape(r) != (2,) or not (np.isfinite(r).all() and r[0] < r[1]):
            raise ValueError(f"{name}={r!r} is out of range: allowed (low, high), low < high")
    a = np.linspace(*a_range, grid)
    b = np.linspace(*b_range, grid)
    Ag, Bg = np.meshgrid(a, b)
    G = g(Ag, Bg, tau, alpha)
    W = simplified_optimum(tau, alpha, 2)
    fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=4.8)
    # levels crowd towards the maximum (g is flat there): max g minus a geometric sequence
    levels = np.sort(G.max() - np.geomspace(2e-4, G.max() - G.min(), 24)) + 1e-12
    cs = ax.contourf(Ag, Bg, G, levels=np.r_[G.min(), levels], cmap="Blues")
    ax.contour(Ag, Bg, G, levels=levels, colors="white", linewidths=0.3)
    fig.colorbar(cs, ax=ax, label="$g(a, b)$ (levels denser near the maximum)", format="%.3f")
    for sign in (1.0, -1.0):
        lo = 3.1 if sign > 0 else -3.9
        ax.add_patch(plt.Rectangle((lo, 8.5 / tau), 0.8, 0.5 / tau, fill=False,
                                   edgecolor=BOUND_COLOR, lw=1.4))
    ax.plot([], [], color=BOUND_COLOR, lw=1.4, label="condition-0 initialization")
    ax.scatter(W[:, 0], W[:, 1], marker="*", s=140, color=plots.COLORS["theory"], zorder=3,
               label=f"critical points $(\\pm{W[0, 0]:.3f}, {W[0, 1]:.3f})$")
    ax.grid(False)
    ax.set_xlabel("$a$ (weight on $e_1$)")
    ax.set_ylabel("$b$ (weight on $e_2$)")
    ax.set_title(f"Simplified per-neuron objective $g(a, b)$, $\\tau$ = {tau:g}, "
                 f"$\\alpha$ = {alpha:.3g}", fontsize=10)
    plots.below_legend(ax, ncol=2, offset=0.14)
    fig.tight_layout()
    return fig

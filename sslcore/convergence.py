"""Chapter 2's figures: the landscape of g with ascent paths, convergence rates, basin maps
and live learning curves. They compose ``sslcore.dynamics`` (deterministic ascent, rates,
basins, classification) and ``sslcore.theory`` (g, the optimum); nothing is computed here.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import dynamics, plots, theory
from .config import ALPHA, ETA, TAU, SSLConfig
from .training import DivergenceError, Run, train_ssl
from .validation import integer, real

__all__ = ["CLASS_COLORS", "landscape_figure", "rate_figure", "basin_figure",
           "learning_curve_figure"]

#: one colour per class of ``dynamics.CLASSES``
CLASS_COLORS = ("#1f5fa8", "#c0392b", "#f0a030", "#bbbbbb")


# ----------------------------------------------------------------------------- figures
def landscape_figure(runs: Sequence[tuple[Run, Sequence[int], str, str]] = (),
                     starts: Sequence[tuple[float, float]] | None = None, T: int = 8000,
                     lr: float = 0.1, tau: float = TAU, alpha: float = ALPHA,
                     extent: tuple[float, float, float, float] = (-6.5, 6.5, -1.5, 3.5)
                     ) -> Figure:
    """Contours of g(a, b), deterministic ascent paths on g from ``starts`` (black), and the
    (w_k1, w_k2) paths of training seeds; maxima (stars) and the saddle (X).

    ``runs``: list of (Run, seeds, colour, label); both neurons of each listed seed are drawn.
    One panel, the column wide, with the colour bar on the right and the legend under the axes.
    """
    T = integer("T", T, 1, rule="T >= 1")
    lr = real("lr", lr, 0, low_open=True, rule="lr > 0")
    tau = real("tau", tau, 0, low_open=True, rule="tau > 0")
    alpha = real("alpha", alpha, 0, rule="alpha >= 0")
    if np.shape(extent) != (4,) or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(f"extent={extent!r} is out of range: allowed (a_min, a_max, b_min, "
                         "b_max) with a_min < a_max and b_min < b_max")
    if starts is None:
        starts = [(0.3, -1.2), (2.0, 3.2), (6.0, 0.0), (-0.4, 0.4), (-6.0, 3.0), (-1.5, -1.2),
                  (0.05, 2.5)]
    fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=5.4)
    A, B = np.meshgrid(np.linspace(*extent[:2], 261), np.linspace(*extent[2:], 141))
    G = theory.g(A, B, tau, alpha)
    cs = ax.contourf(A, B, G, levels=24, cmap="Greys", alpha=0.55)
    ax.contour(A, B, G, levels=24, colors="0.45", linewidths=0.4)
    fig.colorbar(cs, ax=ax, label="$g(a, b)$")
    _, path = dynamics.ascent(np.array(starts, float)[:, None, :], T, lr, tau, alpha,
                              record_every=20)
    for k, tr in enumerate(path[:, :, 0]):
        ax.plot(tr[:, 0], tr[:, 1], color=plots.COLORS["theory"], lw=1.3,
                label="ascent on $g$" if k == 0 else None)
        ax.plot(*tr[0], "o", color=plots.COLORS["theory"], ms=4)
    for run, seeds, color, label in runs:
        for i, s in enumerate(seeds):
            for k in range(2):
                ax.plot(run.W[s, :, k, 0], run.W[s, :, k, 1], color=color, lw=1.2, alpha=0.9,
                        label=label if i == k == 0 else None)
                ax.plot(run.W[s, 0, k, 0], run.W[s, 0, k, 1], "s", color=color, ms=3.5)
    opt = theory.simplified_optimum(tau, alpha, 2)
    ax.plot(opt[:, 0], opt[:, 1], "*", color="gold", mec="k", ms=14,
            label="maxima $(\\pm a^*, b^*)$")
    sad = dynamics.saddle(tau, alpha)
    ax.plot(*sad, "X", color="white", mec="k", ms=10, label="saddle $(0, b_s)$")
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="$a = w_{k1}$ (along $e_1$)",
           ylabel="$b = w_{k2}$ (along $e_2$)",
           title="Landscape of $g(a, b)$ and gradient-ascent paths")
    plots.below_legend(ax, ncol=3, offset=0.14)
    fig.tight_layout()
    return fig


def rate_figure(panels: Sequence[dict], title: str = "Distance to the critical point"
                ) -> Figure:
    """Semilog panels stacked top to bottom, legends on the right. ``panels``: list of dicts
    {title, curves: [(steps, dist (S, R) or (R,), colour, label)], lines: [(steps, values, style,
    label)]}; dist with rows is drawn as the geometric mean over rows with the rows faint."""
    fig, axes = plots.figure(nrows=len(panels), width=plots.COLUMN_INCHES, height=2.6)
    for ax, panel in zip(axes, panels):
        for steps, dist, color, label in panel.get("curves", []):
            dist = np.atleast_2d(dist)
            for row in dist:
                ax.semilogy(steps, row, color=color, lw=0.5, alpha=0.35)
            ax.semilogy(steps, np.exp(np.log(dist).mean(0)), color=color, lw=1.8, label=label)
        for steps, values, style, label in panel.get("lines", []):
            ax.semilogy(steps, values, style, color=plots.COLORS["theory"], lw=1.1, label=label)
        ax.set(xlabel="step $t$", ylabel="distance")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.set_title(panel.get("title", title), fontsize=10)
        plots.side_legend(ax)
    fig.tight_layout()
    return fig


def basin_figure(maps: Sequence[dynamics.BasinMap], titles: Sequence[str],
                 starts: Sequence[tuple | None] | None = None) -> Figure:
    """One panel per :class:`~sslcore.dynamics.BasinMap`, stacked top to bottom: class of the
    endpoint over the grid of initial (w11, w12); the class legend is right of the first panel.

    ``starts``: optional list (one per panel) of (a0 (m,), b0 (m,), labels (m,)) drawn as
    markers coloured by their class (e.g. the training seeds' initial neuron 1).
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fig, axes = plots.figure(nrows=len(maps), width=plots.COLUMN_INCHES, height=2.9)
    cmap = ListedColormap(CLASS_COLORS)
    for i, (ax, m, title) in enumerate(zip(axes, maps, titles)):
        ax.pcolormesh(m.a0, m.b0, m.labels, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
        ax.plot(*m.partner, "^", color="k", ms=7)
        if starts is not None and starts[i] is not None:
            a, b, lab = starts[i]
            ax.scatter(a, b, c=[CLASS_COLORS[k] for k in lab], edgecolors="k", marker="*",
                       s=220, linewidths=1.2, zorder=3, label="training start")
        ax.axvline(0, color="k", lw=0.6, ls=":")
        ax.set(xlabel="initial $w_{11}$", ylabel="initial $w_{12}$")
        ax.set_title(title, fontsize=10)
        ax.grid(False)
    handles = [Patch(color=c, label=n) for c, n in zip(CLASS_COLORS, dynamics.CLASSES)]
    handles.append(_marker_handle("^", "neuron 2 start"))
    if starts is not None and any(st is not None for st in starts):
        handles.append(_marker_handle("*", "training start", ms=12))
    plots.side_legend(axes[0], handles=handles, title="end point")
    fig.tight_layout()
    return fig


def _marker_handle(marker, label, ms=7):
    """A legend handle: a black-edged marker without a line."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker=marker, color="w", mec="k", mfc="0.6", ms=ms,
                  label=label)


def learning_curve_figure(eta: float = ETA, T: int = 2000, init: str = "near",
                          seeds: int = 5) -> Figure:
    """Train ``seeds`` seeds (vectorized) and draw w11, w12, w21, w22 with the noise-free optimum.

    Cheap enough for a widget: 5 seeds x 2000 steps take a few tenths of a second. If training
    diverges (``training.DivergenceError``), the figure shows its message instead of curves.
    """
    seeds = integer("seeds", seeds, 1, rule="seeds >= 1")
    cfg = SSLConfig(eta=eta, T=T, init=init, seeds=tuple(range(seeds)))
    cfg = cfg.replace(record_every=max(1, cfg.T // 200))
    title = f"SSL, init={cfg.init}, eta={cfg.eta:.2g}, {cfg.T} steps, {seeds} seeds"
    try:
        run = train_ssl(cfg)
    except DivergenceError as exc:
        return plots.message_figure(str(exc), title=f"{title}: training diverged")
    fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=3.8)
    plots.learning_curves(run, ax=ax, optimum=theory.simplified_optimum(cfg.tau, cfg.alpha, 2),
                          title=title)
    counts = dynamics.class_counts(dynamics.classify(run.W_final))
    ax.set_xlabel(f"step $t$   (at T: both features in {counts['both features']}/{seeds}"
                  f" seeds, collapsed in {counts['collapsed']})")
    ax.set_title(ax.get_title(), fontsize=10)
    fig.tight_layout()
    return fig

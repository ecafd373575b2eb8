"""Figures in one style for the whole book: white faces, labelled axes, fixed colours.

SSL is always ``COLORS["ssl"]`` (blue), SL always ``COLORS["sl"]`` (red); the four weight
coordinates w11, w12, w21, w22 always use ``COORD_COLORS``.
"""
from __future__ import annotations

import matplotlib

import matplotlib.pyplot as plt
import numpy as np

from . import analysis

COLORS = {"ssl": "#1f5fa8", "ssl_sign": "#6a9fd8", "sl": "#c0392b", "theory": "#222222"}
COORDS = {"w11": (0, 0), "w12": (0, 1), "w21": (1, 0), "w22": (1, 1)}
COORD_COLORS = {"w11": "#1b9e77", "w12": "#d95f02", "w21": "#7570b3", "w22": "#e7298a"}
LABELS = {"w11": r"$w_{11}$", "w12": r"$w_{12}$", "w21": r"$w_{21}$", "w22": r"$w_{22}$"}

STYLE = {
    "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "figure.dpi": 100, "savefig.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "font.size": 10,
}


def use_style():
    """Apply the book's matplotlib style (white background, readable in dark mode)."""
    matplotlib.rcParams.update(STYLE)


def figure(ncols=1, nrows=1, width=5.0, height=3.6, **kw):
    """A white figure with a grid of axes (always returned as a flat array)."""
    use_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             facecolor="white", squeeze=False, **kw)
    return fig, axes.ravel()


def learning_curves(run, ax=None, title=None, optimum=None, coords=tuple(COORDS), band=True):
    """w11, w12, w21, w22 against the step: mean over seeds with a 95% band.

    ``optimum`` (2, >=2) draws dashed lines at a critical point's (w_k1, w_k2).
    """
    if ax is None:
        _, (ax,) = figure()
    for name in coords:
        k, j = COORDS[name]
        mean, lo, hi = analysis.mean_band(run.W[:, :, k, j], axis=0)
        ax.plot(run.steps, mean, color=COORD_COLORS[name], label=LABELS[name], lw=1.6)
        if band:
            ax.fill_between(run.steps, lo, hi, color=COORD_COLORS[name], alpha=0.25, lw=0)
        if optimum is not None:
            ax.axhline(optimum[k][j], color=COORD_COLORS[name], ls="--", lw=0.9)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("weight value")
    kind = "SSL" if run.F is None else "SL"
    ax.set_title(title or f"{kind} learning curves ({len(run.config.seeds)} seeds, mean and 95% band)")
    ax.legend(ncol=4, fontsize=8, loc="best")
    return ax


def final_scatter(W, ax=None, color=COLORS["ssl"], title="Final weights", label=None):
    """Scatter of (w_k1, w_k2) of both neurons over the seeds (o: neuron 1, ^: neuron 2)."""
    if ax is None:
        _, (ax,) = figure()
    W = np.asarray(W)
    ax.scatter(W[:, 0, 0], W[:, 0, 1], color=color, marker="o", alpha=0.75,
               label=f"{label + ': ' if label else ''}neuron 1")
    ax.scatter(W[:, 1, 0], W[:, 1, 1], color=color, marker="^", alpha=0.75,
               label=f"{label + ': ' if label else ''}neuron 2")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.axvline(0, color="0.5", lw=0.6)
    ax.set_xlabel(r"$w_{k1}$ (along $e_1$)")
    ax.set_ylabel(r"$w_{k2}$ (along $e_2$)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def projection_histograms(runs, axes=None, bins=8, title_suffix=""):
    """Histograms of ||P e1|| and ||P e2|| over the seeds for each run in ``runs``.

    ``runs``: {label: (W_final (S, 2, d), colour)}.
    """
    if axes is None:
        _, axes = figure(ncols=2)
    for label, (W, color) in runs.items():
        p1, p2 = analysis.projections(W)
        for ax, p in zip(axes, (p1, p2)):
            ax.hist(p, bins=bins, range=(0, 1), color=color, alpha=0.6, label=label,
                    edgecolor="white")
    for ax, e in zip(axes, ("e_1", "e_2")):
        ax.set_xlabel(rf"projection length $\|P {e}\|$ onto span$(w_1, w_2)$")
        ax.set_ylabel("number of seeds")
        ax.set_title(rf"Projection of ${e}${title_suffix}")
        ax.legend(fontsize=8)
    return axes


def samples(data, ax=None, title="A sample in the $(e_1, e_2)$ plane", tau=None):
    """Points in the (e1, e2) plane: colour = label, marker = hidden bit z."""
    if ax is None:
        _, (ax,) = figure()
    x, y, z = data.x, data.y, data.z
    for yy, color, lab in ((0, COLORS["ssl"], "label +"), (1, COLORS["sl"], "label −")):
        for zz, marker in ((0, "o"), (1, "s")):
            m = (y == yy) & (z == zz)
            ax.scatter(x[m, 0], x[m, 1], color=color, marker=marker, s=22, alpha=0.7,
                       label=f"{lab}, z={zz}")
    ax.set_xlabel("$x_1$ (label feature $e_1$)")
    ax.set_ylabel("$x_2$ (hidden feature $e_2$)")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    return ax


def save(fig, path):
    """Save with a white face colour and close the figure."""
    fig.tight_layout()
    fig.savefig(path, facecolor="white")
    plt.close(fig)

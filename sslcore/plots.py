"""Figures in one style for the whole book: white faces, labelled axes, fixed colours.

SSL is always ``COLORS["ssl"]`` (blue), SL always ``COLORS["sl"]`` (red); the four weight
coordinates w11, w12, w21, w22 always use ``COORD_COLORS``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from numpy.typing import ArrayLike

from . import analysis
from .config import NOISES, RHO, TAU, D
from .data import Data
from .validation import choice, integer, real

if TYPE_CHECKING:                     # only for annotations: plots does not import training
    from .training import Run

COLORS = {"ssl": "#1f5fa8", "ssl_sign": "#6a9fd8", "sl": "#c0392b", "theory": "#222222"}
COORDS = {"w11": (0, 0), "w12": (0, 1), "w21": (1, 0), "w22": (1, 1)}
COORD_COLORS = {"w11": "#1b9e77", "w12": "#d95f02", "w21": "#7570b3", "w22": "#e7298a"}
LABELS = {"w11": r"$w_{11}$", "w12": r"$w_{12}$", "w21": r"$w_{21}$", "w22": r"$w_{22}$"}

STYLE = {
    "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "figure.dpi": 100, "savefig.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "font.size": 10,
}


# Figures are designed for the book's text column (about 700 CSS px at a 1280 px window):
# at the inline dpi (figure.dpi = 100) a figure at most COLUMN_INCHES wide is shown 1:1,
# so its text keeps the size it was drawn at (font.size 10 pt = 13.9 px; no text under 8 pt).
COLUMN_INCHES = 6.8
# PNG text chunk holding a figure's smallest text size, in image pixels; the page test
# (tests/pages) reads it to compute the size at which that text appears on the page.
TEXT_SIZE_KEY = "sslcore min text px"


def use_style() -> None:
    """Apply the book's matplotlib style (white background, readable in dark mode).

    In IPython it also makes inline figures PNGs that record their smallest text size
    (:func:`png_bytes`).
    """
    matplotlib.rcParams.update(STYLE)
    _install_png_formatter()


def visible_texts(artist: Artist) -> Iterator[Text]:
    """Non-empty Text artists reachable from ``artist`` through visible artists only."""
    from matplotlib.text import Text

    if not artist.get_visible():
        return
    if isinstance(artist, Text) and artist.get_text().strip():
        yield artist
    for child in artist.get_children():
        yield from visible_texts(child)


def min_text_px(fig: Figure, dpi: float | None = None) -> float:
    """Smallest visible text of ``fig`` in image pixels: font size (pt) * dpi / 72."""
    dpi = fig.dpi if dpi is None else dpi
    sizes = [t.get_fontsize() for t in visible_texts(fig)]
    return min(sizes) * dpi / 72 if sizes else float("inf")


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes (tight bounding box, white face) with its smallest text size.

    The PNG carries a text chunk ``TEXT_SIZE_KEY`` = :func:`min_text_px` at the saved dpi
    (default ``fig.dpi``, as the inline backend uses).
    """
    import io

    dpi = fig.dpi if dpi is None else dpi
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={TEXT_SIZE_KEY: f"{min_text_px(fig, dpi):.2f}"})
    return buf.getvalue()


def _install_png_formatter() -> None:
    """In IPython, display Figures with :func:`png_bytes` (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with the book
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, png_bytes)


def figure(ncols: int = 1, nrows: int = 1, width: float | None = None, height: float = 3.6,
           **kw: Any) -> tuple[Figure, np.ndarray]:
    """A white figure with an nrows x ncols grid of axes (always returned as a flat array).

    ``width`` and ``height`` are per panel, in inches; ``width`` defaults to the text column
    shared by the columns (at most 5 in). The figure must fit the column: ncols * width <=
    ``COLUMN_INCHES``, else ValueError (stack panels with ``nrows`` instead).
    """
    if width is None:
        width = min(5.0, COLUMN_INCHES / ncols)
    if ncols * width > COLUMN_INCHES + 1e-9:
        raise ValueError(
            f"plots.figure(ncols={ncols}, width={width:g}): total width ncols*width = "
            f"{ncols * width:.2f} in exceeds COLUMN_INCHES = {COLUMN_INCHES} in, the book's text "
            f"column; use nrows instead of ncols, or width <= {COLUMN_INCHES / ncols:.2f}")
    use_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             facecolor="white", squeeze=False, **kw)
    return fig, axes.ravel()


# Smallest text size in a figure (pt): 8 pt = 11.1 px at the inline dpi of 100.
SMALL = 8


def message_figure(message: str, title: str = "Training diverged") -> Figure:
    """A figure that shows ``message`` (wrapped, in the axes) instead of a plot, e.g. the text of
    a ``training.DivergenceError`` in a widget. Returns the Figure."""
    import textwrap

    fig, (ax,) = figure(width=COLUMN_INCHES, height=1.6)
    ax.axis("off")
    text = "\n".join(textwrap.fill(part, 88) for part in str(message).split("\n"))
    ax.text(0.0, 1.0, text, ha="left", va="top", fontsize=9, transform=ax.transAxes)
    ax.set_title(title, fontsize=10, loc="left", color=COLORS["sl"])
    return fig


def side_legend(ax: Axes, **kw: Any) -> Legend:
    """A legend to the right of ``ax``, outside the data area (it never covers data)."""
    opts = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=SMALL)
    return ax.legend(**{**opts, **kw})


def below_legend(ax: Axes, ncol: int = 3, offset: float = 0.2, **kw: Any) -> Legend:
    """A legend under ``ax`` (below its x label), outside the data area."""
    opts = dict(loc="upper center", bbox_to_anchor=(0.5, -offset), borderaxespad=0.0,
                fontsize=SMALL, ncol=ncol)
    return ax.legend(**{**opts, **kw})


def place_legend(ax: Axes, where: str | None = "best", **kw: Any) -> Legend | None:
    """Legend of ``ax``: ``where`` = 'side' (:func:`side_legend`), 'below'
    (:func:`below_legend`), None (no legend) or a matplotlib ``loc`` inside the axes."""
    if where is None:
        return None
    if where == "side":
        return side_legend(ax, **kw)
    if where == "below":
        return below_legend(ax, **kw)
    return ax.legend(**{"fontsize": SMALL, "loc": where, **kw})


def learning_curves(run: Run, ax: Axes | None = None, title: str | None = None,
                    optimum: ArrayLike | None = None, coords: Iterable[str] = tuple(COORDS),
                    band: bool = True, legend: str | None = "side") -> Axes:
    """w11, w12, w21, w22 against the step: mean over seeds with a 95% band.

    ``optimum`` (2, >=2) draws dashed lines at a critical point's (w_k1, w_k2); ``legend``: where
    the legend goes (:func:`place_legend`; default right of the axes, off the curves).
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
    ax.set_title(title or f"{kind} learning curves ({len(run.config.seeds)} seeds, mean and 95% "
                          "band)")
    place_legend(ax, legend)
    return ax


def final_scatter(W: ArrayLike, ax: Axes | None = None, color: str = COLORS["ssl"],
                  title: str = "Final weights", label: str | None = None,
                  legend: str | None = "best") -> Axes:
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
    place_legend(ax, legend)
    return ax


def projection_histograms(runs: Mapping[str, tuple[ArrayLike, str]],
                          axes: Sequence[Axes] | np.ndarray | None = None, bins: int = 8,
                          title_suffix: str = "") -> Sequence[Axes] | np.ndarray:
    """Histograms of ||P e1|| and ||P e2|| over the seeds for each run in ``runs``.

    ``runs``: {label: (W_final (S, 2, d), colour)}.
    """
    bins = integer("bins", bins, 1, rule="bins >= 1")
    if axes is None:
        _, axes = figure(ncols=2)
    for label, (W, color) in runs.items():
        p1, p2 = analysis.projections(W)
        for ax, p in zip(axes, (p1, p2)):
            ax.hist(p, bins=bins, range=(0, 1), color=color, alpha=0.6, label=label,
                    edgecolor="white")
    for ax, e in zip(axes, ("e_1", "e_2")):
        ax.set_xlabel(rf"projection length $\|P {e}\|$")
        ax.set_ylabel("number of seeds")
        ax.set_title(rf"Projection of ${e}${title_suffix}")
        ax.legend(fontsize=SMALL, loc="best")
    return axes


def samples(data: Data, ax: Axes | None = None,
            title: str = "A sample in the $(e_1, e_2)$ plane", tau: float | None = None,
            legend: str | None = "best") -> Axes:
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
    place_legend(ax, legend, **({"ncol": 2} if legend not in ("side", None) else {}))
    return ax


def save(fig: Figure, path: str | Path) -> None:
    """Save with a white face colour and close the figure."""
    fig.tight_layout()
    fig.savefig(path, facecolor="white")
    plt.close(fig)


# ------------------------------------------------------------------ chapter 1: the setup
VIEW_COLORS = {"x": "#222222", "x1": "#1b9e77", "x2": "#d95f02"}


def views(x: ArrayLike, x1: ArrayLike, x2: ArrayLike,
          axes: Sequence[Axes] | np.ndarray | None = None,
          half_width: float | None = None, coords: tuple[int, int] = (0, 1),
          overview: Axes | None = None, centers: ArrayLike | None = None, legend: bool = True
          ) -> list[Axes]:
    """Zoomed panels, one per point, of a point x_i and its two views x_i^(1), x_i^(2).

    Each view is x + rho*xi^(v) (``sslcore.data.augment``); the panels show the two coordinates
    ``coords`` (default e1, e2), centred on x_i with the same half-width in every panel so the
    scale of the augmentation noise can be compared across panels. ``half_width`` defaults to
    1.3 times the largest displacement |x^(v)_j - x_j| shown. ``overview`` (an axes already
    showing the sample, e.g. from :func:`samples`) gets a numbered circle at each chosen point.
    ``centers`` (same shape as x): the cluster centres mu_c, drawn as grey crosses, so that the
    data noise x - mu_c and the augmentation noise x^(v) - x can both be seen. Without
    ``axes`` the panels are laid out two per row. ``legend``: a legend in the first panel.
    Returns the list of panel axes.
    """
    if half_width is not None:
        half_width = real("half_width", half_width, 0, low_open=True, rule="half_width > 0")
    x, x1, x2 = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (x, x1, x2))
    if not (x.shape == x1.shape == x2.shape):
        raise ValueError(f"x, x1, x2 must have the same shape, got {x.shape}, {x1.shape}, "
                         f"{x2.shape}")
    m = len(x)
    if axes is None:
        _, grid = figure(ncols=min(m, 2), nrows=-(-m // 2), width=3.4, height=3.0)
        for ax in grid[m:]:
            ax.set_visible(False)
        axes = grid[:m]
    axes = list(np.ravel(axes))
    if len(axes) != m:
        raise ValueError(f"need one axes per point: {m} points, {len(axes)} axes")
    if half_width is None:
        parts = [x1 - x, x2 - x] + ([] if centers is None else [np.atleast_2d(centers) - x])
        shift = np.abs(np.concatenate(parts))[:, list(coords)]
        half_width = 1.3 * float(shift.max()) if shift.size and shift.max() > 0 else 1.0
    for i, ax in enumerate(axes):
        _view_panel(ax, i, x, x1, x2, coords, half_width, centers)
        if overview is not None:
            cx, cy = x[i, coords[0]], x[i, coords[1]]
            overview.scatter(cx, cy, s=160, facecolors="none", edgecolors="black", lw=1.2, zorder=5)
            overview.annotate(str(i + 1), (cx, cy), xytext=(6, 6), textcoords="offset points",
                              fontsize=9, fontweight="bold")
    if legend:
        axes[0].legend(fontsize=SMALL, loc="lower left")
    return axes


def _view_panel(ax: Axes, i: int, x: np.ndarray, x1: np.ndarray, x2: np.ndarray,
                coords: tuple[int, int], half_width: float, centers: ArrayLike | None) -> None:
    """One zoomed panel of :func:`views`: point i, its two views and (optionally) its centre."""
    j1, j2 = coords
    cx, cy = x[i, j1], x[i, j2]
    for v, (xv, name) in enumerate(((x1, "x1"), (x2, "x2")), start=1):
        ax.plot([cx, xv[i, j1]], [cy, xv[i, j2]], color=VIEW_COLORS[name], lw=1.0, alpha=0.7)
        ax.scatter(xv[i, j1], xv[i, j2], color=VIEW_COLORS[name], marker="D", s=36, zorder=3,
                   label=f"view $x^{{({v})}}$")
    ax.scatter(cx, cy, color=VIEW_COLORS["x"], marker="o", s=40, zorder=4, label="point $x$")
    if centers is not None:
        mu = np.atleast_2d(np.asarray(centers, dtype=float))
        ax.scatter(mu[i, j1], mu[i, j2], color="0.5", marker="X", s=50, zorder=2,
                   label="cluster centre")
    ax.set_xlim(cx - half_width, cx + half_width)
    ax.set_ylim(cy - half_width, cy + half_width)
    ax.set_aspect("equal")
    ax.set_xlabel(f"$x_{j1 + 1}$")
    ax.set_ylabel(f"$x_{j2 + 1}$")
    ax.set_title(f"point {i + 1}, zoomed to $\\pm${half_width:.3g}", fontsize=9)
    ax.ticklabel_format(useOffset=False)
    ax.locator_params(nbins=4)
    ax.tick_params(labelsize=SMALL)


def sample_figure(tau: float = TAU, rho: float = RHO, n: int = D ** 2, seed: int = 0, d: int = D,
                  noise: str = "isotropic") -> Figure:
    """Figure of one sample (``sslcore.data.sample_points``): the (e1, e2) plane and x_2 by label.

    Top: the points, colour = label, marker = hidden bit z (:func:`samples`). Bottom: histograms
    of the e2 coordinate x_2 for the two labels; they coincide up to sampling error because
    x_2 = tau*z + rho*xi_2 and z is independent of the label. Legends sit right of the panels.
    Returns the Figure (for widgets).
    """
    from . import data as _data

    tau = real("tau", tau, 0, low_open=True, rule="tau > 0")
    rho = real("rho", rho, 0, rule="rho >= 0")
    n = integer("n", n, 1, rule="n >= 1")
    d = integer("d", d, 2, rule="d >= 2")
    seed = integer("seed", seed, 0, rule="seed >= 0")
    noise = choice("noise", noise, NOISES)
    D = _data.sample_points(n, d=d, tau=tau, rho=rho, seed=seed, noise=noise)
    fig, (ax, bx) = figure(nrows=2, width=COLUMN_INCHES, height=2.9)
    samples(D, ax=ax, title=f"Sample: n={n}, $\\tau$={tau:.3g}, $\\rho$={rho:.3g}", legend="side")
    lo, hi = D.x[:, 1].min(), D.x[:, 1].max()
    pad = 0.05 * (hi - lo) + 0.1
    bins = np.linspace(lo - pad, hi + pad, 25)
    for yy, color, lab in ((0, COLORS["ssl"], "label +"), (1, COLORS["sl"], "label −")):
        m = D.y == yy
        bx.hist(D.x[m, 1], bins=bins, color=color, alpha=0.5, edgecolor="white",
                label=f"{lab}\n({int(m.sum())} points)")
    bx.set_xlabel("$x_2$ (hidden feature $e_2$)")
    bx.set_ylabel("number of points")
    bx.set_title("$x_2$ does not depend on the label")
    side_legend(bx)
    fig.tight_layout()
    return fig


def e2_profiles(b: ArrayLike, ssl_values: ArrayLike, sl_values: ArrayLike,
                axes: Sequence[Axes] | np.ndarray | None = None,
                ssl_label: str = "SSL objective (maximized)",
                sl_label: str = "SL loss (minimized)") -> Sequence[Axes] | np.ndarray:
    """Two panels side by side: an SSL objective (left) and an SL loss (right) against the e2
    weight b (per point).

    ``b`` (G,), ``ssl_values`` and ``sl_values`` (G,). The labels are the panel titles; the best
    b on the grid (argmax for SSL, argmin for SL) is marked with a dashed line, given in the
    legend. Returns the two axes.
    """
    b, ssl_values, sl_values = (np.asarray(a, dtype=float) for a in (b, ssl_values, sl_values))
    if not (b.shape == ssl_values.shape == sl_values.shape) or b.ndim != 1:
        raise ValueError("b, ssl_values and sl_values must be 1-D arrays of the same length")
    created = axes is None
    if created:
        _, axes = figure(ncols=2, width=COLUMN_INCHES / 2, height=3.0)
    for ax, vals, color, lab, best in ((axes[0], ssl_values, COLORS["ssl"], ssl_label, np.argmax),
                                       (axes[1], sl_values, COLORS["sl"], sl_label, np.argmin)):
        ax.plot(b, vals, color=color, lw=1.8)
        i = int(best(vals))
        ax.axvline(b[i], color=color, ls="--", lw=0.9, label=f"best $b$ = {b[i]:.2f}")
        ax.set_xlabel("$b$ = weight of each neuron on $e_2$")
        ax.set_ylabel("value per point")
        ax.set_title(lab, fontsize=9)
        ax.legend(fontsize=SMALL, loc="best")
    if created:
        axes[0].figure.tight_layout()
    return axes


def views_figure(data: Data, x1: np.ndarray, x2: np.ndarray, idx: Iterable[int], rho: float,
                 tau: float | None = None) -> Figure:
    """The augmentation at a glance: a grid of 3 rows x 2 panels; returns the Figure.

    First panel (top left): the sample (:func:`samples`) with the chosen points ``idx`` circled.
    Next four slots: :func:`views` of up to four chosen points (zoomed, same scale). Last panel
    (bottom right): the displacements (x^(v) - x)/rho of all points, views and all d coordinates
    pooled, against the N(0, 1) density they follow (the augmentation noise is isotropic in all
    d coordinates). With ``tau`` given, the zoomed panels also show the cluster centres. The
    legend of the zoomed panels is under the grid.
    """
    from . import data as _data

    idx = list(idx)
    if not 1 <= len(idx) <= 4:
        raise ValueError(f"idx={idx!r} is out of range: allowed 1 to 4 point indices")
    rho = real("rho", rho, 0, low_open=True, rule="rho > 0")
    if tau is not None:
        tau = real("tau", tau, 0, low_open=True, rule="tau > 0")
    fig, axes = figure(ncols=2, nrows=3, width=COLUMN_INCHES / 2, height=2.75)
    samples(data, ax=axes[0], title="The sample; circled: shown zoomed")
    axes[0].title.set_fontsize(10)
    centers = None if tau is None else _data.cluster_means(data.x.shape[-1], tau)[data.c[idx]]
    views(data.x[idx], x1[idx], x2[idx], axes=axes[1:1 + len(idx)], overview=axes[0],
          centers=centers, legend=False)
    for ax in axes[1 + len(idx):5]:
        ax.set_visible(False)
    _noise_histogram(axes[5], np.concatenate([(x1 - data.x).ravel(), (x2 - data.x).ravel()]) / rho)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=SMALL,
               frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def _noise_histogram(ax: Axes, z: np.ndarray) -> None:
    """Histogram of the standardized view offsets z against the N(0, 1) density."""
    ax.hist(z, bins=40, range=(-4, 4), density=True, color="0.6", edgecolor="white",
            label=f"{z.size} coordinates")
    t = np.linspace(-4, 4, 200)
    ax.plot(t, np.exp(-t**2 / 2) / np.sqrt(2 * np.pi), color=COLORS["theory"], lw=1.5,
            label="N(0, 1) density")
    ax.set_xlabel(r"$(x^{(v)}_j - x_j)/\rho$, all $v$, $i$, $j$")
    ax.set_ylabel("density")
    ax.set_title("Augmentation noise / $\\rho$", fontsize=9)
    ax.set_ylim(0, 0.62)
    ax.legend(fontsize=SMALL, loc="upper left")

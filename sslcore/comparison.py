"""Chapter 4's figures and tables: SSL against SL, side by side, and why they differ. They
compose the layers below (``sl_theory`` for the SL mechanism, ``ssl_sl_runs`` for the phase
diagram and the live runs, ``analysis``, ``plots``); nothing is computed here.

* Figures of the paper's two simulations side by side: learning curves, final weights,
  projection counts (:func:`learning_curves_figure`, :func:`final_weights_figure`; their parts
  :func:`coordinate_curves` and :func:`projection_bars` also draw ``reproduce``'s figures), and
  the summary table as Markdown (:func:`summary_markdown`).
* Role alignment: the SL loss is symmetric under swapping the two neurons together with F_1, F_2,
  and some seeds end with neuron 1 on -e1 (w11 < 0). :func:`align_roles` swaps the neurons of
  those seeds so that w11 > 0 everywhere, for display only (every quantity in the summary table
  is symmetric in the two neurons except w_kj themselves).
* :func:`mechanism_figure` (``sl_theory.e2_decay`` and ``sl_theory.kick``),
  :func:`phase_figure` (``ssl_sl_runs.phase_diagram``), :func:`live_figure` (the widget
  function (tau, rho, alpha) -> Figure).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from . import analysis, experiments, plots
from .config import ALPHA, RHO, TAU
from .ssl_sl_runs import PhaseDiagram, live_runs
from .training import Run

# summary table: (key of analysis.final_quantities, column header)
COLUMNS = (("w11", "$w_{11}$"), ("w12", "$w_{12}$"), ("w21", "$w_{21}$"), ("w22", "$w_{22}$"),
           ("other_w1", "$\\Vert w_{1,3..d}\\Vert$"), ("other_w2", "$\\Vert w_{2,3..d}\\Vert$"),
           ("cosine", "$\\cos(w_1, w_2)$"), ("proj_e1", "$\\Vert Pe_1\\Vert$"),
           ("proj_e2", "$\\Vert Pe_2\\Vert$"))
# (\Vert, not \|: in a Markdown table "\|" is an escaped column separator)
ROW_NAMES = {"ssl_near": "SSL, `near` init", "ssl_sign": "SSL, `sign` init", "sl": "SL"}


# ----------------------------------------------------------------------------- roles
def swapped_seeds(W_final: ArrayLike) -> np.ndarray:
    """Boolean (S,): seeds whose neuron 1 ends on the -e1 side (w11 < 0)."""
    return np.asarray(W_final)[:, 0, 0] < 0


def align_roles(run: Run) -> tuple[Run, np.ndarray]:
    """A copy of ``run`` with the two neurons (and F_1, F_2) swapped in the seeds whose final
    w11 is negative, so that neuron 1 ends with w11 > 0 in every seed; and the swapped mask.

    The SL loss is invariant under this swap, so the aligned run describes the same solutions;
    only the labels "neuron 1" and "neuron 2" change.
    """
    swap = swapped_seeds(run.W_final)
    W = run.W.copy()
    W[swap] = W[swap][:, :, ::-1]
    F = None
    if run.F is not None:
        F = run.F.copy()
        F[swap] = F[swap][:, :, ::-1]
    return dataclasses.replace(run, W=W, F=F), swap


# ----------------------------------------------------------------------------- figures
#: Curves closer than this fraction of the plotted range (at >= COINCIDE_SHARE of the steps)
#: would hide one another if drawn alike.
COINCIDE_TOL = 0.02
COINCIDE_SHARE = 0.1
#: Line styles: a plain curve; a curve that another one lies on (wide, underneath); the curves
#: lying on it (narrow, dash-dotted or dotted, on top), so every coordinate stays visible.
#: (Plain dashes are left to the critical-point lines of ``optimum``.)
CURVE_STYLE = dict(lw=1.6, ls="-", zorder=2)
UNDER_STYLE = dict(lw=4.0, ls="-", zorder=2)
OVER_STYLES = (dict(lw=1.6, ls=(0, (5, 1.5, 1.5, 1.5)), zorder=3),
               dict(lw=1.6, ls=(0, (1, 1.5)), zorder=4))


def coinciding(curves: ArrayLike, tol: float = COINCIDE_TOL, share: float = COINCIDE_SHARE
               ) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows of ``curves`` (m, R) that lie within ``tol`` times the range
    of all curves of each other at ``share`` or more of the points."""
    c = np.asarray(curves, dtype=float)
    span = float(np.nanmax(c) - np.nanmin(c)) if c.size else 0.0
    span = span if span > 0 else 1.0
    return [(i, j) for i in range(len(c)) for j in range(i + 1, len(c))
            if np.mean(np.abs(c[i] - c[j]) <= tol * span) >= share]


def curve_styles(curves: Sequence[np.ndarray]) -> list[dict]:
    """One line style per row of ``curves`` (m, R): :data:`CURVE_STYLE`; where curves coincide
    (:func:`coinciding`), the first ``UNDER_STYLE`` and the later ones ``OVER_STYLES``
    (dash-dotted, then dotted) on top of it."""
    pairs = coinciding(curves)
    tops = {j for _, j in pairs}
    styles = [dict(CURVE_STYLE) for _ in range(len(curves))]
    for i, _ in pairs:
        if i not in tops:
            styles[i] = dict(UNDER_STYLE)
    for j in tops:
        rank = sum(1 for i, jj in pairs if jj == j and i in tops)
        styles[j] = dict(OVER_STYLES[min(rank, len(OVER_STYLES) - 1)])
    return styles


def coordinate_curves(ax: Axes, steps: ArrayLike, mean: ArrayLike, lo: ArrayLike | None = None,
                      hi: ArrayLike | None = None, optimum: ArrayLike | None = None,
                      title: str | None = None, legend: str | None = "side") -> Axes:
    """w11, w12, w21, w22 against the step on ``ax``: ``mean`` (R, 2, 2), [:, k, j] = w_k,j+1,
    with the band ``lo``..``hi`` (same shape). Curves that coincide get distinct styles
    (:func:`curve_styles`); ``optimum`` (2, >= 2): dashed lines at a critical point's
    (w_k1, w_k2); ``legend``: as ``plots.place_legend``. Returns ``ax``."""
    names = tuple(plots.COORDS)
    mean = np.asarray(mean, dtype=float)
    curves = [mean[:, k, j] for k, j in plots.COORDS.values()]
    for name, curve, style in zip(names, curves, curve_styles(curves)):
        k, j = plots.COORDS[name]
        color = plots.COORD_COLORS[name]
        ax.plot(steps, curve, color=color, label=plots.LABELS[name], **style)
        if lo is not None and hi is not None:
            ax.fill_between(steps, np.asarray(lo)[:, k, j], np.asarray(hi)[:, k, j],
                            color=color, alpha=0.25, lw=0)
        if optimum is not None:
            ax.axhline(optimum[k][j], color=color, ls="--", lw=0.9)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("weight value")
    if title:
        ax.set_title(title)
    plots.place_legend(ax, legend)
    return ax


def _curves_of(run):
    """(mean, lo, hi) over seeds of w_kj, j = 1, 2, each (R, 2, 2)."""
    return analysis.mean_band(run.W[..., :2], axis=0)


def learning_curves_figure(ssl_run: Run, sl_run: Run, ssl_optimum: ArrayLike | None = None,
                           sl_optimum: ArrayLike | None = None) -> Figure:
    """SSL (top) and SL (bottom) learning curves, mean and 95% band over seeds, on one y scale;
    the legend is right of the top panel.

    The SL run is shown with aligned roles (:func:`align_roles`); optima (2, >= 2) are drawn
    as dashed lines; curves that coincide (w12 and w22) are drawn wide and narrow dash-dotted.
    """
    aligned, swap = align_roles(sl_run)
    fig, axes = plots.figure(nrows=2, width=plots.COLUMN_INCHES, height=3.0)
    S = len(ssl_run.config.seeds)
    coordinate_curves(axes[0], ssl_run.steps, *_curves_of(ssl_run), optimum=ssl_optimum,
                      title=f"SSL, {ssl_run.config.init} init ({S} seeds, T = {ssl_run.config.T})")
    coordinate_curves(axes[1], aligned.steps, *_curves_of(aligned), optimum=sl_optimum,
                      legend=None,
                      title=f"SL ({len(sl_run.config.seeds)} seeds, T = {sl_run.config.T}); "
                            f"{int(swap.sum())} seeds role-aligned")
    for ax in axes:
        ax.set_title(ax.get_title(), fontsize=10)
    lo = min(ax.get_ylim()[0] for ax in axes)
    hi = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(lo, hi)
    fig.tight_layout()
    return fig


def projection_bars(runs: Mapping[str, tuple[np.ndarray, str]], axes: Sequence[Axes],
                    bins: int = 8, legend: bool = True) -> Sequence[Axes]:
    """Counts over the seeds of ||P e1|| (``axes[0]``) and ||P e2|| (``axes[1]``) in ``bins``
    equal bins of [0, 1]: in each bin one bar per run, side by side (no overlap, no mixed
    colours), integer count ticks, the legend above the bars.

    ``runs``: {label: (W_final (S, 2, d), colour)}. Returns the axes.
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins={bins!r} is out of range: allowed an integer >= 1")
    edges = np.linspace(0.0, 1.0, bins + 1)
    slot = 0.8 / bins / max(1, len(runs))          # the runs' bars touch; gaps between bins
    for e, ax in enumerate(axes[:2]):
        top = 0
        for r, (label, (W, color)) in enumerate(runs.items()):
            p = np.clip(analysis.projections(W)[e], 0.0, 1.0)
            counts, _ = np.histogram(p, bins=edges)
            ax.bar(edges[:-1] + 0.1 / bins + (r + 0.5) * slot, counts, width=slot,
                   color=color, label=label, lw=0)
            top = max(top, int(counts.max()))
        top = max(top, 1)
        ticks = MaxNLocator(nbins=5, integer=True).tick_values(0, top)
        ax.set_yticks([t for t in ticks if 0 <= t <= top])    # counts: integers up to the top
        ax.set_xlim(0, 1)
        ax.set_xticks(edges, minor=True)             # bin edges
        ax.grid(False, axis="x")
        ax.grid(True, axis="x", which="minor", alpha=0.3)
        ax.set_ylim(0, 1.45 * top)                  # room for the legend above the bars
        ax.set_xlabel(rf"projection length $\|P e_{e + 1}\|$")
        ax.set_ylabel("number of seeds")
        ax.set_title(rf"Projection of $e_{e + 1}$", fontsize=10)
        if legend:
            ax.legend(fontsize=plots.SMALL, loc="upper center", ncol=len(runs))
    return axes


def final_weights_figure(ssl_W: np.ndarray, sl_W: np.ndarray, bins: int = 8,
                         ssl_init: str = "near") -> Figure:
    """A 2 x 2 grid. Top: final (w_k1, w_k2) of both neurons over the seeds, SSL (left; trained
    from ``ssl_init``) and SL (right), as trained, not aligned. Bottom: counts of ||P e1|| and
    ||P e2|| for both (:func:`projection_bars`)."""
    fig, axes = plots.figure(ncols=2, nrows=2, width=plots.COLUMN_INCHES / 2, height=3.0)
    plots.final_scatter(ssl_W, ax=axes[0], color=plots.COLORS["ssl"],
                        title=f"SSL ({ssl_init}): final $(w_{{k1}}, w_{{k2}})$", label="SSL")
    plots.final_scatter(sl_W, ax=axes[1], color=plots.COLORS["sl"],
                        title="SL: final $(w_{k1}, w_{k2})$", label="SL")
    for ax in axes[:2]:
        ax.title.set_fontsize(10)
    for ax in axes[:2]:
        ax.set_xlim(-4.8, 4.8)
        ax.set_ylim(-0.4, 2.0)
    projection_bars({"SSL": (ssl_W, plots.COLORS["ssl"]), "SL": (sl_W, plots.COLORS["sl"])},
                    axes=axes[2:], bins=bins)
    fig.tight_layout()
    return fig


def summary_markdown(summ: Mapping[str, Mapping], names: Sequence[str] | None = None,
                     columns: Sequence[tuple[str, str]] = COLUMNS, digits: int = 3,
                     row_names: Mapping[str, str] | None = None) -> str:
    """The summary ({run: {key: {"mean", "std"}}}, as ``experiments.summary``) as a Markdown
    table, mean ± std per cell: one row per quantity of ``columns``, one column per run (so
    the table stays narrow enough for the page, about 60 characters for three runs)."""
    names = list(summ) if names is None else list(names)
    row_names = {**ROW_NAMES, **(row_names or {})}
    for name in names:
        if name not in summ:
            raise ValueError(f"names: {name!r} is not in the summary (has {sorted(summ)})")
    head = "| quantity | " + " | ".join(row_names.get(n, n) for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)

    def cell(q):
        return f"{q['mean']:.{digits}f} ± {q['std']:.{digits}f}".replace("-", "−")

    rows = [f"| {h} | " + " | ".join(cell(summ[n][k]) for n in names) + " |" for k, h in columns]
    return "\n".join([head, rule] + rows)


def probe_markdown(acc: Mapping[tuple, np.ndarray], rows: Sequence[str], l2s: Sequence[float],
                   targets: Sequence[str] = ("y", "z"), digits: int = 3) -> str:
    """Probe accuracies as a Markdown table: one row per (target, l2), one column per
    representation in ``rows`` (narrow enough for the page); cells "mean ± half-width" of the
    95% interval over seeds (``probe.mean_ci``).

    ``acc``: {(row, target, l2): accuracies (S,)}.
    """
    from .probe import mean_ci

    names = {"y": "label $y$", "z": "hidden bit $z$"}
    cols = [(t, l2) for l2 in l2s for t in targets]
    for row in rows:
        for t, l2 in cols:
            if (row, t, l2) not in acc:
                raise ValueError(f"acc has no entry {(row, t, l2)!r}")
    head = "| target, penalty | " + " | ".join(rows) + " |"
    rule = "|---|" + "---:|" * len(rows)
    body = []
    for t, l2 in cols:
        cells = []
        for row in rows:
            m, h = mean_ci(acc[row, t, l2])
            cells.append(f"{m:.{digits}f} ± {h:.{digits}f}")
        body.append(f"| {names.get(t, t)}, $\\lambda$ = {l2:g} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule] + body)


def mechanism_figure(decay: Mapping[str, np.ndarray], kicked: Mapping, seed: int = 0) -> Figure:
    """Top: median over seeds and neurons of |w_k2(t)|/|w_k2(0)| and of the coordinates 3..d
    against q^t. Bottom: one seed's kicked e2 weights, measured against predicted. Legends are
    right of the panels."""
    fig, axes = plots.figure(nrows=2, width=plots.COLUMN_INCHES, height=2.9)
    ax = axes[0]
    steps = decay["steps"]
    ax.semilogy(steps, np.median(np.moveaxis(decay["e2"], 1, -1).reshape(-1, len(steps)), axis=0),
                color=plots.COLORS["sl"], lw=1.8, label="$|w_{k2}(t)|/|w_{k2}(0)|$\n(median)")
    other = np.median(np.moveaxis(decay["other"], 1, -1).reshape(-1, len(steps)), axis=0)
    ax.semilogy(steps, other,
                color="0.45", lw=1.8, label="$\\|w_{k,3..d}(t)\\|/\\|w_{k,3..d}(0)\\|$\n(median)")
    ax.semilogy(steps, decay["predicted"], color=plots.COLORS["theory"], ls="--", lw=1.2,
                label="weight decay alone\n$(1-2\\beta n\\eta)^t$")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("ratio to the initial value")
    ax.set_title("SL training: what shrinks how fast", fontsize=10)
    plots.side_legend(ax)
    ax = axes[1]
    st = kicked["steps"]
    for m, (name, ls) in enumerate((("symmetric", "-"), ("antisymmetric", "-."))):
        meas = np.abs(kicked["measured"][seed, m, :, 0])
        pred = np.abs(kicked["predicted"][seed, m, :, 0])
        ax.semilogy(st, meas, color=plots.COLORS["sl"], ls=ls, lw=2.2, alpha=0.6,
                    label=f"measured,\n{name} kick")
        ax.semilogy(st, pred, color=plots.COLORS["theory"], ls=ls, lw=1.0,
                    label=f"$(I-\\eta H_{{bb}})^t$,\n{name}")
    ax.semilogy(st, kicked["regularizer"], color="0.5", ls="--", lw=1.2, label="weight decay alone")
    ax.set_xlabel("steps after the kick")
    ax.set_ylabel(r"$|\delta w_{12}(t)|$")
    ax.set_title(f"Kick along $e_2$ at the SL solution (seed {seed})", fontsize=10)
    plots.side_legend(ax)
    fig.tight_layout()
    return fig


def phase_figure(pd: PhaseDiagram, mark: tuple[float, float] | None = None) -> Figure:
    """Heat maps (mean over seeds), stacked top to bottom, of SSL's ||Pe2||, SL's ||Pe2|| and
    SSL's ||Pe1|| on the (tau, rho) grid, each with its colour bar; each cell shows the mean and,
    below it, the half-width of its 95% band over seeds (``analysis.mean_band``);
    ``mark`` (tau, rho): a grid cell to outline."""
    panels = ((pd.ssl_e2, "SSL: $\\|Pe_2\\|$", "Blues"), (pd.sl_e2, "SL: $\\|Pe_2\\|$", "Reds"),
              (pd.ssl_e1, "SSL: $\\|Pe_1\\|$", "Blues"))
    fig, axes = plots.figure(nrows=3, width=plots.COLUMN_INCHES, height=2.3, sharex=True)
    for ax, (val, title, cmap) in zip(axes, panels):
        m, _, hi = analysis.mean_band(val, axis=-1)
        im = ax.imshow(m, origin="lower", cmap=cmap, vmin=0, vmax=1, aspect="auto")
        for (i, j), mean in np.ndenumerate(m):
            ax.text(j, i, f"{mean:.2f}\n\u00b1{hi[i, j] - mean:.2f}", ha="center",
                    va="center", fontsize=8, linespacing=1.1,
                    color="white" if mean > 0.6 else "black")
        ax.set_xticks(range(len(pd.taus)), [f"{t:g}" for t in pd.taus])
        ax.set_yticks(range(len(pd.rhos)), [f"{r:.3g}" for r in pd.rhos])
        ax.set_ylabel(r"$\rho$ (noise)")
        ax.set_title(title + f" (mean \u00b1 95% half-width, {val.shape[-1]} seeds)",
                     fontsize=10)
        ax.grid(False)
        if mark is not None:
            j = int(np.argmin(np.abs(pd.taus - mark[0])))
            i = int(np.argmin(np.abs(pd.rhos - mark[1])))
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2, ec="black"))
        fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    axes[-1].set_xlabel(r"$\tau$ (scale of the hidden feature)")
    fig.tight_layout()
    return fig


def live_figure(tau: float = TAU, rho: float = RHO, alpha: float = ALPHA, seeds: int = 3,
                T: int = 1500, sl_T: int = 1500) -> Figure:
    """Retrain SSL and SL with (tau, rho, alpha) and show the final (w_k1, w_k2) of every seed
    (top) and the projection lengths ||Pe1||, ||Pe2|| of every seed with their mean as a bar
    (bottom); legends right of the panels. Returns the Figure."""
    ssl, sl = live_runs(tau, rho, alpha, seeds, T, sl_T)
    fig, axes = plots.figure(nrows=2, width=plots.COLUMN_INCHES, height=2.8)
    plots.final_scatter(ssl.W_final, ax=axes[0], color=plots.COLORS["ssl"], label="SSL",
                        legend=None,
                        title=f"final $(w_{{k1}}, w_{{k2}})$: $\\tau$={tau:.3g}, "
                              f"$\\rho$={rho:.3g}, $\\alpha$={alpha:.3g}")
    axes[0].title.set_fontsize(10)
    axes[0].scatter(sl.W_final[:, :, 0].ravel(), sl.W_final[:, :, 1].ravel(),
                    color=plots.COLORS["sl"],
                    marker="s", alpha=0.75, label="SL: both neurons")
    plots.side_legend(axes[0])
    ax = axes[1]
    width = 0.35
    for i, (run, name) in enumerate(((ssl, "ssl"), (sl, "sl"))):
        p1, p2 = analysis.projections(run.W_final)
        for j, p in enumerate((p1, p2)):
            xs = j + (i - 0.5) * width + np.linspace(-0.08, 0.08, len(p))
            ax.bar(j + (i - 0.5) * width, p.mean(), width * 0.9, color=plots.COLORS[name],
                   alpha=0.35,
                   label=f"{name.upper()}\n(bar: mean)" if j == 0 else None)
            ax.scatter(xs, p, color=plots.COLORS[name], s=14, zorder=3)
    ax.set_xticks([0, 1], [r"$\|Pe_1\|$", r"$\|Pe_2\|$"])
    ax.set_ylim(0, 1.05)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("projection length\nonto span$(w_1, w_2)$")
    ax.set_title(f"{int(seeds)} seeds; SSL {T} steps, SL {sl_T} steps", fontsize=10)
    plots.side_legend(ax)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- reproduce
def paper_figures(runs: Mapping[str, Run | experiments.Outcome]) -> dict[str, Figure]:
    """The paper's figures as {file name: matplotlib figure}, each at most the book's column
    wide (``plots.COLUMN_INCHES``): the SSL (near) and SL learning curves (mean and 95% band
    over all seeds; coinciding curves drawn in different styles), the final (w_k1, w_k2) of SSL
    (left, its initialization in the title) and SL (right), and the counts of ||Pe1||, ||Pe2||
    (bars side by side). ``runs``: {name: Run or Outcome}."""
    res = experiments.as_outcomes(runs)
    figs = {}
    half = plots.COLUMN_INCHES / 2
    near_init = res["ssl_near"].config.init
    for name, title in (("ssl_near", f"SSL ({near_init} initialization)"), ("sl", "SL")):
        fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=4)
        mean, lo, hi = res[name].band()
        coordinate_curves(ax, res[name].steps, mean, lo, hi,
                                     title=f"{title}: learning curves, mean and 95% band "
                                           f"({res[name].count} seeds)")
        ax.title.set_fontsize(10)
        figs[f"learning_curves_{name}.png"] = fig
    fig, axes = plots.figure(ncols=2, width=half, height=3.4)
    plots.final_scatter(res["ssl_near"].W_final, ax=axes[0], color=plots.COLORS["ssl"],
                        title=f"SSL ({near_init} init): final $(w_{{k1}}, w_{{k2}})$")
    plots.final_scatter(res["sl"].W_final, ax=axes[1], color=plots.COLORS["sl"],
                        title="SL: final $(w_{k1}, w_{k2})$")
    for ax in axes:                       # room above the points for the legend
        ax.title.set_fontsize(10)
        ax.set_ylim(min(-0.4, ax.get_ylim()[0]), max(2.0, ax.get_ylim()[1]))
        ax.legend(fontsize=plots.SMALL, loc="upper center")
    figs["final_weights.png"] = fig
    fig, axes = plots.figure(ncols=2, width=half, height=3.2)
    projection_bars({f"SSL ({near_init})": (res["ssl_near"].W_final,
                                                       plots.COLORS["ssl"]),
                                "SL": (res["sl"].W_final, plots.COLORS["sl"])}, axes=axes)
    figs["projections.png"] = fig
    for fig in figs.values():
        fig.tight_layout()
    return figs

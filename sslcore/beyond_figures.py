"""Chapter 5's figures and tables: how far the paper's result reaches. They compose
``beyond`` (the grids, the measures, the verdicts), ``analysis`` and ``plots``; nothing is
computed here.

* :func:`sweep_figure`: the measures of a question (||P e2||, the per-neuron share of e2, the
  linear probe's accuracy for z) against its setting, SSL and SL side by side, mean and 95%
  interval over the seeds; a diverged run is marked, not plotted.
* :func:`table_markdown`, :func:`summary_markdown`: a question's table and the chapter's
  summary of where the conclusion holds, as Markdown (narrow enough for the page).
* :func:`neurons_figure`: the explorer's figure (width, Gaussian init scale, activation):
  every neuron's final (w_k1, w_k2) and its share of e2, SSL against SL.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import analysis, beyond, plots
from .beyond import Measured

#: y-axis labels of the measures
MEASURE_LABELS = {"proj_e2": "$\\|Pe_2\\|$", "share": "share of $e_2$\n(mean over $k$)",
                  "plane_share": "share in the\n$(e_1, e_2)$ plane",
                  "carriers": "fraction of neurons\ncarrying $e_2$",
                  "probe_z": "probe accuracy\nfor $z$"}
#: table headers of the measures ("\Vert": in Markdown "\|" would split a column)
MEASURE_HEADERS = {"proj_e2": "$\\Vert Pe_2\\Vert$", "share": "share",
                   "plane_share": "plane share", "carriers": "carriers",
                   "probe_z": "probe $z$"}
#: a series of a sweep figure: (legend name, colour, line style, results per setting)
Series = tuple[str, str, str, Sequence[Measured | None]]


def model_series(pairs: Sequence[tuple[Measured | None, Measured | None]], ssl: str = "SSL",
                 sl: str = "SL", ls: str = "-") -> list[Series]:
    """The SSL and the SL series of a question's (SSL, SL) pairs, in the book's colours."""
    return [(ssl, plots.COLORS["ssl"], ls, [p[0] for p in pairs]),
            (sl, plots.COLORS["sl"], ls, [p[1] for p in pairs])]


def _draw_series(ax: Axes, xs: np.ndarray, key: str, series: Series, offset: float,
                 joined: bool = True) -> None:
    """One series on one measure's axes: mean and 95% interval per setting (joined by lines
    if ``joined``), a cross and "diverges" where the run diverged."""
    name, color, ls, results = series
    ls = ls if joined else "none"
    pts = [(x, beyond.summary(r)[key]) for x, r in zip(xs, results)
           if r is not None and not r.diverged]
    if pts:
        x, mh = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
        ax.errorbar(x * offset if ax.get_xscale() == "log" else x + offset, mh[:, 0],
                    yerr=mh[:, 1], color=color, ls=ls, marker="o", ms=4, lw=1.4, capsize=3,
                    label=name)
    for x, r in zip(xs, results):
        if r is not None and r.diverged:
            ax.plot([x], [0.0], marker="x", ms=9, mew=2, color=color, ls="none")
            ax.annotate(f"{name}\ndiverges", (x, 0.0), xytext=(6, 4), textcoords="offset points",
                        fontsize=plots.SMALL, color=color)


def sweep_figure(labels: Sequence[str], series: Sequence[Series],
                 keys: Sequence[str] = ("proj_e2", "share", "probe_z"),
                 xs: Sequence[float] | None = None, xlabel: str = "", log: bool = False,
                 title: str | None = None) -> Figure:
    """One panel per measure in ``keys`` (stacked), each series' mean and 95% interval over
    seeds against the setting: numeric ``xs`` (``log`` axis; points joined) or the ``labels``
    as categories (points only); the series are shifted slightly sideways so their intervals
    do not hide each other."""
    n = len(series)
    fig, axes = plots.figure(nrows=len(keys), width=plots.COLUMN_INCHES - 1.3, height=1.65,
                             sharex=True)
    pos = np.arange(len(labels), dtype=float) if xs is None else np.asarray(xs, dtype=float)
    for ax, key in zip(axes, keys):
        if log:
            ax.set_xscale("log")
        for i, s in enumerate(series):
            shift = (i - (n - 1) / 2) * (0.06 if log else 0.08)
            _draw_series(ax, pos, key, s, 10 ** shift if log else shift, xs is not None)
        ax.set_ylabel(MEASURE_LABELS[key], fontsize=9)
        ax.set_ylim(-0.05, 1.08)
    axes[-1].set_xticks(pos, list(labels))
    axes[-1].minorticks_off()
    axes[-1].set_xlabel(xlabel)
    if title:
        axes[0].set_title(title, fontsize=10)
    plots.side_legend(axes[0])
    fig.tight_layout()
    return fig


def _cell(result: Measured, key: str, digits: int) -> str:
    if result.diverged:
        return f"diverges (step {result.step})"
    mean, half = beyond.summary(result)[key]
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def table_markdown(labels: Sequence[str], pairs: Sequence[tuple[Measured | None,
                                                                 Measured | None]],
                   keys: Sequence[str] = ("proj_e2", "share", "probe_z"), digits: int = 2,
                   setting: str = "setting") -> str:
    """A question's table as Markdown: for each setting an SSL and an SL row (none for a
    model not run there), one column per measure in ``keys``, cells "mean ± half-width" of
    the 95% interval over seeds, or "diverges (step t)"."""
    head = f"| {setting} | model | " + " | ".join(MEASURE_HEADERS[k] for k in keys) + " |"
    rule = "|---|---|" + "---:|" * len(keys)
    rows = []
    for label, pair in zip(labels, pairs):
        for name, r in zip(("SSL", "SL"), pair):
            if r is not None:
                rows.append(f"| {label} | {name} | "
                            + " | ".join(_cell(r, k, digits) for k in keys) + " |")
    return "\n".join([head, rule] + rows)


def summary_markdown(rows: Sequence[tuple[str, Measured, Measured]], digits: int = 2) -> str:
    """The chapter's summary: one row per (setting, SSL, SL) with the mean share of e2 and
    probe accuracy for z of both models and ``beyond.verdict``."""
    def mean(r: Measured, key: str) -> str:
        return "—" if r.diverged else f"{beyond.summary(r)[key][0]:.{digits}f}"

    head = "| setting | SSL share | SL share | SSL $z$ | SL $z$ | the paper's conclusion |"
    rule = "|---|---:|---:|---:|---:|---|"
    body = [f"| {label} | {mean(a, 'share')} | {mean(b, 'share')} | {mean(a, 'probe_z')} | "
            f"{mean(b, 'probe_z')} | {beyond.verdict(a, b)} |" for label, a, b in rows]
    return "\n".join([head, rule] + body)


def neurons_figure(m: int = 2, init_scale: float = 1.0, activation: str = "sigmoid",
                   seeds: int = 3) -> Figure:
    """Retrain SSL (Gaussian start, ``init_scale``) and SL with m neurons and ``activation``
    (``beyond.live_pair``). Top: every neuron's final (w_k1, w_k2), all seeds. Bottom: each
    neuron's share of e2, |w_k2| / ||w_k||, with the carrier threshold. Returns the Figure."""
    ssl, sl = beyond.live_pair(m, init_scale, activation, seeds)
    fig, axes = plots.figure(nrows=2, width=plots.COLUMN_INCHES - 1.5, height=2.5)
    runs = (("SSL", ssl, "o"), ("SL", sl, "s"))
    for name, run, marker in runs:
        W = run.W_final
        axes[0].scatter(W[:, :, 0].ravel(), W[:, :, 1].ravel(), s=16, marker=marker,
                        color=plots.COLORS[name.lower()], alpha=0.7, label=name)
    axes[0].axhline(0, color="0.5", lw=0.6)
    axes[0].set_xlabel(r"$w_{k1}$ (along $e_1$)")
    axes[0].set_ylabel(r"$w_{k2}$ (along $e_2$)")
    axes[0].set_title(f"m = {m}, {activation}, SSL start {init_scale:.3g} N(0, 1), "
                      f"{seeds} seeds", fontsize=10)
    for i, (name, run, marker) in enumerate(runs):
        share = analysis.feature_shares(run.W_final).ravel()
        jitter = np.linspace(-0.15, 0.15, len(share))
        axes[1].scatter(i + jitter, share, s=14, marker=marker,
                        color=plots.COLORS[name.lower()], alpha=0.7,
                        label=f"{name}: {int((share >= analysis.CARRIER_SHARE).sum())} of "
                              f"{len(share)} carry $e_2$")
    axes[1].axhline(analysis.CARRIER_SHARE, color=plots.COLORS["theory"], ls="--", lw=1,
                    label="carrier threshold")
    axes[1].set_xticks([0, 1], ["SSL", "SL"])
    axes[1].set_xlim(-0.6, 1.6)
    axes[1].set_ylim(-0.02, 1.0)
    axes[1].set_ylabel("$|w_{k2}| / \\|w_k\\|$")
    for ax in axes:
        plots.side_legend(ax)
    fig.tight_layout()
    return fig

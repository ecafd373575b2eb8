"""Chapter 4: SSL against SL, side by side, and why they differ.

* Figures of the paper's two simulations side by side: learning curves, final weights,
  projection counts (:func:`learning_curves_figure`, :func:`final_weights_figure`; their parts
  :func:`coordinate_curves` and :func:`projection_bars` also draw ``reproduce``'s figures), and
  the summary table as Markdown (:func:`summary_markdown`).
* Role alignment: the SL loss is symmetric under swapping the two neurons together with F_1, F_2,
  and some seeds end with neuron 1 on -e1 (w11 < 0). :func:`align_roles` swaps the neurons of
  those seeds so that w11 > 0 everywhere, for display only (every quantity in the summary table
  is symmetric in the two neurons except w_kj themselves).
* The mechanism on the SL side (:func:`e2_decay`, :func:`e2_hessian`, :func:`kick`): the
  regularizer alone shrinks every coordinate by q = 1 - 2 beta n eta per step; the data term of
  the loss adds curvature along the e2 coordinates w_12, w_22, whose 2x2 Hessian block is
      d^2 J / dw_k2 dw_l2 = sum_i x_i2^2 [s'(h_i) F_k F_l s'(u_ik) s'(u_il)
                                          + delta_kl r_i F_k s''(u_ik)] + 2 beta n delta_kl,
  (u_ik = w_k.x_i, h_i = F.s(W x_i), r_i = s(h_i) - y_i); a deviation db of (w_12, w_22)
  then decays like (I - eta H_bb)^t db.
* :func:`span_parts`: why the e2 projection length of SL weights is ill-conditioned.
* :func:`phase_diagram`: SSL and SL over a grid of (tau, rho), one vectorized call each.
* :func:`live_figure`: the widget function (tau, rho, alpha) -> Figure.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from scipy.optimize import minimize

from . import analysis, models, plots
from .data import cluster_means
from .config import ALPHA, BETA, GAMMA, RHO, TAU, SLConfig, SSLConfig
from .training import Run, sl_step, train_sl_many, train_ssl_many

# summary table: (key of analysis.final_quantities, column header)
COLUMNS = (("w11", "$w_{11}$"), ("w12", "$w_{12}$"), ("w21", "$w_{21}$"), ("w22", "$w_{22}$"),
           ("other_w1", "$\\Vert w_{1,3..d}\\Vert$"), ("other_w2", "$\\Vert w_{2,3..d}\\Vert$"),
           ("cosine", "$\\cos(w_1, w_2)$"), ("proj_e1", "$\\Vert Pe_1\\Vert$"),
           ("proj_e2", "$\\Vert Pe_2\\Vert$"))
# (\Vert, not \|: in a Markdown table "\|" is an escaped column separator)
ROW_NAMES = {"ssl_near": "SSL, `near` init", "ssl_sign": "SSL, `sign` init", "sl": "SL"}


# ----------------------------------------------------------------------------- roles
def swapped_seeds(W_final):
    """Boolean (S,): seeds whose neuron 1 ends on the -e1 side (w11 < 0)."""
    return np.asarray(W_final)[:, 0, 0] < 0


def align_roles(run: Run):
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
def sl_symmetric_optimum(beta=BETA, gamma=GAMMA):
    """(a, phi) of the noise-free SL critical point w1 = -w2 = (a, 0, ...), F = (-phi, phi).

    On that family every cluster has the same loss softplus(-phi (2 s(a) - 1)) (the e2 weight is
    zero, so tau does not enter), so per point J(a, phi) = softplus(-phi m(a)) + 2 beta a^2 +
    2 gamma phi^2 with m(a) = 2 s(a) - 1; minimized by BFGS. About (2.628, 4.254).
    """
    def J(v):
        a, phi = v
        m = 2 * models.sigmoid(a) - 1
        return float(np.logaddexp(0.0, -phi * m) + 2 * beta * a * a + 2 * gamma * phi * phi)

    res = minimize(J, x0=[2.6, 4.25], method="BFGS", options={"gtol": 1e-12})
    return float(res.x[0]), float(res.x[1])


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


def coinciding(curves, tol=COINCIDE_TOL, share=COINCIDE_SHARE):
    """Pairs (i, j), i < j, of rows of ``curves`` (m, R) that lie within ``tol`` times the range
    of all curves of each other at ``share`` or more of the points."""
    c = np.asarray(curves, dtype=float)
    span = float(np.nanmax(c) - np.nanmin(c)) if c.size else 0.0
    span = span if span > 0 else 1.0
    return [(i, j) for i in range(len(c)) for j in range(i + 1, len(c))
            if np.mean(np.abs(c[i] - c[j]) <= tol * span) >= share]


def curve_styles(curves):
    """One line style per row of ``curves`` (m, R): :data:`CURVE_STYLE`; where curves coincide
    (:func:`coinciding`), the first :data:`UNDER_STYLE` and the later ones :data:`OVER_STYLES`
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


def coordinate_curves(ax, steps, mean, lo=None, hi=None, optimum=None, title=None,
                      legend="side"):
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


def learning_curves_figure(ssl_run, sl_run, ssl_optimum=None, sl_optimum=None):
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


def projection_bars(runs, axes, bins=8, legend=True):
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


def final_weights_figure(ssl_W, sl_W, bins=8, ssl_init="near"):
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


def summary_markdown(summ, names=None, columns=COLUMNS, digits=3, row_names=None):
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


def probe_markdown(acc, rows, l2s, targets=("y", "z"), digits=3):
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


# ----------------------------------------------------------------------------- mechanism
def regularizer_factor(cfg):
    """q = 1 - 2 beta n eta (SL) or 1 - 2 alpha n eta (SSL): the per-step shrinkage by weight
    decay alone."""
    decay = cfg.beta if isinstance(cfg, SLConfig) else cfg.alpha
    return 1 - 2 * decay * cfg.n * cfg.eta


def e2_decay(run):
    """How the e2 weights and the coordinates 3..d shrink during training, against q^t.

    Returns steps (R,), e2 (S, R, 2) = |w_k2(t)| / |w_k2(0)|, other (S, R, 2) =
    ||w_k,3..d(t)|| / ||w_k,3..d(0)||, and predicted (R,) = q^t.
    """
    W = run.W
    e2 = np.abs(W[..., 1]) / np.abs(W[:, :1, :, 1])
    other = analysis.other_norm(W) / analysis.other_norm(W[:, :1])
    return {"steps": run.steps, "e2": e2, "other": other,
            "predicted": regularizer_factor(run.config) ** run.steps.astype(float)}


def e2_hessian(W, F, x, y, beta):
    """The block d^2 J / dw_k2 dw_l2 (S, 2, 2) of the SL training loss (module docstring).

    W (S, 2, d), F (S, 2), x (S, n, d), y (S, n). The data part and the weight decay 2 beta n I
    are returned separately: (data (S, 2, 2), 2 beta n).
    """
    W, F, x, y = (np.asarray(a, dtype=np.float64) for a in (W, F, x, y))
    n = x.shape[-2]
    s = models.sigmoid(x @ np.swapaxes(W, -1, -2))          # (S, n, 2)
    ds = s * (1 - s)
    d2s = ds * (1 - 2 * s)
    h = (s * F[:, None, :]).sum(-1)
    sh = models.sigmoid(h)
    r = sh - y
    x2sq = x[..., 1] ** 2                                     # (S, n)
    g = F[:, None, :] * ds                                    # F_k s'(u_ik), (S, n, 2)
    first = np.einsum("si,sik,sil->skl", x2sq * sh * (1 - sh), g, g)
    second = np.einsum("si,sik->sk", x2sq * r, F[:, None, :] * d2s)
    data = first + second[:, :, None] * np.eye(2)
    return data, 2 * beta * n


def e2_hessian_population(a, phi, tau=TAU, beta=BETA):
    """The same block per point for the noise-free population at w1 = -w2 = (a, 0, ...),
    F = (-phi, phi), equal cluster weights: (2, 2) including 2 beta I. Only the clusters
    +-e1 + tau e2 contribute (x_2 = 0 elsewhere)."""
    centres = cluster_means(2, tau)
    W = np.array([[a, 0.0], [-a, 0.0]])
    data, reg = e2_hessian(W[None], np.array([[-phi, phi]]), centres[None],
                           np.array([[0.0, 0.0, 1.0, 1.0]]), beta)
    return data[0] / 4 + reg / 4 * np.eye(2)


def kick(run, delta=0.05, T=400, record_every=10):
    """Perturb the final SL weights along e2 and watch the perturbation decay.

    From each seed's final (W, F), three copies are trained further with ``training.sl_step``
    on that seed's data: unperturbed, (w_12, w_22) + (delta, delta) ("symmetric") and
    + (delta, -delta) ("antisymmetric"). Measured: db(t) = (w_12, w_22)(kicked) - (unperturbed),
    shape (S, 2 modes, R, 2). Predicted: (I - eta H_bb)^t db(0) with H_bb = :func:`e2_hessian`
    at the start; and q^t (weight decay alone). Also returns the eigenvalues of H_bb (S, 2).
    """
    cfg = run.config
    if not isinstance(cfg, SLConfig):
        raise ValueError("run must be an SL run (its config an SLConfig)")
    if not delta > 0:
        raise ValueError(f"delta={delta!r} must be > 0")
    W0, F0, x, y = run.W_final, run.F_final, run.data.x, run.data.y
    S = W0.shape[0]
    kicks = np.array([[0.0, 0.0], [delta, delta], [delta, -delta]])       # (3 copies, 2)
    W = np.repeat(W0[:, None], 3, 1).copy()
    W[..., 1] += kicks[None]
    Wt = np.swapaxes(W.reshape(3 * S, 2, -1), 1, 2).copy()
    F = np.repeat(F0, 3, 0)
    X = np.repeat(x, 3, 0)
    XT = np.ascontiguousarray(np.swapaxes(X, 1, 2))
    Y = np.repeat(y, 3, 0)[..., None]
    steps = np.arange(0, T + 1, record_every)
    b = np.empty((3 * S, len(steps), 2))
    j = 0
    with np.errstate(over="ignore"):
        for t in range(T + 1):
            if t == steps[j]:
                b[:, j] = Wt[:, 1, :]
                j += 1
                if j == len(steps):
                    break
            Wt, F, _, _ = sl_step(Wt, F, X, XT, Y, cfg.beta, cfg.gamma, cfg.eta, want_loss=False)
    b = b.reshape(S, 3, len(steps), 2)
    measured = b[:, 1:] - b[:, :1]
    data, reg = e2_hessian(W0, F0, x, y, cfg.beta)
    H = data + reg * np.eye(2)
    lam, V = np.linalg.eigh(H)                                             # (S, 2), (S, 2, 2)
    fac = (1 - cfg.eta * lam)[:, None, :] ** steps[None, :, None]          # (S, R, 2)
    coef = np.einsum("skj,mk->smj", V, kicks[1:])                          # db(0) in eigenbasis
    predicted = np.einsum("skj,srj,smj->smrk", V, fac, coef)
    q = regularizer_factor(cfg)
    return {"steps": steps, "measured": measured, "predicted": predicted,
            "regularizer": delta * q ** steps.astype(float), "eigenvalues": lam,
            "data_curvature": data, "weight_decay": reg, "delta": delta}


def mechanism_figure(decay, kicked, seed=0):
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


def span_parts(W):
    """Why ||P e2|| is ill-conditioned when w1 ~ -w2: the span of (w1, w2) is spanned by
    u = (w1 - w2)/||w1 - w2|| and v = the part of w1 + w2 orthogonal to u, so
    ||P e2||^2 = (e2.u)^2 + (e2.v)^2/||v||^2 exactly. Returns (S,) arrays: proj_e2 (from the
    formula), e2_u = |e2.u|, e2_v = |e2.v| (the numerator) and norm_v = ||v||."""
    W = np.asarray(W, dtype=np.float64)
    diff = W[:, 0] - W[:, 1]
    u = diff / np.linalg.norm(diff, axis=-1, keepdims=True)
    s = W[:, 0] + W[:, 1]
    v = s - (s * u).sum(-1, keepdims=True) * u
    nv = np.linalg.norm(v, axis=-1)
    e2_u, e2_v = np.abs(u[:, 1]), np.abs(v[:, 1])
    return {"proj_e2": np.sqrt(e2_u**2 + (e2_v / nv) ** 2), "e2_u": e2_u, "e2_v": e2_v,
            "norm_v": nv}


def extrapolate_other(W, factor):
    """W with the coordinates 3..d multiplied by ``factor`` (weight decay alone for more steps)."""
    W = np.array(W, dtype=np.float64, copy=True)
    W[..., 2:] *= factor
    return W


# ----------------------------------------------------------------------------- phase diagram
@dataclass
class PhaseDiagram:
    """Projection lengths over a (rho, tau) grid: arrays (len(rhos), len(taus), seeds)."""

    taus: np.ndarray
    rhos: np.ndarray
    ssl_e1: np.ndarray
    ssl_e2: np.ndarray
    sl_e1: np.ndarray
    sl_e2: np.ndarray
    sl_share: np.ndarray          # max_k |w_k2|/||w_k|| of SL
    ssl_same_side: np.ndarray     # SSL: both neurons end with the same sign of w_k1 (collapse)

    def advantage(self, e1_min=0.9, e2_min=0.8, sl_max=0.2):
        """Boolean (rho, tau) grid: SSL spans both features (mean ||Pe1|| >= e1_min and
        ||Pe2|| >= e2_min) while SL does not span e2 (mean ||Pe2|| <= sl_max)."""
        return ((self.ssl_e1.mean(-1) >= e1_min) & (self.ssl_e2.mean(-1) >= e2_min)
                & (self.sl_e2.mean(-1) <= sl_max))


def phase_diagram(taus, rhos, seeds=3, T=4000, sl_T=4000, d=10):
    """Train SSL (near init) and SL at every (tau, rho) with ``seeds`` seeds: one call of
    ``train_ssl_many`` and one of ``train_sl_many`` (all grid points stacked)."""
    taus = np.asarray(taus, dtype=float)
    rhos = np.asarray(rhos, dtype=float)
    if taus.ndim != 1 or taus.size == 0 or np.any(taus <= 0):
        raise ValueError(f"taus={taus!r} must be a non-empty 1-D sequence of values > 0")
    if rhos.ndim != 1 or rhos.size == 0 or np.any(rhos < 0):
        raise ValueError(f"rhos={rhos!r} must be a non-empty 1-D sequence of values >= 0")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds={seeds!r} must be an integer >= 1")
    seed_t = tuple(range(int(seeds)))
    grid = [(r, t) for r in rhos for t in taus]
    ssl = train_ssl_many([SSLConfig(d=d, tau=float(t), rho=float(r), seeds=seed_t, T=T,
                                    record_every=T)
                          for r, t in grid])
    sl = train_sl_many([SLConfig(d=d, tau=float(t), rho=float(r), seeds=seed_t, T=sl_T,
                                 record_every=sl_T)
                        for r, t in grid])
    shape = (len(rhos), len(taus), int(seeds))

    def proj(runs, k):
        return np.stack([analysis.projections(run.W_final)[k] for run in runs]).reshape(shape)

    share = np.stack([np.abs(analysis.normalized(run.W_final)[..., 1]).max(-1)
                      for run in sl]).reshape(shape)
    same = np.stack([np.sign(run.W_final[:, 0, 0]) == np.sign(run.W_final[:, 1, 0])
                     for run in ssl]).reshape(shape)
    return PhaseDiagram(taus, rhos, proj(ssl, 0), proj(ssl, 1), proj(sl, 0), proj(sl, 1),
                        share, same)


def phase_figure(pd: PhaseDiagram, mark=None):
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


# ----------------------------------------------------------------------------- widget
def live_runs(tau=TAU, rho=RHO, alpha=ALPHA, seeds=3, T=1500, sl_T=1500):
    """SSL (near init, weight decay alpha) and SL (beta = gamma = alpha) for a few seeds."""
    seed_t = tuple(range(int(seeds)))
    ssl = train_ssl_many([SSLConfig(tau=tau, rho=rho, alpha=alpha, seeds=seed_t, T=T,
                                    record_every=T)])[0]
    sl = train_sl_many([SLConfig(tau=tau, rho=rho, beta=alpha, gamma=alpha, seeds=seed_t, T=sl_T,
                                 record_every=sl_T)])[0]
    return ssl, sl


def live_figure(tau=TAU, rho=RHO, alpha=ALPHA, seeds=3, T=1500, sl_T=1500):
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


# ----------------------------------------------------------------------------- timing
def time_call(fn, repeat=1):
    """Best wall-clock time (seconds) of ``repeat`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(int(repeat)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best

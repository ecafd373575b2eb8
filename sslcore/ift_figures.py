"""Chapter 3 (the IFT characterization): sweeps, tables, figures, and the supervised (SL)
population theory.

Everything here builds on ``sslcore.theory`` (the objectives) and ``sslcore.ift`` (the
quantitative Inverse Function Theorem). Notation: f = grad F for an objective F, x0 the base
point, A = Df(x0) = Hess F(x0), r = 2 ||A^-1|| ||f(x0)|| the IFT radius, and the Jacobian
condition ||Df(x) - A|| <= 1 / (2 ||A^-1||) on the closed ball B(x0, r).

Contents
* ``simplified_figure``: contours of the per-neuron simplified objective g(a, b).
* ``quadrature_difference``: the Gauss-Hermite rule against one with more nodes.
* ``population_ift``, ``sweep``: the IFT for the population objective at the simplified
  optimum, for one (rho, tau) or a grid, in the 2-D reduction ('2d'), in all d coordinates
  ('full') or in the preconditioned norm ('hessian'). For the population objective the
  dimension d enters only through rho (the cluster centres have no coordinates 3..d, so the
  Hessian there is the same multiple of the identity for every d): a sweep over rho is a
  sweep over d = rho^(-2/3).
* ``sweep_figure``, ``ift_explorer``: the figures (the second is the widget's function).
* ``sample_study``: the IFT on the augmentation-averaged objective of finite samples.
* ``comparison_rows``, ``comparison_figure``, ``format_rows``: simplified point, Newton root,
  long-run gradient-ascent average and the T = 4000 weights, against the radius.
* ``projection_lower_bound``, ``projection_ball_min``: projection lengths over a ball.
* SL: ``sl_quadrature``, ``SLPopulation``: the population SL loss with gradient and Hessian
  by ``torch.func`` in float64; ``sampled_ift``: IFT constants of any gradient map with a
  sampled (not bounded) Jacobian condition.
"""
from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.polynomial.hermite_e import hermegauss

from . import analysis, plots
from .ift import IFT_KEYS, ift_check, ift_check_neuron, preconditioner, sampled_constants
from .config import ALPHA, BETA, GAMMA, RHO, TAU
from .data import cluster_means
from .theory import NoMaximumError, Objective, newton_critical_point, simplified_optimum
from .validation import integer, real

__all__ = [
    "population_ift", "sweep",
    "SWEEP_FIELDS", "sweep_figure", "ift_explorer", "sample_study", "projection_lower_bound",
    "projection_ball_min", "comparison_rows", "format_rows", "comparison_figure",
    "quadrature_difference", "sl_quadrature", "SLPopulation", "ift_table_rows", "sampled_ift",
    "simplified_figure",
]

MODES = ("2d", "full", "hessian")
BOUND_COLOR = "#b8860b"   # verified balls and bounds (not red: red is SL in this book)


# ============================================================================ quadrature
def quadrature_difference(obj, W, n_ref=80):
    """max |grad_n - grad_ref| and max |Hess_n - Hess_ref| at W between obj's Gauss-Hermite
    rule (obj.n_nodes nodes) and one with ``n_ref`` nodes: a check of the quadrature error."""
    ref = dataclasses.replace(obj, n_nodes=integer("n_ref", n_ref, 1, high=400))
    return (float(np.max(np.abs(obj.gradient(W) - ref.gradient(W)))),
            float(np.max(np.abs(obj.hessian(W) - ref.hessian(W)))))


# ============================================================================ population sweeps
def population_ift(tau=TAU, rho=RHO, alpha=ALPHA, mode="2d", n_samples=50, seed=0,
                   find_root=True):
    """The IFT for f = grad Phi_pop (one neuron, neuron 1) at x0 = the simplified optimum.

    mode: '2d' (the per-neuron reduction to (w_11, w_12)), 'full' (all d coordinates, Euclidean
    norm), 'hessian' (all d coordinates, norm ||(-A)^(1/2) (x - x0)||). The result does not
    depend on d >= 3 (see the module doc), so the objective is built with d = 3 for 'full' and
    'hessian'. Returns an ``IFTResult``, or None if there is no simplified optimum
    (``theory.NoMaximumError``).
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is out of range: allowed one of {MODES}")
    d = 2 if mode == "2d" else 3
    try:
        W0 = simplified_optimum(tau, alpha, d)[:1]
    except (NoMaximumError, RuntimeError):
        return None
    pop = Objective.population(tau, rho, alpha, d)
    return ift_check(pop, W0, S="hessian" if mode == "hessian" else None,
                     n_samples=n_samples, seed=seed, find_root=find_root)


SWEEP_FIELDS = ("norm_Ainv", "perturbation", "radius", "allowed_variation", "jacobian_variation",
                "variation_bound", "holds", "holds_sampled", "max_displacement", "root_distance")


def sweep(rhos, taus=(7.0,), alpha=ALPHA, mode="2d", n_samples=20, seed=0):
    """``population_ift`` over a grid: {field: array (len(taus), len(rhos))} for the fields of
    ``SWEEP_FIELDS`` (NaN / False where there is no simplified optimum), plus 'rho', 'tau'.

    root_distance is measured in the norm of the check (Euclidean for '2d' and 'full').
    """
    rhos = np.asarray(rhos, dtype=np.float64)
    taus = np.asarray(taus, dtype=np.float64)
    out = {k: np.full((len(taus), len(rhos)), np.nan) for k in SWEEP_FIELDS}
    for i, tau in enumerate(taus):
        for j, rho in enumerate(rhos):
            res = population_ift(tau, rho, alpha, mode, n_samples=n_samples, seed=seed)
            if res is not None:
                for k in SWEEP_FIELDS:
                    out[k][i, j] = getattr(res, k)
    for k in ("holds", "holds_sampled"):
        out[k] = np.nan_to_num(out[k], nan=0.0).astype(bool)
    out["rho"], out["tau"] = rhos, taus
    return out


def _threshold(rhos, holds):
    """The first rho (in increasing order) at which ``holds`` turns False, or NaN."""
    bad = np.flatnonzero(~holds)
    return rhos[bad[0]] if len(bad) else np.nan


def sweep_figure(sw, mark_rhos=None):
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
        t = _threshold(rhos, h)
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


def ift_explorer(rho=RHO, tau=TAU, alpha=ALPHA, n_samples=20):
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
    get = lambda f: np.array([getattr(res[m], f) for m in MODES])  # noqa: E731
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


def ift_table_rows(results):
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


def format_rows(rows, digits=3, width=TABLE_WIDTH):
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


# ============================================================================ finite samples
def sample_study(x, c, rho, tau=TAU, alpha=ALPHA, n_samples=20, seed=0):
    """The IFT on the augmentation-averaged objective Phi(W; x_s) of each sample s.

    x (S, n, d), c (S, n) cluster indices. Base point x0_s = the rho = 0 optimum for the
    sample's cluster proportions p_s (``simplified_optimum(p=p_s)``); each neuron k is checked
    on its own in all d coordinates (plain Euclidean norm and the preconditioned norm) and in
    the 2-D reduction (the sample's first two coordinates). Returns a dict of arrays (S, 2):
    plain_holds, plain_sampled, pre_holds, pre_sampled, pre_radius, pre_displacement,
    pre_root (preconditioned distance of the Newton root), 2d_holds, 2d_sampled, 2d_radius,
    2d_root; and (S, 2, d) arrays base, root (Newton from base), uniform (the uniform-p
    simplified optimum, the same for every s).
    """
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c)
    S, n, d = x.shape
    keys = ["plain_holds", "plain_sampled", "pre_holds", "pre_sampled", "pre_radius",
            "pre_displacement", "pre_root", "2d_holds", "2d_sampled", "2d_radius", "2d_root"]
    out = {k: np.zeros((S, 2)) for k in keys}
    out["base"], out["root"] = np.zeros((S, 2, d)), np.zeros((S, 2, d))
    out["uniform"] = np.broadcast_to(simplified_optimum(tau, alpha, d), (S, 2, d)).copy()
    for s in range(S):
        obj = Objective.averaged(x[s], rho, alpha)
        base = simplified_optimum(tau, alpha, d, p=np.bincount(c[s], minlength=4) / n)
        out["base"][s] = base
        out["root"][s] = obj.critical_point(base)
        for k in range(2):
            plain = ift_check(obj, base[k], n_samples=n_samples, seed=seed, find_root=False)
            pre = ift_check(obj, base[k], S="hessian", n_samples=n_samples, seed=seed,
                            find_root=False)
            two = ift_check_neuron(obj, base, k, n_samples=n_samples, seed=seed)
            Sk = np.linalg.inv(preconditioner(obj.hessian(base[k])))
            vals = {"plain_holds": plain.holds, "plain_sampled": plain.holds_sampled,
                    "pre_holds": pre.holds, "pre_sampled": pre.holds_sampled,
                    "pre_radius": pre.radius, "pre_displacement": pre.max_displacement,
                    "pre_root": np.linalg.norm(Sk @ (out["root"][s, k] - base[k])),
                    "2d_holds": two.holds, "2d_sampled": two.holds_sampled,
                    "2d_radius": two.radius, "2d_root": two.root_distance}
            for key, v in vals.items():
                out[key][s, k] = v
    for k in keys:
        if k.endswith(("holds", "sampled")):
            out[k] = out[k].astype(bool)
    return out


# ============================================================================ projections
def projection_lower_bound(W0, e, delta):
    """A lower bound of ||P_W e|| over all W (2, d) with ||w_k - w0_k|| <= delta_k (k = 1, 2),
    P_W the orthogonal projection onto span(w_1, w_2), e a unit vector.

    With c = the least-squares coefficients of e on (w0_1, w0_2) (so v0 = c.W0 = P_W0 e) and
    v = c.W: ||P_W e|| >= <v, e> / ||v||, <v, e> >= <v0, e> - D and ||v|| <= ||v0|| + D with
    D = |c_1| delta_1 + |c_2| delta_2. Hence
        ||P_W e|| >= (||P_W0 e||^2 - D) / (||P_W0 e|| + D)   (when the numerator is > 0),
    which equals ||P_W0 e|| at delta = 0. Returns max(bound, 0).
    """
    W0 = np.asarray(W0, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (2,))
    if np.any(delta < 0):
        raise ValueError(f"delta={delta!r} is out of range: allowed values >= 0")
    coef = np.linalg.lstsq(W0.T, e, rcond=None)[0]
    v0 = coef @ W0
    p0 = float(np.linalg.norm(v0))
    D = float(np.abs(coef) @ delta)
    return max(0.0, (p0 ** 2 - D) / (p0 + D))


def projection_ball_min(W0, e, delta, n=4000, seed=0):
    """The smallest ||P_W e|| over n seeded random W with ||w_k - w0_k|| <= delta_k (half of
    them on the boundary spheres): numerical evidence for the minimum over the ball."""
    W0 = np.asarray(W0, dtype=np.float64)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (2,))
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n, 2, W0.shape[1]))
    U /= np.linalg.norm(U, axis=2, keepdims=True)
    scale = np.where(np.arange(n) < n // 2, 1.0, rng.uniform(size=n) ** (1 / W0.shape[1]))
    W = W0 + U * (scale[:, None, None] * delta[None, :, None])
    return float(np.min(analysis.projection_length(W, e)))


# ============================================================================ comparison
def _dist(P, Q):
    """Euclidean distances per neuron: total, coordinates 1-2, coordinates 3..d; (..., 2)."""
    D = np.asarray(P) - np.asarray(Q)
    return (np.linalg.norm(D, axis=-1), np.linalg.norm(D[..., :2], axis=-1),
            np.linalg.norm(D[..., 2:], axis=-1))


def comparison_rows(x0, candidates, root):
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


def comparison_figure(x0, pop_root, pop_radius, study, W_long, W_4000, steps, W_traj, alpha,
                      n, eta):
    """Three panels. Top left: the (w_k1, w_k2) plane near x0 (neuron 2 mirrored, a -> -a, so
    all 2S neuron cases share one panel): x0, the per-sample Newton roots, the rho = 0 optima
    for the sample proportions, the long-run averages and the T = 4000 weights. Top right: a
    zoom on x0 with the population root and its verified 2-D ball (bound-based, float) (radius ``pop_radius``).
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
    _comparison_planes(ax, zx, x0, pop_root, pop_radius, study, W_long, W_4000)
    handles, labels = [], []
    for a in (ax, zx):
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    legend_ax.axis("off")
    legend_ax.legend(handles, labels, loc="upper center", ncol=2, fontsize=plots.SMALL,
                     frameon=False)
    _comparison_other_coordinates(bx, steps, W_traj, study, alpha, n, eta)
    fig.tight_layout(h_pad=0.4)
    return fig


def _comparison_planes(ax, zx, x0, pop_root, pop_radius, study, W_long, W_4000):
    """The two (w_k1, w_k2) panels of :func:`comparison_figure` (no legends)."""
    mirror = np.array([[1.0, 1.0], [-1.0, 1.0]])                        # (neuron, coordinate)
    flat = lambda W: (np.asarray(W)[..., :2] * mirror).reshape(-1, 2)   # noqa: E731
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


def _comparison_other_coordinates(bx, steps, W_traj, study, alpha, n, eta):
    """The bottom panel of :func:`comparison_figure`: the norm of coordinates 3..d."""
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


# ============================================================================ SL population
def sl_quadrature(d, n_nodes=12):
    """Nodes xi (Q, d) and weights (Q,) for E g(xi), xi ~ N(0, I_d), used by ``SLPopulation``.

    A product of an n_nodes x n_nodes Gauss-Hermite rule in (xi_1, xi_2) and, in xi_3..xi_d,
    the 2(d-2) points +-sqrt(d-2) e_j with equal weights (exact for polynomials of degree <= 3
    in those coordinates). The expectation E phi(W xi) of a smooth phi is then evaluated with
    Gauss-Hermite accuracy, together with its first and second derivatives in W, at every W
    whose columns 3..d vanish (there phi(W xi) depends on xi_1, xi_2 only and the derivatives
    bring down at most the factors xi_j xi_j'); elsewhere the rule is an approximation.
    """
    d = integer("d", d, 2)
    n_nodes = integer("n_nodes", n_nodes, 1, high=200)
    z, w = hermegauss(n_nodes)
    w = w / np.sqrt(2 * np.pi)
    Z1, Z2 = np.meshgrid(z, z, indexing="ij")
    xi12 = np.stack([Z1.ravel(), Z2.ravel()], 1)
    w12 = np.outer(w, w).ravel()
    m = d - 2
    if m == 0:
        return xi12, w12
    R = np.sqrt(m) * np.vstack([np.eye(m), -np.eye(m)])
    wr = np.full(2 * m, 1.0 / (2 * m))
    xi = np.concatenate([np.repeat(xi12, len(R), 0), np.tile(R, (len(xi12), 1))], 1)
    return xi, np.repeat(w12, len(R)) * np.tile(wr, len(xi12))


class SLPopulation:
    """The population SL loss per point, minimized over theta = (w_1, w_2, F) in R^(2d + 2):

        J(W, F) = sum_c (1/4) E_xi[softplus(h_c) - y_c h_c] + beta ||W||_F^2 + gamma ||F||^2,
        h_c = F_1 s(w_1.(mu_c + rho xi)) + F_2 s(w_2.(mu_c + rho xi)),  xi ~ N(0, I_d),

    mu_c the four cluster centres with labels y = (0, 0, 1, 1) (the training loss divided by n,
    expectation over the data). Gradient and Hessian by ``torch.func`` in float64; the
    expectation by ``sl_quadrature`` (exact up to Gauss-Hermite error at W with w_k3..w_kd = 0;
    with rho = 0 it is the noise-free loss exactly), or by ``rule`` = (nodes, weights).
    """

    def __init__(self, tau=TAU, rho=RHO, beta=BETA, gamma=GAMMA, d=10, n_nodes=12,
                 rule=None):
        import torch

        self.tau = real("tau", tau, 0, low_open=True)
        self.rho = real("rho", rho, 0)
        self.beta = real("beta", beta, 0)
        self.gamma = real("gamma", gamma, 0)
        self.d = integer("d", d, 2)
        if rule is not None:  # any (nodes (Q, d), weights (Q,)) for E over xi ~ N(0, I_d)
            xi, w = (np.asarray(a, dtype=np.float64) for a in rule)
            if xi.ndim != 2 or xi.shape[1] != self.d or w.shape != (len(xi),):
                raise ValueError(f"rule with shapes {xi.shape}, {w.shape} is out of range: "
                                 f"allowed nodes (Q, {self.d}) and weights (Q,)")
        elif self.rho > 0:
            xi, w = sl_quadrature(self.d, n_nodes)
        else:
            xi, w = np.zeros((1, self.d)), np.ones(1)
        mu = cluster_means(self.d, self.tau)
        f64 = dict(dtype=torch.float64)
        self._x = torch.tensor(mu[:, None, :] + self.rho * xi[None], **f64)   # (4, Q, d)
        self._w = torch.tensor(w, **f64)
        self._y = torch.tensor([0.0, 0.0, 1.0, 1.0], **f64)
        self._torch = torch
        # Reverse-over-reverse: torch.func.hessian (forward-over-reverse) loads forward-mode AD
        # decompositions through the deprecated torch.jit.script and warns.
        from torch.func import grad, jacrev
        self._grad = grad(self._loss)
        self._hess = jacrev(self._grad)

    def _loss(self, theta):
        torch, d = self._torch, self.d
        W, F = theta[:2 * d].reshape(2, d), theta[2 * d:]
        h = torch.sigmoid(self._x @ W.T) @ F                                 # (4, Q)
        bce = torch.nn.functional.softplus(h) - self._y[:, None] * h
        return ((bce @ self._w).mean() + self.beta * (W ** 2).sum()
                + self.gamma * (F ** 2).sum())

    def _theta(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (2 * self.d + 2,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta with shape {theta.shape} is out of range: allowed a finite "
                             f"({2 * self.d + 2},) array (w_1, w_2, F)")
        return self._torch.tensor(theta)

    def pack(self, W, F):
        """theta = (w_1, w_2, F) from W (2, d) and F (2,)."""
        return np.concatenate([np.asarray(W, dtype=np.float64).ravel(),
                               np.asarray(F, dtype=np.float64)])

    def unpack(self, theta):
        """(W (2, d), F (2,)) from theta."""
        theta = np.asarray(theta)
        return theta[:2 * self.d].reshape(2, self.d), theta[2 * self.d:]

    def value(self, theta):
        return float(self._loss(self._theta(theta)))

    def gradient(self, theta):
        return self._grad(self._theta(theta)).numpy()

    def hessian(self, theta):
        H = self._hess(self._theta(theta)).numpy()
        return (H + H.T) / 2

    def symmetric_start(self, a=2.6, F=4.25):
        """theta with w_1 = -w_2 = (a, 0, ..., 0), F = (-F, F)."""
        W = np.zeros((2, self.d))
        W[:, 0] = [a, -a]
        return self.pack(W, [-F, F])

    def critical_point(self, theta0=None, tol=1e-12, max_iter=50):
        """A zero of the gradient by Newton's method (from ``symmetric_start()`` by default)."""
        theta0 = self.symmetric_start() if theta0 is None else theta0
        return newton_critical_point(self.gradient, self.hessian, theta0, tol=tol,
                                     max_iter=max_iter)


# ============================================================================ generic (sampled)
def sampled_ift(grad, hess, x0, S=None, n_samples=50, seed=0, find_root=True):
    """The IFT constants for a map f = grad (x of any shape, flattened) at x0, with the Jacobian
    condition checked only at sampled points of the sphere of radius r (the +- eigenvectors of
    A~ and n_samples seeded random directions, ``sphere_directions``): numerical evidence, no
    bound.

    S: None (Euclidean norm) or 'hessian': the norm ||S^-1 (x - x0)|| with
    S = |A|^(-1/2) = V |Lambda|^(-1/2) V^T (A = V Lambda V^T symmetric invertible, either sign),
    i.e. f~(xi) = S f(x0 + S xi), A~ = S A S = V sign(Lambda) V^T and ||A~^-1|| = 1.
    Returns a dict: norm_Ainv, perturbation, radius, allowed_variation, jacobian_variation,
    holds_sampled, max_displacement (= ||S|| r), root_distance (Newton from x0, in the norm of
    the check; NaN if it fails).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    n_samples = integer("n_samples", n_samples, 0)
    A = np.asarray(hess(x0))
    A = (A + A.T) / 2
    m = len(A)
    if S is None:
        S = np.eye(m)
    elif isinstance(S, str) and S == "hessian":
        lam, V = np.linalg.eigh(A)
        S = (V / np.sqrt(np.abs(lam))) @ V.T
    else:
        raise ValueError(f"S={S!r} is out of range: allowed None or 'hessian'")
    c = sampled_constants(grad(x0), A, lambda x: hess(x.reshape(x0.shape)), x0, S,
                          n_samples=n_samples, seed=seed)
    root_distance = np.nan
    if find_root:
        try:
            root = newton_critical_point(grad, hess, x0)
            root_distance = float(np.linalg.norm(np.linalg.solve(S, np.ravel(root - x0))))
        except RuntimeError:
            pass
    return {**{k: c[k] for k in IFT_KEYS}, "root_distance": root_distance,
            "max_displacement": float(np.linalg.norm(S, 2) * c["radius"])}


# ============================================================================ simplified objective
def simplified_figure(tau=TAU, alpha=ALPHA, a_range=(-6.0, 6.0), b_range=(-1.0, 3.5), grid=241):
    """Contours of the per-neuron simplified objective g(a, b) (``sslcore.theory.g``) with its two
    critical points (+-a*, b*) (``simplified_optimum``) and the paper's condition-0
    initialization boxes w_11 in [3.1, 3.9], w_21 in [-3.9, -3.1], w_k2 in [8.5, 9] / tau;
    the legend is under the axes. Returns the Figure."""
    from .theory import g

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

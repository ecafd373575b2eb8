import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import (
    SLConfig,
    SSLConfig,
    analysis,
    comparison,
    experiments,
    models,
    sl_theory,
    ssl_sl_runs,
    timing,
)
from sslcore.data import cluster_means
from sslcore.training import train_sl, train_ssl, train_ssl_many


@pytest.fixture(scope="module")
def sl_run():
    """A short SL run that reaches the symmetric solution (seed 1 swaps roles in clean mode)."""
    return train_sl(SLConfig(seeds=(0, 1, 2), T=2000, record_every=20))


def test_align_roles_swaps_neurons_and_output_weights(sl_run):
    aligned, swap = comparison.align_roles(sl_run)
    assert swap.tolist() == (sl_run.W_final[:, 0, 0] < 0).tolist() and swap.any() and not swap.all()
    assert np.all(aligned.W_final[:, 0, 0] > 0)
    assert np.array_equal(aligned.W[swap][:, :, 0], sl_run.W[swap][:, :, 1])
    assert np.array_equal(aligned.F[swap][:, :, 0], sl_run.F[swap][:, :, 1])
    assert np.array_equal(aligned.W[~swap], sl_run.W[~swap])
    # the loss does not see the swap
    x, y, c = sl_run.data.x, sl_run.data.y, sl_run.config
    before = models.sl_loss(sl_run.W_final, sl_run.F_final, x, y, c.beta, c.gamma)
    after = models.sl_loss(aligned.W_final, aligned.F_final, x, y, c.beta, c.gamma)
    assert np.allclose(before, after, rtol=1e-13)
    assert sl_run.W[0, 0, 0, 0] > 0                      # the original run is not modified


def test_sl_symmetric_optimum_is_a_critical_point_of_the_population_loss():
    a, phi = sl_theory.sl_symmetric_optimum()
    assert a == pytest.approx(2.628, abs=1e-3) and phi == pytest.approx(4.254, abs=1e-3)
    x = cluster_means(4, 7.0)[None]                       # the four centres, weight 1/4 each
    y = np.array([[0.0, 0.0, 1.0, 1.0]])
    W = np.array([[[a, 0, 0, 0], [-a, 0, 0, 0]]])
    gW, gF = models.sl_gradients(W, np.array([[-phi, phi]]), x, y, 1 / 800, 1 / 800)
    assert np.abs(gW).max() < 1e-8 and np.abs(gF).max() < 1e-8


def test_e2_hessian_matches_finite_differences():
    rng = np.random.default_rng(0)
    S, n, d, beta = 2, 30, 5, 0.01
    W = rng.normal(size=(S, 2, d))
    F = rng.normal(size=(S, 2)) * 3
    x = rng.normal(size=(S, n, d)) * 2
    y = (rng.random((S, n)) < 0.5).astype(float)
    data, reg = sl_theory.e2_hessian(W, F, x, y, beta)
    H = data + reg * np.eye(2)
    eps = 1e-6
    for k in range(2):
        Wp, Wm = W.copy(), W.copy()
        Wp[:, k, 1] += eps
        Wm[:, k, 1] -= eps
        fd = (models.sl_gradients(Wp, F, x, y, beta, 0.0)[0][:, :, 1]
              - models.sl_gradients(Wm, F, x, y, beta, 0.0)[0][:, :, 1]) / (2 * eps)
        assert np.allclose(fd, H[:, :, k], rtol=1e-6, atol=1e-7)


def test_population_e2_curvature_dwarfs_weight_decay():
    a, phi = sl_theory.sl_symmetric_optimum()
    H = sl_theory.e2_hessian_population(a, phi)
    lam = np.linalg.eigvalsh(H)
    assert H[0, 0] == pytest.approx(H[1, 1]) and H[0, 1] < 0
    assert np.all(lam > 40 * 2 / 800)                       # far above 2 beta (per point)


def test_kick_prediction_matches_a_short_sl_run(sl_run):
    k = sl_theory.kick(sl_run, delta=0.05, T=150, record_every=10)
    S = len(sl_run.config.seeds)
    assert k["measured"].shape == k["predicted"].shape == (S, 2, 16, 2)
    err = np.abs(k["measured"] - k["predicted"]).max()
    assert err < 0.05 * 0.05                                # within 5% of the kick
    # the perturbation decays far faster than weight decay alone would make it
    assert np.all(np.abs(k["measured"][:, :, -1]) < 0.2 * k["regularizer"][-1])
    assert np.all(k["eigenvalues"] > 10 * k["weight_decay"])


def test_kick_rejects_bad_input(sl_run):
    with pytest.raises(ValueError, match="SL"):
        sl_theory.kick(train_ssl(SSLConfig(seeds=(0,), T=2)))
    with pytest.raises(ValueError, match="delta"):
        sl_theory.kick(sl_run, delta=0.0)


def test_e2_decay_other_coordinates_follow_weight_decay(sl_run):
    dec = sl_theory.e2_decay(sl_run)
    q = sl_theory.regularizer_factor(sl_run.config)
    assert q == pytest.approx(1 - 2 * sl_run.config.n * sl_run.config.eta / 800)
    assert dec["e2"].shape == dec["other"].shape == (3, len(sl_run.steps), 2)
    assert np.allclose(dec["predicted"], q ** sl_run.steps)
    # only noise and decay act on coordinates 3..d: within 2% of q^t
    assert np.allclose(dec["other"][:, -1], dec["predicted"][-1], rtol=0.02)
    assert np.median(dec["e2"][:, -1]) < 0.3 * dec["predicted"][-1]


def test_span_parts_reproduces_the_projection_length():
    rng = np.random.default_rng(4)
    W = rng.normal(size=(6, 2, 7))
    W[:3, 1] = -W[:3, 0] + 1e-3 * rng.normal(size=(3, 7))  # nearly antiparallel
    parts = analysis.span_parts(W)
    assert np.allclose(parts["proj_e2"], analysis.projections(W)[1], atol=1e-8)


def test_phase_diagram_shapes_and_ssl_advantage():
    d = 10
    pd = ssl_sl_runs.phase_diagram([2.0, 7.0], [0.01, d ** -1.5], seeds=2, T=1000, sl_T=1000)
    for a in (pd.ssl_e1, pd.ssl_e2, pd.sl_e1, pd.sl_e2, pd.sl_share, pd.ssl_same_side):
        assert a.shape == (2, 2, 2)
        assert np.all((a >= 0) & (a <= 1 + 1e-12))
    assert pd.ssl_same_side.dtype == bool
    assert not pd.ssl_same_side[1, 1].any()                  # near init: no collapse
    assert pd.advantage().shape == (2, 2)
    # at the paper's values (tau = 7, rho = d^-1.5) SSL spans e2 and SL does not
    assert np.all(pd.ssl_e2[1, 1] > 0.5) and np.all(pd.sl_e2[1, 1] < 0.1)
    assert np.all(pd.ssl_e2[1, 1] > pd.sl_e2[1, 1])


@pytest.mark.parametrize("kwargs, name", [
    (dict(taus=[], rhos=[0.1]), "taus"), (dict(taus=[-1.0], rhos=[0.1]), "taus"),
    (dict(taus=[1.0], rhos=[-0.1]), "rhos"), (dict(taus=[1.0], rhos=[0.1], seeds=0), "seeds"),
])
def test_phase_diagram_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ssl_sl_runs.phase_diagram(**kwargs)


def test_summary_markdown():
    W = np.array([[[1.0, 0.5, 0, 0], [-1.0, 0.5, 0, 0]], [[2.0, 0.5, 0, 0], [-2.0, 0.5, 0, 0]]])
    summ = {"ssl_near": analysis.summarize(W), "sl": analysis.summarize(W)}
    md = comparison.summary_markdown(summ)
    lines = md.splitlines()
    # one row per quantity, one column per run: narrow enough for the page
    assert len(lines) == 2 + len(comparison.COLUMNS) and lines[0].startswith("| quantity |")
    assert "SSL, `near` init" in lines[0] and "| SL |" in lines[0]
    assert lines[2] == "| $w_{11}$ | 1.500 ± 0.500 | 1.500 ± 0.500 |"
    assert "−1.500 ± 0.500" in md
    assert max(len(line) for line in lines) <= 85
    with pytest.raises(ValueError, match="names"):
        comparison.summary_markdown(summ, names=["ssl_sign"])


def test_probe_markdown():
    acc = {(r, t, l2): np.array([0.5, 0.7])
           for r in ("SSL", "SL") for t in ("y", "z") for l2 in (1e-2, 1e-6)}
    md = comparison.probe_markdown(acc, ["SSL", "SL"], [1e-2, 1e-6])
    lines = md.splitlines()
    # one row per (target, penalty), one column per representation
    assert len(lines) == 6 and lines[1].count("---") == 3 and lines[0].endswith("| SSL | SL |")
    assert lines[2].startswith("| label $y$, $\\lambda$ = 0.01 |")
    assert lines[2].count("0.600 ± 0.139") == 2                  # 1.96 * 0.1 / sqrt(2)
    assert max(len(line) for line in lines) <= 85
    with pytest.raises(ValueError, match="acc"):
        comparison.probe_markdown(acc, ["raw"], [1e-2])


def test_figures_and_live_figure(sl_run):
    ssl = train_ssl(SSLConfig(seeds=(0, 1), T=50, record_every=10))
    for fig in (comparison.learning_curves_figure(ssl, sl_run),
                comparison.final_weights_figure(ssl.W_final, sl_run.W_final),
                comparison.mechanism_figure(sl_theory.e2_decay(sl_run),
                                            sl_theory.kick(sl_run, T=20)),
                comparison.live_figure(tau=5.0, rho=0.05, alpha=1 / 400, seeds=2, T=100, sl_T=100)):
        assert len(fig.axes) >= 2
        plt.close(fig)
    pd = ssl_sl_runs.phase_diagram([7.0], [0.03], seeds=1, T=20, sl_T=20)
    fig = comparison.phase_figure(pd, mark=(7.0, 0.03))
    assert len(fig.axes) == 6                                # 3 maps and 3 colour bars
    plt.close(fig)


def test_phase_figure_shows_the_spread_over_seeds():
    pd = ssl_sl_runs.phase_diagram([2.0, 7.0], [0.03], seeds=3, T=20, sl_T=20)
    fig = comparison.phase_figure(pd)
    mean, _, hi = analysis.mean_band(pd.sl_e2, axis=-1)
    texts = [t.get_text() for t in fig.axes[1].texts]     # SL's ||Pe2|| map
    assert texts == [f"{m:.2f}\n\u00b1{h - m:.2f}" for m, h in zip(mean.ravel(), hi.ravel())]
    assert all(t.get_fontsize() >= 8 for ax in fig.axes for t in ax.texts)
    assert "95%" in fig.axes[1].get_title()
    plt.close(fig)


def test_time_call():
    assert timing.time_call(lambda: None, repeat=2) >= 0


# ----------------------------------------------------------------------------- figure honesty
def _pixels(fig, color, ax, tol=10):
    """Pixels of exactly ``color`` (within tol per channel) inside ``ax`` after drawing."""
    import matplotlib.colors
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    x0, y0, x1, y1 = (int(round(v)) for v in ax.bbox.extents)
    H = img.shape[0]
    crop = img[H - y1:H - y0, x0:x1]
    rgb = np.array(matplotlib.colors.to_rgb(color)) * 255
    return int((np.abs(crop - rgb).max(-1) <= tol).sum())


def _legend_lines(ax):
    return {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(),
                                             ax.get_legend().get_lines())}


def _check_book_rules(fig):
    from sslcore import plots
    assert fig.get_size_inches()[0] <= plots.COLUMN_INCHES + 1e-9
    assert plots.min_text_px(fig) >= 8 * fig.dpi / 72 - 1e-9
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()


@pytest.fixture(scope="module")
def paper_like():
    """3 seeds of the paper's three runs, short: SSL near has w12 ~ w22 throughout."""
    cfgs = experiments.paper_configs(3, 300)
    near, sign = train_ssl_many([cfgs["ssl_near"], cfgs["ssl_sign"]])
    return {"ssl_near": near, "ssl_sign": sign, "sl": train_sl(cfgs["sl"])}


def test_coinciding_curves_are_found():
    t = np.linspace(0, 1, 50)
    curves = [t, t + 1e-3, -t, 3 + t]
    assert comparison.coinciding(curves) == [(0, 1)]
    styles = comparison.curve_styles(curves)
    assert styles[0]["lw"] > styles[1]["lw"] and styles[1]["ls"] != "-"
    assert styles[2] == styles[3] == comparison.CURVE_STYLE
    three = comparison.curve_styles([t, t, t])
    assert len({(s["lw"], str(s["ls"])) for s in three}) == 3


def test_learning_curves_keep_every_coordinate_visible(paper_like):
    """w12 and w22 coincide in the SSL (near) run: both curves must show, and their legend
    entries must differ in style."""
    from sslcore import plots
    figs = comparison.paper_figures(paper_like)
    try:
        fig = figs["learning_curves_ssl_near.png"]
        ax = fig.axes[0]
        mean = analysis.mean_band(paper_like["ssl_near"].W[..., :2], axis=0)[0]
        assert (0 + 1, 2 + 1) in comparison.coinciding([mean[:, k, j] for k, j in
                                                        plots.COORDS.values()])
        lines = _legend_lines(ax)
        w12, w22 = lines[plots.LABELS["w12"]], lines[plots.LABELS["w22"]]
        assert (w12.get_linewidth(), str(w12.get_linestyle())) != \
            (w22.get_linewidth(), str(w22.get_linestyle()))
        ref = _pixels(fig, plots.COORD_COLORS["w11"], ax)
        for name in plots.COORDS:
            assert _pixels(fig, plots.COORD_COLORS[name], ax) > 0.3 * ref, name
        assert "3 seeds" in ax.get_title()
        for f in figs.values():
            _check_book_rules(f)
    finally:
        for f in figs.values():
            plt.close(f)


def test_plain_learning_curves_would_hide_w12(paper_like):
    """The check above can fail: drawn alike, w22 covers w12."""
    from sslcore import plots
    fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=4)
    plots.learning_curves(paper_like["ssl_near"], ax=ax, band=False, legend=None)
    try:
        ref = _pixels(fig, plots.COORD_COLORS["w11"], ax)
        assert _pixels(fig, plots.COORD_COLORS["w12"], ax) < 0.3 * ref
    finally:
        plt.close(fig)


def _bar_series(ax):
    return [(c.get_label(), [(p.get_x(), p.get_x() + p.get_width(), p.get_height(),
                              p.get_facecolor()) for p in c]) for c in ax.containers]


@pytest.mark.parametrize("source", ["paper", "chapter"])
def test_projection_counts_side_by_side_with_integer_ticks(paper_like, source):
    from matplotlib.colors import to_rgba

    from sslcore import plots
    if source == "paper":
        fig = comparison.paper_figures(paper_like)["projections.png"]
        axes = fig.axes
    else:
        fig = comparison.final_weights_figure(paper_like["ssl_near"].W_final,
                                              paper_like["sl"].W_final)
        axes = fig.axes[2:]
    try:
        fig.canvas.draw()
        for ax in axes:
            ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
            assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
            assert max(ticks) <= 3                      # 3 seeds: no tick above the data
            (la, a), (lb, b) = _bar_series(ax)
            assert la.startswith("SSL") and lb == "SL"
            assert {r[3] for r in a} == {to_rgba(plots.COLORS["ssl"])}
            assert {r[3] for r in b} == {to_rgba(plots.COLORS["sl"])}
            assert all(r[2] >= 0 for r in a + b) and sum(r[2] for r in a) == 3
            for x0, x1, _, _ in a:                       # no SSL bar overlaps an SL bar
                assert all(x1 <= y0 + 1e-12 or y1 <= x0 + 1e-12 for y0, y1, _, _ in b)
        _check_book_rules(fig)
    finally:
        plt.close(fig)


def test_final_weights_panel_names_the_initialization(paper_like):
    figs = comparison.paper_figures(paper_like)
    sign = dict(paper_like, ssl_near=paper_like["ssl_sign"])
    figs_sign = comparison.paper_figures(sign)
    try:
        assert "near" in figs["final_weights.png"].axes[0].get_title()
        assert "sign" in figs_sign["final_weights.png"].axes[0].get_title()
        assert "sign" in figs_sign["learning_curves_ssl_near.png"].axes[0].get_title()
    finally:
        for f in list(figs.values()) + list(figs_sign.values()):
            plt.close(f)


def test_projection_bars_rejects_bad_bins():
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="bins"):
        comparison.projection_bars({"SSL": (np.ones((2, 2, 3)), "b")}, axes, bins=0)
    plt.close(fig)

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import SLConfig, SSLConfig, analysis, comparison, experiments, models
from sslcore.data import cluster_means, sample_points
from sslcore.training import train_sl, train_ssl


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
    a, phi = comparison.sl_symmetric_optimum()
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
    data, reg = comparison.e2_hessian(W, F, x, y, beta)
    H = data + reg * np.eye(2)
    eps = 1e-6
    for l in range(2):
        Wp, Wm = W.copy(), W.copy()
        Wp[:, l, 1] += eps
        Wm[:, l, 1] -= eps
        fd = (models.sl_gradients(Wp, F, x, y, beta, 0.0)[0][:, :, 1]
              - models.sl_gradients(Wm, F, x, y, beta, 0.0)[0][:, :, 1]) / (2 * eps)
        assert np.allclose(fd, H[:, :, l], rtol=1e-6, atol=1e-7)


def test_population_e2_curvature_dwarfs_weight_decay():
    a, phi = comparison.sl_symmetric_optimum()
    H = comparison.e2_hessian_population(a, phi)
    lam = np.linalg.eigvalsh(H)
    assert H[0, 0] == pytest.approx(H[1, 1]) and H[0, 1] < 0
    assert np.all(lam > 40 * 2 / 800)                       # far above 2 beta (per point)


def test_kick_prediction_matches_a_short_sl_run(sl_run):
    k = comparison.kick(sl_run, delta=0.05, T=150, record_every=10)
    S = len(sl_run.config.seeds)
    assert k["measured"].shape == k["predicted"].shape == (S, 2, 16, 2)
    err = np.abs(k["measured"] - k["predicted"]).max()
    assert err < 0.05 * 0.05                                # within 5% of the kick
    # the perturbation decays far faster than weight decay alone would make it
    assert np.all(np.abs(k["measured"][:, :, -1]) < 0.2 * k["regularizer"][-1])
    assert np.all(k["eigenvalues"] > 10 * k["weight_decay"])


def test_kick_rejects_bad_input(sl_run):
    with pytest.raises(ValueError, match="SL"):
        comparison.kick(train_ssl(SSLConfig(seeds=(0,), T=2)))
    with pytest.raises(ValueError, match="delta"):
        comparison.kick(sl_run, delta=0.0)


def test_e2_decay_other_coordinates_follow_weight_decay(sl_run):
    dec = comparison.e2_decay(sl_run)
    q = comparison.regularizer_factor(sl_run.config)
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
    parts = comparison.span_parts(W)
    assert np.allclose(parts["proj_e2"], analysis.projections(W)[1], atol=1e-8)


def test_phase_diagram_shapes_and_ssl_advantage():
    d = 10
    pd = comparison.phase_diagram([2.0, 7.0], [0.01, d ** -1.5], seeds=2, T=1000, sl_T=1000)
    for a in (pd.ssl_e1, pd.ssl_e2, pd.sl_e1, pd.sl_e2, pd.sl_share, pd.ssl_same_side):
        assert a.shape == (2, 2, 2)
        assert np.all((a >= 0) & (a <= 1 + 1e-12))
    assert pd.ssl_same_side.dtype == bool and not pd.ssl_same_side[1, 1].any()   # near init: no collapse
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
        comparison.phase_diagram(**kwargs)


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
    acc = {(r, t, l2): np.array([0.5, 0.7]) for r in ("SSL", "SL") for t in ("y", "z") for l2 in (1e-2, 1e-6)}
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
                comparison.mechanism_figure(comparison.e2_decay(sl_run), comparison.kick(sl_run, T=20)),
                comparison.live_figure(tau=5.0, rho=0.05, alpha=1 / 400, seeds=2, T=100, sl_T=100)):
        assert len(fig.axes) >= 2
        plt.close(fig)
    pd = comparison.phase_diagram([7.0], [0.03], seeds=1, T=20, sl_T=20)
    fig = comparison.phase_figure(pd, mark=(7.0, 0.03))
    assert len(fig.axes) == 6                                # 3 maps and 3 colour bars
    plt.close(fig)


def test_time_call():
    assert comparison.time_call(lambda: None, repeat=2) >= 0

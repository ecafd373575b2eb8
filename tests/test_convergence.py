"""Tests of sslcore.convergence: rates, deterministic ascent, classification, basins, figures."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import convergence, dynamics, theory
from sslcore.config import SSLConfig
from sslcore.training import train_ssl

TAU, ALPHA = 7.0, 1 / 800


# ------------------------------------------------------------------ optimum, Hessian, saddle
def test_optimum_and_eigenvalues_match_paper():
    W = theory.simplified_optimum(TAU, ALPHA, 10)
    np.testing.assert_allclose(W[:, :2], [[3.816, 1.520], [-3.816, 1.520]], atol=1e-3)
    lam = dynamics.hessian_eigenvalues(TAU, ALPHA)
    np.testing.assert_allclose(lam, [-0.0298, -0.0114], atol=2e-4)
    assert lam[0] <= lam[1] < 0
    # the mirror neuron has the same spectrum (g is even in a)
    np.testing.assert_allclose(dynamics.hessian_eigenvalues(TAU, ALPHA, neuron=1), lam, atol=1e-12)


def test_saddle_is_a_critical_point_on_the_symmetry_line():
    a, b = dynamics.saddle(TAU, ALPHA)
    assert a == 0.0 and 0.5 < b < 2.0
    h = 1e-6
    da = (theory.g(h, b) - theory.g(-h, b)) / (2 * h)
    db = (theory.g(0, b + h) - theory.g(0, b - h)) / (2 * h)
    assert abs(da) < 1e-9 and abs(db) < 1e-9
    H = theory.Objective.simplified(TAU, ALPHA, 2).hessian(np.array([a, b]))
    assert H[0, 0] > 0 > H[1, 1]          # a saddle: minimum across, maximum along a = 0


def test_dg_db_matches_finite_differences_and_is_positive_for_nonpositive_b():
    a = np.array([-3.0, -0.5, 0.0, 1.0, 4.0])
    b = np.array([-2.0, -0.1, 0.0, 0.7, 1.5])
    h = 1e-6
    fd = (theory.g(a, b + h) - theory.g(a, b - h)) / (2 * h)
    np.testing.assert_allclose(dynamics.dg_db(a, b), fd, atol=1e-8)
    A, B = np.meshgrid(np.linspace(-10, 10, 101), np.linspace(-5, 0, 51))
    assert dynamics.dg_db(A, B).min() > 0
    assert dynamics.dg_db(0.0, 5.0) < 0      # far above the maximum it is negative again


def test_predicted_contractions():
    pred = dynamics.predicted_contractions(SSLConfig())
    assert pred["lr"] == pytest.approx(0.1)
    assert pred["other"] == pytest.approx(1 - 2 * ALPHA * 100 * 1e-3)
    np.testing.assert_allclose(pred["plane"], 1 - 0.1 * np.abs(pred["eigenvalues"]))
    faster = dynamics.predicted_contractions(SSLConfig(eta=2e-3))
    np.testing.assert_allclose(1 - faster["plane"], 2 * (1 - pred["plane"]))


# ------------------------------------------------------------------ rates
def test_fit_rate_recovers_geometric_sequence():
    steps = np.arange(0, 5000, 10)
    q = np.array([[0.999], [0.995]])
    dist = 3.0 * q ** steps
    fit = dynamics.fit_rate(steps, dist)
    np.testing.assert_allclose(fit.contraction, q[:, 0], rtol=1e-12)
    np.testing.assert_allclose(np.exp(fit.intercept), 3.0, rtol=1e-9)


def test_fit_rate_window_ignores_a_plateau():
    steps = np.arange(0, 4000)
    dist = np.maximum(0.999 ** steps, 1e-1)       # plateau after about 2300 steps
    assert dynamics.fit_rate(steps, dist, stop=2000).contraction == pytest.approx(0.999, rel=1e-12)
    # the whole range is biased by the plateau
    assert dynamics.fit_rate(steps, dist).contraction > 0.9992


def test_fit_rate_rejects_bad_input():
    with pytest.raises(ValueError):
        dynamics.fit_rate([0, 1, 2], [1.0, 0.5])
    with pytest.raises(ValueError):
        dynamics.fit_rate([0, 1, 2], [1.0, 0.5, 0.2], start=2)
    with pytest.raises(ValueError):
        dynamics.fit_rate([0, 1, 2], [1.0, 0.0, 0.2])


def test_steps_to_tolerance_is_the_first_step_below():
    for d0, q, tol in [(4.0, 0.99975, 1e-3), (1.0, 0.5, 0.1), (2.0, 0.9, 2.5)]:
        t = int(dynamics.steps_to_tolerance(d0, tol, q))
        assert d0 * q ** t <= tol * (1 + 1e-12)
        assert t == 0 or d0 * q ** (t - 1) > tol
    np.testing.assert_array_equal(dynamics.steps_to_tolerance([1.0, 8.0], 1.0, 0.5), [0, 3])
    with pytest.raises(ValueError):
        dynamics.steps_to_tolerance(1.0, 0.1, 1.0)


def test_first_below():
    steps = np.array([0, 10, 20, 30])
    dist = np.array([[5, 2, 0.5, 0.1], [5, 4, 3, 2]])
    np.testing.assert_array_equal(dynamics.first_below(steps, dist, 1.0), [20, -1])


def test_distances():
    W = np.zeros((3, 2, 4))
    T = np.zeros((2, 4))
    T[0, 0], T[1, 3] = 3.0, 4.0
    np.testing.assert_allclose(dynamics.distance(W, T), 5.0)
    np.testing.assert_allclose(dynamics.plane_distance(W, T), 3.0)


# ------------------------------------------------------------------ deterministic ascent
def test_ascent_shapes_and_recording():
    W0 = np.random.default_rng(0).normal(size=(3, 4, 2, 5))
    steps, W = dynamics.ascent(W0, T=25, record_every=10)
    np.testing.assert_array_equal(steps, [0, 10, 20, 25])
    assert W.shape == (3, 4, 4, 2, 5)
    np.testing.assert_array_equal(W[:, :, 0], W0)


def test_ascent_step_is_lr_times_gradient_of_psi_p():
    rng = np.random.default_rng(1)
    W0 = rng.normal(size=(2, 6))
    p = np.array([0.2, 0.3, 0.35, 0.15])
    _, W = dynamics.ascent(W0, T=1, lr=0.1, p=p, record_every=1)
    grad = theory.Objective.simplified(TAU, ALPHA, 6, p).gradient(W0)
    np.testing.assert_allclose(W[1], W0 + 0.1 * grad, atol=1e-14)


def test_ascent_with_per_row_proportions_equals_separate_runs():
    rng = np.random.default_rng(2)
    W0 = rng.normal(size=(2, 2, 3))
    p = np.array([[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.4, 0.3]])
    _, W = dynamics.ascent(W0, T=50, p=p, record_every=50)
    for i in range(2):
        _, Wi = dynamics.ascent(W0[i], T=50, p=p[i], record_every=50)
        np.testing.assert_allclose(W[i], Wi, atol=1e-14)


def test_ascent_other_coordinates_decouple_and_shrink_exactly():
    rng = np.random.default_rng(3)
    W0 = rng.normal(size=(2, 10))
    steps, W = dynamics.ascent(W0, T=300, lr=0.1, record_every=100)
    _, W2 = dynamics.ascent(W0[:, :2], T=300, lr=0.1, record_every=100)
    np.testing.assert_allclose(W[..., :2], W2, atol=1e-13)          # (a, b) path = ascent on g
    factor = (1 - 2 * 0.1 * ALPHA) ** steps
    np.testing.assert_allclose(W[..., 2:], factor[:, None, None] * W0[None, :, 2:], rtol=1e-12)


def test_ascent_converges_at_the_predicted_rate():
    W0 = theory.simplified_optimum(TAU, ALPHA, 2) + np.array([[0.3, -0.2], [-0.1, 0.25]])
    steps, W = dynamics.ascent(W0, T=12_000, lr=0.1, record_every=100)
    dist = dynamics.plane_distance(W, theory.simplified_optimum(TAU, ALPHA, 2))
    fit = dynamics.fit_rate(steps, dist, 3000, 10_000)
    q = dynamics.predicted_contractions()["plane"][1]
    assert fit.contraction == pytest.approx(q, abs=2e-6)


def test_averaged_critical_points_are_critical():
    run = train_ssl(SSLConfig(seeds=(0, 1), T=300, record_every=300))
    Wc = dynamics.averaged_critical_points(run)
    assert Wc.shape == (2, 2, 10)
    for x, W in zip(run.data.x, Wc):
        grad = theory.Objective.averaged(x, run.config.rho, run.config.alpha).gradient(W)
        assert np.abs(grad).max() < 1e-10
    assert np.all(dynamics.plane_distance(Wc, theory.simplified_optimum()) < 1.0)


def test_empirical_proportions():
    c = np.array([[0, 0, 1, 2], [3, 3, 3, 1]])
    np.testing.assert_allclose(dynamics.empirical_proportions(c),
                               [[0.5, 0.25, 0.25, 0], [0, 0.25, 0, 0.75]])


# ------------------------------------------------------------------ classification
def _W(*neurons, d=4):
    W = np.zeros((len(neurons), d))
    W[:, :2] = neurons
    return W


def test_neuron_side():
    a, b = theory.simplified_optimum(d=2)[0]
    W = np.stack([_W((a, b), (-a, b)), _W((a + 0.9, b), (-a, b + 1.1)), _W((0, b), (a, -b))])
    np.testing.assert_array_equal(dynamics.neuron_side(W), [[1, -1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(dynamics.neuron_side(W[1], radius=0.5), [0, 0])


def test_classify_every_class_and_the_order_of_the_rules():
    a, b = theory.simplified_optimum(d=2)[0]
    cases = {
        dynamics.BOTH: [_W((a, b), (-a, b)), _W((-a + 0.3, b - 0.2), (a, b + 0.5))],
        dynamics.COLLAPSED: [_W((a, b), (a, b)), _W((-a, b), (-a - 0.4, b))],
        dynamics.LABEL_ONLY: [_W((2.63, 0.01), (-2.63, -0.01)), _W((2.0, 0.0), (0.1, 0.0))],
        dynamics.OTHER: [_W((0, 1.1), (-a, b)), _W((0.1, 0.0), (-0.1, 0.0)),
                         _W((a, b), (1.0, 5.0))],
    }
    for expected, Ws in cases.items():
        np.testing.assert_array_equal(dynamics.classify(np.stack(Ws)), expected)
    # a neuron at (a*, b*) with large e2 share but a partner on the e1 axis is not "label only"
    assert dynamics.classify(_W((a, b), (-2.0, 0.0))) == dynamics.OTHER
    # threshold on the e2 share
    assert dynamics.classify(_W((2.0, 0.3), (-2.0, 0.0)), e2_share=0.2) == dynamics.LABEL_ONLY
    assert dynamics.classify(_W((2.0, 0.3), (-2.0, 0.0)), e2_share=0.1) == dynamics.OTHER


def test_class_counts():
    counts = dynamics.class_counts(np.array([[0, 0, 2], [3, 0, 2]]))
    assert counts == {"both features": 3, "label only": 0, "collapsed": 2, "other": 1}


# ------------------------------------------------------------------ basins
def test_basin_grid_shapes_and_half_planes():
    a0, b0 = np.array([-1.0, -0.25, 0.0, 0.25, 2.0]), np.array([-1.0, 0.5, 2.0])
    m = dynamics.basin_grid(a0, b0, T=4000)
    assert m.labels.shape == (3, 5) and m.W_final.shape == (3, 5, 2, 2)
    expected = np.array([dynamics.COLLAPSED, dynamics.COLLAPSED, dynamics.OTHER, dynamics.BOTH,
                         dynamics.BOTH])
    np.testing.assert_array_equal(m.labels, np.broadcast_to(expected, (3, 5)))
    # the partner is the same
    np.testing.assert_allclose(m.W_final[..., 2, 1, 1], m.W_final[0, 0, 1, 1])


def test_basin_grid_with_tilted_proportions_moves_the_boundary():
    p = np.array([0.2, 0.23, 0.33, 0.24])
    m = dynamics.basin_grid(np.array([0.25, 0.5, 0.75]), np.array([0.5]), p=p, T=4000, d=3)
    assert m.W_final.shape == (1, 3, 2, 3)
    np.testing.assert_array_equal(m.labels[0],
                                  [dynamics.COLLAPSED, dynamics.COLLAPSED, dynamics.BOTH])


def test_basin_boundary():
    assert abs(dynamics.basin_boundary(None, 1.0, iters=20)) < 1e-4
    p = np.array([0.2, 0.23, 0.33, 0.24])
    ab = dynamics.basin_boundary(p, 0.5)
    assert 0.5 < ab < 0.6
    mirrored = dynamics.basin_boundary(p[[2, 3, 0, 1]], 0.5)      # swap the +e1 and -e1 clusters
    assert mirrored == pytest.approx(-ab, abs=1e-3)
    both = dynamics.basin_boundary(np.stack([p, p[[2, 3, 0, 1]]]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(both, [ab, mirrored], atol=1e-12)
    # starts just either side of the boundary end at opposite maxima
    starts = np.array([[[ab - 0.01, 0.5]], [[ab + 0.01, 0.5]]])
    _, W = dynamics.ascent(starts, 4000, p=p, record_every=4000)
    assert W[0, -1, 0, 0] < 0 < W[1, -1, 0, 0]


# ------------------------------------------------------------------ figures
def test_figures_are_returned():
    run = train_ssl(SSLConfig(seeds=(0, 1), T=50, record_every=10))
    figs = [convergence.landscape_figure([(run, (0,), "b", "run")], T=50),
            convergence.rate_figure([{
                "title": "t", "curves": [(run.steps, np.ones((2, 6)) * 0.5, "b", "x")],
                "lines": [(run.steps, np.ones(6), "--", "y")]}]),
            convergence.basin_figure([dynamics.basin_grid([-1.0, 1.0], [0.0, 1.0], T=20)], ["m"],
                            starts=[([0.5], [0.5], [dynamics.BOTH])]),
            convergence.learning_curve_figure(T=40, seeds=2)]
    for fig in figs:
        assert isinstance(fig, plt.Figure) and fig.axes
        plt.close(fig)

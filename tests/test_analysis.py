import numpy as np
import pytest

from sslcore import analysis, plots
from sslcore.data import augment, cluster_means, sample_points


def test_projection_of_known_planes():
    d = 5
    W = np.zeros((3, 2, d))
    W[0, 0, 0], W[0, 1, 1] = 2.0, -3.0                      # span(e1, e2)
    W[1, 0, :2], W[1, 1, :2] = [1, 1], [1, -1]              # also span(e1, e2)
    W[2, 0, 0], W[2, 1, 2] = 1.0, 1.0                       # span(e1, e3)
    p1, p2 = analysis.projections(W)
    assert np.allclose(p1, [1, 1, 1]) and np.allclose(p2, [1, 1, 0])


@pytest.mark.parametrize("seed,S,m,d", [(1, 50, 2, 7), (3, 20, 4, 9)])
def test_projection_matches_the_normal_equations_formula(seed, S, m, d):
    """||P e|| onto span(w_1..w_m), for the paper's m = 2 and for chapter 5's m neurons."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(S, m, d))
    e = rng.normal(size=d)
    A = np.swapaxes(W, 1, 2)
    P = A @ np.linalg.inv(np.swapaxes(A, 1, 2) @ A) @ np.swapaxes(A, 1, 2)
    assert np.allclose(analysis.projection_length(W, e), np.linalg.norm(P @ e, axis=-1), atol=1e-12)


def test_rank_one_weights_project_onto_their_line():
    W = np.array([[[3.0, 4.0, 0.0], [-6.0, -8.0, 0.0]]])
    p1, p2 = analysis.projections(W)
    assert np.allclose([p1[0], p2[0]], [0.6, 0.8])


def test_cosine_normalized_other_and_summary():
    W = np.array([[[1.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 0.0]],
                  [[1.0, 1.0, 0.0, 0.0], [-1.0, -1.0, 0.0, 0.0]]])
    assert np.allclose(analysis.cosine(W), [0.0, -1.0])
    assert np.allclose(np.linalg.norm(analysis.normalized(W), axis=-1), 1.0)
    assert np.allclose(analysis.other_norm(W), [[5.0, 0.0], [0.0, 0.0]])
    s = analysis.summarize(W)
    assert s["w11"] == {"mean": 1.0, "std": 0.0} and s["cosine"]["mean"] == pytest.approx(-0.5)


def test_mean_band_is_196_standard_errors():
    v = np.arange(20.0)[:, None] * np.ones((1, 3))
    mean, lo, hi = analysis.mean_band(v)
    half = 1.96 * np.std(np.arange(20.0)) / np.sqrt(20)
    assert np.allclose(mean, 9.5) and np.allclose(hi - mean, half)


def test_data_label_uncorrelated_with_e2_and_augmentation_scale():
    data = sample_points(20000, seed=0)
    corr = np.corrcoef(data.y, data.x[:, 1])[0, 1]
    assert abs(corr) < 4 / np.sqrt(20000)
    assert abs(np.corrcoef(data.z, data.x[:, 1])[0, 1]) > 0.99
    assert np.allclose(np.bincount(data.c, minlength=4) / 20000, 0.25, atol=0.015)
    x1, x2 = augment(data.x, 0.1, np.random.default_rng(0))
    assert np.std(x1 - data.x) == pytest.approx(0.1, rel=0.01) and not np.allclose(x1, x2)
    assert np.array_equal(cluster_means(3, 2.0), [[1, 0, 0], [1, 2, 0], [-1, 0, 0], [-1, 2, 0]])


def test_reference_noise_quirk_is_one_scalar_per_point():
    data = sample_points(50, d=6, noise="reference", seed=2)
    resid = data.x - cluster_means(6, 7.0)[data.c]
    assert np.allclose(resid, resid[:, :1])


def test_figures_have_white_faces_and_labels():
    from sslcore import SSLConfig, train_ssl
    run = train_ssl(SSLConfig(seeds=(0, 1), T=20, record_every=5))
    ax = plots.learning_curves(run)
    fig = ax.figure
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    axes = plots.projection_histograms({"SSL": (run.W_final, plots.COLORS["ssl"])})
    assert all(a.get_xlabel() for a in axes)


# ----------------------------------------------------------------------------- m neurons
def test_span_of_d_generic_neurons_is_everything():
    W = np.random.default_rng(4).normal(size=(5, 12, 10))      # m = 12 >= d = 10
    p1, p2 = analysis.projections(W)
    assert np.allclose(p1, 1.0) and np.allclose(p2, 1.0)


def test_feature_shares_and_carriers():
    W = np.array([[[3.0, 4.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.05, 1.0], [0.0, 0.0, 0.0]]])
    assert np.allclose(analysis.feature_shares(W), [[0.8, 0.0, 0.05 / np.hypot(0.05, 1), 0.0]])
    assert np.allclose(analysis.feature_shares(W, j=0), [[0.6, 1.0, 0.0, 0.0]])
    assert analysis.carriers(W).tolist() == [1]
    assert analysis.carriers(W, share=0.01).tolist() == [2]
    assert analysis.carriers(W, j=0).tolist() == [2]
    assert analysis.other_norm(W).shape == (1, 4)

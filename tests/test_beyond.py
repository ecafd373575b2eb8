"""Chapter 5's core (sslcore.beyond) and presentation (sslcore.beyond_figures) layers."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import beyond, beyond_figures, models, objectives, plots
from sslcore.beyond import Measured
from sslcore.config import RHO, SLConfig, SSLConfig


def _W(rows, d=10):
    """Weights (S, m, d) whose neurons have the given (w_k1, w_k2), other coordinates 0."""
    W = np.zeros((len(rows), len(rows[0]), d))
    for s, neurons in enumerate(rows):
        for k, (a, b) in enumerate(neurons):
            W[s, k, :2] = a, b
    return W


# ----------------------------------------------------------------------------- grids
def test_grids_change_one_setting_at_a_time():
    width = beyond.width_cases((2, 8), d=100)
    assert [c.ssl.m for c in width] == [2, 8] and [c.sl.m for c in width] == [2, 8]
    assert all(c.ssl.n == 100 and c.ssl.d == 100 and c.ssl.init == "near" for c in width)
    samples = beyond.sample_cases((20, 1000))
    assert [c.ssl.eta * c.ssl.n for c in samples] == pytest.approx([0.1, 0.1])
    assert [c.sl.eta * c.sl.n for c in samples] == pytest.approx([0.1, 0.1])
    paper, fixed = beyond.dimension_cases((1000,)), beyond.dimension_cases((1000,), "fixed")
    assert paper[0].ssl.rho == pytest.approx(1000 ** -1.5) and fixed[0].sl.rho == RHO
    assert paper[0].ssl.n == 100
    init = beyond.init_cases((0.1,))
    assert [c.label for c in init] == ["near", "sign", "gaussian × 0.1"]
    assert init[2].ssl.init_scale == 0.1 and init[1].sl is None
    obj = beyond.objective_cases()
    assert [c.ssl.objective for c in obj] == list(beyond.OBJECTIVES)
    assert obj[0].sl is not None and obj[1].sl is None
    act = beyond.activation_cases(("relu",))
    assert act[0].ssl.activation == act[0].sl.activation == "relu"
    with pytest.raises(ValueError, match="rho"):
        beyond.dimension_cases(rho="other")


def test_paper_pair_records_only_start_and_end():
    ssl, sl = beyond.paper_pair(seeds=(0, 1), init="sign", objective="spectral")
    assert ssl.record_every == ssl.T and sl.record_every == sl.T
    assert ssl.init == "sign" and ssl.objective == "spectral" and sl.seeds == (0, 1)


def test_stacked_tasks_group_what_one_loop_can_train():
    cases = beyond.init_cases((0.1, 1.0))
    cfgs = [c.ssl for c in cases] + [cases[0].sl] + [c.ssl for c in beyond.width_cases((4,))]
    tasks = beyond.stacked_tasks(cfgs)
    assert [len(t) for t in tasks] == [4, 1, 1]
    assert tasks[0] == tuple(c.ssl for c in cases)
    fixed = beyond.dimension_cases((100,), "fixed")[0].ssl
    paper = beyond.dimension_cases((100,))[0].ssl
    assert beyond.stacked_tasks([paper, fixed]) == [(paper, fixed)]


def test_unbounded_objectives():
    ssl, sl = beyond.paper_pair(activation="relu")
    assert beyond.unbounded(ssl) and not beyond.unbounded(sl)
    assert not beyond.unbounded(ssl.replace(objective="spectral"))
    assert not beyond.unbounded(beyond.paper_pair(activation="tanh")[0])


# ----------------------------------------------------------------------------- measures
def test_measures_of_ssl_and_sl_like_weights():
    ssl = beyond.measures(_W([((3.8, 1.5), (-3.8, 1.5))] * 2))
    sl = beyond.measures(_W([((2.6, 0.0), (-2.6, 0.0))] * 2))
    share = 1.5 / np.hypot(3.8, 1.5)
    assert np.allclose(ssl["share"], share) and np.allclose(ssl["plane_share"], share)
    assert np.allclose(ssl["carriers"], 1.0) and np.all(ssl["probe_z"] > 0.99)
    assert np.allclose(ssl["proj_e2"], 1.0)
    assert np.allclose(sl["share"], 0.0) and np.allclose(sl["carriers"], 0.0)
    assert np.all(np.abs(sl["probe_z"] - 0.5) < 0.06)
    assert set(ssl) == set(beyond.MEASURES)


def test_carriers_are_a_fraction_and_plane_share_ignores_other_coordinates():
    W = _W([((3.0, 1.0), (1.0, 0.0), (-3.0, 1.0), (0.0, 0.0))])
    W[0, 3, 5] = 1.0                                  # a neuron outside the plane
    W[0, 0, 2:] = 10.0                                # neuron 1 tilted out of the plane
    m = beyond.measures(W)
    assert m["carriers"][0] == pytest.approx(0.25)    # only neuron 3 has share >= 0.1
    assert m["plane_share"][0] == pytest.approx((2 / np.sqrt(10)) / 4)


def test_verdicts():
    cfg = SSLConfig(seeds=(0, 1))
    keep = {"carriers": np.array([1.0, 0.5]), "probe_z": np.array([1.0, 0.95])}
    drop = {"carriers": np.zeros(2), "probe_z": np.array([0.5, 0.52])}
    half = {"carriers": np.array([0.5, 0.0]), "probe_z": np.array([0.99, 0.6])}
    M = lambda v: Measured(cfg, v)                   # noqa: E731 (a one-line builder)
    assert beyond.verdict(M(keep), M(drop)) == "holds"
    assert beyond.verdict(M(keep), M(keep)) == "breaks: SL keeps e2 in 2/2"
    assert beyond.verdict(M(half), M(drop)) == "breaks: SSL keeps e2 in 1/2 seeds"
    assert beyond.verdict(Measured(cfg, diverged="x", step=8), M(drop)) == \
        "SSL diverges (step 8)"
    assert beyond.keeps_e2(M(half)).tolist() == [True, False]
    summ = beyond.summary(M(keep))
    assert summ["probe_z"][0] == pytest.approx(0.975)


# ----------------------------------------------------------------------------- theory checks
def test_ray_growth_is_the_relu_objective_along_the_ray():
    rng = np.random.default_rng(0)
    W, x, alpha = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 30, 5)), 0.01
    c = beyond.ray_growth(W, x, alpha)
    for r in (1.0, 7.0):
        L = objectives.ssl_objective(r * W, x, x, alpha, act="relu")
        assert np.allclose(L, r**2 * 30 * (W**2).sum(axis=(1, 2)) * c)
    # softplus approaches the same limit
    L = objectives.ssl_objective(1e4 * W, x, x, alpha, act="softplus")
    assert np.allclose(L / (1e8 * 30 * (W**2).sum(axis=(1, 2))), c, rtol=1e-3)


def test_sl_e2_gradient_vanishes_for_even_derivatives_only():
    for act in ("sigmoid", "tanh"):
        assert abs(beyond.sl_e2_gradient(act, 2.6, 4.2)) < 1e-15
    for act in ("softplus", "relu"):
        g = beyond.sl_e2_gradient(act, 2.0, 2.0)
        assert g < -1e-3
        # the same number by finite differences of the loss
        x = np.array([[1.0, 0.0], [1.0, 7.0], [-1.0, 0.0], [-1.0, 7.0]])
        y, F = np.array([0.0, 0.0, 1.0, 1.0]), np.array([-2.0, 2.0])
        W, eps = np.array([[2.0, 0.0], [-2.0, 0.0]]), 1e-6
        dW = np.zeros_like(W)
        dW[0, 1] = eps
        fd = (models.sl_loss(W + dW, F, x, y, 0, 0, act)
              - models.sl_loss(W - dW, F, x, y, 0, 0, act)) / (2 * eps) / 4
        assert g == pytest.approx(fd, rel=1e-5)


# ----------------------------------------------------------------------------- running
def test_measure_cases_records_a_divergence(tmp_path, monkeypatch):
    monkeypatch.setenv("SSLCORE_CACHE", str(tmp_path))
    small = dict(seeds=(0, 1), T=20, record_every=20)
    cases = {"act": [beyond.Case("relu", SSLConfig(activation="relu", **small),
                                 SLConfig(activation="relu", **small)),
                     beyond.Case("sigmoid", SSLConfig(**small), None)]}
    got = beyond.measure_cases(cases)["act"]
    (relu_ssl, relu_sl), (sig_ssl, none) = got
    assert relu_ssl.diverged and relu_ssl.step == 8 and not relu_ssl.values
    assert set(relu_sl.values) == set(beyond.MEASURES) and none is None
    assert sig_ssl.values["proj_e2"].shape == (2,) and sig_ssl.diverged is None


# ----------------------------------------------------------------------------- figures
def _pairs():
    cfg = SSLConfig(seeds=(0, 1))
    v = {k: np.array([0.5, 0.7]) for k in beyond.MEASURES}
    return [(Measured(cfg, v), Measured(cfg, v)),
            (Measured(cfg, diverged="boom", step=8), Measured(cfg, v))]


def test_sweep_figure_and_tables():
    pairs = _pairs()
    for xs, log in ((None, False), ((2, 64), True)):
        fig = beyond_figures.sweep_figure(["a", "b"], beyond_figures.model_series(pairs),
                                          xs=xs, log=log, xlabel="x")
        assert fig.get_figwidth() <= plots.COLUMN_INCHES + 1e-9
        texts = [t.get_text() for t in plots.visible_texts(fig)]
        assert any("diverges" in t for t in texts)
        plt.close(fig)
    table = beyond_figures.table_markdown(["a", "b"], pairs)
    lines = table.splitlines()
    assert len(lines) == 2 + 4 and "0.60 ± 0.14" in lines[2]      # 1.96 * 0.1 / sqrt(2)
    assert "diverges (step 8)" in lines[4]
    assert len(beyond_figures.table_markdown(["a"], [(pairs[0][0], None)]).splitlines()) == 3
    summ = beyond_figures.summary_markdown([("a", *pairs[0]), ("b", *pairs[1])])
    assert "SSL diverges (step 8)" in summ and "| b | — |" in summ


def test_neurons_figure_draws_both_models():
    fig = beyond_figures.neurons_figure(m=3, seeds=2)
    texts = [t.get_text() for t in plots.visible_texts(fig)]
    assert any("SSL" in t and "carry" in t for t in texts)
    assert fig.get_figwidth() <= plots.COLUMN_INCHES
    plt.close(fig)


def test_task_cost_orders_the_costliest_first():
    big = beyond.sample_cases((10000,))[0]
    small = beyond.sample_cases((20,))[0]
    infonce = beyond.objective_cases(("infonce",))[0].ssl
    assert beyond.task_cost((big.sl,)) > beyond.task_cost((big.ssl,)) \
        > beyond.task_cost((small.sl,))
    assert beyond.task_cost((infonce,)) > 10 * beyond.task_cost((small.ssl.replace(n=100),))
    pair = beyond.dimension_cases((100,))[0].ssl, beyond.dimension_cases((100,), "fixed")[0].ssl
    assert beyond.task_cost(pair) == pytest.approx(2 * beyond.task_cost(pair[:1]))

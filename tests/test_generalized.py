"""Chapter 5's trainer: m neurons, activations, objectives and random initialization.

The paper's defaults keep their own kernels (their numbers are pinned by the other tests);
here: the general kernels against the plain formulas and in law against each other, the new
configuration fields, shapes, stacking and memory-bounded blocks.
"""
from functools import partial

import numpy as np
import pytest

from sslcore import Run, SLConfig, SSLConfig, objectives, train_sl, train_ssl
from sslcore.data import sample_points
from sslcore.ssl_kernels import (
    block_length,
    general_step_projected,
    general_step_views,
    ssl_step_views,
)
from sslcore.training import DivergenceError, sl_step, train_ssl_many

SMALL = dict(seeds=(0, 1), T=30, record_every=10)


def _batch(N, n, d, m, seed=7):
    rng = np.random.default_rng(seed)
    x1 = sample_points(n, d, tau=2.0, rho=0.1, seed=3).x
    Wt = np.repeat(rng.normal(size=(1, d, m)), N, 0)
    x = np.repeat(x1[None], N, 0)
    return rng, Wt, x, np.ascontiguousarray(np.swapaxes(x, 1, 2))


def test_general_views_kernel_is_the_paper_kernel_for_the_paper_model():
    rng, Wt, x, _ = _batch(3, 9, 5, 2)
    noise = rng.normal(size=(3, 2, 9, 5))
    terms = partial(objectives.data_terms, objective="agreement", act="sigmoid")
    new, value, g = general_step_views(Wt, x, noise, 0.3, 0.01, 0.1, terms)
    new0, s, g0 = ssl_step_views(Wt, x, noise, 0.3, 0.01, 0.1)
    assert np.allclose(g, g0, rtol=1e-13, atol=1e-13) and np.allclose(new, new0, rtol=1e-14)


@pytest.mark.parametrize("objective,act,m", [("agreement", "tanh", 3), ("infonce", "sigmoid", 2),
                                             ("spectral", "relu", 4)])
def test_general_projected_sampler_has_the_law_of_explicit_views(objective, act, m):
    """One step from a fixed W, many independent draws: same mean and covariance."""
    N, n, d, rho, alpha, eta = 20000, 8, 6, 0.5, 1 / 800, 1.0
    rng, Wt, x, xT = _batch(N, n, d, m)
    terms = partial(objectives.data_terms, objective=objective, act=act, temperature=0.5)
    _, _, g_proj = general_step_projected(Wt, x, xT, rng.normal(size=(N, 2 * n, m)),
                                          rng.normal(size=(N, d, m)), rho, alpha, eta, terms)
    _, _, g_view = general_step_views(Wt, x, rng.normal(size=(N, 2, n, d)), rho, alpha, eta,
                                      terms)
    a, b = g_proj.reshape(N, -1), g_view.reshape(N, -1)
    se = np.sqrt((a.var(0) + b.var(0)) / N)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 5 * se)
    ca, cb = np.cov(a.T), np.cov(b.T)
    assert np.linalg.norm(ca - cb) < 0.06 * np.linalg.norm(cb)
    assert np.trace(cb) > 0.05 * np.sum(b.mean(0) ** 2)       # the noise matters here


def test_general_step_ascends_its_objective_on_fixed_views():
    """A small step raises L on the same views (first order: dL = eta |grad|^2 > 0)."""
    rng, Wt, x, _ = _batch(2, 10, 5, 3)
    noise = rng.normal(size=(2, 2, 10, 5))
    for objective in objectives.OBJECTIVES:
        terms = partial(objectives.data_terms, objective=objective, act="softplus")
        new, value, g = general_step_views(Wt, x, noise, 0.2, 0.01, 1e-4, terms)
        after = general_step_views(new, x, noise, 0.2, 0.01, 1e-4, terms)[1]
        assert np.all(after > value), objective


@pytest.mark.parametrize("cfg", [
    SSLConfig(m=5, init="gaussian", init_scale=0.5, **SMALL),
    SSLConfig(m=3, activation="tanh", objective="infonce", temperature=0.3, **SMALL),
    SSLConfig(m=12, objective="spectral", **SMALL),          # m > d: explicit views
    SSLConfig(m=4, init="sign", d=30, n=50, **SMALL),
])
def test_runs_have_m_neurons_and_survive_a_save_load_round_trip(cfg, tmp_path):
    run = train_ssl(cfg)
    assert run.W.shape == (2, 4, cfg.m, cfg.d) and np.all(np.isfinite(run.objective))
    run.save(tmp_path / "r.npz")
    back = Run.load(tmp_path / "r.npz", expected=cfg)
    assert np.array_equal(back.W, run.W) and back.config == cfg
    assert cfg.sampler == ("views" if cfg.m > max(2, cfg.d // 2) else "projected")


def test_gaussian_init_scales_the_normal_draws_and_near_keeps_extra_neurons_normal():
    a = train_ssl(SSLConfig(init="gaussian", init_scale=1.0, m=3, T=1, seeds=(4,)))
    b = train_ssl(SSLConfig(init="gaussian", init_scale=0.1, m=3, T=1, seeds=(4,)))
    assert np.allclose(b.W[:, 0], 0.1 * a.W[:, 0])
    near = train_ssl(SSLConfig(m=3, T=1, seeds=(4,)))
    assert np.array_equal(near.W[0, 0, 2], a.W[0, 0, 2])       # neuron 3: the same N(0,1) row
    assert 3.1 <= near.W[0, 0, 0, 0] <= 3.9


def test_stacked_configs_equal_separate_runs_with_memory_bounded_blocks():
    """n = 3000: blocks shrink to stay within 4 MiB per seed; stacking changes nothing."""
    cfgs = [SSLConfig(n=3000, eta=1e-5, seeds=(s,), T=40, init="gaussian", init_scale=sc)
            for s, sc in ((0, 1.0), (1, 0.5))]
    assert block_length(cfgs[0], 200) < 200 == block_length(SSLConfig(), 200)
    together = train_ssl_many(cfgs)
    for cfg, run in zip(cfgs, together):
        assert np.array_equal(train_ssl(cfg).W, run.W)


def test_sl_with_m_neurons_and_an_activation():
    cfg = SLConfig(m=6, activation="softplus", **SMALL)
    run = train_sl(cfg)
    assert run.W.shape == (2, 4, 6, 10) and run.F.shape == (2, 4, 6)
    assert run.objective[:, -1].max() < run.objective[:, 0].min()   # the loss went down


def test_sl_step_with_an_activation_uses_the_models_gradients():
    from sslcore import models
    rng = np.random.default_rng(1)
    W, F = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3))
    x, y = rng.normal(size=(2, 8, 4)), rng.integers(0, 2, size=(2, 8)).astype(float)
    Wt = np.swapaxes(W, 1, 2)
    new, newF, loss, gT = sl_step(Wt, F, x, np.swapaxes(x, 1, 2), y[..., None], 0.1, 0.2, 0.05,
                                  True, "tanh")
    gW, _ = models.sl_gradients(W, F, x, y, 0.1, 0.2, "tanh")
    assert np.allclose(np.swapaxes(gT, 1, 2), gW, rtol=1e-12)
    assert np.allclose(loss, models.sl_loss(W, F, x, y, 0.1, 0.2, "tanh"), rtol=1e-12)
    _, gF = models.sl_gradients(np.swapaxes(new, 1, 2), F, x, y, 0.1, 0.2, "tanh")
    assert np.allclose(newF, F - 0.05 * gF, rtol=1e-12)


def test_relu_agreement_diverges_with_a_message_naming_the_model():
    """sum_i relu(u1) relu(u2) grows like |w|^2 |x|^2, faster than the decay alpha n |w|^2."""
    with pytest.raises(DivergenceError, match="activation='relu'.*objective='agreement'"):
        train_ssl(SSLConfig(activation="relu", init="gaussian", seeds=(0,), T=4000))


@pytest.mark.parametrize("kwargs,match", [
    (dict(m=1), "m=1 is out of range: allowed 2 <= m <= 1024"),
    (dict(activation="gelu"), "activation='gelu' is unknown"),
    (dict(objective="byol"), "objective='byol' is unknown"),
    (dict(temperature=0.005), "temperature=0.005 is out of range: allowed temperature >= 0.01"),
    (dict(init="gaussian", init_scale=-1), "init_scale=-1 is out of range"),
    (dict(init="xavier"), "init='xavier' is unknown"),
    (dict(m=3, rng="reference"), "rng='reference' replays the authors' scripts"),
    (dict(m=12, sampler="projected"), "sampler='projected' needs m <= d"),
    (dict(objective="infonce", n=2500, eta=1e-5), "n=2500 is out of range for objective"),
])
def test_bad_settings_are_rejected_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SSLConfig(**kwargs)


def test_sl_config_fields():
    assert SLConfig(m=3, activation="relu").m == 3
    with pytest.raises(ValueError, match="rng='reference'"):
        SLConfig(activation="tanh", rng="reference")

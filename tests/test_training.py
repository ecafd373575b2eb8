import numpy as np
import pytest

from sslcore import Run, SLConfig, SSLConfig, loop_impl, models, train_sl, train_ssl
from sslcore.data import sample_points
from sslcore.ssl_kernels import (
    draw_ssl_noise,
    prefetched_draws,
    qr2,
    ssl_step_projected,
    ssl_step_views,
)
from sslcore.training import train_sl_many, train_ssl_many

SMALL = dict(seeds=(0, 1, 2), T=30, record_every=5)


# -- reference mode against the loop implementation ------------------------------------------
@pytest.mark.parametrize("init", ["near", "sign"])
def test_reference_ssl_matches_loop_implementation(init):
    run = train_ssl(SSLConfig(rng="reference", seeds=(0, 1, 2), T=20, init=init))
    for i, seed in enumerate((0, 1, 2)):
        W = np.array(loop_impl.ssl_run(seed, T=20, init=init))
        assert np.max(np.abs(run.W_final[i] - W)) < 1e-12


def test_reference_sl_matches_loop_implementation():
    run = train_sl(SLConfig(rng="reference", seeds=(0, 1, 2), T=20))
    for i, seed in enumerate((0, 1, 2)):
        W, F = loop_impl.sl_run(seed, T=20)
        assert np.max(np.abs(run.W_final[i] - np.array(W))) < 1e-12
        assert np.max(np.abs(run.F_final[i] - np.array(F))) < 1e-12


def test_reference_mode_leaves_global_generators_alone():
    import random
    np.random.seed(123)  # noqa: NPY002 (the global generator is what this test watches)
    random.seed(123)
    train_ssl(SSLConfig(rng="reference", seeds=(0,), T=3))
    a, b = np.random.random(), random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    assert (a, b) == (np.random.random(), random.random())  # noqa: NPY002


# -- the two samplers agree in law ------------------------------------------------------------
def test_projected_sampler_has_the_law_of_explicit_views():
    """One step from a fixed W, many independent draws: same mean and covariance of the update."""
    rng = np.random.default_rng(7)
    N, n, d, rho, alpha, eta = 20000, 12, 5, 0.5, 1 / 800, 1.0
    x1 = sample_points(n, d, tau=2.0, rho=0.1, seed=3).x
    Wt = np.repeat(rng.normal(size=(1, d, 2)), N, 0)
    x = np.repeat(x1[None], N, 0)
    xT = np.ascontiguousarray(np.swapaxes(x, 1, 2))
    _, _, g_proj = ssl_step_projected(Wt, x, xT, rng.normal(size=(N, 2 * n, 2)),
                                      rng.normal(size=(N, d, 2)), rho, alpha, eta)
    _, _, g_view = ssl_step_views(Wt, x, rng.normal(size=(N, 2, n, d)), rho, alpha, eta)
    a, b = g_proj.reshape(N, -1), g_view.reshape(N, -1)
    se = np.sqrt((a.var(0) + b.var(0)) / N)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 5 * se)
    ca, cb = np.cov(a.T), np.cov(b.T)
    assert np.linalg.norm(ca - cb) < 0.05 * np.linalg.norm(cb)
    # and the noise is not negligible here: dropping the out-of-plane part would be detected
    assert np.trace(cb) > 0.05 * np.sum(b.mean(0) ** 2)


# -- one step improves the objective ----------------------------------------------------------
def test_one_ssl_step_raises_the_augmentation_averaged_objective():
    cfg = SSLConfig(seeds=(0,), T=1, init="sign")
    run = train_ssl(cfg)
    W0, W1, x = run.W[0, 0], run.W[0, -1], run.data.x[0]
    rng = np.random.default_rng(11)
    xi = rng.normal(size=(4000, 2) + x.shape)  # common random numbers for both weights

    def averaged(W):
        return models.ssl_objective(W, x + cfg.rho * xi[:, 0], x + cfg.rho * xi[:, 1],
                                    cfg.alpha).mean()

    assert averaged(W1) > averaged(W0) + 1e-4


def test_one_sl_step_lowers_the_loss():
    cfg = SLConfig(seeds=(0, 1, 2), T=1)
    run = train_sl(cfg)
    x, y = run.data.x, run.data.y
    before = models.sl_loss(run.W[:, 0], run.F[:, 0], x, y, cfg.beta, cfg.gamma)
    after = models.sl_loss(run.W[:, 1], run.F[:, 1], x, y, cfg.beta, cfg.gamma)
    assert np.all(after < before)
    assert np.allclose(run.objective[:, 0], before)


def test_sl_updates_W_then_F_with_new_W():
    cfg = SLConfig(seeds=(4,), T=1)
    run = train_sl(cfg)
    W0, F0, x, y = run.W[:, 0], run.F[:, 0], run.data.x, run.data.y
    gW, _ = models.sl_gradients(W0, F0, x, y, cfg.beta, cfg.gamma)
    W1 = W0 - cfg.eta * gW
    _, gF = models.sl_gradients(W1, F0, x, y, cfg.beta, cfg.gamma)
    assert np.allclose(run.W[:, 1], W1, atol=1e-14)
    assert np.allclose(run.F[:, 1], F0 - cfg.eta * gF, atol=1e-14)


# -- reproducibility ---------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", [SSLConfig(**SMALL), SSLConfig(sampler="views", **SMALL),
                                 SSLConfig(rng="reference", **SMALL), SLConfig(**SMALL)])
def test_same_seed_same_result_and_seeds_differ(cfg):
    train = train_sl if isinstance(cfg, SLConfig) else train_ssl
    a, b = train(cfg), train(cfg)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.objective, b.objective)
    assert not np.allclose(a.W_final[0], a.W_final[1])
    alone = train(cfg.replace(seeds=(2,)))  # a seed's run does not depend on the other seeds
    assert np.array_equal(alone.W[0], a.W[2])


def test_train_many_equals_separate_runs():
    cfgs = [SSLConfig(**SMALL), SSLConfig(init="sign", **{**SMALL, "seeds": (5, 6)}),
            SSLConfig(tau=2.0, rho=0.3, alpha=0.01, **SMALL)]
    together = train_ssl_many(cfgs)
    for cfg, run in zip(cfgs, together):
        alone = train_ssl(cfg)
        assert np.allclose(run.W, alone.W, rtol=0, atol=1e-13)
        assert np.allclose(run.objective, alone.objective, rtol=1e-13)
    with pytest.raises(ValueError, match=r"differ in \['eta'\]"):
        train_ssl_many([SSLConfig(**SMALL), SSLConfig(eta=0.1, **SMALL)])
    sl_cfgs = [SLConfig(**SMALL), SLConfig(tau=1.0, beta=0.1, gamma=0.0, **SMALL)]
    for cfg, run in zip(sl_cfgs, train_sl_many(sl_cfgs)):
        alone = train_sl(cfg)
        assert np.allclose(run.W, alone.W, rtol=0, atol=1e-13)
        assert np.allclose(run.F, alone.F, rtol=0, atol=1e-13)


def test_W0_replaces_the_initialization():
    cfg = SSLConfig(seeds=(0, 1), T=2)
    W0 = np.zeros((2, 2, 10)) + 0.5
    assert np.array_equal(train_ssl(cfg, W0=W0).W[:, 0], W0)
    with pytest.raises(ValueError, match="W0"):
        train_ssl(cfg, W0=np.zeros((3, 2, 10)))


# -- shapes, dtypes, recording ----------------------------------------------------------------
def test_shapes_and_float64():
    cfg = SSLConfig(seeds=(0, 1), T=23, record_every=10, d=4, n=9)
    run = train_ssl(cfg)
    assert list(run.steps) == [0, 10, 20, 23]
    assert run.W.shape == (2, 4, 2, 4) and run.W_final.shape == (2, 2, 4)
    assert run.objective.shape == run.grad_norm.shape == (2, 4)
    assert run.data.x.shape == (2, 9, 4) and run.data.y.shape == run.data.z.shape == (2, 9)
    for a in (run.W, run.objective, run.grad_norm, run.data.x):
        assert a.dtype == np.float64
    sl = train_sl(SLConfig(seeds=(0,), T=5, record_every=2, d=3, n=4))
    assert sl.F.shape == (1, 4, 2) and sl.W.shape == (1, 4, 2, 3) and sl.F.dtype == np.float64


def test_labels_and_hidden_bit_follow_the_clusters():
    run = train_ssl(SSLConfig(seeds=(0,), T=1, n=400, rho=0.0))
    x, y, z = run.data.x[0], run.data.y[0], run.data.z[0]
    assert np.array_equal(y, (x[:, 0] < 0).astype(float))
    assert np.array_equal(z, (x[:, 1] > 3.5).astype(float))
    assert np.all(np.diff(y) >= 0)  # "+" class first


# -- saving and loading ------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    for run in (train_ssl(SSLConfig(**SMALL)), train_sl(SLConfig(**SMALL))):
        path = tmp_path / "run.npz"
        run.save(path)
        back = Run.load(path, expected=run.config)
        assert back.config == run.config and np.array_equal(back.W, run.W)
        assert np.array_equal(back.data.y, run.data.y)
        assert (back.F is None) == (run.F is None)


def test_load_rejects_bad_files(tmp_path):
    run = train_ssl(SSLConfig(**SMALL))
    good = tmp_path / "good.npz"
    run.save(good)
    with pytest.raises(ValueError, match="T = 30 in the file, 31 expected"):
        Run.load(good, expected=SSLConfig(**{**SMALL, "T": 31}))
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a saved run"):
        Run.load(bad)
    stored = dict(np.load(good))
    np.savez(tmp_path / "shape.npz", **{**stored, "W": stored["W"][:, :2]})
    with pytest.raises(ValueError, match="'W' has shape"):
        Run.load(tmp_path / "shape.npz")
    np.savez(tmp_path / "keys.npz", **{k: v for k, v in stored.items() if k != "objective"})
    with pytest.raises(ValueError, match="entries"):
        Run.load(tmp_path / "keys.npz")
    np.savez(tmp_path / "cfg.npz", **{**stored, "config": "{not json"})
    with pytest.raises(ValueError, match="configuration"):
        Run.load(tmp_path / "cfg.npz")


def test_cached_runs_are_identical_and_keyed_by_config(tmp_path, monkeypatch):
    from sslcore.experiments import cached
    monkeypatch.setenv("SSLCORE_CACHE", str(tmp_path))
    cfg = SSLConfig(**SMALL)
    a = cached(cfg)
    b = cached(cfg)
    assert np.array_equal(a.W, b.W) and len(list(tmp_path.iterdir())) == 1
    assert np.array_equal(b.W, train_ssl(cfg).W)
    cached(cfg.replace(T=31))
    assert len(list(tmp_path.iterdir())) == 2


def test_qr2_equals_lapack_qr_including_degenerate_rows():
    rng = np.random.default_rng(3)
    Wt = rng.standard_normal((50, 10, 2)) * rng.choice([1e-3, 1.0, 1e3], size=(50, 1, 1))
    Wt[0, :, 1] = 2.0 * Wt[0, :, 0]                          # parallel columns
    Wt[1, :, 0] = 0.0                                        # w1 = 0
    Wt[2, :, 1] = Wt[2, :, 0] + 1e-12                        # nearly parallel
    Wt[3] = 0.0
    Q, R = qr2(Wt)
    Q0, R0 = np.linalg.qr(Wt)
    np.testing.assert_allclose(Q, Q0, atol=1e-12)
    np.testing.assert_allclose(R, R0, atol=1e-12 * np.abs(R0).max())
    np.testing.assert_allclose(np.swapaxes(Q, 1, 2) @ Q, np.broadcast_to(np.eye(2), (50, 2, 2)),
                               atol=1e-12)


@pytest.mark.parametrize("sampler", ["views", "projected"])
def test_prefetched_draws_are_the_numbers_of_drawing_in_the_loop(sampler):
    cfg = SSLConfig(seeds=(0, 1), sampler=sampler)
    n, d, blocks = 3, 4, [(0, 5), (5, 5), (10, 2)]
    gens = [np.random.default_rng(s) for s in (0, 1)]
    ahead = list(prefetched_draws(blocks, lambda k: draw_ssl_noise(cfg, gens, n, d, k)))
    gens = [np.random.default_rng(s) for s in (0, 1)]
    for (start, length), (s0, l0, got) in zip(blocks, ahead):
        want = draw_ssl_noise(cfg, gens, n, d, length)
        assert (s0, l0) == (start, length)
        got, want = (got, want) if sampler == "projected" else ((got,), (want,))
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
    shapes = [a.shape for a in ahead[0][2]] if sampler == "projected" else [ahead[0][2].shape]
    assert shapes == ([(2, 5, 6, 2), (2, 5, 4, 2)] if sampler == "projected" else [(2, 5, 2, 3, 4)])
